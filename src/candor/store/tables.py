"""The registry's tables, as typed SQLAlchemy models.

The migrations in ``migrations/versions`` create exactly these tables; ``candor db check`` proves it.
Append-only tables (documents, statements, log_entries, checkpoints) are guarded by triggers created in the
migrations. Whatever must change after insertion lives elsewhere: a key's revocation is on developer_keys, and
an entry counts as integrated once a checkpoint's size covers its index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from candor.domain.sealing import MAX_SEALED_BYTES
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.statement import MAX_STATEMENT_BYTES
from candor.store.columns import UTCDateTime, utc_now
from candor.store.vocabulary import DeveloperStatus, TokenScope

__all__ = [
    "APPEND_ONLY_TABLES",
    "WATCH_APPEND_ONLY_TABLES",
    "ApiToken",
    "ArchivedVersion",
    "Base",
    "Checkpoint",
    "Developer",
    "DeveloperKey",
    "DeveloperStatus",
    "Document",
    "Finding",
    "LogEntry",
    "LogIdentity",
    "ObservationRecord",
    "SealedOriginalRecord",
    "StatementRecord",
    "TokenScope",
    "WatchedUrl",
]

#: Tables whose rows can be inserted but never updated or deleted.
APPEND_ONLY_TABLES = ("documents", "statements", "log_entries", "checkpoints")
#: The watcher's history (migration 0010): what it saw, and the bytes it archived, are never rewritten either.
WATCH_APPEND_ONLY_TABLES = ("observations", "archived_versions")

# Stable constraint names, so that migrations name the same things on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Developer(Base):
    """A frontier developer registered with the registry."""

    __tablename__ = "developers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    website_domain: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(16), default=DeveloperStatus.ACTIVE.value)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    keys: Mapped[list[DeveloperKey]] = relationship(back_populates="developer", order_by="DeveloperKey.id")

    __table_args__ = (CheckConstraint("status IN ('active', 'suspended')", name="status"),)


class DeveloperKey(Base):
    """An Ed25519 public key a developer signs statements with; revoked keys stay, for old signatures."""

    __tablename__ = "developer_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    developer_id: Mapped[int] = mapped_column(ForeignKey("developers.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    developer: Mapped[Developer] = relationship(back_populates="keys")

    __table_args__ = (CheckConstraint("length(public_key) = 32", name="ed25519_length"),)


class ApiToken(Base):
    """A bearer token, kept only as the SHA-256 of its text."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    developer_id: Mapped[int | None] = mapped_column(ForeignKey("developers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    developer: Mapped[Developer | None] = relationship()

    __table_args__ = (
        CheckConstraint("scope IN ('publish', 'admin')", name="scope"),
        # A publish token always acts for one developer, so it can never publish for another.
        CheckConstraint("scope <> 'publish' OR developer_id IS NOT NULL", name="publish_has_developer"),
    )


class Document(Base):
    """The exact bytes of a published document, addressed by their SHA-256."""

    __tablename__ = "documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (
        CheckConstraint("size = length(content)", name="size_matches"),
        CheckConstraint(f"size <= {MAX_DOCUMENT_BYTES}", name="size_limit"),
    )


class LogEntry(Base):
    """One entry of the transparency log: a statement's canonical bytes at a dense index from 0."""

    __tablename__ = "log_entries"

    log_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    appended_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (
        CheckConstraint("log_index >= 0", name="index_not_negative"),
        CheckConstraint(f"length(entry) <= {MAX_STATEMENT_BYTES}", name="entry_size_limit"),
    )


class Checkpoint(Base):
    """A signed tree head (C2SP tlog-checkpoint note). Entries below ``size`` are integrated."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One checkpoint per size: the log never signs two different roots for the same tree.
    size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class LogIdentity(Base):
    """The log's key and origin, recorded on its first signature: a server holding another key refuses to sign.

    One row at most (``id = 1``), never updated: a registry on PostgreSQL pointed at a new data directory would
    otherwise make a new key and sign a second history for the same entries.
    """

    __tablename__ = "log_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(Text)
    #: The signed-note key id (hex), as a person compares it with ``log.vkey``.
    key_id: Mapped[str] = mapped_column(String(8))
    vkey: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)


class StatementRecord(Base):
    """A published statement: the developer's signed bytes, their parsed fields, and where the log holds them."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    developer_id: Mapped[int] = mapped_column(ForeignKey("developers.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # '' rather than NULL for "no series", so that (developer, kind, series, version) compares plainly.
    series: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("documents.sha256"), index=True)
    supersedes: Mapped[str | None] = mapped_column(String(64))
    target_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    statement_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[int] = mapped_column(ForeignKey("developer_keys.id"))
    log_index: Mapped[int] = mapped_column(ForeignKey("log_entries.log_index"), unique=True)

    developer: Mapped[Developer] = relationship()
    document: Mapped[Document | None] = relationship()
    log_entry: Mapped[LogEntry] = relationship()
    findings: Mapped[list[Finding]] = relationship(back_populates="statement", order_by="Finding.id")

    __table_args__ = (
        Index("ix_statements_series", "developer_id", "kind", "series", "version"),
        CheckConstraint("length(signature) = 64", name="ed25519_signature_length"),
    )


class Finding(Base):
    """What a transparency standard found in a published document."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    standard_id: Mapped[str] = mapped_column(String(100))
    standard_version: Mapped[str] = mapped_column(String(40))
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)

    statement: Mapped[StatementRecord] = relationship(back_populates="findings")


class SealedOriginalRecord(Base):
    """The unredacted original of a published document, sealed to the regulator's key: ciphertext only.

    Kept at least five years (SB 53 asks for five) and, like published history, never updated or deleted: the
    triggers of migration 0002 refuse both, so no interface can remove one.
    """

    __tablename__ = "sealed_originals"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The statement whose ``sealed_sha256`` names these bytes.
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    #: The earliest date it may ever be let go; until then, and in practice for good, it is kept.
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime())

    statement: Mapped[StatementRecord] = relationship()

    __table_args__ = (
        CheckConstraint("size = length(content)", name="size_matches"),
        CheckConstraint(f"size <= {MAX_SEALED_BYTES}", name="size_limit"),
    )


class WatchedUrl(Base):
    """A URL of a developer's own site that the watcher fetches: named by hand, or listed in its manifest.

    The columns after ``added_at`` are the watcher's working state (what to send in a conditional request, when it
    last looked, since when the site fails to answer); what it saw is in the append-only ``observations``.
    """

    __tablename__ = "watched_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    developer_id: Mapped[int] = mapped_column(ForeignKey("developers.id"))
    url: Mapped[str] = mapped_column(String(2000))
    #: The document kind the page holds (e.g. secure-development-framework), or 'manifest' for the manifest.
    kind: Mapped[str | None] = mapped_column(String(40), default=None)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    #: For a manifest-listed document: the bytes and the statement the manifest says it serves.
    expected_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    statement_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(300), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(100), default=None)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    developer: Mapped[Developer] = relationship()

    __table_args__ = (
        Index("uq_watched_urls_developer_id_url", "developer_id", "url", unique=True),
        CheckConstraint("source IN ('manual', 'manifest')", name="source"),
    )


class ArchivedVersion(Base):
    """The exact bytes a watched URL served once, addressed by their SHA-256, with the text read from them."""

    __tablename__ = "archived_versions"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (CheckConstraint("size = length(content)", name="size_matches"),)


class ObservationRecord(Base):
    """An observation the watcher logged: its fields, and where the log holds its signed bytes."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    log_index: Mapped[int] = mapped_column(ForeignKey("log_entries.log_index"), unique=True)
    watched_url_id: Mapped[int] = mapped_column(ForeignKey("watched_urls.id"), index=True)
    developer_id: Mapped[int] = mapped_column(ForeignKey("developers.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finding: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    media_type: Mapped[str | None] = mapped_column(String(100), default=None)
    content_sha256: Mapped[str | None] = mapped_column(ForeignKey("archived_versions.sha256"), default=None)
    text_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    statement_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    previous_sha256: Mapped[str | None] = mapped_column(String(64), default=None)

    watched_url: Mapped[WatchedUrl] = relationship()
    developer: Mapped[Developer] = relationship()
    archived: Mapped[ArchivedVersion | None] = relationship()
