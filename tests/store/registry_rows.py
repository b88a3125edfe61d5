"""Builds a small registry (developer, key, document, log entry, statement, checkpoint) through the repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.store.developers import Developers
from candor.store.documents import Documents
from candor.store.log_entries import append_log_entry, log_append_lock, record_checkpoint
from candor.store.statements import Statements

FRAMEWORK = b"---\nkind: secure-development-framework\n---\n# Our framework\n"


@dataclass(frozen=True)
class Published:
    statement_sha256: str
    document_sha256: str
    log_index: int


def publish_framework(sessions: sessionmaker[Session], *, slug: str = "aurora-labs", version: str = "1.0") -> Published:
    """Register ``slug`` if needed and publish one signed framework statement, as the service will."""
    private_key = Ed25519PrivateKey.generate()
    with sessions.begin() as session, log_append_lock(session):
        developers = Developers(session)
        developer = developers.find(slug) or developers.add(
            slug, legal_name="Aurora Labs Ltd", website_domain="aurora.example"
        )
        key = developers.add_key(developer, private_key.public_key())
        document = Documents(session).put(FRAMEWORK + version.encode())
        statement = Statement(
            developer=slug,
            kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
            version=version,
            document_sha256=document.sha256,
            issued_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
        entry = append_log_entry(session, statement.canonical_bytes())
        record = Statements(session).add(
            statement,
            signature=sign_statement(statement, private_key),
            developer=developer,
            key=key,
            log_entry=entry,
            document=document,
        )
        record_checkpoint(session, size=entry.log_index + 1, root_hash=b"\x11" * 32, note="example.org/log\n1\n...\n")
        return Published(record.statement_sha256, document.sha256, entry.log_index)
