"""The log remembers what it signed: every checkpoint it signs, appended to a file apart from its database.

A database can be restored from a backup, or a registry pointed at another one. A log that trusted its database
alone would then sign a second, different tree for sizes it had already signed and served, and two valid
signatures would cover two histories. So every signed checkpoint is appended to ``checkpoint-history`` in the log's
directory and synced *before* the database records it and before anyone is served it; and before the log signs a
new tree it proves, with an RFC 9162 consistency proof, that the tree extends the newest checkpoint it remembers
(from this file or from its database, whichever is larger). When it cannot, it refuses to sign, and names both
heads and how to recover.

Format: one signed checkpoint note per line, written as a JSON string (a note spans several lines). A kill -9 in
the middle of an append can leave a last line without its newline; that line was never synced, so never served:
reading ignores it, and the next append cuts it off first. Every line is checked against the log's key.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.errors import ProofError, TlogError
from candor.tlog.merkle import NodeSource, consistency_proof, verify_consistency
from candor.tlog.note import NoteVerifier
from candor.tlog.sequencer import SignedHead
from candor.tlog.tiles import fsync_directory

HISTORY_FILE = "checkpoint-history"
#: How much of the file's end is read at a time to find its last line (a checkpoint note is a few hundred bytes).
_TAIL_CHUNK = 16 * 1024
#: Where to look for the matching backup; said in every refusal.
RECOVERY_HINT = (
    "restore the backup whose database matches the newest checkpoint the log signed (`candor restore`); "
    "see docs/operations.md, 'When the log refuses to sign'"
)


class HistoryError(TlogError):
    """A checkpoint history that cannot be read, or that holds a line which is not one of this log's checkpoints."""


class RefusedToSignError(TlogError):
    """The log will not sign, nor give out new indexes: what it has signed and what its database holds disagree."""


def describe_head(origin: str, size: int, root: bytes) -> str:
    """A tree head as a person compares it with a served checkpoint: origin, size and base64 root hash."""
    return f"{origin} size {size} root {base64.b64encode(root).decode('ascii')}"


def describe_signed(head: SignedHead) -> str:
    """A signed head, described with the origin its note names."""
    return describe_head(head.note.split("\n", 1)[0], head.size, head.root)


def prove_extends(
    remembered: SignedHead, remembered_where: str, new: Checkpoint, new_where: str, source: NodeSource
) -> None:
    """Prove that ``new`` extends ``remembered`` with an RFC 9162 consistency proof built from ``source``.

    ``source`` holds the new tree (its tiles, authenticated against ``new.root``). Raises
    :class:`RefusedToSignError` naming both heads when the new tree is smaller or does not extend the old one.
    """
    if remembered.size == 0:
        return  # every tree extends the empty tree
    heads = (
        f"{remembered_where} holds {describe_signed(remembered)}, but {new_where} is "
        f"{describe_head(new.origin, new.size, new.root)}"
    )
    if new.size < remembered.size:
        raise RefusedToSignError(f"the log refuses to sign: {heads}, which is smaller", hint=RECOVERY_HINT)
    try:
        proof = consistency_proof(source, remembered.size, new.size) if new.size > remembered.size else []
        verify_consistency(remembered.size, new.size, proof, remembered.root, new.root)
    except (ProofError, TlogError) as exc:
        raise RefusedToSignError(
            f"the log refuses to sign: {heads}, which does not extend it ({exc.message})", hint=RECOVERY_HINT
        ) from None


def rolled_back(
    where: str, remembered: SignedHead, store: str, size: int, recorded: SignedHead | None
) -> RefusedToSignError:
    """The refusal when ``store`` (a database, a sequencer) holds fewer entries than a checkpoint already signed."""
    latest = "no checkpoint" if recorded is None else f"its latest checkpoint is {describe_signed(recorded)}"
    entries = "entry" if size == 1 else "entries"
    return RefusedToSignError(
        f"the log refuses to sign or sequence: {where} holds {describe_signed(remembered)}, signed and served, "
        f"but {store} holds only {size} {entries} and {latest}; {store} was rolled back (restored from an older "
        "backup?), and new entries would get indexes whose contents the log has already signed",
        hint=RECOVERY_HINT,
    )


class CheckpointHistory:
    """The append-only file of every checkpoint a log signed, checked against the log's ``verifier``."""

    def __init__(self, path: Path, verifier: NoteVerifier) -> None:
        self.path = path
        self.verifier = verifier
        # The last line read, by the file's identity and size: a publish asks for it every time, and checking its
        # signature again when nothing was appended would be wasted work.
        self._cached: tuple[tuple[int, int, int], SignedHead | None] | None = None

    def latest(self) -> SignedHead | None:
        """The newest checkpoint remembered (the last whole line); None when the log has signed nothing here."""
        try:
            with open(self.path, "rb") as handle:
                status = os.fstat(handle.fileno())
                version = (status.st_ino, status.st_size, status.st_mtime_ns)
                if self._cached is not None and self._cached[0] == version:
                    return self._cached[1]
                line = _last_line(handle.fileno())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot be read: {exc.strerror}") from None
        head = None if line is None else self._parse(line, "its last line")
        self._cached = (version, head)
        return head

    def heads(self) -> Iterator[SignedHead]:
        """Every remembered checkpoint, oldest first (a torn last line is left out)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot be read: {exc.strerror}") from None
        for number, line in enumerate(data.split(b"\n")[:-1], start=1):
            yield self._parse(line, f"line {number}")

    def append(self, note: bytes) -> SignedHead:
        """Remember a newly signed checkpoint, durably (synced) before it is recorded elsewhere or served."""
        line = json.dumps(note.decode("utf-8")).encode("ascii") + b"\n"
        head = self._parse(line[:-1], "the new line")  # never remember what this log's key did not sign
        created = not self.path.exists()
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot be opened for appending: {exc.strerror}") from None
        try:
            # Processes sharing the directory append under the log's own lock too; this one guards the file.
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            _cut_torn_line(descriptor)
            os.write(descriptor, line)
            os.fsync(descriptor)
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot append the signed checkpoint: {exc.strerror}") from None
        finally:
            os.close(descriptor)
        if created:
            fsync_directory(self.path.parent)
        return head

    def _parse(self, line: bytes, where: str) -> SignedHead:
        try:
            note = json.loads(line)
            if not isinstance(note, str):
                raise ValueError("not a JSON string")
            checkpoint = open_checkpoint(note.encode("utf-8"), self.verifier)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HistoryError(f"{self.path}: {where} is not a JSON-quoted checkpoint note: {exc}") from None
        except TlogError as exc:
            raise HistoryError(
                f"{self.path}: {where} is not a checkpoint signed by this log's key "
                f"{self.verifier.name}+{self.verifier.key_id:08x}: {exc.message}",
                hint="this history belongs to another log; put back this log's own history or its own key",
            ) from None
        return SignedHead(checkpoint.size, checkpoint.root, note)


def _last_line(descriptor: int) -> bytes | None:
    """The last newline-terminated line of the file, reading back from its end."""
    end = os.fstat(descriptor).st_size
    tail = b""
    position = end
    while position > 0:
        start = max(0, position - _TAIL_CHUNK)
        tail = os.pread(descriptor, position - start, start) + tail
        position = start
        complete = tail[: tail.rfind(b"\n") + 1]  # drop a torn last line
        if complete.count(b"\n") >= 2 or (position == 0 and complete):
            return complete[:-1].rsplit(b"\n", 1)[-1]
    return None


def _cut_torn_line(descriptor: int) -> None:
    """Drop a last line left without its newline by a crash, so that the next line starts on its own."""
    size = os.fstat(descriptor).st_size
    if size == 0 or os.pread(descriptor, 1, size - 1) == b"\n":
        return
    position = size
    while position > 0:
        start = max(0, position - _TAIL_CHUNK)
        newline = os.pread(descriptor, position - start, start).rfind(b"\n")
        if newline >= 0:
            os.ftruncate(descriptor, start + newline + 1)
            return
        position = start
    os.ftruncate(descriptor, 0)
