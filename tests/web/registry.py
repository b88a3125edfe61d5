"""Fills a registry through the real store and the registry log's real integration.

Every statement is signed with a real Ed25519 key and stored with its document, log entry and the standards'
real findings in one transaction, as the publishing service does; the registry log then tiles the entries and
signs a checkpoint over them. A document that marks passages for redaction is stored as the publisher would take
it: its public version from the real redaction path, with the sealed original.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.documents import SystemCard
from candor.domain.parse import parse_bytes
from candor.domain.standards import Finding, RulePack, StandardCatalogue, run_standard
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.services.integration import RegistryLog
from candor.services.publishing import check_public_version
from candor.store.developers import Developers
from candor.store.documents import Documents
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.sealed import SealedOriginals
from candor.store.search import index_publication
from candor.store.statements import Statements
from candor.testing.publishing import public_version, sealed_original

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
STANDARD = "candor-minimum-2026.1"

#: Markdown that tries every trick a hostile document could: script, event handler, javascript: link, raw HTML.
HOSTILE_BODY = """
## Appendix

<script>alert("owned")</script>
<img src="x" onerror="alert('owned')">
[Click for details](javascript:alert('owned'))
<a href="https://evil.example/" onclick="alert('owned')">a raw link</a>
<iframe src="https://evil.example/"></iframe>

::: redact category=trade-secret justification="Names our evaluation vendor"
The vendor is Secret Evals Inc.
:::

Our compute budget is [4e26 FLOP]{.redact category=national-security justification="export controls"}.
"""


@dataclass
class Published:
    """What one publication produced."""

    log_index: int
    statement_sha256: str
    document_sha256: str | None


@dataclass
class Registry:
    """A registry's database sessions and log, and a clock that moves one hour per statement."""

    sessions: sessionmaker[Session]
    log: RegistryLog
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    clock: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    #: Sign a checkpoint after every statement (as the service does), or only on :meth:`integrate` (bulk loads).
    integrate_each: bool = True
    standard: RulePack = field(default_factory=lambda: StandardCatalogue.bundled().load(STANDARD))

    def register(self, slug: str, legal_name: str, domain: str) -> None:
        private_key = Ed25519PrivateKey.generate()
        with self.sessions.begin() as session:
            developers = Developers(session)
            developer = developers.add(slug, legal_name=legal_name, website_domain=domain)
            developers.add_key(developer, private_key.public_key())
        self.keys[slug] = private_key

    def publish(self, raw: bytes, name: str = "document.md") -> Published:
        """Store ``raw``, or, if it marks passages for redaction, its public version and sealed original."""
        document, sealed = public_version(raw), sealed_original(raw)
        parsed = parse_bytes(name, document)
        check_public_version(parsed, sealed=sealed is not None)  # the publisher's own check: this kit stores no leak
        model = parsed.model
        series = model.model.name if isinstance(model, SystemCard) else None
        statement = Statement(
            developer=model.developer,
            kind=StatementKind(model.kind),
            series=series,
            version=model.version,
            document_sha256=_sha256(document),
            supersedes=model.supersedes,
            issued_at=self._tick(),
            sealed_sha256=None if sealed is None else _sha256(sealed),
        )
        findings = run_standard(self.standard, parsed)
        return self._record(statement, document, findings, sealed)

    def withdraw(self, slug: str, target: Published, *, series: str | None, version: str) -> Published:
        statement = Statement(
            developer=slug,
            kind=StatementKind.WITHDRAWAL,
            series=series,
            version=version,
            target=target.statement_sha256,
            issued_at=self._tick(),
        )
        return self._record(statement, None, [])

    def _tick(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def _record(
        self, statement: Statement, raw: bytes | None, findings: list[Finding], sealed: bytes | None = None
    ) -> Published:
        private_key = self.keys[statement.developer]
        with self.sessions.begin() as session, log_append_lock(session):
            developers = Developers(session)
            developer = developers.get(statement.developer)
            document = Documents(session).put(raw) if raw is not None else None
            entry = append_log_entry(session, statement.canonical_bytes())
            statements = Statements(session)
            record = statements.add(
                statement,
                signature=sign_statement(statement, private_key),
                developer=developer,
                key=developer.keys[0],
                log_entry=entry,
                document=document,
            )
            if sealed is not None:
                SealedOriginals(session).put(record, sealed)
            if document is not None:
                index_publication(session, record, developer, document)
            for finding in findings:
                statements.add_finding(
                    record,
                    standard_id=STANDARD,
                    standard_version=self.standard.version,
                    rule_id=finding.rule_id,
                    severity=finding.severity.value,
                    message=finding.message,
                    location=finding.field,
                )
            published = Published(entry.log_index, record.statement_sha256, statement.document_sha256)
        if self.integrate_each:
            self.integrate()
        return published

    def integrate(self) -> None:
        """Tile every stored entry and sign a checkpoint over them, as the registry's integrator does."""
        self.log.integrate()


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def as_developer(raw: bytes, slug: str) -> bytes:
    """An example document re-attributed to another developer."""
    return raw.replace(b"developer: acme-ai", f"developer: {slug}".encode(), 1)


def weakened(raw: bytes) -> bytes:
    """A later framework version that commits to assessing chemical weapons risk only as `may`, not `must`."""
    domain = b"  - id: cbrn.chemical\n    strength: must\n"
    assert domain in raw
    return raw.replace(domain, b"  - id: cbrn.chemical\n    strength: may\n", 1)


@dataclass
class Filled:
    """The statements a filled registry holds, by name."""

    published: dict[str, Published]


def fill(registry: Registry) -> Filled:
    """Three developers, several versions each: a weakened commitment, a withdrawal, a certification, and a
    document with hostile Markdown."""
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    registry.register("borealis", "Borealis Research Ltd", "borealis.example")
    registry.register("corvid-labs", "Corvid Labs", "corvid.example")
    published: dict[str, Published] = {}
    published["acme-sdf-1"] = registry.publish(example("sdf-v1.md"), "sdf-v1.md")
    published["borealis-sdf-1"] = registry.publish(as_developer(example("sdf-v1.md"), "borealis"))
    published["acme-sdf-2"] = registry.publish(example("sdf-v2.md"), "sdf-v2.md")
    published["acme-card-3"] = registry.publish(example("system-card-acme-3.md"))
    published["acme-card-3-5"] = registry.publish(example("system-card-acme-3-5.md"))
    published["acme-certification"] = registry.publish(example("certification-2026.md"))
    weak = weakened(as_developer(example("sdf-v2.md"), "borealis"))
    published["borealis-sdf-2-weakened"] = registry.publish(weak)
    hostile = as_developer(example("sdf-v1.md"), "corvid-labs") + HOSTILE_BODY.encode()
    published["corvid-sdf-hostile"] = registry.publish(hostile)
    published["acme-withdrawal"] = registry.withdraw(
        "acme-ai", published["acme-card-3-5"], series="Acme-3.5", version="1.0-withdrawn"
    )
    return Filled(published)
