"""Developers, keys, tokens and signed publications for the publishing tests, built with the real parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.parse import parse_bytes
from candor.domain.standards import DEFAULT_STANDARD, load_standard
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.services.publishing import Publication, Publisher, statement_for_document
from candor.store.developers import Developers
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope
from tests.conftest import EXAMPLES

_CLOCK = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Signer:
    """A registered developer: its slug, private key and publish token."""

    slug: str
    key: Ed25519PrivateKey
    token: str


def register(sessions: sessionmaker[Session], slug: str) -> Signer:
    """Register ``slug`` with a fresh key and issue it a publish token."""
    key = Ed25519PrivateKey.generate()
    with sessions.begin() as session:
        developers = Developers(session)
        developer = developers.add(slug, legal_name=f"{slug} Inc.", website_domain=f"{slug}.example")
        developers.add_key(developer, key.public_key())
        token, _ = ApiTokens(session).issue(TokenScope.PUBLISH, developer)
    return Signer(slug, key, token)


def publisher(sessions: sessionmaker[Session]) -> Publisher:
    """A publisher that checks against the default standard."""
    return Publisher(sessions, load_standard(DEFAULT_STANDARD), max_document_bytes=5 * 1024 * 1024)


def framework(slug: str, version: int, *, supersedes: int | None = None) -> bytes:
    """The example framework, as ``slug``'s version ``version``.0, superseding ``supersedes``.0 if given."""
    raw = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text("utf-8")
    raw = raw.replace("developer: acme-ai", f"developer: {slug}", 1)
    header = f'version: "{version}.0"'
    if supersedes is not None:
        header += f'\nsupersedes: "{supersedes}.0"'
    return re.sub(r'^version: "1.0"$', header, raw, count=1, flags=re.MULTILINE).encode()


def signed(signer: Signer, raw: bytes, *, minutes: int = 0) -> Publication:
    """``raw`` with the statement its front matter implies, signed by ``signer``."""
    statement = statement_for_document(parse_bytes("doc.md", raw), raw, _CLOCK + timedelta(minutes=minutes))
    return Publication(statement.canonical_bytes(), sign_statement(statement, signer.key), raw)


def statement_signed(signer: Signer, statement: Statement, document: bytes | None = None) -> Publication:
    """Any statement, signed by ``signer``."""
    return Publication(statement.canonical_bytes(), sign_statement(statement, signer.key), document)


def withdrawal(signer: Signer, target: str, *, version: str = "withdrawn-1") -> Publication:
    """A signed withdrawal of the statement whose digest is ``target``."""
    statement = Statement(
        developer=signer.slug, kind=StatementKind.WITHDRAWAL, version=version, target=target, issued_at=_CLOCK
    )
    return statement_signed(signer, statement)
