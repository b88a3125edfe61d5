"""Back up and restore a registry as one consistent whole: its database, log key, checkpoint history and tiles.

A backup is a directory laid out like a data directory, plus ``candor-backup.json`` written last (a backup without
it was interrupted and is refused). The database snapshot, the log key and the checkpoint history are taken while
holding the log's append lock, so nothing is sequenced or signed in between and the history never gets ahead of the
database snapshot; the tiles and the rest of the data directory are copied afterwards, and so hold at least every
tree the history remembers. SQLite is copied with its online backup API. PostgreSQL is not dumped here: the
operator runs ``pg_dump`` right *after* ``candor backup`` (the database must never be older than the history).

A restore refuses what would make the log sign a fork:

* a backup of another log (another key), or one whose database does not hold its own newest checkpoint;
* a backup older than the checkpoint history already in the data directory: the log has signed and served
  checkpoints the backup knows nothing of. ``--discard-newer-checkpoints`` overrides this, keeping the newer
  history aside as ``checkpoint-history.discarded-<time>``: the log then signs trees that contradict what it
  served, and every monitor and witness that saw the discarded checkpoints holds proof of a fork.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from candor.config import SQLITE_FILE_NAME, Settings, sqlite_url
from candor.errors import CandorError
from candor.services.integration import LogRefusesError, prove_database_holds
from candor.store.database import create_database_engine, session_factory
from candor.store.integrator_lease import SQLITE_LEASE_SUFFIX
from candor.store.log_entries import latest_checkpoint, log_append_lock, log_size
from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.history import (
    HISTORY_FILE,
    CheckpointHistory,
    RefusedToSignError,
    describe_signed,
    prove_extends,
)
from candor.tlog.local_log import KEY_FILE, PUBLIC_DIR, VKEY_FILE
from candor.tlog.note import Verifier, parse_signer_key
from candor.tlog.sequencer import SignedHead
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import CHECKPOINT_NAME, write_atomic

MANIFEST = "candor-backup.json"
FORMAT = "candor-backup/1"
#: Copied while the append lock is held, with the database snapshot: together they say what the log signed.
_WITH_THE_DATABASE = (KEY_FILE, VKEY_FILE, HISTORY_FILE)
#: Never copied: the live database (copied through SQLite's backup API instead) and lock files.
_NOT_COPIED = {
    *(SQLITE_FILE_NAME + suffix for suffix in ("", "-wal", "-shm", "-journal")),
    "checkpoint.lock",
    "publish.lock",
    SQLITE_FILE_NAME + SQLITE_LEASE_SUFFIX,
    MANIFEST,
}


class BackupError(CandorError):
    """A backup that cannot be made or read."""


class RestoreRefusedError(BackupError):
    """A restore that would roll the log back behind a checkpoint it signed, or mix two logs."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds: the database's newest checkpoint and size, and the history's newest checkpoint."""

    destination: Path
    database_included: bool
    database_size: int
    database_checkpoint: SignedHead | None
    history_checkpoint: SignedHead | None


@dataclass(frozen=True)
class RestoreReport:
    """What a restore put in place, and the history it set aside (only with ``--discard-newer-checkpoints``)."""

    newest_checkpoint: SignedHead | None
    database_restored: bool
    discarded_history: Path | None


def back_up(settings: Settings, destination: Path) -> BackupReport:
    """Copy the registry of ``settings`` into the new directory ``destination``, consistently (see the module)."""
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination}: exists and is not an empty directory; a backup never overwrites one")
    data_dir = settings.data_dir
    if destination.resolve().is_relative_to(data_dir.resolve()):
        raise BackupError(f"{destination}: is inside the data directory {data_dir}; put the backup elsewhere")
    key_path = settings.log_key
    if not key_path.is_file():
        raise BackupError(
            f"{key_path}: missing, so {data_dir} holds no registry log", hint="check --data-dir and log_key_file"
        )
    destination.mkdir(parents=True, exist_ok=True)
    engine = create_database_engine(settings.database_url)
    try:
        with session_factory(engine).begin() as session, log_append_lock(session):
            size = log_size(session)
            latest = latest_checkpoint(session)
            checkpoint = None if latest is None else SignedHead(latest.size, latest.root_hash, latest.note)
            if settings.uses_sqlite:
                _sqlite_copy(_sqlite_path(settings.database_url), destination / SQLITE_FILE_NAME)
            for name in _WITH_THE_DATABASE:
                # The log key is kept in the backup as log.key, wherever log_key_file puts it on the server.
                origin = key_path if name == KEY_FILE else data_dir / name
                if origin.is_file():
                    shutil.copy2(origin, destination / name)
    finally:
        engine.dispose()
    # After the snapshot: the tiles then hold every tree the copied history remembers, and perhaps more.
    for item in sorted(data_dir.iterdir()):
        if item.name in _NOT_COPIED or item.name in _WITH_THE_DATABASE or item.name.startswith("."):
            continue
        if item.is_dir():
            shutil.copytree(item, destination / item.name, ignore=shutil.ignore_patterns(".tmp-*"))
        else:
            shutil.copy2(item, destination / item.name)
    history = CheckpointHistory(destination / HISTORY_FILE, _verifier(destination)).latest()
    served = max((head for head in (checkpoint, history) if head is not None), key=lambda head: head.size, default=None)
    if served is not None:
        # The served checkpoint was copied with the tiles, after the snapshot, and may name a tree the snapshot
        # lacks; a restored registry must serve only what its database and history hold.
        write_atomic(destination / PUBLIC_DIR / CHECKPOINT_NAME, served.note.encode())
    os.sync()  # everything above durable before the manifest says the backup is whole
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "sqlite" if settings.uses_sqlite else "postgresql (not included: run pg_dump now)",
        "database_size": size,
        "database_checkpoint": None if checkpoint is None else describe_signed(checkpoint),
        "history_checkpoint": None if history is None else describe_signed(history),
    }
    write_atomic(destination / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    return BackupReport(destination, settings.uses_sqlite, size, checkpoint, history)


def restore(settings: Settings, source: Path, *, discard_newer_checkpoints: bool = False) -> RestoreReport:
    """Put the backup in ``source`` in place of the registry of ``settings``, unless that would fork the log.

    The server must be stopped. On SQLite the database is restored from the backup; on PostgreSQL the operator
    restores it first (pg_restore), and this checks that it holds what the log signed.
    """
    _read_manifest(source)
    verifier = _verifier(source)
    data_dir = settings.data_dir
    _same_log(settings.log_key, verifier)
    backed_up = CheckpointHistory(source / HISTORY_FILE, verifier).latest()
    current = _remembered_here(settings, verifier)
    newest, discard = _newest_remembered(source, verifier.name, backed_up, current, discard_newer_checkpoints)
    staged = None
    if settings.uses_sqlite:
        if not (source / SQLITE_FILE_NAME).is_file():
            raise BackupError(f"{source}: holds no SQLite database ({SQLITE_FILE_NAME})", hint="a PostgreSQL backup?")
        target = _sqlite_path(settings.database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.restoring")
        _sqlite_copy(source / SQLITE_FILE_NAME, staged)
        checked_url = sqlite_url(staged)
    else:
        checked_url = settings.database_url
    try:
        if newest is not None:
            _database_holds(checked_url, newest, source, verifier.name, settings.uses_sqlite)
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    discarded = _put_in_place(source, data_dir, discard, settings.log_key)
    if staged is not None:
        target = _sqlite_path(settings.database_url)
        for suffix in ("-wal", "-shm", "-journal"):
            # A stale write-ahead log would be replayed into the restored database.
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(staged, target)
    os.sync()
    return RestoreReport(newest, staged is not None, discarded)


def _remembered_here(settings: Settings, verifier: Verifier) -> SignedHead | None:
    """The newest checkpoint the registry in place has signed: from its history or its SQLite database, the larger.

    The database counts too: a registry from before the history existed, or a history deleted by hand, must not
    let a restore roll back the database behind what it signed. (On PostgreSQL the database in place is the one
    the operator has just restored, so only the history speaks for the past.)
    """
    remembered = CheckpointHistory(settings.data_dir / HISTORY_FILE, verifier).latest()
    if not settings.uses_sqlite or not _sqlite_path(settings.database_url).is_file():
        return remembered
    engine = create_database_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            latest = latest_checkpoint(session)
    except SQLAlchemyError:
        return remembered  # not a registry database (yet): nothing it signed to protect
    finally:
        engine.dispose()
    if latest is None or (remembered is not None and remembered.size >= latest.size):
        return remembered
    try:
        open_checkpoint(latest.note.encode(), verifier)
    except TlogError:
        return remembered  # signed by another key: _same_log has judged the key already
    return SignedHead(latest.size, latest.root_hash, latest.note)


def _newest_remembered(
    source: Path, origin: str, backed_up: SignedHead | None, current: SignedHead | None, discard: bool
) -> tuple[SignedHead | None, bool]:
    """The newest checkpoint the restored log must hold, and whether the data directory's history is set aside."""
    if current is None:
        return backed_up, False
    if backed_up is None or current.size > backed_up.size:
        if discard:
            return backed_up, True
        backup = "no checkpoint" if backed_up is None else describe_signed(backed_up)
        raise RestoreRefusedError(
            f"restore refused: the registry here has signed {describe_signed(current)}, and served it, "
            f"but the backup's newest checkpoint is {backup}; restoring it would roll the log back, and the log would "
            "then sign different trees for sizes it has already signed",
            hint="restore a newer backup (one taken after that checkpoint); --discard-newer-checkpoints forces it, "
            "and every monitor that saw the newer checkpoints will then hold proof of a fork (docs/operations.md)",
        )
    tiles = TileReader(DirectoryFetcher(source / PUBLIC_DIR), backed_up.size, backed_up.root)
    try:
        new = Checkpoint(origin, backed_up.size, backed_up.root)
        prove_extends(current, "the checkpoint history here", new, "the backup's newest checkpoint", tiles)
    except RefusedToSignError as exc:
        raise RestoreRefusedError(f"restore refused: {exc.message}", hint="this backup is of another history") from None
    return backed_up, False


def _database_holds(url: str, newest: SignedHead, source: Path, origin: str, restored: bool) -> None:
    engine = create_database_engine(url)
    try:
        with session_factory(engine)() as session:
            where = "the backup's checkpoint history" if restored else "the checkpoint history to restore"
            prove_database_holds(session, newest, where, source / PUBLIC_DIR, origin)
    except LogRefusesError as exc:
        hint = (
            "this backup's database is older than its own checkpoint history; take backups with `candor backup`"
            if restored
            else "restore the PostgreSQL database first (pg_restore), from a dump taken after this backup"
        )
        raise RestoreRefusedError(f"restore refused: {exc.message}", hint=hint) from None
    finally:
        engine.dispose()


def _put_in_place(source: Path, data_dir: Path, discard: bool, key_path: Path) -> Path | None:
    """Replace the data directory's log files (and everything else the backup holds) with the backup's.

    The log key goes to ``key_path`` (``log_key_file``); one already there is the same log's (see :func:`_same_log`).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    discarded = None
    if discard:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if (data_dir / HISTORY_FILE).exists():
            discarded = data_dir / f"{HISTORY_FILE}.discarded-{stamp}"
            os.replace(data_dir / HISTORY_FILE, discarded)
    for item in sorted(source.iterdir()):
        if item.name in _NOT_COPIED:
            continue
        if item.name == KEY_FILE:
            # A key already there is this log's (checked before) unless it was unreadable: then it is replaced.
            if not key_path.is_file() or key_path.read_bytes() != item.read_bytes():
                key_path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, key_path)
            continue
        target = data_dir / item.name
        if item.is_dir():
            if target.exists():
                # Tiles beyond the backup's trees were signed only in the history just refused or set aside.
                shutil.rmtree(target)
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    return discarded


def _same_log(key_path: Path, verifier: Verifier) -> None:
    if not key_path.is_file():
        return
    try:
        here = parse_signer_key(key_path.read_text("utf-8")).verifier()
    except (OSError, TlogError):
        return  # an unreadable key is what a restore is for
    if here.vkey() != verifier.vkey():
        raise RestoreRefusedError(
            f"restore refused: the log key here is {here.name}+{here.key_id:08x}, the backup's is "
            f"{verifier.name}+{verifier.key_id:08x}: the backup is of another log",
            hint="restore it into an empty data directory, or pick this log's own backup",
        )


def _verifier(directory: Path) -> Verifier:
    try:
        return parse_signer_key((directory / KEY_FILE).read_text("utf-8")).verifier()
    except OSError as exc:
        raise BackupError(f"{directory / KEY_FILE}: cannot be read: {exc.strerror}") from None
    except TlogError as exc:
        raise BackupError(f"{directory / KEY_FILE}: not a log signer key: {exc.message}") from None


def _read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{source}: not a complete Candor backup (no {MANIFEST})", hint="a backup interrupted before its end"
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format is not {FORMAT}")
    return manifest


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError(f"database URL {url!r} names no SQLite file")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database, through SQLite's online backup API."""
    try:
        origin = sqlite3.connect(source)
        try:
            copy = sqlite3.connect(target)
            try:
                origin.backup(copy)
            finally:
                copy.close()
        finally:
            origin.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot copy the SQLite database: {exc}") from None
