"""The demo registry: fictional developers whose example disclosures are published through the real path.

Each developer gets a fresh Ed25519 key and a publish token; each document is parsed, turned into a statement,
signed with that key and handed to :class:`~candor.services.publishing.Publisher`, exactly as ``candor publish``
does over HTTP. The history includes a framework version that weakens a commitment (Borealis Labs' 3.0 makes
biological risk a *should*), a withdrawn system card (Tessellate AI's Tessera-1.5) and certifications.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import generate_private_key, private_key_pem
from candor.domain.parse import parse_bytes
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.errors import SourceError
from candor.services.publishing import Publication, PublishedEntry, Publisher, statement_for_document
from candor.store.developers import Developers
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope


@dataclass(frozen=True)
class DemoDeveloper:
    """A fictional developer, the example files it publishes in order, and those it later withdraws."""

    slug: str
    legal_name: str
    domain: str
    files: tuple[str, ...]
    withdraws: tuple[str, ...] = ()


DEMO_DEVELOPERS = (
    DemoDeveloper(
        "acme-ai",
        "Acme AI, Inc.",
        "acme-ai.example",
        ("sdf-v1.md", "system-card-acme-3.md", "sdf-v2.md", "system-card-acme-3-5.md", "certification-2026.md"),
    ),
    DemoDeveloper(
        "borealis-labs",
        "Borealis Labs Ltd",
        "borealis-labs.example",
        ("sdf-v1.md", "system-card-aurora-2.md", "sdf-v2.md", "certification-2026.md", "sdf-v3.md"),
    ),
    DemoDeveloper(
        "tessellate-ai",
        "Tessellate AI, Inc.",
        "tessellate-ai.example",
        ("sdf-v1.md", "sdf-v2.md", "system-card-tessera-1.md", "system-card-tessera-1-5.md", "certification-2026.md"),
        withdraws=("system-card-tessera-1-5.md",),
    ),
)


@dataclass(frozen=True)
class SeededStatement:
    """One statement the demo published: which developer, from which file (None for a withdrawal), and where."""

    developer: str
    file: str | None
    entry: PublishedEntry


def seed_demo(
    sessions: sessionmaker[Session], publisher: Publisher, examples: Path, keys_dir: Path
) -> list[SeededStatement]:
    """Register the demo developers and publish their examples; their keys go to ``keys_dir`` (mode 0600)."""
    seeded: list[SeededStatement] = []
    for developer in DEMO_DEVELOPERS:
        key, token = _register(sessions, developer)
        _keep_key(keys_dir / f"{developer.slug}.key", key)
        published: dict[str, PublishedEntry] = {}
        for name in developer.files:
            path = examples / developer.slug / name
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise SourceError(str(path), f"cannot read a demo example ({exc.strerror})") from exc
            statement = statement_for_document(parse_bytes(str(path), raw), raw, datetime.now(UTC))
            entry = publisher.publish(
                token, Publication(statement.canonical_bytes(), sign_statement(statement, key), raw)
            )
            published[name] = entry
            seeded.append(SeededStatement(developer.slug, str(path), entry))
        for name in developer.withdraws:
            target = published[name]
            withdrawal = Statement(
                developer=developer.slug,
                kind=StatementKind.WITHDRAWAL,
                version=target.version,
                target=target.statement_sha256,
                issued_at=datetime.now(UTC),
            )
            entry = publisher.publish(
                token, Publication(withdrawal.canonical_bytes(), sign_statement(withdrawal, key), None)
            )
            seeded.append(SeededStatement(developer.slug, None, entry))
    return seeded


def _register(sessions: sessionmaker[Session], developer: DemoDeveloper) -> tuple[Ed25519PrivateKey, str]:
    key = generate_private_key()
    with sessions.begin() as session:
        developers = Developers(session)
        row = developers.add(developer.slug, legal_name=developer.legal_name, website_domain=developer.domain)
        developers.add_key(row, key.public_key())
        token, _ = ApiTokens(session).issue(TokenScope.PUBLISH, row)
    return key, token


def _keep_key(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(key))
