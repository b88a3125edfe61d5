"""Measure what the log's memory of its checkpoints costs: the history append, the checks, the proof at start-up.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/log_memory.py [--entries N] [--lines L]

* ``CheckpointHistory.append``: one line, written and fsynced (paid once per signed checkpoint);
* ``CheckpointHistory.latest`` on a history of ``L`` lines (it reads only the file's tail);
* ``RegistryLog.check_sequencing``: what every publish now pays inside the append lock;
* ``prove_database_holds`` over ``N`` SQLite entries, both ways: from the tiles (the usual start-up) and by hashing
  the database's leaf hashes (a new data directory, or a crash between the history and the database commit).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from candor.config import sqlite_url
from candor.services.integration import RegistryLog, prove_database_holds
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.schema import upgrade_database
from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.history import HISTORY_FILE, CheckpointHistory
from candor.tlog.merkle import EMPTY_TREE_HASH
from candor.tlog.note import generate_key, parse_signer_key

ORIGIN = "bench.example/log"
ENTRY = b'{"developer":"bench","kind":"system-card","padding":"' + b"x" * 300 + b'"}'


def _figure(label: str, seconds: list[float]) -> None:
    median = statistics.median(seconds)
    print(f"{label:<58} median {median * 1e6:9.1f} us   max {max(seconds) * 1e6:9.1f} us   ({len(seconds)} runs)")


def history_costs(directory: Path, lines: int) -> None:
    signer = parse_signer_key(generate_key(ORIGIN)[0])
    history = CheckpointHistory(directory / HISTORY_FILE, signer.verifier())
    note = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_TREE_HASH), signer)
    appends = []
    for _ in range(lines):
        started = time.perf_counter()
        history.append(note)
        appends.append(time.perf_counter() - started)
    _figure("history append (write + fsync)", appends)
    reads = []
    for _ in range(200):
        started = time.perf_counter()
        history.latest()
        reads.append(time.perf_counter() - started)
    _figure(f"history latest() on {lines} lines", reads)


def registry_costs(directory: Path, entries: int) -> None:
    engine = create_database_engine(sqlite_url(directory / "candor.sqlite3"))
    upgrade_database(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session, log_append_lock(session):
        for _ in range(entries):
            append_log_entry(session, ENTRY)
    log = RegistryLog(sessions, directory / "data", ORIGIN)
    started = time.perf_counter()
    log.integrate()
    print(
        f"first integration of {entries} entries (tiles, sign, remember)        {time.perf_counter() - started:9.2f} s"
    )
    checks = []
    for _ in range(200):
        with sessions.begin() as session, log_append_lock(session):
            started = time.perf_counter()
            log.check_sequencing(session)
            checks.append(time.perf_counter() - started)
    _figure("check_sequencing per publish (SQLite)", checks)
    remembered = log.history.latest()
    assert remembered is not None
    where = "the history"
    for label, public in (("from the tiles", log.public), ("by hashing the database", directory / "no-tiles")):
        with sessions() as session:
            started = time.perf_counter()
            prove_database_holds(session, remembered, where, public, ORIGIN)
            elapsed = time.perf_counter() - started
        print(f"prove the database holds size {entries} {label:<24}      {elapsed * 1e3:9.1f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        history_costs(Path(scratch), options.lines)
        registry_costs(Path(scratch), options.entries)


if __name__ == "__main__":
    main()
