"""Checks that read any kind of disclosure."""

from __future__ import annotations

from collections.abc import Iterator
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Field

from candor.domain.checks.base import Check, CheckContext, CheckParamsError, DisclosureModel, Gap, NoParams, Params
from candor.domain.documents import DISCLOSURE_KINDS, Certification, SecureDevelopmentFramework, SystemCard


class FieldParams(Params):
    #: A dotted path to an optional field, such as ``website`` or ``review.update_triggers``.
    field: str = Field(pattern=r"^[a-z_]+(?:\.[a-z_]+)*$")


def _field_value(model: BaseModel, dotted: str) -> object:
    value: object = model
    for name in dotted.split("."):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def _field_present(model: DisclosureModel, params: FieldParams, context: CheckContext) -> Iterator[Gap]:
    value = _field_value(model, params.field)
    if value is None or value == [] or value == "":
        # The rule's message says what is missing and the finding names the field: a detail would only repeat them.
        yield Gap(tuple(params.field.split(".")), hint=f"add {params.field}:")


def _model_class(annotation: Any) -> type[BaseModel] | None:
    # Unwrap ``X | None`` to find the model a nested path walks into.
    if get_origin(annotation) in (Union, UnionType):
        for arg in get_args(annotation):
            found = _model_class(arg)
            if found is not None:
                return found
        return None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _field_exists(params: FieldParams, kinds: tuple[str, ...]) -> None:
    for kind in kinds:
        model: type[BaseModel] | None = DISCLOSURE_KINDS[kind]
        for name in params.field.split("."):
            if model is None or name not in model.model_fields:
                raise CheckParamsError(f"a {kind} has no field {params.field}", ("field",))
            model = _model_class(model.model_fields[name].annotation)


FIELD_PRESENT = Check(
    name="field-present",
    summary="an optional field is given and not empty",
    reads=(SecureDevelopmentFramework, SystemCard, Certification),
    params=FieldParams,
    run=_field_present,
    validate_for_kinds=_field_exists,
)


def _changelog_covers_version(
    model: SecureDevelopmentFramework | SystemCard, params: NoParams, context: CheckContext
) -> Iterator[Gap]:
    if model.supersedes is None:
        return
    if not any(entry.version == model.version for entry in model.changelog):
        yield Gap(
            ("changelog",),
            f"version {model.version} supersedes {model.supersedes} but the changelog has no entry for it",
            hint=f'add a changelog entry with version: "{model.version}" saying what changed',
        )


CHANGELOG_COVERS_VERSION = Check(
    name="changelog-covers-version",
    summary="a version that supersedes another says in its changelog what changed",
    reads=(SecureDevelopmentFramework, SystemCard),
    params=NoParams,
    run=_changelog_covers_version,
)


def _framework_version_known(
    model: SystemCard | Certification, params: NoParams, context: CheckContext
) -> Iterator[Gap]:
    if not context.has_frameworks_of(model.developer):
        return
    if context.framework(model.developer, model.framework) is None:
        known = sorted(version for developer, version in context.frameworks if developer == model.developer)
        yield Gap(
            ("framework",),
            f"names framework version {model.framework}, but {model.developer}'s checked frameworks are "
            f"version {', '.join(known)}",
            hint="name the version that was applied, or check its file too",
        )


FRAMEWORK_VERSION_KNOWN = Check(
    name="framework-version-known",
    summary="when the developer's frameworks are checked alongside, the named framework version is one of them",
    reads=(SystemCard, Certification),
    params=NoParams,
    run=_framework_version_known,
)
