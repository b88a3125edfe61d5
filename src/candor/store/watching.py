"""The watcher's rows: the URLs it watches, the versions it archived, and the observations it logged.

An observation is recorded with its log entry in one transaction, under the log's append lock, exactly as a
statement is, so the database never holds an observation the log does not (or the reverse).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candor.domain.observation import Observation
from candor.errors import ConflictError
from candor.store.log_entries import append_log_entry
from candor.store.tables import (
    ArchivedVersion,
    Developer,
    DeveloperKey,
    ObservationRecord,
    StatementRecord,
    WatchedUrl,
)

__all__ = ["ArchivedVersion", "ObservationRecord", "WatchedUrl", "Watching"]


class Watching:
    """Reads and writes the watcher's tables within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # Watched URLs -----------------------------------------------------------------------------------------------

    def find_watch(self, developer: Developer, url: str) -> WatchedUrl | None:
        return self.session.scalars(
            select(WatchedUrl).where(WatchedUrl.developer_id == developer.id, WatchedUrl.url == url)
        ).one_or_none()

    def add_watch(self, developer: Developer, url: str, *, kind: str | None, source: str = "manual") -> WatchedUrl:
        """Watch ``url`` for ``developer``; the same URL twice is a :class:`ConflictError`."""
        if self.find_watch(developer, url) is not None:
            raise ConflictError(f"{url} is already watched for {developer.slug}")
        row = WatchedUrl(developer_id=developer.id, url=url, kind=kind, source=source, listed=True)
        self.session.add(row)
        self.session.flush()
        return row

    def watch_listed(
        self, developer: Developer, url: str, *, kind: str, expected_sha256: str, statement_sha256: str
    ) -> WatchedUrl:
        """Watch a manifest-listed document: a new row, or the existing one updated to what the manifest says now."""
        row = self.find_watch(developer, url)
        if row is None:
            row = WatchedUrl(developer_id=developer.id, url=url, kind=kind, source="manifest")
            self.session.add(row)
        row.listed = True
        row.expected_sha256 = expected_sha256
        row.statement_sha256 = statement_sha256
        self.session.flush()
        return row

    def watches(self, developer: Developer | None = None) -> Sequence[WatchedUrl]:
        """Every watched URL (of one developer, if given), in the order they were added."""
        query = select(WatchedUrl).order_by(WatchedUrl.id)
        if developer is not None:
            query = query.where(WatchedUrl.developer_id == developer.id)
        return self.session.scalars(query).all()

    def get_watch(self, watch_id: int) -> WatchedUrl | None:
        return self.session.get(WatchedUrl, watch_id)

    # Archived versions ------------------------------------------------------------------------------------------

    def archive(self, sha256: str, media_type: str, content: bytes, text: str) -> ArchivedVersion:
        """Keep these bytes under their digest, once: the same bytes again are the row already kept."""
        existing = self.session.get(ArchivedVersion, sha256)
        if existing is not None:
            return existing
        row = ArchivedVersion(sha256=sha256, size=len(content), media_type=media_type, content=content, text=text)
        self.session.add(row)
        self.session.flush()
        return row

    def archived(self, sha256: str) -> ArchivedVersion | None:
        return self.session.get(ArchivedVersion, sha256)

    # Observations -----------------------------------------------------------------------------------------------

    def record(self, watch: WatchedUrl, observation: Observation, entry: bytes, observed_at: datetime) -> int:
        """Append the observation's log entry and its row; the log index. Needs the log's append lock."""
        log_row = append_log_entry(self.session, entry)
        self.session.add(
            ObservationRecord(
                observation_sha256=observation.digest(),
                log_index=log_row.log_index,
                watched_url_id=watch.id,
                developer_id=watch.developer_id,
                url=observation.url,
                observed_at=observed_at,
                finding=observation.finding.value,
                reason=observation.reason,
                status=observation.status,
                media_type=observation.media_type,
                content_sha256=observation.content_sha256,
                text_sha256=observation.text_sha256,
                statement_sha256=observation.statement,
                previous_sha256=observation.previous,
            )
        )
        self.session.flush()
        return log_row.log_index

    def latest_observation(
        self, watch: WatchedUrl, *, finding: str | None = None, excluding: str | None = None
    ) -> ObservationRecord | None:
        """The URL's newest observation (with ``finding``, or any but ``excluding``, if given)."""
        query = select(ObservationRecord).where(ObservationRecord.watched_url_id == watch.id)
        if finding is not None:
            query = query.where(ObservationRecord.finding == finding)
        if excluding is not None:
            query = query.where(ObservationRecord.finding != excluding)
        return self.session.scalars(query.order_by(ObservationRecord.log_index.desc()).limit(1)).one_or_none()

    def latest_archived_observation(self, watch: WatchedUrl) -> ObservationRecord | None:
        """The URL's newest observation that archived bytes: the version the site served last."""
        return self.session.scalars(
            select(ObservationRecord)
            .where(ObservationRecord.watched_url_id == watch.id, ObservationRecord.content_sha256.is_not(None))
            .order_by(ObservationRecord.log_index.desc())
            .limit(1)
        ).one_or_none()

    def observations(
        self, *, developer: Developer | None = None, watch: WatchedUrl | None = None, limit: int = 100
    ) -> Sequence[ObservationRecord]:
        """Observations, newest first, of one developer or one URL."""
        query = select(ObservationRecord).order_by(ObservationRecord.log_index.desc()).limit(limit)
        if developer is not None:
            query = query.where(ObservationRecord.developer_id == developer.id)
        if watch is not None:
            query = query.where(ObservationRecord.watched_url_id == watch.id)
        return self.session.scalars(query).all()

    def observation_at(self, log_index: int) -> ObservationRecord | None:
        return self.session.scalars(
            select(ObservationRecord).where(ObservationRecord.log_index == log_index)
        ).one_or_none()

    def observation_count(self, watch: WatchedUrl | None = None) -> int:
        """How many observations were logged (of one URL, if given)."""
        query = select(func.count()).select_from(ObservationRecord)
        if watch is not None:
            query = query.where(ObservationRecord.watched_url_id == watch.id)
        return int(self.session.scalar(query) or 0)

    # What the registry holds, for comparison --------------------------------------------------------------------

    def published(self, developer: Developer, kind: str | None) -> Sequence[StatementRecord]:
        """The developer's statements of ``kind`` (all kinds if None), oldest first."""
        query = select(StatementRecord).where(StatementRecord.developer_id == developer.id)
        if kind is not None:
            query = query.where(StatementRecord.kind == kind)
        return self.session.scalars(query.order_by(StatementRecord.log_index)).all()

    def withdrawn(self, statement_sha256: str) -> bool:
        """Whether a withdrawal statement acts on this statement."""
        return (
            self.session.scalars(
                select(StatementRecord.id).where(
                    StatementRecord.target_sha256 == statement_sha256, StatementRecord.kind == "withdrawal"
                )
            ).first()
            is not None
        )

    def key_owner(self, public_key: bytes) -> str | None:
        """The slug of the developer this raw public key is registered to, if any."""
        return self.session.scalars(
            select(Developer.slug)
            .join(DeveloperKey, DeveloperKey.developer_id == Developer.id)
            .where(DeveloperKey.public_key == public_key)
        ).one_or_none()
