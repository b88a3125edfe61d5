"""What a new version of a standard would change, before it is adopted: new findings, cleared ones, who is hit.

Every current document of every developer (its current framework, the latest system card of each model, its
certifications) is checked under the pack in force and under the proposed one, each with the developer's other
current documents alongside (as ``candor check`` does for files), and the findings are compared. A finding is the
same in both when its rule, field and message are: a proposed pack that only rewords a message shows as one
cleared and one new finding, which is what a developer reading the new wording would see too.

Documents come from a registry's database (``--data-dir``) or from a registry's public API (``--registry``);
either way their bytes are checked against the SHA-256 the registry names before they are read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.checks import CheckContext
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.standards import DEFAULT_STANDARD, Finding, RulePack, StandardCatalogue, run_standard
from candor.domain.statement import StatementKind
from candor.errors import CandorError
from candor.registry_client import RegistryClient
from candor.store.developer_documents import DeveloperDocuments

CURRENT_KINDS = (StatementKind.SECURE_DEVELOPMENT_FRAMEWORK, StatementKind.SYSTEM_CARD, StatementKind.CERTIFICATION)


@dataclass(frozen=True)
class CurrentDocument:
    """One current document of a developer, named as the registry names it."""

    developer: str
    #: e.g. "acme-ai secure-development-framework 2.0 (log index 6)".
    name: str
    raw: bytes


@dataclass(frozen=True)
class ChangedFinding:
    developer: str
    document: str
    finding: Finding


@dataclass
class ImpactReport:
    """How the proposed pack's findings differ from the current pack's, over every current document."""

    current: RulePack
    proposed: RulePack
    documents: int = 0
    new: list[ChangedFinding] = field(default_factory=list)
    cleared: list[ChangedFinding] = field(default_factory=list)
    #: Documents that could not be parsed, with why: they are not counted either way.
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def developers_affected(self) -> list[str]:
        return sorted({change.developer for change in (*self.new, *self.cleared)})

    def to_json(self) -> dict[str, object]:
        def entry(change: ChangedFinding) -> dict[str, object]:
            return {
                "developer": change.developer,
                "document": change.document,
                **change.finding.model_dump(mode="json"),
            }

        return {
            "current": {"id": self.current.id, "version": self.current.version},
            "proposed": {"id": self.proposed.id, "version": self.proposed.version},
            "documents": self.documents,
            "new": [entry(change) for change in self.new],
            "cleared": [entry(change) for change in self.cleared],
            "developers_affected": self.developers_affected,
            "unreadable": [{"document": name, "error": error} for name, error in self.unreadable],
        }


def current_pack_for(proposed: RulePack) -> RulePack:
    """The shipped pack a proposed one would replace: same id, else the same regime's, else the default.

    Always loaded from the shipped catalogue, never from one the proposed file was added to: a proposed file named
    like the shipped pack would otherwise be compared with itself.
    """
    shipped_catalogue = StandardCatalogue.bundled()
    shipped = [shipped_catalogue.load(pack_id) for pack_id in shipped_catalogue.ids()]
    for pack in shipped:
        if pack.id == proposed.id:
            return pack
    for pack in shipped:
        if proposed.regime is not None and pack.regime == proposed.regime:
            return pack
    return shipped_catalogue.load(DEFAULT_STANDARD)


def measure_impact(current: RulePack, proposed: RulePack, documents: Iterable[CurrentDocument]) -> ImpactReport:
    """Check every document under both packs and keep what differs."""
    report = ImpactReport(current, proposed)
    parsed: list[tuple[CurrentDocument, ParsedDocument]] = []
    for document in documents:
        try:
            parsed.append((document, parse_bytes(document.name, document.raw)))
        except CandorError as exc:
            report.unreadable.append((document.name, exc.diagnostics()))
    by_developer: dict[str, list[ParsedDocument]] = {}
    for document, parsed_document in parsed:
        by_developer.setdefault(document.developer, []).append(parsed_document)
    for document, parsed_document in parsed:
        context = CheckContext.of(other.model for other in by_developer[document.developer])
        before = {_key(f): f for f in run_standard(current, parsed_document, context)}
        after = {_key(f): f for f in run_standard(proposed, parsed_document, context)}
        report.documents += 1
        report.new += [
            ChangedFinding(document.developer, document.name, f) for k, f in after.items() if k not in before
        ]
        report.cleared += [
            ChangedFinding(document.developer, document.name, f) for k, f in before.items() if k not in after
        ]
    return report


def _key(finding: Finding) -> tuple[str, str | None, str]:
    return finding.rule_id, finding.field, finding.message


def documents_in_database(sessions: sessionmaker[Session]) -> list[CurrentDocument]:
    """Every developer's current documents, from a registry's own database."""
    found: list[CurrentDocument] = []
    with sessions() as session:
        store = DeveloperDocuments(session)
        for slug in store.slugs():
            current: dict[tuple[str, str], CurrentDocument] = {}
            certifications: list[CurrentDocument] = []
            for version in store.published(slug, CURRENT_KINDS):
                if version.withdrawn or hashlib.sha256(version.content).hexdigest() != version.document_sha256:
                    continue
                series = f" {version.series}" if version.series else ""
                name = f"{slug} {version.kind}{series} {version.version} (log index {version.log_index})"
                document = CurrentDocument(slug, name, version.content)
                if version.kind == StatementKind.CERTIFICATION:
                    certifications.append(document)
                else:
                    current[version.kind, version.series] = document  # oldest first: the last one is current
            found += [*current.values(), *certifications]
    return found


def documents_of_registry(client: RegistryClient) -> list[CurrentDocument]:
    """Every developer's current documents, from a registry's public API; each is checked against its SHA-256."""
    found: list[CurrentDocument] = []
    for reference in client.current_documents():
        raw = client.document(reference.document_sha256)
        series = f" {reference.series}" if reference.series else ""
        name = f"{reference.developer} {reference.kind}{series} {reference.version}"
        name += f" (log index {reference.log_index})"
        found.append(CurrentDocument(reference.developer, name, raw))
    return found
