"""What one look at a watched URL means: the pure decision behind each observation's ``finding``.

The watcher fetches; this module only compares what was fetched with what the URL served before and with what
the registry holds, and says which of the findings of ``domain/observation.py`` applies and why. Keeping it pure
keeps every rule testable without a network, and the rules in one place (``docs/watching.md`` lists them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from candor.domain.observation import ObservationKind, short_reason


@dataclass(frozen=True)
class Looked:
    """What a fetch gave: an answer (status, type, digests), or the reason there was none."""

    status: int | None = None
    media_type: str | None = None
    content_sha256: str | None = None
    text_sha256: str | None = None
    #: Why the answer could not be used (too large, too slow, a forbidden address, a bad manifest...).
    refused: str | None = None
    #: Set when no server answered at all (the name does not resolve, the connection fails).
    unreachable: str | None = None


@dataclass(frozen=True)
class Before:
    """What the URL's history says: its last observation, and the last version it archived."""

    finding: str | None = None
    status: int | None = None
    content_sha256: str | None = None
    reason: str | None = None
    #: The newest archived version: its digests, when it was seen, and what was found then.
    archived_content_sha256: str | None = None
    archived_text_sha256: str | None = None
    archived_at: datetime | None = None
    archived_finding: str | None = None
    archived_reason: str | None = None
    #: Since when the site has failed to answer, if it does.
    failing_since: datetime | None = None


@dataclass(frozen=True)
class Expected:
    """What the registry holds for the URL.

    ``listed_sha256`` and ``statement`` come from the developer's manifest (or a statement naming the URL): the exact
    bytes the URL must serve. ``published`` maps each document digest the developer published of the page's kind to
    its version, oldest first; ``latest`` is the newest. ``published_since`` says whether the developer published a
    new version after the URL's last archived version was seen.
    """

    listed_sha256: str | None = None
    statement: str | None = None
    statement_withdrawn: bool = False
    published: tuple[tuple[str, str], ...] = ()
    latest: str | None = None
    published_since: bool = False
    #: For the manifest itself: the registry's documents it fails to list (None when the URL is not a manifest).
    unlisted: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Finding:
    kind: ObservationKind
    reason: str | None = None
    statement: str | None = None

    @staticmethod
    def of(kind: ObservationKind, reason: str | None = None, statement: str | None = None) -> Finding:
        return Finding(kind, None if reason is None else short_reason(reason), statement)


def judge(looked: Looked, before: Before, expected: Expected, now: datetime, unreachable_after: timedelta) -> Finding:
    """The finding for this look at the URL."""
    if looked.unreachable is not None:
        since = before.failing_since or now
        if now - since > unreachable_after:
            return Finding.of(
                ObservationKind.UNREACHABLE,
                f"no answer since {since:%Y-%m-%d %H:%M} UTC, more than {_days(unreachable_after)}: "
                f"{looked.unreachable}",
            )
        return Finding.of(ObservationKind.REFUSED, looked.unreachable)
    if looked.refused is not None:
        return Finding.of(ObservationKind.REFUSED, looked.refused)
    if looked.status in (404, 410):
        detail = f"the URL answers HTTP {looked.status}"
        if expected.statement is not None and not expected.statement_withdrawn:
            detail += "; the developer published no withdrawal of its statement"
        return Finding.of(ObservationKind.WITHDRAWAL, detail, expected.statement)
    if looked.content_sha256 is None:
        return Finding.of(ObservationKind.REFUSED, f"the URL answers HTTP {looked.status}")
    return _judge_version(looked, before, expected)


def _judge_version(looked: Looked, before: Before, expected: Expected) -> Finding:
    content = looked.content_sha256 or ""
    if expected.unlisted is not None:
        if expected.unlisted:
            return Finding.of(
                ObservationKind.DIVERGENCE,
                "the registry holds " + ", ".join(expected.unlisted) + ", which the manifest does not list",
            )
        return Finding.of(ObservationKind.ARCHIVED, "a valid manifest, signed by the developer's key")
    versions = dict(expected.published)
    if expected.listed_sha256 is not None:
        if content == expected.listed_sha256:
            return Finding.of(ObservationKind.ARCHIVED, "serves the bytes its statement logged", expected.statement)
        if content in versions:
            return Finding.of(
                ObservationKind.DIVERGENCE,
                f"serves version {versions[content]}, not the version its manifest lists",
                expected.statement,
            )
        return Finding.of(
            ObservationKind.SILENT_EDIT,
            f"the bytes served (SHA-256 {content[:12]}…) are not the bytes logged for the statement "
            f"(SHA-256 {expected.listed_sha256[:12]}…)",
            expected.statement,
        )
    if versions:
        if content == expected.latest:
            return Finding.of(ObservationKind.ARCHIVED, f"serves the latest published version, {versions[content]}")
        if content in versions:
            return Finding.of(
                ObservationKind.DIVERGENCE,
                f"serves version {versions[content]}; the registry holds a later one, "
                f"{versions.get(expected.latest or '', '?')}",
            )
        # A page that renders a published document (HTML of a Markdown text) never matches its bytes; only a
        # change of its text says anything then.
    if content == before.archived_content_sha256 and before.archived_finding is not None:
        # The version seen last, seen again (a 304, or the same bytes): what was found then still holds.
        return Finding(ObservationKind(before.archived_finding), before.archived_reason)
    if before.archived_text_sha256 is None:
        return Finding.of(ObservationKind.ARCHIVED, "first version seen")
    if looked.text_sha256 == before.archived_text_sha256:
        return Finding.of(ObservationKind.ARCHIVED, "the bytes changed, the text did not")
    if expected.published_since:
        return Finding.of(ObservationKind.ARCHIVED, "the text changed, and the developer published a new version")
    return Finding.of(
        ObservationKind.UNANNOUNCED_REVISION,
        "the text changed since the version seen "
        + ("" if before.archived_at is None else f"on {before.archived_at:%Y-%m-%d} ")
        + "and the developer published no new version",
    )


def worth_recording(finding: Finding, looked: Looked, before: Before) -> bool:
    """Whether this look says something the URL's last observation did not: only then is it logged.

    This is what keeps the log free of a line per look, and what makes a restarted watcher (which looks again at
    every URL) add nothing for pages that did not change.
    """
    if before.finding is None:
        return True
    if finding.kind is ObservationKind.REFUSED and before.finding == ObservationKind.UNREACHABLE.value:
        return False  # still down: the unreachable finding stands
    if finding.kind.value != before.finding:
        return True
    if finding.kind is ObservationKind.REFUSED:
        return finding.reason != before.reason
    if finding.kind in (ObservationKind.UNREACHABLE, ObservationKind.WITHDRAWAL):
        return looked.status != before.status
    return looked.content_sha256 != before.content_sha256


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:g} day" + ("" if days == 1 else "s")
