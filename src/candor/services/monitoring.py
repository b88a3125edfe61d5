"""Following a registry's log as a monitor: every new checkpoint proven to extend the last, every new entry checked,
and what the witnesses cosigned compared with what the log serves.

A verifier checks one document when a reader asks; a monitor checks everything, as it arrives, so that a registry
that misbehaves is caught even when nobody is looking at the document it touched. Each poll:

1. fetches the log's checkpoint and opens it with the pinned log key; checks the cosignatures of the trusted
   witnesses against the quorum;
2. proves, from the tiles, that it extends the checkpoint remembered in the state file; a rollback or a fork is
   an alarm, with both signed checkpoints saved beside the state file as evidence;
3. reads every new entry through the tiles (each checked against the signed root) and checks it: a canonical
   statement or key event; a statement signed by a key that the log shows as its developer's at that index; the
   version rules (a new version supersedes the current one of its series, a withdrawal or correction targets a
   statement of the same developer); a document that the registry serves with the hash that was signed;
4. fetches, from each witness's monitoring URL, the checkpoint that witness cosigned, and proves that the log's
   tree extends it: a witness that cosigned a tree which the log's does not contain has been shown another log
   (a split view).

Events are :class:`MonitorEvent` values; the CLI writes them as JSON lines. The state (the checkpoint and how far the
entries were checked) is written atomically after each poll, so a monitor that is killed resumes where it stopped
and never reports an entry twice. What the checks need to know about earlier entries (the developers' keys, the
versions of each series) is rebuilt on start by re-reading the entries already checked, without reporting them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from candor.domain.key_history import KeyHistory, is_key_event_entry, parse_key_event_entry
from candor.domain.log_entry import parse_log_entry
from candor.domain.observation import is_observation_entry, parse_observation_entry
from candor.domain.statement import KINDS_WITH_TARGET, Statement, StatementKind, version_key
from candor.errors import CandorError
from candor.httpclient import HttpClient, HttpError, Resource
from candor.tlog.checkpoint import Checkpoint, check_cosignatures, open_checkpoint
from candor.tlog.consistency import prove_extension
from candor.tlog.errors import TlogError
from candor.tlog.note import MAX_NOTE_SIZE, CosignatureVerifier, Verifier
from candor.tlog.tilereader import HttpFetcher, TileReader
from candor.tlog.tiles import TileUnavailableError
from candor.tlog.witness import origin_hash

Severity = Literal["info", "warning", "alarm"]

#: A document blob as the registry serves it; the largest document the registry accepts, with room for headers.
_DOCUMENT = Resource("document", 64 * 1024 * 1024)
_WITNESS_CHECKPOINT = Resource("witness checkpoint", MAX_NOTE_SIZE)


@dataclass(frozen=True)
class MonitorEvent:
    """One thing the monitor saw: ``alarm`` means the log or the registry misbehaved."""

    severity: Severity
    event: str
    message: str
    log_index: int | None = None
    size: int | None = None
    at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def to_json(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None}, sort_keys=True)


@dataclass
class MonitorState:
    """What a monitor remembers between polls: the last checkpoint proven, and how many entries were checked."""

    origin: str
    checkpoint: str | None = None
    checked_size: int = 0

    @classmethod
    def load(cls, path: Path, origin: str) -> MonitorState:
        if not path.exists():
            return cls(origin)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = cls(str(data["origin"]), data.get("checkpoint"), int(data.get("checked_size", 0)))
        except (ValueError, KeyError, TypeError) as error:
            raise CandorError(f"{path}: not a monitor state file ({error})") from None
        if state.origin != origin:
            raise CandorError(f"{path}: the state of log {state.origin!r}, not of {origin!r}")
        return state

    def save(self, path: Path) -> None:
        # Write, fsync, rename: a monitor killed mid-write keeps the previous state whole.
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump(asdict(self), stream, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)


@dataclass(frozen=True)
class WitnessSource:
    """A witness whose cosigned view of the log the monitor compares with the log's: its key and base URL."""

    verifier: CosignatureVerifier
    url: str | None = None


class _Ledger:
    """What the entry checks need to know about earlier entries: keys in force, and the versions of each series.

    The version rules are the registry's own (``services/publishing.py``): a statement acts only on a statement of
    its own developer that the log holds before it; a new version is higher than every version of its series and
    supersedes the current one, the newest that is not withdrawn (nothing, for the first).
    """

    def __init__(self, log_verifier: Verifier) -> None:
        self.log_verifier = log_verifier
        self.keys = KeyHistory(log_verifier.verify)
        self.statements: dict[str, Statement] = {}
        self.versions: dict[tuple[str, str, str], dict[str, str]] = {}
        self.withdrawn: set[str] = set()

    def check(self, index: int, entry: bytes) -> Statement | None:
        """Check one entry against everything before it and record it; raises :class:`CandorError` if it breaks a
        rule. The statement, if the entry is one."""
        name = f"log entry {index}"
        if is_key_event_entry(entry):
            self.keys.apply(index, parse_key_event_entry(entry, name=name))
            return None
        if is_observation_entry(entry):
            # What the registry's watcher saw on a developer's site: the log key's word, checked as such.
            parse_observation_entry(entry, name=name).verify(self.log_verifier.verify, name=name)
            return None
        logged = parse_log_entry(entry, name=name)
        logged.verify_signature(name=name)
        self.keys.check_statement(index, logged)
        statement = logged.statement
        self._check_versions(name, statement)
        self.statements[statement.digest()] = statement
        return statement

    def _check_versions(self, name: str, statement: Statement) -> None:
        if statement.kind in KINDS_WITH_TARGET:
            target = self.statements.get(statement.target or "")
            if target is None:
                raise CandorError(
                    f"{name}: a {statement.kind} of {statement.target}, which the log does not hold before"
                )
            if target.developer != statement.developer:
                raise CandorError(f"{name}: {statement.developer} acts on a statement of {target.developer}")
            if statement.kind is StatementKind.WITHDRAWAL:
                self.withdrawn.add(statement.target or "")
            return
        versions = self.versions.setdefault(_series(statement), {})
        if versions.get(statement.version) == statement.digest():
            return  # the same statement logged again
        if versions and version_key(statement.version) <= max(map(version_key, versions)):
            raise CandorError(f"{name}: version {statement.version} does not increase on the versions logged before")
        live = [version for version, digest in versions.items() if digest not in self.withdrawn]
        current = max(live, key=version_key) if live else None
        if statement.supersedes != current:
            raise CandorError(
                f"{name}: version {statement.version} of {statement.developer}'s {statement.kind} supersedes "
                f"{statement.supersedes or 'nothing'}, but the current version is {current or 'none'}"
            )
        versions[statement.version] = statement.digest()


def _series(statement: Statement) -> tuple[str, str, str]:
    return (statement.developer, str(statement.kind), statement.series or "")


class LogMonitor:
    """Polls one registry's log. Not thread-safe; one monitor per state file."""

    def __init__(
        self,
        registry_url: str,
        log_verifier: Verifier,
        state_path: Path,
        *,
        witnesses: Sequence[WitnessSource] = (),
        quorum: int = 0,
    ) -> None:
        self.registry_url = registry_url.rstrip("/")
        self.log_verifier = log_verifier
        self.state_path = state_path
        self.witnesses = list(witnesses)
        self.quorum = quorum
        self.state = MonitorState.load(state_path, log_verifier.name)
        self._ledger: _Ledger | None = None

    def poll(self) -> list[MonitorEvent]:
        """One round of checks; the events it found. The state advances only past what was checked."""
        return list(self._poll())

    def _poll(self) -> Iterator[MonitorEvent]:
        fetcher = HttpFetcher(self.registry_url + "/log")
        client = HttpClient(self.registry_url)
        try:
            try:
                note = fetcher.fetch("checkpoint")
            except TlogError as error:
                yield MonitorEvent("warning", "unreachable", f"the log's checkpoint could not be read: {error.message}")
                return
            try:
                latest = open_checkpoint(note, self.log_verifier)
            except TlogError as error:
                yield MonitorEvent("alarm", "checkpoint_refused", f"the log's checkpoint is refused: {error.message}")
                return
            try:
                yield from self._check_tree(fetcher, client, note, latest)
            except TileUnavailableError as error:
                self._ledger = None  # it may hold entries the state does not: rebuild it next time
                yield MonitorEvent("warning", "unreachable", f"the log could not be read: {error.message}")
            except TlogError as error:
                # The log signed a tree whose tiles it does not serve faithfully: a tampered, missing or reordered
                # tile or entry bundle.
                self._ledger = None
                yield MonitorEvent("alarm", "tiles_refused", error.message, size=latest.size)
        finally:
            fetcher.close()
            client.close()

    def _check_tree(
        self, fetcher: HttpFetcher, client: HttpClient, note: bytes, latest: Checkpoint
    ) -> Iterator[MonitorEvent]:
        yield from self._check_cosignatures(note, latest)
        reader = TileReader(fetcher, latest.size, latest.root)
        ledger = self._rebuilt_ledger(reader)
        remembered = self._remembered()
        if remembered is not None:
            failure = self._extension_failure(reader, remembered, latest, note)
            if failure is not None:
                yield failure
                return
        yield MonitorEvent("info", "checkpoint", f"{latest.origin} at size {latest.size}", size=latest.size)
        for index, entry in reader.entries(min(self.state.checked_size, latest.size), latest.size):
            yield from self._check_entry(ledger, client, index, entry)
        yield from self._compare_witnesses(reader, latest)
        self.state.checkpoint = note.decode("utf-8")
        self.state.checked_size = latest.size
        self.state.save(self.state_path)

    def _check_cosignatures(self, note: bytes, latest: Checkpoint) -> Iterator[MonitorEvent]:
        if not self.quorum:
            return
        try:
            count = check_cosignatures(note, [witness.verifier for witness in self.witnesses], self.quorum)
        except TlogError as error:
            yield MonitorEvent("alarm", "cosignature_quorum", error.message, size=latest.size)
            return
        yield MonitorEvent(
            "info", "cosigned", f"{count} trusted witnesses cosigned size {latest.size}", size=latest.size
        )

    def _remembered(self) -> Checkpoint | None:
        if self.state.checkpoint is None:
            return None
        return open_checkpoint(self.state.checkpoint.encode("utf-8"), self.log_verifier)

    def _extension_failure(
        self, reader: TileReader, remembered: Checkpoint, latest: Checkpoint, note: bytes
    ) -> MonitorEvent | None:
        try:
            prove_extension(reader if latest.size > remembered.size else None, remembered, latest)
        except TlogError as error:
            kind = "rollback" if latest.size < remembered.size else "fork"
            evidence = self._save_evidence(kind, [self.state.checkpoint or "", note.decode("utf-8", "replace")])
            return MonitorEvent(
                "alarm",
                kind,
                f"the checkpoint of size {latest.size} does not extend the one of size {remembered.size} "
                f"({error.message}); both are saved in {evidence}",
                size=latest.size,
            )
        return None

    def _rebuilt_ledger(self, reader: TileReader) -> _Ledger:
        """The ledger of every entry checked before (replayed once per process, without reporting)."""
        if self._ledger is None:
            self._ledger = _Ledger(self.log_verifier)
            for index, entry in reader.entries(0, min(self.state.checked_size, reader.size)):
                with contextlib.suppress(CandorError):  # reported when it was first checked
                    self._ledger.check(index, entry)
        return self._ledger

    def _check_entry(self, ledger: _Ledger, client: HttpClient, index: int, entry: bytes) -> Iterator[MonitorEvent]:
        try:
            statement = ledger.check(index, entry)
        except CandorError as error:
            yield MonitorEvent("alarm", "entry_refused", error.message, log_index=index)
            return
        if statement is None or statement.document_sha256 is None:
            return
        digest = statement.document_sha256
        try:
            answer = client.get(f"/api/v1/documents/{digest}", _DOCUMENT, allow_error=True)
        except HttpError as error:
            yield MonitorEvent("warning", "document_unreachable", error.message, log_index=index)
            return
        if answer.status == 404:
            yield MonitorEvent("alarm", "document_missing", f"document {digest} is not served", log_index=index)
        elif not answer.ok:
            yield MonitorEvent(
                "warning", "document_unreachable", f"document {digest}: HTTP {answer.status}", log_index=index
            )
        elif hashlib.sha256(answer.body).hexdigest() != digest:
            yield MonitorEvent(
                "alarm", "document_altered", f"document {digest} is served with other bytes", log_index=index
            )

    def _compare_witnesses(self, reader: TileReader, latest: Checkpoint) -> Iterator[MonitorEvent]:
        for witness in self.witnesses:
            if witness.url is None:
                continue
            name = witness.verifier.name
            try:
                with HttpClient(witness.url) as client:
                    answer = client.get(
                        f"/{origin_hash(latest.origin)}/checkpoint", _WITNESS_CHECKPOINT, allow_error=True
                    )
            except HttpError as error:
                yield MonitorEvent("warning", "witness_unreachable", f"{name}: {error.message}")
                continue
            if answer.status == 404:
                yield MonitorEvent("info", "witness_empty", f"{name} has cosigned no checkpoint of this log yet")
                continue
            try:
                if not answer.ok:
                    raise TlogError(f"HTTP {answer.status}")
                seen = open_checkpoint(answer.body, self.log_verifier)
                check_cosignatures(answer.body, [witness.verifier], 1)
            except TlogError as error:
                yield MonitorEvent("warning", "witness_unreadable", f"{name}: {error.message}")
                continue
            if seen.size > latest.size:
                yield MonitorEvent(
                    "warning",
                    "witness_ahead",
                    f"{name} cosigned size {seen.size}; the log serves only size {latest.size}",
                    size=seen.size,
                )
                continue
            try:
                prove_extension(reader if latest.size > seen.size else None, seen, latest)
            except TlogError as error:
                evidence = self._save_evidence("split-view", [answer.body.decode("utf-8", "replace")])
                yield MonitorEvent(
                    "alarm",
                    "split_view",
                    f"{name} cosigned a tree of size {seen.size} that the log's tree of size {latest.size} does not "
                    f"contain ({error.message}); saved in {evidence}",
                    size=seen.size,
                )

    def _save_evidence(self, kind: str, notes: list[str]) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = self.state_path.with_name(f"{self.state_path.name}.{kind}-{stamp}.txt")
        path.write_text("\n".join(notes), encoding="utf-8")
        return path
