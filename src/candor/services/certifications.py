"""A self-certification bound to one published framework: the registry checks the entry it names.

A certification may name the framework it certifies by its log entry and document hash (``framework_entry``).
Then a false certification can be proved against exactly that text. The registry refuses an entry that does not
exist, that another developer published, that is not a framework, or whose hash or version differ.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from candor.domain.documents import KIND_FRAMEWORK, Certification
from candor.domain.parse import ParsedDocument
from candor.errors import CandorError
from candor.store.statements import Statements


class CertifiedFrameworkError(CandorError):
    """A certification naming a framework entry that is not the developer's framework of that version."""

    http_status = 422
    error_code = "certified_framework_mismatch"


class CertifiedFrameworkForbiddenError(CertifiedFrameworkError):
    """A certification naming another developer's framework."""

    http_status = 403
    error_code = "forbidden"


def check_certified_framework(session: Session, developer: str, parsed: ParsedDocument | None) -> None:
    """Refuse a certification whose ``framework_entry`` is not ``developer``'s framework of the version it names."""
    model = None if parsed is None else parsed.model
    if not isinstance(model, Certification) or model.framework_entry is None:
        return
    entry = model.framework_entry
    record = Statements(session).at_log_index(entry.log_index)
    where = f"the certification names log entry {entry.log_index}"
    if record is None:
        raise CertifiedFrameworkError(f"{where}, which does not exist", hint="name the framework's log index")
    if record.developer.slug != developer:
        raise CertifiedFrameworkForbiddenError(
            f"{where}, which {record.developer.slug} published; a developer certifies only its own framework"
        )
    if record.kind != KIND_FRAMEWORK:
        raise CertifiedFrameworkError(f"{where}, which is a {record.kind}, not a {KIND_FRAMEWORK}")
    if record.document_sha256 != entry.sha256:
        raise CertifiedFrameworkError(
            f"{where}, whose document is {record.document_sha256}, not {entry.sha256}",
            hint="copy the sha256 from the framework's statement",
        )
    if record.version != model.framework:
        raise CertifiedFrameworkError(
            f"{where}, which is framework version {record.version}, but the certification names {model.framework}"
        )
