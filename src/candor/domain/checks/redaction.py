"""Checks on redactions: that each says why, that they leave most of the text readable, and what they hide."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from candor.domain.checks.base import Check, CheckContext, DisclosureModel, Gap, NoParams, Params
from candor.domain.documents import Certification, SecureDevelopmentFramework, SystemCard
from candor.domain.redaction import Redaction
from candor.domain.yamlload import FieldPath, format_path

_ANY_DISCLOSURE = (SecureDevelopmentFramework, SystemCard, Certification)


def _gap(redaction: Redaction, detail: str, hint: str | None = None) -> Gap:
    # A front-matter redaction points at its field; a body redaction has only its line.
    return Gap(redaction.field or (), detail, hint=hint, line=None if redaction.field else redaction.line)


def _justified(model: DisclosureModel, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    for redaction in context.redactions.items:
        if redaction.justification is None:
            yield _gap(
                redaction,
                f"the {redaction.category} redaction on {redaction.where} gives no justification",
                hint='add justification="why this passage is withheld"',
            )


REDACTION_JUSTIFIED = Check(
    name="redaction-justified",
    summary="every redaction states its justification",
    reads=_ANY_DISCLOSURE,
    params=NoParams,
    run=_justified,
)


class ShareParams(Params):
    #: The largest share of the prose that may be redacted, from 0 to 1: 0.3 is 30%.
    max_share: float = Field(gt=0, le=1)


def _share(model: DisclosureModel, params: ShareParams, context: CheckContext) -> Iterator[Gap]:
    redactions = context.redactions
    if redactions.items and redactions.share > params.max_share:
        largest = max(redactions.chars_by_category().items(), key=lambda item: item[1])[0]
        yield Gap(
            (),
            f"{redactions.share:.0%} of the text is redacted, above {params.max_share:.0%} (most of it {largest})",
            hint="redact only the passages that need it; the rest of the framework must stay public",
        )


REDACTED_SHARE = Check(
    name="redacted-share",
    summary="no more than a set share of the text is redacted",
    reads=_ANY_DISCLOSURE,
    params=ShareParams,
    run=_share,
)


def _mandatory_redacted(model: DisclosureModel, params: NoParams, context: CheckContext) -> Iterator[Gap]:
    for redaction in context.redactions.items:
        if redaction.field is not None and _is_required(type(model), redaction.field):
            yield _gap(
                redaction,
                f"{format_path(redaction.field)} is withheld as {redaction.category}",
                hint="redact only the sensitive part of it, in the body, and keep a public summary here",
            )


def _is_required(model: type[BaseModel], path: FieldPath) -> bool:
    """Whether every field along ``path`` is one the document must give (no default)."""
    current: type[BaseModel] | None = model
    for part in path:
        if isinstance(part, int):
            continue
        field = None if current is None else current.model_fields.get(part)
        if field is None or not field.is_required():
            return False
        current = _model_in(field.annotation)
    return True


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


MANDATORY_NOT_REDACTED = Check(
    name="mandatory-not-redacted",
    summary="no required field is redacted in full",
    reads=_ANY_DISCLOSURE,
    params=NoParams,
    run=_mandatory_redacted,
)
