"""``candor log``: run a standalone transparency log and verify any tiled log.

The command names are a public interface (tests outside this repository use them): init, vkey, add,
publish, verify, prove, check-proof, consistency.
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

from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import CandorError, SourceError
from candor.services.files import read_input_file, read_key_file
from candor.tlog.fsck import fsck
from candor.tlog.log import LocalLog
from candor.tlog.merkle import consistency_proof, inclusion_proof
from candor.tlog.note import parse_verifier_key
from candor.tlog.proof import MAX_PROOF_SIZE, format_tlog_proof, verify_tlog_proof
from candor.tlog.tilecheck import logger as tilecheck_logger
from candor.tlog.tiles import MAX_ENTRY_SIZE, EntryTooLargeError

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


def _read_vkey(value: str) -> str:
    """A verifier key given inline, or the path of a file holding one."""
    if "+" in value and not Path(value).exists():
        return value
    return read_key_file(Path(value), what="verifier key file").decode("utf-8", errors="replace").strip()


def _public_location(location: str) -> str:
    """A log directory's public part: the directory itself, or its one subfolder that holds a checkpoint."""
    if location.startswith(("http://", "https://")):
        return location
    directory = Path(location)
    if (directory / "checkpoint").is_file():
        return location
    candidates = sorted(path.parent for path in directory.glob("*/checkpoint") if path.is_file())
    if len(candidates) == 1:
        return str(candidates[0])
    if not directory.is_dir():
        raise SourceError(location, "no such directory")
    raise SourceError(location, "holds no checkpoint (nor does exactly one of its subfolders)")


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
    location: Annotated[str, typer.Argument(metavar="DIR_OR_URL", help="A log directory or an HTTP base URL.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key, or a file holding it.")],
) -> None:
    """Check everything the log serves (fsck); exit 0 only if it all verifies."""
    verifier = parse_verifier_key(_read_vkey(vkey))
    with progress_bar("verifying") as bar:
        report = fsck(_public_location(location), verifier, bar)
    checkpoint = report.checkpoint
    typer.echo(f"ok: {checkpoint.origin} size {checkpoint.size}, {report.entries} entries, {report.tiles} tiles")


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
    verifier = parse_verifier_key(_read_vkey(vkey))
    proof_bytes = read_input_file(proof, what="tlog-proof", limit=MAX_PROOF_SIZE)
    entry_bytes = read_input_file(entry, what="log entry", limit=MAX_DOCUMENT_BYTES)
    proven = verify_tlog_proof(proof_bytes, entry_bytes, verifier)
    checkpoint = proven.checkpoint
    typer.echo(f"ok: entry {proven.index} is in {checkpoint.origin} at size {checkpoint.size}")


@log_app.command("consistency")
def consistency(
    directory: Annotated[Path, typer.Argument(help="The log directory.")],
    old: Annotated[int, typer.Argument(help="The older tree size.")],
    new: Annotated[int, typer.Argument(help="The newer tree size (at most the latest checkpoint's).")],
) -> None:
    """Print the consistency proof from tree size OLD to NEW, one base64 hash a line."""
    with LocalLog.open(directory) as log:
        reader = log.reader()
        if not 0 <= old <= new <= reader.size:
            raise CandorError(f"need 0 <= OLD <= NEW <= {reader.size} (the latest checkpoint), got {old} and {new}")
        hashes = consistency_proof(reader, old, new)
    for item in hashes:
        typer.echo(base64.b64encode(item).decode("ascii"))


def register(app: typer.Typer) -> None:
    """Add the ``log`` command group to the root app."""
    app.add_typer(log_app, name="log")
