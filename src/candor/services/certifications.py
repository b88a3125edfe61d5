"""A self-certification bound to one published framework: the registry checks the entry it names.

A certification names the framework it certifies by its log entry and document hash (``framework_entry``), so
that a false certification can be proved against exactly that text. The registry refuses a certification that
names no entry, or an entry that does not exist, that another developer published, that is not a framework, or
whose hash or version differ. It also refuses a certification dated, or covering a period that starts, after its
own publication: compliance cannot be attested ahead of time, and a future date would show it as current for
years.

``candor check`` reads files without a registry, so there a missing entry is only a warning (rule
``CERT-FRAMEWORK-ENTRY``).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from candor.domain.documents import Certification
from candor.domain.parse import ParsedDocument
from candor.domain.statement import StatementKind
from candor.errors import CandorError
from candor.store.statements import Statements


class CertifiedFrameworkError(CandorError):
    """A certification naming a framework entry that is not the developer's framework of that version."""

    http_status = 422
    error_code = "certified_framework_mismatch"


class CertifiedFrameworkMissingError(CertifiedFrameworkError):
    """A certification that does not name the published framework it certifies."""

    error_code = "certified_framework_missing"


class CertifiedFrameworkForbiddenError(CertifiedFrameworkError):
    """A certification naming another developer's framework."""

    http_status = 403
    error_code = "forbidden"


class CertificationDateError(CandorError):
    """A certification dated, or covering a period that starts, after the moment it is published."""

    http_status = 422
    error_code = "certification_dated_ahead"


def check_certification(
    session: Session, developer: str, parsed: ParsedDocument | None, published_at: datetime
) -> None:
    """Refuse a certification that is not bound to ``developer``'s framework, or that is dated ahead of
    ``published_at``; anything else passes."""
    model = None if parsed is None else parsed.model
    if not isinstance(model, Certification):
        return
    _check_dates(model, published_at)
    _check_certified_framework(session, developer, model)


def _check_dates(model: Certification, published_at: datetime) -> None:
    today = published_at.date()
    if model.date > today:
        raise CertificationDateError(
            f"the certification is dated {model.date}, after its publication on {today}",
            hint="a developer certifies compliance that has happened; date it when it is signed",
        )
    if model.period.start > today:
        raise CertificationDateError(
            f"the certified period starts {model.period.start}, after the certification's publication on {today}",
            hint="certify only a period that has ended",
        )


def _check_certified_framework(session: Session, developer: str, model: Certification) -> None:
    entry = model.framework_entry
    if entry is None:
        raise CertifiedFrameworkMissingError(
            f"the certification names framework {model.framework} but not its published entry",
            hint="add framework_entry: {log_index: N, sha256: H}, the log index and document_sha256 of the "
            "framework's statement, so that the certification is bound to exactly that text",
        )
    record = Statements(session).at_log_index(entry.log_index)
    where = f"the certification names log entry {entry.log_index}"
    if record is None:
        raise CertifiedFrameworkError(f"{where}, which does not exist", hint="name the framework's log index")
    if record.developer.slug != developer:
        raise CertifiedFrameworkForbiddenError(
            f"{where}, which {record.developer.slug} published; a developer certifies only its own framework"
        )
    if record.kind != StatementKind.SECURE_DEVELOPMENT_FRAMEWORK:
        raise CertifiedFrameworkError(
            f"{where}, which is a {record.kind}, not a {StatementKind.SECURE_DEVELOPMENT_FRAMEWORK.value}"
        )
    if record.document_sha256 != entry.sha256:
        raise CertifiedFrameworkError(
            f"{where}, whose document is {record.document_sha256}, not {entry.sha256}",
            hint="copy the sha256 from the framework's statement",
        )
    if record.version != model.framework:
        raise CertifiedFrameworkError(
            f"{where}, which is framework version {record.version}, but the certification names {model.framework}"
        )


_FRAMEWORK_LINE = re.compile(r"^framework: .*\n", re.MULTILINE)
_ENTRY_BLOCK = re.compile(r"^framework_entry:.*\n(?:[ \t]+.*\n)*", re.MULTILINE)


def bind_certification(raw: bytes, log_index: int, sha256: str) -> bytes:
    """The certification ``raw`` with its ``framework_entry`` set to ``log_index`` and ``sha256``.

    For whoever publishes a certification right after the framework it certifies (the demo, test kits), when the
    framework's entry is known only once it is published: a redacted framework's public version gets fresh salts,
    so its hash changes each time it is redacted.
    """
    text = raw.decode("utf-8")
    front_end = text.index("\n---", 3)
    front, rest = text[: front_end + 1], text[front_end + 1 :]
    entry = f'framework_entry:\n  log_index: {log_index}\n  sha256: "{sha256}"\n'
    if _ENTRY_BLOCK.search(front):
        front = _ENTRY_BLOCK.sub(lambda _: entry, front, count=1)
    else:
        line = _FRAMEWORK_LINE.search(front)
        if line is None:
            raise ValueError("the certification has no framework: line to bind")
        front = front[: line.end()] + entry + front[line.end() :]
    return (front + rest).encode("utf-8")
