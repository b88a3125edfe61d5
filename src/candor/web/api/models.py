"""The JSON API's response models: the public, stable shape of what the registry serves."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from candor.services.audit import AuditStatus
from candor.services.log_queries import InclusionProof
from candor.services.views import (
    CheckpointView,
    DeveloperSummary,
    DeveloperView,
    FindingView,
    Page,
    StandardFindings,
    StatementSummary,
)

Item = TypeVar("Item")


class PageOut(BaseModel, Generic[Item]):
    """One page of a list; follow ``page + 1`` while ``page < pages``."""

    items: list[Item]
    page: int
    per_page: int
    total: int
    pages: int


def page_out(page: Page[Any], items: list[Item]) -> PageOut[Item]:
    return PageOut[Item](items=items, page=page.number, per_page=page.size, total=page.total, pages=page.count)


class DeveloperOut(BaseModel):
    """A registered developer. ``slug`` is its stable id."""

    slug: str
    legal_name: str
    website_domain: str
    status: str
    registered_at: datetime
    statement_count: int

    @classmethod
    def of(cls, view: DeveloperSummary) -> DeveloperOut:
        return cls(
            slug=view.slug,
            legal_name=view.legal_name,
            website_domain=view.website_domain,
            status=view.status,
            registered_at=view.registered_at,
            statement_count=view.statement_count,
        )


class StatementOut(BaseModel):
    """A published statement. ``id`` (the SHA-256 of its canonical bytes) and ``log_index`` are stable ids."""

    id: str = Field(description="SHA-256 (hex) of the statement's canonical RFC 8785 bytes.")
    log_index: int
    leaf_hash: str = Field(description="RFC 6962 leaf hash of the log entry, hex.")
    developer: str
    kind: str
    series: str | None
    version: str
    document_sha256: str | None
    supersedes: str | None
    target: str | None = Field(description="For a withdrawal or correction: the id of the statement it acts on.")
    issued_at: datetime
    published_at: datetime
    withdrawn_by: int | None = Field(description="Log index of the withdrawal of this statement, if withdrawn.")

    @classmethod
    def of(cls, view: StatementSummary) -> StatementOut:
        return cls(
            id=view.statement_sha256,
            log_index=view.log_index,
            leaf_hash=view.leaf_hash,
            developer=view.developer_slug,
            kind=view.kind,
            series=view.series or None,
            version=view.version,
            document_sha256=view.document_sha256,
            supersedes=view.supersedes,
            target=view.target_sha256,
            issued_at=view.issued_at,
            published_at=view.published_at,
            withdrawn_by=view.withdrawn_by,
        )


class DeveloperDetailOut(DeveloperOut):
    """A developer with what it currently publishes; its full history is at ``/statements?developer=<slug>``."""

    current_framework: StatementOut | None
    system_cards: list[StatementOut] = Field(description="The latest system card of each model.")
    certifications: list[StatementOut]

    @classmethod
    def of_view(cls, view: DeveloperView) -> DeveloperDetailOut:
        summary = DeveloperOut.of(view.developer)
        return cls(
            **summary.model_dump(),
            current_framework=StatementOut.of(view.current_framework) if view.current_framework else None,
            system_cards=[StatementOut.of(card.latest) for card in view.system_cards],
            certifications=[StatementOut.of(item) for item in view.certifications],
        )


class FindingOut(BaseModel):
    """What a transparency standard found in a published document."""

    standard: str
    standard_version: str
    rule: str
    severity: str
    location: str | None
    message: str

    @classmethod
    def of(cls, view: FindingView) -> FindingOut:
        return cls(
            standard=view.standard_id,
            standard_version=view.standard_version,
            rule=view.rule_id,
            severity=view.severity,
            location=view.location,
            message=view.message,
        )


class StandardFindingsOut(BaseModel):
    """What one standard found in a document, and why the registry holds the document to that standard."""

    standard: str
    standard_version: str
    title: str
    applies_because: str = Field(
        description='Why the standard applies: "it applies to every document", or the regime covering the developer.'
    )
    errors: int
    warnings: int
    problem: str | None = Field(description="Why the document could not be checked, if it could not.")
    findings: list[FindingOut] = Field(description="Worst first.")

    @classmethod
    def of(cls, view: StandardFindings) -> StandardFindingsOut:
        return cls(
            standard=view.standard_id,
            standard_version=view.standard_version,
            title=view.title,
            applies_because=view.reason,
            errors=view.count("error"),
            warnings=view.count("warning"),
            problem=view.problem,
            findings=[FindingOut.of(finding) for finding in view.findings],
        )


class CheckpointOut(BaseModel):
    """The latest signed checkpoint (c2sp.org/tlog-checkpoint note)."""

    size: int
    root_hash: str = Field(description="Merkle tree root, hex.")
    note: str = Field(description="The signed note, exactly as served at /log/checkpoint.")
    signed_at: datetime

    @classmethod
    def of(cls, view: CheckpointView) -> CheckpointOut:
        return cls(size=view.size, root_hash=view.root_hash, note=view.note, signed_at=view.signed_at)


class AuditOut(BaseModel):
    """What the registry's periodic audit of its database against the signed log last found."""

    state: str = Field(description="pending (not run yet), clean, findings, failed (could not run) or disabled.")
    interval_seconds: float = Field(description="Seconds between audits; 0 when disabled.")
    checked_at: datetime | None = None
    summary: str | None = Field(default=None, description="What the last audit checked.")
    finding_count: int = 0
    findings: list[str] = Field(default_factory=list, description="The first mismatches, one line each.")
    error: str | None = Field(default=None, description="Why the last audit could not run.")

    @classmethod
    def of(cls, status: AuditStatus) -> AuditOut:
        return cls(
            state=status.state,
            interval_seconds=status.interval,
            checked_at=status.checked_at,
            summary=status.summary,
            finding_count=status.finding_count,
            findings=list(status.findings),
            error=status.error,
        )


class InclusionProofOut(BaseModel):
    """An RFC 9162 inclusion proof of one entry in the latest checkpoint, also as a c2sp.org/tlog-proof file."""

    log_index: int
    tree_size: int
    leaf_hash: str = Field(description="Hex.")
    hashes: list[str] = Field(description="Proof hashes, base64, from the leaf upwards.")
    checkpoint: str
    tlog_proof: str

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofOut:
        return cls(
            log_index=proof.log_index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            hashes=[base64.b64encode(item).decode("ascii") for item in proof.hashes],
            checkpoint=proof.checkpoint,
            tlog_proof=proof.tlog_proof,
        )
