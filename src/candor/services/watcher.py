"""The watcher: looks at developers' own sites, archives what they serve, and logs what it finds.

One round (:meth:`Watcher.run_once`) fetches every watched URL that is due, manifests first (a manifest adds or
drops the documents it lists), then every page. Each look is judged by :mod:`candor.domain.watch_findings` and,
when it says something the URL's last observation did not, recorded: the bytes archived under their SHA-256, and
a registry-signed observation appended to the log in the same transaction, under the log's append lock. A look
that changes nothing logs nothing, so a restarted watcher, which looks again, adds no duplicate (and a server
that honours conditional requests sends it nothing but a 304).

No site can stop a round: every failure of a fetch is an observation with a reason, and an unexpected error on
one URL is logged and the round goes on. :class:`PeriodicWatcher` runs rounds inside ``candor serve``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session, sessionmaker

from candor.config import Settings
from candor.domain.developer_keys import key_fingerprint, public_key_from_raw
from candor.domain.manifest import (
    MANIFEST_PATH,
    ManifestError,
    SignedManifest,
    challenge_message,
    challenge_token,
    parse_manifest,
)
from candor.domain.observation import MAX_URL_CHARS, Observation, ObservationKind, short_reason, signed_observation
from candor.domain.statement import KINDS_WITH_TARGET, StatementKind
from candor.domain.watch_findings import Before, Expected, Finding, Looked, judge, worth_recording
from candor.errors import CandorError
from candor.netguard import Resolver, system_resolver
from candor.services.integration import RegistryLog
from candor.services.watch_fetch import Fetched, Fetcher, WatchLimits
from candor.store.database import writing_transaction
from candor.store.developers import Developers
from candor.store.log_entries import log_append_lock
from candor.store.watching import WatchedUrl, Watching

logger = logging.getLogger(__name__)

MANIFEST_KIND = "manifest"
#: The document kinds a watched page may be said to hold.
PAGE_KINDS = tuple(kind.value for kind in StatementKind if kind not in KINDS_WITH_TARGET)


class WatchError(CandorError):
    """A URL that cannot be watched: not http(s), too long, or a kind Candor does not know."""


@dataclass(frozen=True)
class WatchView:
    """A watched URL as listed: where, what, and what was last seen there."""

    developer: str
    url: str
    kind: str | None
    source: str
    listed: bool
    checked_at: datetime | None
    last_finding: str | None
    observations: int


@dataclass
class RoundReport:
    """What one round did."""

    looked: int = 0
    not_modified: int = 0
    recorded: int = 0
    errors: int = 0
    findings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.looked} URL(s) looked at, {self.not_modified} unchanged (304), {self.recorded} observation(s) "
            f"logged, {self.errors} error(s)"
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


def check_watchable(url: str, kind: str | None) -> str | None:
    """``url`` and ``kind`` as the watcher stores them, or :class:`WatchError`. The kind of a manifest's URL is
    ``manifest`` whatever was given."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise WatchError(f"{url!r} is not an http(s) URL")
    if len(url) > MAX_URL_CHARS:
        raise WatchError(f"the URL is {len(url):,} characters, over the limit of {MAX_URL_CHARS:,}")
    if parts.path == MANIFEST_PATH:
        return MANIFEST_KIND
    if kind is not None and kind not in (*PAGE_KINDS, MANIFEST_KIND):
        raise WatchError(f"unknown kind {kind!r}", hint=f"one of {', '.join((*PAGE_KINDS, MANIFEST_KIND))}")
    return kind


class Watcher:
    """Watches URLs of developers' sites and logs what it sees, through ``registry_log``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry_log: RegistryLog,
        limits: WatchLimits,
        *,
        interval: float = 0.0,
        unreachable_after: timedelta = timedelta(days=3),
        clock: Callable[[], datetime] = utc_now,
        transport: httpx.BaseTransport | None = None,
        on_append: Callable[[], None] | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.sessions = sessions
        self.resolver = resolver
        self.log = registry_log
        self.limits = limits
        self.interval = timedelta(seconds=interval)
        self.unreachable_after = unreachable_after
        self.clock = clock
        self.transport = transport
        self.on_append = on_append

    # Commands ---------------------------------------------------------------------------------------------------

    def add(self, developer: str, url: str, kind: str | None = None) -> WatchView:
        """Watch ``url`` for ``developer`` from the next round on."""
        kind = check_watchable(url, kind)
        with writing_transaction(self.sessions) as session:
            owner = Developers(session).get(developer)
            row = Watching(session).add_watch(owner, url, kind=kind)
            return WatchView(developer, row.url, row.kind, row.source, True, None, None, 0)

    def watches(self, developer: str | None = None) -> list[WatchView]:
        """Every watched URL (of one developer), with its last finding."""
        with self.sessions() as session:
            store = Watching(session)
            owner = None if developer is None else Developers(session).get(developer)
            views = []
            for row in store.watches(owner):
                latest = store.latest_observation(row)
                views.append(
                    WatchView(
                        row.developer.slug,
                        row.url,
                        row.kind,
                        row.source,
                        row.listed,
                        row.checked_at,
                        None if latest is None else latest.finding,
                        store.observation_count(row),
                    )
                )
            return views

    def run_once(self, *, force: bool = False) -> RoundReport:
        """One round: every due URL (every URL with ``force``), manifests first."""
        report = RoundReport()
        now = self.clock()
        with Fetcher(self.limits, transport=self.transport, resolver=self.resolver) as fetcher:
            for manifests in (True, False):
                for watch_id, url in self._due(now, manifests=manifests, force=force):
                    report.looked += 1
                    try:
                        self._look(fetcher, watch_id, url, now, report)
                    except Exception:
                        # One URL must never stop the round; the next round tries it again.
                        report.errors += 1
                        logger.exception("watcher: looking at %s failed; it is tried again next round", url)
        if report.recorded and self.on_append is not None:
            self.on_append()
        return report

    # One look ---------------------------------------------------------------------------------------------------

    def _due(self, now: datetime, *, manifests: bool, force: bool) -> list[tuple[int, str]]:
        with self.sessions() as session:
            rows = Watching(session).watches()
            return [
                (row.id, row.url)
                for row in rows
                if (row.kind == MANIFEST_KIND) == manifests
                and (row.listed or row.source == "manual")
                and (force or row.checked_at is None or row.checked_at <= now - self.interval)
            ]

    def _look(self, fetcher: Fetcher, watch_id: int, url: str, now: datetime, report: RoundReport) -> None:
        with self.sessions() as session:
            watch = Watching(session).get_watch(watch_id)
            if watch is None:
                return
            archived = Watching(session).latest_archived_observation(watch)
            etag = watch.etag if archived is not None else None
            last_modified = watch.last_modified if archived is not None else None
        fetched = fetcher.fetch(url, etag=etag, last_modified=last_modified)
        if fetched.not_modified:
            report.not_modified += 1
        with self._append() as session:
            store = Watching(session)
            watch = store.get_watch(watch_id)
            if watch is None:
                return
            fetched = self._with_archived_bytes(store, watch, fetched)
            manifest: SignedManifest | None = None
            if watch.kind == MANIFEST_KIND and fetched.content is not None:
                manifest, fetched = self._read_manifest(store, watch, fetched)
            before = self._before(store, watch)
            expected = self._expected(store, watch, before, manifest)
            finding = judge(fetched.looked, before, expected, now, self.unreachable_after)
            if worth_recording(finding, fetched.looked, before):
                self._record(store, watch, fetched, finding, now)
                report.recorded += 1
                report.findings.append(f"{finding.kind.value}: {url}")
            if manifest is not None:
                report.recorded += self._sync_listed(store, watch, manifest, now, report)
                report.recorded += self._confirm_keys(store, watch, manifest, now, report)
            self._keep_state(watch, fetched, now)

    @contextmanager
    def _append(self) -> Iterator[Session]:
        """A transaction holding the log's append lock, refused while the log refuses to sign."""
        with self.log.gate, self.sessions.begin() as session, log_append_lock(session):
            self.log.check_sequencing(session)
            yield session

    def _with_archived_bytes(self, store: Watching, watch: WatchedUrl, fetched: Fetched) -> Fetched:
        """A 304 stands for the version archived last: judge it again, as the registry may have changed since."""
        if not fetched.not_modified:
            return fetched
        archived_observation = store.latest_archived_observation(watch)
        archived = None if archived_observation is None else archived_observation.archived
        if archived is None:
            return replace(fetched, not_modified=False, looked=Looked(refused="answered 304 to an unconditional GET"))
        looked = Looked(
            status=200,
            media_type=archived.media_type,
            content_sha256=archived.sha256,
            text_sha256=hashlib.sha256(archived.text.encode("utf-8")).hexdigest(),
        )
        return replace(fetched, looked=looked, content=archived.content, text=archived.text)

    def _read_manifest(
        self, store: Watching, watch: WatchedUrl, fetched: Fetched
    ) -> tuple[SignedManifest | None, Fetched]:
        """The manifest served, if it is well formed, signed by a key of this developer, and names this developer.

        Anything else is a refusal with its reason, and its bytes are still archived, as evidence.
        """
        developer = watch.developer
        try:
            manifest = parse_manifest(fetched.content or b"", name=watch.url)
        except ManifestError as exc:
            return None, _refuse(fetched, exc.diagnostics())
        content = manifest.manifest
        if content.developer != developer.slug:
            return None, _refuse(fetched, f"the manifest names developer {content.developer!r}, not {developer.slug!r}")
        owner = store.key_owner(manifest.signing_key)
        if owner is None:
            return None, _refuse(
                fetched, f"the manifest is signed with a key the registry never registered for {developer.slug}"
            )
        if owner != developer.slug:
            return None, _refuse(
                fetched,
                f"the manifest is signed with a key registered to another developer ({owner}), not {developer.slug}",
            )
        return manifest, fetched

    def _before(self, store: Watching, watch: WatchedUrl) -> Before:
        # A key confirmation is logged beside the manifest's own observations, and compared only with its own kind.
        latest = store.latest_observation(watch, excluding=ObservationKind.KEYS_CONFIRMED.value)
        archived = store.latest_archived_observation(watch)
        usable = archived is not None and archived.finding != ObservationKind.REFUSED.value
        return Before(
            finding=None if latest is None else latest.finding,
            status=None if latest is None else latest.status,
            content_sha256=None if latest is None else latest.content_sha256,
            reason=None if latest is None else latest.reason,
            archived_content_sha256=archived.content_sha256 if archived is not None and usable else None,
            archived_text_sha256=archived.text_sha256 if archived is not None and usable else None,
            archived_at=None if archived is None else archived.observed_at,
            archived_finding=archived.finding if archived is not None and usable else None,
            archived_reason=archived.reason if archived is not None and usable else None,
            failing_since=watch.failing_since,
        )

    def _expected(
        self, store: Watching, watch: WatchedUrl, before: Before, manifest: SignedManifest | None
    ) -> Expected:
        developer = watch.developer
        kind = watch.kind
        if kind == MANIFEST_KIND:
            if manifest is None:
                return Expected()
            in_manifest = {document.statement for document in manifest.manifest.documents}
            unlisted = []
            for row in store.published(developer, None):
                if row.kind in KINDS_WITH_TARGET or not row.document_sha256 or row.statement_sha256 in in_manifest:
                    continue
                if not store.withdrawn(row.statement_sha256):
                    unlisted.append(f"{row.kind} {row.version}")
            return Expected(unlisted=tuple(unlisted))
        statements = [row for row in store.published(developer, kind) if row.kind not in KINDS_WITH_TARGET]
        live = [row for row in statements if row.document_sha256 and not store.withdrawn(row.statement_sha256)]
        since = before.archived_at
        listed = watch.listed and watch.expected_sha256 is not None
        return Expected(
            listed_sha256=watch.expected_sha256 if listed else None,
            statement=watch.statement_sha256,
            statement_withdrawn=watch.statement_sha256 is not None and store.withdrawn(watch.statement_sha256),
            published=tuple((row.document_sha256 or "", row.version) for row in live) if kind else (),
            latest=(live[-1].document_sha256 if live and kind else None),
            published_since=since is not None and any(row.published_at > since for row in statements),
        )

    def _record(self, store: Watching, watch: WatchedUrl, fetched: Fetched, finding: Finding, now: datetime) -> None:
        looked = fetched.looked
        if fetched.content is not None and looked.content_sha256 is not None and not fetched.not_modified:
            store.archive(looked.content_sha256, looked.media_type or "", fetched.content, fetched.text or "")
        latest = store.latest_observation(watch)
        observation = Observation(
            origin=self.log.origin,
            developer=watch.developer.slug,
            url=watch.url,
            observed_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            finding=finding.kind,
            reason=finding.reason,
            status=looked.status,
            media_type=looked.media_type,
            content_sha256=looked.content_sha256,
            text_sha256=looked.text_sha256,
            statement=finding.statement,
            previous=None if latest is None else latest.observation_sha256,
        )
        entry = signed_observation(observation, self.log.signer.sign)
        store.record(watch, observation, entry, now.replace(microsecond=0))
        logger.info(
            "watcher: %s at %s%s", finding.kind.value, observation.url, f": {finding.reason}" if finding.reason else ""
        )

    def _sync_listed(
        self, store: Watching, manifest_watch: WatchedUrl, manifest: SignedManifest, now: datetime, report: RoundReport
    ) -> int:
        """Watch every document the manifest lists; a document it no longer lists is a withdrawal, unless the
        developer published a withdrawal of its statement. Returns the observations recorded."""
        developer = manifest_watch.developer
        site_host = (urlsplit(manifest_watch.url).hostname or "").lower()
        listed_urls = set()
        for document in manifest.manifest.documents:
            host = (urlsplit(document.url).hostname or "").lower()
            if host != site_host and not host.endswith("." + site_host):
                # A manifest may not turn the watcher on other sites: only its own host and its subdomains.
                logger.warning(
                    "watcher: %s lists %s, not on its own site; not watched", manifest_watch.url, document.url
                )
                continue
            listed_urls.add(document.url)
            store.watch_listed(
                developer,
                document.url,
                kind=document.kind,
                expected_sha256=document.sha256,
                statement_sha256=document.statement,
            )
        recorded = 0
        for row in store.watches(developer):
            if row.source != "manifest" or not row.listed or row.url in listed_urls:
                continue
            row.listed = False
            if row.statement_sha256 and store.withdrawn(row.statement_sha256):
                continue
            before = self._before(store, row)
            finding = Finding.of(
                ObservationKind.WITHDRAWAL,
                "dropped from the developer's manifest, and the developer published no withdrawal of its statement",
                row.statement_sha256,
            )
            if worth_recording(finding, Looked(status=before.status), before):
                self._record(store, row, Fetched(Looked()), finding, now)
                report.findings.append(f"{finding.kind.value}: {row.url}")
                recorded += 1
        return recorded

    def challenge(self, developer: str) -> str:
        """This registry's domain-control token for ``developer``, to be placed in its manifest's confirmations."""
        return challenge_token(self.log.signer.sign(challenge_message(developer)))

    def _confirm_keys(
        self, store: Watching, watch: WatchedUrl, manifest: SignedManifest, now: datetime, report: RoundReport
    ) -> int:
        """Log that the developer's keys are confirmed on its domain, as ACME http-01 confirms control: the manifest
        served from the developer's registered domain holds this registry's token and is signed by its key (which
        :meth:`_read_manifest` has checked). Logged again only when the confirmed keys change."""
        developer = watch.developer
        host = (urlsplit(watch.url).hostname or "").lower()
        if host != developer.website_domain.lower():
            return 0
        token = self.challenge(developer.slug)
        if not any(hmac.compare_digest(item.token, token) for item in manifest.manifest.confirmations):
            return 0
        fingerprints = sorted(
            f"SHA256:{key_fingerprint(public_key_from_raw(raw))}"
            for raw in manifest.manifest.key_raws()
            if store.key_owner(raw) == developer.slug
        )
        reason = f"keys confirmed at {host}: " + ", ".join(fingerprints)
        latest = store.latest_observation(watch, finding=ObservationKind.KEYS_CONFIRMED.value)
        if latest is not None and latest.reason == short_reason(reason):
            return 0
        self._record(store, watch, Fetched(Looked()), Finding.of(ObservationKind.KEYS_CONFIRMED, reason), now)
        report.findings.append(f"keys-confirmed: {watch.url}")
        return 1

    @staticmethod
    def _keep_state(watch: WatchedUrl, fetched: Fetched, now: datetime) -> None:
        watch.checked_at = now
        if fetched.looked.unreachable is not None:
            if watch.failing_since is None:
                watch.failing_since = now
            return
        watch.failing_since = None
        if fetched.content is not None and not fetched.not_modified:
            watch.etag = (fetched.etag or "")[:300] or None
            watch.last_modified = (fetched.last_modified or "")[:100] or None


def _refuse(fetched: Fetched, reason: str) -> Fetched:
    return replace(fetched, looked=replace(fetched.looked, refused=reason))


def watch_limits_of(settings: Settings) -> WatchLimits:
    """The fetch bounds the settings give."""
    return WatchLimits(
        max_bytes=settings.watch_max_bytes,
        deadline=settings.watch_deadline,
        read_timeout=min(30.0, settings.watch_deadline),
        max_redirects=settings.watch_max_redirects,
        host_interval=settings.watch_host_interval,
        contact_url=settings.watch_contact_url,
        allow_hosts=tuple(settings.watch_allowed_hosts),
    )


class PeriodicWatcher(threading.Thread):
    """Runs a watcher round every ``interval`` seconds inside ``candor serve``; a failed round never stops it."""

    def __init__(self, watcher: Watcher, interval: float) -> None:
        super().__init__(name="candor-watcher", daemon=True)
        if interval <= 0:
            raise ValueError("a periodic watcher needs a positive interval")
        self.watcher = watcher
        self.interval = interval
        self._stopping = threading.Event()
        self.last_report: RoundReport | None = None

    def stop(self) -> None:
        self._stopping.set()
        self.join()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.last_report = self.watcher.run_once()
                logger.info("watcher round: %s", self.last_report.summary())
            except Exception:
                logger.exception("watcher round failed; retrying in %s s", self.interval)
            if self._stopping.wait(self.interval):
                return


def start_watcher(
    settings: Settings, sessions: sessionmaker[Session], registry_log: RegistryLog, on_append: Callable[[], None]
) -> PeriodicWatcher | None:
    """The watcher thread of ``candor serve``, started; None when ``watch_interval`` is 0."""
    if settings.watch_interval <= 0:
        return None
    watcher = Watcher(
        sessions,
        registry_log,
        watch_limits_of(settings),
        interval=settings.watch_interval,
        unreachable_after=timedelta(days=settings.watch_unreachable_days),
        on_append=on_append,
    )
    thread = PeriodicWatcher(watcher, settings.watch_interval)
    thread.start()
    return thread
