"""What a verifier remembers about the logs it checks: trust on first use, then pinning.

Modelled on Go's checksum-database client. The first time a verifier meets a log (named by its checkpoint
origin) it pins the log's verifier key and shows its fingerprint, so that the user can compare it with one
obtained elsewhere. From then on another key for that origin is refused, whatever the registry serves, and every
checkpoint the log shows must be proven to extend the newest one remembered, so that a rollback or a fork (a
split view: one history shown to this user, another to someone else) is caught and kept as evidence.

The state directory (``--state DIR``; by default the platform's user state directory) holds::

    logs/<origin>/vkey            the pinned verifier key, one line
    logs/<origin>/checkpoint      the newest signed checkpoint seen, verbatim
    registries/<base URL>         the origin of the log that registry served, one line
    evidence/<time>-<kind>.txt    both signed checkpoints, when a log was caught in a rollback or fork

where ``<origin>`` and ``<base URL>`` are percent-encoded into one file name. Every write is atomic (a temporary
file, fsync, rename), so an interrupted verifier never leaves half a key or half a checkpoint behind.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from candor.errors import CandorError
from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.consistency import SplitViewError, prove_extension
from candor.tlog.errors import ProofError, TlogError
from candor.tlog.merkle import NodeSource
from candor.tlog.note import MAX_NOTE_SIZE, Verifier, parse_verifier_key
from candor.tlog.tiles import write_atomic


class PinningError(CandorError):
    """A log that no longer matches what was pinned: another key for its origin, or another log at its URL."""

    exit_code = 5


def default_state_directory() -> Path:
    """The platform's per-user state directory for Candor (e.g. ``~/.local/state/candor`` on Linux)."""
    import platformdirs

    return platformdirs.user_state_path("candor")


def _name(text: str) -> str:
    return quote(text, safe="")


class LogMemory:
    """The pinned keys and newest checkpoints under one state directory; ``None`` remembers for this run only."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._scratch: dict[str, bytes] = {}

    def _read(self, relative: str) -> bytes | None:
        if self.directory is None:
            return self._scratch.get(relative)
        path = self.directory / relative
        try:
            if path.stat().st_size > MAX_NOTE_SIZE:
                raise CandorError(f"{path}: larger than any key or checkpoint; the state directory is damaged")
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CandorError(f"{path}: cannot be read: {exc.strerror}") from None

    def _write(self, relative: str, data: bytes) -> None:
        if self.directory is None:
            self._scratch[relative] = data
            return
        try:
            write_atomic(self.directory / relative, data)
        except OSError as exc:
            raise CandorError(f"{self.directory / relative}: cannot be written: {exc.strerror}") from None

    def where(self, origin: str) -> str:
        """Where this log's pinned state lives, for messages."""
        if self.directory is None:
            return "nowhere (--no-state)"
        return str(self.directory / "logs" / _name(origin))

    def pinned_key(self, origin: str) -> str | None:
        found = self._read(f"logs/{_name(origin)}/vkey")
        return None if found is None else found.decode("utf-8", errors="replace").strip()

    def pin_key(self, verifier: Verifier) -> None:
        self._write(f"logs/{_name(verifier.name)}/vkey", (verifier.vkey() + "\n").encode())

    def checkpoint(self, origin: str) -> bytes | None:
        return self._read(f"logs/{_name(origin)}/checkpoint")

    def remember_checkpoint(self, origin: str, note: bytes) -> None:
        self._write(f"logs/{_name(origin)}/checkpoint", note)

    def registry_origin(self, base_url: str) -> str | None:
        found = self._read(f"registries/{_name(base_url.rstrip('/'))}")
        return None if found is None else found.decode("utf-8", errors="replace").strip()

    def remember_registry(self, base_url: str, origin: str) -> None:
        self._write(f"registries/{_name(base_url.rstrip('/'))}", (origin + "\n").encode())

    def save_evidence(self, error: SplitViewError) -> Path:
        """Write both checkpoints of a rollback or fork to a file the user can share; its path."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        text = error.evidence().encode()
        if self.directory is None:
            descriptor, name = tempfile.mkstemp(prefix=f"candor-{error.kind}-{stamp}-", suffix=".txt")
            with open(descriptor, "wb") as handle:
                handle.write(text)
            return Path(name)
        path = self.directory / "evidence" / f"{stamp}-{error.kind}.txt"
        counter = 1
        while path.exists():
            counter += 1
            path = self.directory / "evidence" / f"{stamp}-{error.kind}-{counter}.txt"
        self._write(str(path.relative_to(self.directory)), text)
        return path


@dataclass(frozen=True)
class TrustedKey:
    """The log's verifier key, and whether this run pinned it (first contact) or found it already pinned."""

    verifier: Verifier
    first_contact: bool


def trust_key(memory: LogMemory, offered: str, *, source: str) -> TrustedKey:
    """The pinned key for ``offered``'s origin; the offered key itself on first contact (pinned later by
    :func:`commit`). Another key for an origin already pinned is refused, wherever it came from (``source``)."""
    verifier = parse_verifier_key(offered)
    pinned = memory.pinned_key(verifier.name)
    if pinned is None:
        return TrustedKey(verifier, first_contact=True)
    pinned_verifier = parse_verifier_key(pinned)
    if pinned_verifier.vkey() != verifier.vkey():
        raise PinningError(
            f"log {verifier.name}: {source} is key {verifier.fingerprint()}, but key {pinned_verifier.fingerprint()} "
            f"is pinned for this log in {memory.where(verifier.name)}",
            hint="if the log's operator really changed its key, confirm that out of band, then remove the pinned vkey",
        )
    return TrustedKey(pinned_verifier, first_contact=False)


def check_registry(memory: LogMemory, base_url: str, origin: str) -> None:
    """A registry URL keeps serving the log it served before: another origin there is refused."""
    known = memory.registry_origin(base_url)
    if known is not None and known != origin:
        raise PinningError(
            f"{base_url} now serves the log {origin!r}, but it served {known!r} before",
            hint="a registry that changes its log's origin is either another registry or rewriting history",
        )


def require_extension(
    memory: LogMemory, source: NodeSource | None, older: tuple[bytes, Checkpoint], newer: tuple[bytes, Checkpoint]
) -> list[bytes]:
    """Prove that ``newer`` extends ``older`` (each a signed note with its opened checkpoint); the proof.

    A rollback or fork raises :class:`SplitViewError` after saving both signed checkpoints as evidence.
    """
    (older_note, old), (newer_note, new) = older, newer
    try:
        return prove_extension(source, old, new)
    except ProofError as exc:
        kind = "rollback" if new.size < old.size else "fork"
        error = SplitViewError(
            f"{old.origin}: {kind}: the checkpoint of size {new.size} does not extend the one of size {old.size} "
            f"({exc.message})",
            kind=kind,
            older=older_note,
            newer=newer_note,
        )
        error.hint = f"both signed checkpoints are saved in {memory.save_evidence(error)}; share that file"
        raise error from None


def advance(
    memory: LogMemory, verifier: Verifier, note: bytes, nodes: Callable[[Checkpoint], NodeSource]
) -> tuple[Checkpoint, Checkpoint | None]:
    """Check the log's newest checkpoint ``note`` against the remembered one; the checkpoint and the remembered one.

    ``nodes(checkpoint)`` gives the authenticated tiles of that checkpoint's tree. Nothing is remembered here:
    :func:`commit` does that once everything checked out.
    """
    try:
        latest = open_checkpoint(note, verifier)
    except TlogError as exc:
        raise PinningError(
            f"{verifier.name}: the log's checkpoint is not signed by the pinned key {verifier.fingerprint()} "
            f"({exc.message})"
        ) from None
    remembered_note = memory.checkpoint(verifier.name)
    if remembered_note is None:
        return latest, None
    try:
        remembered = open_checkpoint(remembered_note, verifier)
    except TlogError as exc:
        raise CandorError(
            f"{memory.where(verifier.name)}/checkpoint: the remembered checkpoint does not verify ({exc.message})"
        ) from None
    source = nodes(latest) if latest.size > remembered.size else None
    require_extension(memory, source, (remembered_note, remembered), (note, latest))
    return latest, remembered


def commit(memory: LogMemory, verifier: Verifier, note: bytes, *, registry: str | None = None) -> None:
    """Pin the key (on first contact), bind the registry URL to the log, and remember the newest checkpoint."""
    if memory.pinned_key(verifier.name) is None:
        memory.pin_key(verifier)
    if registry is not None and memory.registry_origin(registry) is None:
        memory.remember_registry(registry, verifier.name)
    memory.remember_checkpoint(verifier.name, note)
