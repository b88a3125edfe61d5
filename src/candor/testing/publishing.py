"""Developers, keys, tokens and signed publications for the publishing tests and benchmarks, with the real parts.

A document that holds passages marked for redaction is published as a developer must: through ``candor redact``'s
own path, as its public version with the sealed original, sealed to :data:`REGULATOR_KEY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.config import Settings
from candor.domain.parse import parse_bytes
from candor.domain.regulator_keys import generate_regulator_key
from candor.domain.standards import DEFAULT_STANDARD, load_standard
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.registry_client import publication_body
from candor.services.publishing import Publication, Publisher, statement_for_document
from candor.services.redacting import RedactedDocument, redact_document
from candor.store.developers import Developers
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope
from candor.testing import EXAMPLES

_CLOCK = datetime(2026, 3, 1, tzinfo=UTC)

#: The origin of the test registry's log, which every statement the kit signs names: a fresh data directory's.
ORIGIN: str = Settings.model_fields["log_origin"].default

#: The test regulator's key pair: every redacted original the kit publishes is sealed to its public half.
REGULATOR_KEY = generate_regulator_key()


@dataclass
class Signer:
    """A registered developer: its slug, private key and publish token."""

    slug: str
    key: Ed25519PrivateKey
    token: str


def register(sessions: sessionmaker[Session], slug: str, key: Ed25519PrivateKey | None = None) -> Signer:
    """Register ``slug`` with ``key`` (by default a fresh one) and issue it a publish token."""
    key = key or Ed25519PrivateKey.generate()
    with sessions.begin() as session:
        developers = Developers(session)
        developer = developers.add(slug, legal_name=f"{slug} Inc.", website_domain=f"{slug}.example")
        developers.add_key(developer, key.public_key())
        token, _ = ApiTokens(session).issue(TokenScope.PUBLISH, developer)
    return Signer(slug, key, token)


def publisher(sessions: sessionmaker[Session]) -> Publisher:
    """A publisher that checks against the default standard."""
    return Publisher(sessions, load_standard(DEFAULT_STANDARD), max_document_bytes=5 * 1024 * 1024, origin=ORIGIN)


def framework(slug: str, version: int, *, supersedes: int | None = None) -> bytes:
    """The example framework, as ``slug``'s version ``version``.0, superseding ``supersedes``.0 if given."""
    raw = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text("utf-8")
    raw = raw.replace("developer: acme-ai", f"developer: {slug}", 1)
    header = f'version: "{version}.0"'
    if supersedes is not None:
        header += f'\nsupersedes: "{supersedes}.0"'
    return re.sub(r'^version: "1.0"$', header, raw, count=1, flags=re.MULTILINE).encode()


@cache
def redacted(raw: bytes) -> RedactedDocument | None:
    """The public version and sealed original of ``raw``, or None if it marks nothing for redaction.

    Redaction draws fresh salts, so it runs once per document: the same document again is the same publication.
    """
    parsed = parse_bytes("doc.md", raw)
    if all(redaction.is_placeholder for redaction in parsed.redactions):
        return None
    return redact_document(parsed, REGULATOR_KEY.public_key())


def public_version(raw: bytes) -> bytes:
    """The bytes the registry publishes for ``raw``: its public version, or ``raw`` itself if nothing is marked."""
    redaction = redacted(raw)
    return raw if redaction is None else redaction.public.source.text.encode("utf-8")


def sealed_original(raw: bytes) -> bytes | None:
    """The sealed original published with :func:`public_version` of ``raw``; None if nothing is marked."""
    redaction = redacted(raw)
    return None if redaction is None else redaction.sealed


def signed(signer: Signer, raw: bytes, *, minutes: int = 0) -> Publication:
    """``raw``, redacted if it marks passages, with the statement its front matter implies, signed by ``signer``."""
    document, sealed = public_version(raw), sealed_original(raw)
    parsed = parse_bytes("doc.md", document)
    statement = statement_for_document(
        parsed, document, _CLOCK + timedelta(minutes=minutes), origin=ORIGIN, sealed=sealed
    )
    return Publication(statement.canonical_bytes(), sign_statement(statement, signer.key), document, sealed)


def statement_signed(
    signer: Signer, statement: Statement, document: bytes | None = None, sealed: bytes | None = None
) -> Publication:
    """Any statement, signed by ``signer``."""
    return Publication(statement.canonical_bytes(), sign_statement(statement, signer.key), document, sealed)


def withdrawal(signer: Signer, target: str, *, version: str = "withdrawn-1") -> Publication:
    """A signed withdrawal of the statement whose digest is ``target``."""
    statement = Statement(
        origin=ORIGIN,
        developer=signer.slug,
        kind=StatementKind.WITHDRAWAL,
        version=version,
        target=target,
        issued_at=_CLOCK,
    )
    return statement_signed(signer, statement)


def request_body(publication: Publication) -> dict[str, str | None]:
    """``publication`` as the JSON body of ``POST /api/v1/statements``, as ``candor publish`` sends it."""
    return publication_body(
        publication.statement_bytes, publication.signature, publication.document, publication.sealed
    )
