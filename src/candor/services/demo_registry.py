"""The demo registry: fictional developers whose example disclosures are published through the real path.

Each developer gets a fresh Ed25519 key and a publish token; each document is parsed, turned into a statement,
signed with that key and handed to :class:`~candor.services.publishing.Publisher`, exactly as ``candor publish``
does over HTTP, on the dates of a history spread over 2025 and 2026. Each developer's facts are recorded too, so
that its page shows its coverage by regime. The history includes a framework version that weakens a commitment
(Borealis Labs' 3.0 makes biological risk a *should*), a withdrawn system card (Tessellate AI's Tessera-1.5) and
certifications.

Documents that mark passages for redaction go through the real redaction path first, as ``candor redact`` does:
the demo generates a regulator key, writes each public version and sealed original beside it, and publishes the
public version with its sealed original, so the registry holds no redacted passage in plaintext.

A certification is bound to the framework it certifies by that framework's log index and document hash, which
are known only once the framework is published (a redacted framework's public version has fresh salts): the demo
writes each certification, bound to the framework version it names, beside the public versions and publishes
that.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import generate_private_key, private_key_pem
from candor.domain.documents import Certification, SecureDevelopmentFramework
from candor.domain.parse import parse_bytes
from candor.domain.regulator_keys import generate_regulator_key, regulator_private_pem, regulator_public_pem
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.errors import SourceError
from candor.services.certifications import bind_certification
from candor.services.publishing import Publication, PublishedEntry, Publisher, statement_for_document
from candor.services.redacting import redact_file
from candor.services.registry_facts import record_facts
from candor.store.developers import Developers
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope


@dataclass(frozen=True)
class DemoDeveloper:
    """A fictional developer, and when it joined the registry."""

    slug: str
    legal_name: str
    domain: str
    registered_at: datetime


@dataclass(frozen=True)
class DemoEvent:
    """One publication in the demo's history: on ``day``, ``developer`` publishes ``file``, or withdraws it."""

    day: str
    developer: str
    file: str
    withdraw: bool = False

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.day).replace(tzinfo=UTC)


DEMO_DEVELOPERS = (
    DemoDeveloper("acme-ai", "Acme AI, Inc.", "acme-ai.example", datetime(2025, 5, 12, 9, 0, tzinfo=UTC)),
    DemoDeveloper(
        "borealis-labs", "Borealis Labs Ltd", "borealis-labs.example", datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
    ),
    DemoDeveloper(
        "tessellate-ai", "Tessellate AI, Inc.", "tessellate-ai.example", datetime(2025, 5, 19, 9, 0, tzinfo=UTC)
    ),
)

#: The demo's history, oldest first, on dates that agree with the documents' own (frameworks published before
#: they take effect, system cards on their models' release days, certifications after the period they cover).
#: The log records them in this order.
DEMO_HISTORY = (
    DemoEvent("2025-05-26T14:05", "acme-ai", "sdf-v1.md"),
    DemoEvent("2025-05-28T10:42", "borealis-labs", "sdf-v1.md"),
    DemoEvent("2025-05-30T16:18", "tessellate-ai", "sdf-v1.md"),
    DemoEvent("2025-11-02T15:00", "acme-ai", "system-card-acme-3.md"),
    DemoEvent("2025-11-02T17:31", "borealis-labs", "system-card-aurora-2.md"),
    DemoEvent("2025-11-03T09:12", "tessellate-ai", "system-card-tessera-1.md"),
    DemoEvent("2026-01-12T11:20", "acme-ai", "sdf-v2.md"),
    DemoEvent("2026-01-13T13:47", "borealis-labs", "sdf-v2.md"),
    DemoEvent("2026-01-14T08:55", "tessellate-ai", "sdf-v2.md"),
    DemoEvent("2026-03-10T15:00", "acme-ai", "system-card-acme-3-5.md"),
    DemoEvent("2026-03-10T16:30", "tessellate-ai", "system-card-tessera-1-5.md"),
    DemoEvent("2026-04-02T10:15", "tessellate-ai", "system-card-tessera-1-5.md", withdraw=True),
    DemoEvent("2026-06-01T12:00", "borealis-labs", "sdf-v3.md"),
    DemoEvent("2026-07-21T09:30", "acme-ai", "certification-2026.md"),
    DemoEvent("2026-07-22T14:10", "borealis-labs", "certification-2026.md"),
    DemoEvent("2026-07-24T11:05", "tessellate-ai", "certification-2026.md"),
)
#: Each developer's facts, from which the website decides its coverage by regime.
FACTS_FILE = "facts.yaml"
#: The demo regulator's private key, in the redaction folder; its public key is beside it with ``.pub`` added.
REGULATOR_KEY_FILE = "regulator.key"


@dataclass(frozen=True)
class SeededStatement:
    """One statement the demo published: which developer, from which file (None for a withdrawal), and where.

    For a redacted document the file is the public version that was published, not the example it came from.
    """

    developer: str
    file: str | None
    entry: PublishedEntry


@dataclass
class _Clock:
    """The time the demo's publisher sees: set to each event's moment before it is published."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


def seed_demo(
    sessions: sessionmaker[Session],
    examples: Path,
    keys_dir: Path,
    facts_dir: Path,
    publisher_for: Callable[[Callable[[], datetime]], Publisher],
    redaction_dir: Path,
) -> list[SeededStatement]:
    """Register the demo developers, record their facts and publish their history on its own dates.

    ``publisher_for`` makes the publisher from the clock it must use. Keys go to ``keys_dir`` (mode 0600). The
    demo regulator's key pair goes to ``redaction_dir``, and each redacted document's public version and sealed
    original, and each certification as bound to its framework, to ``redaction_dir/<developer>/``.
    """
    regulator_key = _regulator_key(redaction_dir)
    signers: dict[str, tuple[Ed25519PrivateKey, str]] = {}
    for developer in DEMO_DEVELOPERS:
        key, token = _register(sessions, developer)
        _keep_key(keys_dir / f"{developer.slug}.key", key)
        signers[developer.slug] = key, token
        facts = examples / developer.slug / FACTS_FILE
        record_facts(facts_dir, developer.slug, str(facts), _read(facts))
    clock = _Clock(DEMO_HISTORY[0].moment)
    publisher = publisher_for(clock)
    seeded: list[SeededStatement] = []
    published: dict[tuple[str, str], PublishedEntry] = {}
    #: Each developer's frameworks as published, by version: their log index and document hash.
    frameworks: dict[tuple[str, str], tuple[int, str]] = {}
    for event in DEMO_HISTORY:
        clock.moment = event.moment
        key, token = signers[event.developer]
        if event.withdraw:
            target = published[event.developer, event.file]
            withdrawal = Statement(
                origin=publisher.origin,
                developer=event.developer,
                kind=StatementKind.WITHDRAWAL,
                version=target.version,
                target=target.statement_sha256,
                issued_at=clock(),
            )
            entry = publisher.publish(
                token, Publication(withdrawal.canonical_bytes(), sign_statement(withdrawal, key), None)
            )
            seeded.append(SeededStatement(event.developer, None, entry))
            continue
        path = examples / event.developer / event.file
        raw = _read(path)
        parsed, sealed = parse_bytes(str(path), raw), None
        if any(not redaction.is_placeholder for redaction in parsed.redactions):
            out_dir = redaction_dir / event.developer
            out_dir.mkdir(parents=True, exist_ok=True)
            redacted = redact_file(path, regulator_key, out_dir)
            path, parsed, sealed = redacted.public_path, redacted.redacted.public, redacted.redacted.sealed
            raw = redacted.public_path.read_bytes()
        if isinstance(parsed.model, Certification):
            certified = frameworks[event.developer, parsed.model.framework]
            path = _bound_copy(redaction_dir / event.developer / event.file, raw, certified)
            raw = path.read_bytes()
            parsed = parse_bytes(str(path), raw)
        statement = statement_for_document(parsed, raw, clock(), origin=publisher.origin, sealed=sealed)
        signature = sign_statement(statement, key)
        entry = publisher.publish(token, Publication(statement.canonical_bytes(), signature, raw, sealed))
        published[event.developer, event.file] = entry
        if isinstance(parsed.model, SecureDevelopmentFramework):
            frameworks[event.developer, entry.version] = entry.log_index, hashlib.sha256(raw).hexdigest()
        seeded.append(SeededStatement(event.developer, str(path), entry))
    return seeded


def _bound_copy(path: Path, raw: bytes, framework: tuple[int, str]) -> Path:
    """Write the certification ``raw``, bound to ``framework``'s entry, to ``path``."""
    _keep(path, bind_certification(raw, *framework), 0o644)
    return path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), f"cannot read a demo example ({exc.strerror})") from exc


def _register(sessions: sessionmaker[Session], developer: DemoDeveloper) -> tuple[Ed25519PrivateKey, str]:
    key = generate_private_key()
    with sessions.begin() as session:
        developers = Developers(session)
        row = developers.add(
            developer.slug,
            legal_name=developer.legal_name,
            website_domain=developer.domain,
            registered_at=developer.registered_at,
        )
        developers.add_key(row, key.public_key(), valid_from=developer.registered_at)
        token, _ = ApiTokens(session).issue(TokenScope.PUBLISH, row)
    return key, token


def _regulator_key(redaction_dir: Path) -> Path:
    """Generate the demo regulator's key pair in ``redaction_dir``; the path of its public key."""
    private_key = generate_regulator_key()
    _keep(redaction_dir / REGULATOR_KEY_FILE, regulator_private_pem(private_key), 0o600)
    public_path = redaction_dir / f"{REGULATOR_KEY_FILE}.pub"
    _keep(public_path, regulator_public_pem(private_key.public_key()), 0o644)
    return public_path


def _keep_key(path: Path, key: Ed25519PrivateKey) -> None:
    _keep(path, private_key_pem(key), 0o600)


def _keep(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
