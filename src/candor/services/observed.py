"""What the website, the feeds and the API show of the watcher's work: each developer's watched URLs, what was
found there, and every observed version with its text and its diff from the version before.

Observed versions are the registry's archive of what a site served, not statements: the developer did not sign
them, and every view built here says so (``signed_by_developer`` is always False, for templates to label).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.observation import ALERTS, ObservationKind
from candor.errors import NotFoundError
from candor.services.changes import text_diff
from candor.services.views import DiffLine
from candor.store.developers import Developers
from candor.store.watching import ObservationRecord, WatchedUrl, Watching

FINDING_TITLES = {
    ObservationKind.ARCHIVED.value: "Archived",
    ObservationKind.SILENT_EDIT.value: "Silent edit",
    ObservationKind.WITHDRAWAL.value: "Withdrawal",
    ObservationKind.UNANNOUNCED_REVISION.value: "Unannounced revision",
    ObservationKind.DIVERGENCE.value: "Divergence",
    ObservationKind.UNREACHABLE.value: "Unreachable",
    ObservationKind.REFUSED.value: "Refused",
    ObservationKind.KEYS_CONFIRMED.value: "Keys confirmed",
}


@dataclass(frozen=True)
class ObservationView:
    """One logged observation, as pages and the API show it."""

    log_index: int
    observation_sha256: str
    watch_id: int
    developer: str
    url: str
    observed_at: datetime
    finding: str
    reason: str | None
    status: int | None
    media_type: str | None
    content_sha256: str | None
    text_sha256: str | None
    statement_sha256: str | None
    previous_sha256: str | None
    signed_by_developer: bool = False

    @property
    def finding_title(self) -> str:
        return FINDING_TITLES.get(self.finding, self.finding)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or self.url

    @property
    def is_alert(self) -> bool:
        return self.finding in {kind.value for kind in ALERTS}


@dataclass(frozen=True)
class WatchedView:
    """A watched URL and its history, newest first."""

    id: int
    developer: str
    url: str
    kind: str | None
    source: str
    listed: bool
    checked_at: datetime | None
    observations: list[ObservationView]

    @property
    def versions(self) -> list[ObservationView]:
        """The observations that archived a version."""
        return [item for item in self.observations if item.content_sha256 is not None]


@dataclass(frozen=True)
class TextChanges:
    """The diff of an observed version's text from the version before; the shape ``diff.html`` renders."""

    lines: list[DiffLine]
    added: int
    removed: int


@dataclass(frozen=True)
class ObservedVersionView:
    """One observed version: the observation, its archived text, and its diff from the version observed before."""

    watched: WatchedView
    observation: ObservationView
    text: str
    size: int
    previous: ObservationView | None
    changes: TextChanges | None


def _view(row: ObservationRecord, developer: str) -> ObservationView:
    return ObservationView(
        row.log_index,
        row.observation_sha256,
        row.watched_url_id,
        developer,
        row.url,
        row.observed_at,
        row.finding,
        row.reason,
        row.status,
        row.media_type,
        row.content_sha256,
        row.text_sha256,
        row.statement_sha256,
        row.previous_sha256,
    )


class ObservedSites:
    """Read-side queries over the watcher's tables."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def observations(self, slug: str, *, limit: int = 100, alerts_only: bool = False) -> list[ObservationView]:
        """The developer's observations, newest first."""
        with self._sessions() as session:
            developer = Developers(session).get(slug)
            rows = Watching(session).observations(developer=developer, limit=limit)
            views = [_view(row, slug) for row in rows]
        return [view for view in views if view.is_alert] if alerts_only else views

    def keys_confirmed(self, slug: str) -> ObservationView | None:
        """The newest confirmation of the developer's keys on its own domain, if any."""
        found = [view for view in self.observations(slug, limit=1000) if view.finding == "keys-confirmed"]
        return found[0] if found else None

    def watched(self, slug: str) -> list[WatchedView]:
        """Every URL watched for the developer, with its history."""
        with self._sessions() as session:
            developer = Developers(session).get(slug)
            store = Watching(session)
            return [self._watched(store, row, slug) for row in store.watches(developer)]

    def watched_url(self, slug: str, watch_id: int) -> WatchedView:
        with self._sessions() as session:
            store = Watching(session)
            row = store.get_watch(watch_id)
            if row is None or row.developer.slug != slug:
                raise NotFoundError(f"{slug} has no watched URL {watch_id}")
            return self._watched(store, row, slug)

    def observed_version(self, slug: str, log_index: int) -> ObservedVersionView:
        """The version archived by the observation at ``log_index``, with its diff from the one before."""
        with self._sessions() as session:
            store = Watching(session)
            row = store.observation_at(log_index)
            if row is None or row.developer.slug != slug or row.archived is None:
                raise NotFoundError(f"no observed version of {slug} at log index {log_index}")
            watched = self._watched(store, row.watched_url, slug)
            text, size = row.archived.text, row.archived.size
            earlier = [
                item
                for item in watched.versions
                if item.log_index < log_index and item.content_sha256 != row.content_sha256
            ]
            previous = earlier[0] if earlier else None
            changes = None
            if previous is not None:
                archived = store.archived(previous.content_sha256 or "")
                lines, added, removed = text_diff(archived.text if archived else "", text)
                changes = TextChanges(lines, added, removed)
            return ObservedVersionView(watched, _view(row, slug), text, size, previous, changes)

    @staticmethod
    def _watched(store: Watching, row: WatchedUrl, slug: str) -> WatchedView:
        observations = [_view(item, slug) for item in store.observations(watch=row, limit=1000)]
        return WatchedView(row.id, slug, row.url, row.kind, row.source, row.listed, row.checked_at, observations)
