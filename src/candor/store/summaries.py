"""What the store's readers return: plain frozen dataclasses, never ORM rows.

A summary holds only columns (no signed bytes, no document text), is complete when the session closes, and so can
be cached, compared and handed to a template without anything lazy-loading later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from candor.domain.statement import KIND_TITLES


@dataclass(frozen=True)
class DeveloperSummary:
    """A registered developer, as listed."""

    slug: str
    legal_name: str
    website_domain: str
    status: str
    registered_at: datetime
    statement_count: int


@dataclass(frozen=True)
class StatementSummary:
    """A published statement, as listed: what, by whom, which version, and where it sits in the log."""

    log_index: int
    statement_sha256: str
    developer_slug: str
    developer_name: str
    kind: str
    series: str
    version: str
    document_sha256: str | None
    supersedes: str | None
    target_sha256: str | None
    issued_at: datetime
    published_at: datetime
    leaf_hash: str
    #: The withdrawal that withdrew this statement, if any, by log index.
    withdrawn_by: int | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_by is not None

    @property
    def kind_title(self) -> str:
        return KIND_TITLES.get(self.kind, self.kind)

    @property
    def title(self) -> str:
        """How the statement is named in lists, e.g. "System card atlas-3, version 2"."""
        series = f" {self.series}" if self.series else ""
        return f"{self.kind_title}{series}, version {self.version}"


@dataclass(frozen=True)
class CheckpointView:
    """A signed tree head of the log."""

    size: int
    root_hash: str
    note: str
    signed_at: datetime


@dataclass(frozen=True)
class SignedStatementRow:
    """A published statement's log index, canonical bytes, signature and the raw key that signature verifies with."""

    log_index: int
    statement_bytes: bytes
    signature: bytes
    public_key: bytes


@dataclass(frozen=True)
class RecordedLogKey:
    """The log's key as the database recorded it on the first signature: who signs this log."""

    origin: str
    #: The signed-note key id (hex).
    key_id: str
    vkey: str
    recorded_at: datetime
