"""``candor log``: run a standalone transparency log and verify any tiled log.

The command names are a public interface (tests outside this repository use them): init, vkey, add,
publish, verify, prove, check-proof, consistency, compare.
"""

from __future__ import annotations

import base64
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from candor.cli.pinning import (
    NoStateOption,
    QuorumOption,
    StateOption,
    WitnessOption,
    announce,
    open_memory,
    read_vkey,
    witnesses,
)
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import CandorError, SourceError
from candor.services.files import read_input_file
from candor.services.log_memory import LogMemory
from candor.tlog.checkpoint import Checkpoint, check_cosignatures, open_checkpoint, parse_checkpoint
from candor.tlog.errors import ProofError, TlogError
from candor.tlog.fsck import fsck
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import consistency_proof, inclusion_proof
from candor.tlog.note import MAX_NOTE_SIZE, parse_note, parse_verifier_key
from candor.tlog.proof import MAX_PROOF_SIZE, format_tlog_proof, verify_tlog_proof
from candor.tlog.tilecheck import logger as tilecheck_logger
from candor.tlog.tilereader import TileReader, open_fetcher
from candor.tlog.tiles import CHECKPOINT_NAME, MAX_ENTRY_SIZE, EntryTooLargeError, MissingFileError

log_app = typer.Typer(
    help="Run a standalone append-only log (C2SP tlog-tiles) and verify logs, proofs and checkpoints.",
    no_args_is_help=True,
)

_stderr = Console(stderr=True, highlight=False)

# A --lines file carries many entries at once (a bulk load), so it may be far larger than any one entry.
_MAX_LINES_FILE_BYTES = 1 << 30


class ProgressBar:
    """A rich progress bar on a terminal; nothing when stderr is a file or a pipe."""

    def __init__(self, progress: Progress | None, description: str) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=None) if progress is not None else None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressBar]:
    if not _stderr.is_terminal:
        yield ProgressBar(None, description)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_stderr, transient=True) as progress:
        yield ProgressBar(progress, description)


def _public_location(location: str) -> str:
    """A log directory's public part: the directory itself, or its one subfolder that holds a checkpoint. For a
    URL, the log it serves: the URL itself, or a Candor registry's ``/log`` under it."""
    if location.startswith(("http://", "https://")):
        return _http_log(location)
    directory = Path(location)
    if (directory / "checkpoint").is_file():
        return location
    candidates = sorted(path.parent for path in directory.glob("*/checkpoint") if path.is_file())
    if len(candidates) == 1:
        return str(candidates[0])
    if not directory.is_dir():
        raise SourceError(location, "no such directory")
    raise SourceError(location, "holds no checkpoint (nor does exactly one of its subfolders)")


def _http_log(location: str) -> str:
    """The URL itself if it serves a checkpoint, else its ``/log`` if that does: a registry's base URL and its log's
    URL both work."""
    base = location.rstrip("/")
    for candidate in (base, f"{base}/log"):
        fetcher = open_fetcher(candidate)
        try:
            fetcher.fetch(CHECKPOINT_NAME)
        except MissingFileError:
            continue
        finally:
            fetcher.close()
        return candidate
    raise CandorError(
        f"no log at {location}: neither {base}/checkpoint nor {base}/log/checkpoint exists",
        hint="pass a log's URL, or a Candor registry's base URL",
    )


@log_app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="Directory for the new log (created if missing).")],
    origin: Annotated[str, typer.Option("--origin", help="Checkpoint origin and key name, e.g. example.com/log.")],
) -> None:
    """Create a log and its Ed25519 key (mode 0600). Refuses to overwrite an existing log."""
    with LocalLog.create(directory, origin) as log:
        typer.echo(log.vkey())


@log_app.command("vkey")
def vkey(directory: Annotated[Path, typer.Argument(help="The log directory.")]) -> None:
    """Print the log's verifier key."""
    with LocalLog.open(directory) as log:
        typer.echo(log.vkey())


@log_app.command("add")
def add(
    directory: Annotated[Path, typer.Argument(help="The log directory.")],
    files: Annotated[list[Path] | None, typer.Argument(help="Files whose bytes become one entry each.")] = None,
    lines: Annotated[
        Path | None, typer.Option("--lines", help="Append each line of this file (without its newline) instead.")
    ] = None,
) -> None:
    """Append entries durably and print their indexes (publish makes them visible).

    All or nothing: if any entry is refused (for example a line over 65,535 bytes), none is added.
    """
    if lines is not None and files:
        raise CandorError("give either FILE... or --lines FILE, not both")
    if lines is not None:
        entries = read_input_file(lines, what="file of entries", limit=_MAX_LINES_FILE_BYTES).splitlines()
        for number, entry in enumerate(entries, start=1):
            if len(entry) > MAX_ENTRY_SIZE:
                raise EntryTooLargeError(len(entry), name=f"{lines}:{number}")
    elif files:
        # Read up to a document's size, so that a too-large entry is refused with the entry bundle's own limit.
        entries = [read_input_file(path, what="log entry", limit=MAX_DOCUMENT_BYTES) for path in files]
        for path, entry in zip(files, entries, strict=True):
            if len(entry) > MAX_ENTRY_SIZE:
                raise EntryTooLargeError(len(entry), name=str(path))
    else:
        raise CandorError("nothing to add", hint="give FILE... or --lines FILE")
    with LocalLog.open(directory) as log:
        indexes = log.append_many(entries)
    sys.stdout.write("".join(f"{index}\n" for index in indexes))


@log_app.command("publish")
def publish(directory: Annotated[Path, typer.Argument(help="The log directory.")]) -> None:
    """Integrate pending entries, write the tiles and sign a new checkpoint (written last).

    First every stored tile is checked against the sequenced entries and the last signed root, and any
    damaged tile or entry bundle is rewritten from the sequencer (each one is reported).
    """
    # Repairs are reported here; without a handler, Python's last-resort handler would print them twice.
    tilecheck_logger.addHandler(logging.NullHandler())
    with LocalLog.open(directory) as log, progress_bar("publishing") as bar:
        checkpoint = log.publish(bar)
        for repair in log.repaired:
            _stderr.print(f"repaired {repair.name} from the sequencer: {repair.problem}", markup=False, soft_wrap=True)
    typer.echo(f"{checkpoint.origin} size {checkpoint.size} root {base64.b64encode(checkpoint.root).decode()}")


@log_app.command("verify")
def verify(
    location: Annotated[
        str,
        typer.Argument(metavar="DIR_OR_URL", help="A log directory, or the URL of a log or of a Candor registry."),
    ],
    vkey: Annotated[
        str | None,
        typer.Option(
            "--vkey",
            help="The log's verifier key, or a file holding it; pinned on first use. By default the key pinned "
            "for the log, or on first contact a URL's own vkey file.",
        ),
    ] = None,
    statements: Annotated[
        bool, typer.Option("--statements", help="Also check that every entry is a canonical Candor statement.")
    ] = False,
    state: StateOption = None,
    no_state: NoStateOption = False,
) -> None:
    """Check everything the log serves (fsck), and that it extends the newest checkpoint seen before; exit 0 only
    if it all verifies. Prints the origin, size and root hash to compare with other views of the log.

    Exit codes: 0 verified; 2 the log does not verify or cannot be read; 5 the log misbehaved (another key for a
    pinned log, a rollback or a fork; both checkpoints are saved as evidence).
    """
    from candor.services.log_memory import advance, commit, trust_key
    from candor.services.verification import check_statement_entries

    memory = open_memory(state, no_state)
    public = _public_location(location)
    trusted = trust_key(memory, _log_vkey(memory, public, vkey), source="--vkey" if vkey else "the log's vkey")
    with progress_bar("verifying") as bar:
        report = fsck(public, trusted.verifier, bar)
    checkpoint = report.checkpoint
    fetcher = open_fetcher(public)
    try:
        reader = TileReader(fetcher, checkpoint.size, checkpoint.root)
        advance(memory, trusted.verifier, report.note, lambda _checkpoint: reader)
        checked = check_statement_entries(reader, trusted.verifier) if statements else None
    finally:
        fetcher.close()
    commit(memory, trusted.verifier, report.note)
    announce(memory, trusted)
    root = base64.b64encode(checkpoint.root).decode("ascii")
    kinds = " canonical statement" if statements else ""
    typer.echo(f"ok: {checkpoint.origin} size {checkpoint.size}, {report.entries}{kinds} entries, {report.tiles} tiles")
    typer.echo(f"  root {root}")
    if checked is not None:
        typer.echo(
            f"  {checked.attributed} statements signed by their developer's key as the log shows it, "
            f"{checked.key_events} key events, {checked.observations} watcher observations signed by the log key, "
            f"{checked.bare} statements logged before entries carried signatures"
        )


def _log_vkey(memory: LogMemory, public: str, given: str | None) -> str:
    """The key to check a log with: given, else pinned for its origin, else (first contact) a URL's vkey file."""
    if given is not None:
        return read_vkey(given)
    fetcher = open_fetcher(public)
    try:
        origin = _unverified_checkpoint(fetcher.fetch(CHECKPOINT_NAME)).origin
        pinned = memory.pinned_key(origin)
        if pinned is not None:
            return pinned
        if public.startswith(("http://", "https://")):
            lines = fetcher.fetch("vkey").decode("utf-8", errors="replace").split()
            if lines:
                return lines[-1]
    finally:
        fetcher.close()
    raise CandorError(f"no verifier key is pinned for log {origin}", hint="pass --vkey KEY or FILE")


def _unverified_checkpoint(note: bytes) -> Checkpoint:
    """A checkpoint read WITHOUT checking its signature: only to learn which log it names."""
    return parse_checkpoint(parse_note(note).text, allow_extensions=True)


@log_app.command("prove")
def prove(
    directory: Annotated[Path, typer.Argument(help="The log directory.")],
    index: Annotated[int, typer.Argument(help="The entry's index.")],
) -> None:
    """Print a c2sp.org/tlog-proof for entry INDEX against the latest checkpoint."""
    with LocalLog.open(directory) as log:
        reader = log.reader()
        if not 0 <= index < reader.size:
            raise CandorError(f"entry {index} is not in the published log of size {reader.size}", hint="publish first?")
        hashes = inclusion_proof(reader, index, reader.size)
        note = log.checkpoint_note()
    sys.stdout.write(format_tlog_proof(index, hashes, note))


@log_app.command("check-proof")
def check_proof(
    proof: Annotated[Path, typer.Argument(help="A tlog-proof file.")],
    entry: Annotated[Path, typer.Argument(help="The entry's bytes.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key, or a file holding it.")],
) -> None:
    """Verify a tlog-proof offline: the checkpoint's signature and the entry's inclusion."""
    verifier = parse_verifier_key(read_vkey(vkey))
    proof_bytes = read_input_file(proof, what="tlog-proof", limit=MAX_PROOF_SIZE)
    entry_bytes = read_input_file(entry, what="log entry", limit=MAX_DOCUMENT_BYTES)
    proven = verify_tlog_proof(proof_bytes, entry_bytes, verifier)
    checkpoint = proven.checkpoint
    typer.echo(f"ok: entry {proven.index} is in {checkpoint.origin} at size {checkpoint.size}")


@log_app.command("consistency")
def consistency(
    location: Annotated[
        str, typer.Argument(metavar="DIR_OR_URL", help="A log directory, its public tiles, or an HTTP base URL.")
    ],
    old: Annotated[int, typer.Argument(help="The older tree size.")],
    new: Annotated[int, typer.Argument(help="The newer tree size (at most the latest checkpoint's).")],
    vkey: Annotated[
        str | None, typer.Option("--vkey", help="Check the latest checkpoint's signature with this key first.")
    ] = None,
) -> None:
    """Print the consistency proof from tree size OLD to NEW, one base64 hash a line, computed from the tiles.

    No private key is needed: the proof is read from the tiles of the latest checkpoint (authenticated against
    its root), and whoever uses it checks it against the two signed roots they hold.
    """
    public = _public_location(location)
    fetcher = open_fetcher(public)
    try:
        note = fetcher.fetch(CHECKPOINT_NAME)
        latest = open_checkpoint(note, parse_verifier_key(read_vkey(vkey))) if vkey else _unverified_checkpoint(note)
        if not 0 <= old <= new <= latest.size:
            raise CandorError(f"need 0 <= OLD <= NEW <= {latest.size} (the latest checkpoint), got {old} and {new}")
        hashes = consistency_proof(TileReader(fetcher, latest.size, latest.root), old, new)
    finally:
        fetcher.close()
    for item in hashes:
        typer.echo(base64.b64encode(item).decode("ascii"))


@log_app.command("compare")
def compare(
    checkpoint_a: Annotated[Path, typer.Argument(help="A signed checkpoint (e.g. one kept in a state directory).")],
    checkpoint_b: Annotated[Path, typer.Argument(help="Another signed checkpoint of the same log.")],
    log: Annotated[
        str | None,
        typer.Option("--log", metavar="DIR_OR_URL", help="The log's tiles, to prove consistency between sizes."),
    ] = None,
    vkey: Annotated[
        str | None, typer.Option("--vkey", help="The log's verifier key (default: the key pinned for the log).")
    ] = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = 0,
    state: StateOption = None,
    no_state: NoStateOption = False,
) -> None:
    """Say whether one checkpoint extends the other, and print the consistency proof.

    Two views of one log (yours and a colleague's, or two days of yours) must lie on one history. Exit codes:
    0 one extends the other; 2 bad input or unreadable tiles; 5 a fork: the log signed two conflicting histories.
    """
    from candor.tlog.consistency import SplitViewError, prove_extension

    memory = open_memory(state, no_state)
    notes = [read_input_file(path, what="checkpoint", limit=MAX_NOTE_SIZE) for path in (checkpoint_a, checkpoint_b)]
    origin = _unverified_checkpoint(notes[0]).origin
    offered = read_vkey(vkey) if vkey is not None else memory.pinned_key(origin)
    if offered is None:
        raise CandorError(f"no verifier key is pinned for log {origin}", hint="pass --vkey KEY or FILE")
    verifier = parse_verifier_key(offered)
    trusted_witnesses = witnesses(witness)
    opened = []
    for path, note in zip((checkpoint_a, checkpoint_b), notes, strict=True):
        try:
            checkpoint = open_checkpoint(note, verifier, origin=origin)
            cosigned = check_cosignatures(note, trusted_witnesses, quorum)
        except TlogError as exc:
            raise SourceError(str(path), exc.message) from None
        cosignatures = f", {cosigned} trusted cosignatures" if trusted_witnesses else ""
        typer.echo(f"{path}: {origin} size {checkpoint.size} root {_b64(checkpoint.root)}{cosignatures}")
        opened.append((path, note, checkpoint))
    (old_path, old_note, old), (new_path, new_note, new) = sorted(opened, key=lambda item: item[2].size)
    fetcher = open_fetcher(_public_location(log)) if log is not None and old.size != new.size else None
    try:
        reader = TileReader(fetcher, new.size, new.root) if fetcher is not None else None
        if reader is None and 0 < old.size < new.size:
            raise CandorError(
                f"proving that size {new.size} extends size {old.size} needs the log's tiles", hint="pass --log"
            )
        try:
            proof = prove_extension(reader, old, new)
        except ProofError as exc:
            raise SplitViewError(
                f"FORK: {new_path} does not extend {old_path}: {exc.message}",
                kind="fork",
                older=old_note,
                newer=new_note,
            ) from None
    finally:
        if fetcher is not None:
            fetcher.close()
    if old.size == new.size:
        typer.echo(f"same: both checkpoints are the tree of size {old.size}")
        return
    typer.echo(f"consistent: {new_path} (size {new.size}) extends {old_path} (size {old.size})")
    for item in proof:
        typer.echo(f"  {_b64(item)}")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def register(app: typer.Typer) -> None:
    """Add the ``log`` command group to the root app."""
    app.add_typer(log_app, name="log")
