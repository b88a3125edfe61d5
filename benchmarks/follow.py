"""Measure what a following app server pays to serve the log: catching up from an empty data directory.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/follow.py [--entries 20000] [--postgres URL]

A log of ``entries`` entries (1 KiB each, a checkpoint every 256, as the integrator signs them) is signed by one
:class:`~candor.services.integration.RegistryLog`; then new followers, each with an empty data directory, catch up
(:meth:`~candor.services.integration.RegistryLog.follow`): read every entry, write every tile, check the root. The
ceiling, in the same run, is hashing the same entries' leaves in memory (SHA-256, no database, no files).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from candor.config import sqlite_url
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.schema import upgrade_database
from candor.tlog.merkle import MemoryTree, leaf_hash
from candor.tlog.note import generate_key

ORIGIN = "bench.example/log"
BATCH = 256
ROUNDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose (empty) schema to use instead of SQLite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="candor-follow-"))
    engine = create_database_engine(args.postgres or sqlite_url(work / "candor.sqlite3"))
    upgrade_database(engine)
    sessions = session_factory(engine)
    key_file = work / "log.key"
    key_file.write_text(generate_key(ORIGIN)[0] + "\n")
    signer = RegistryLog(sessions, work / "signer", ORIGIN, key_file=key_file)
    signer.integrate()
    entries = [(b"entry %d " % index).ljust(1024, b".") for index in range(args.entries)]
    signing = 0.0
    for first in range(0, len(entries), BATCH):
        with sessions.begin() as session, log_append_lock(session):
            for entry in entries[first : first + BATCH]:
                append_log_entry(session, entry)
        started = time.perf_counter()
        signer.integrate()
        signing += time.perf_counter() - started

    ceilings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        tree = MemoryTree()
        tree.extend(leaf_hash(entry) for entry in entries)
        tree.root()
        ceilings.append(time.perf_counter() - started)
    catch_ups = []
    for round_ in range(ROUNDS):
        follower = RegistryLog(sessions, work / f"follower-{round_}", ORIGIN, key_file=key_file)
        started = time.perf_counter()
        assert follower.follow() == args.entries
        catch_ups.append(time.perf_counter() - started)
    ceiling, catch_up = statistics.median(ceilings), statistics.median(catch_ups)
    count = args.entries
    print(f"{count} entries of 1 KiB, a checkpoint every {BATCH}, on {engine.dialect.name}")
    print(f"the signer integrating them as they came (tile, sign, record): {count / signing:9.0f} entries/s")
    print(f"a new follower catching up (median of {ROUNDS}):                 {count / catch_up:9.0f} entries/s")
    print(f"ceiling, leaf hashes and root in memory (median):              {count / ceiling:9.0f} entries/s")
    print(f"catch-up at {ceiling / catch_up:.1%} of the ceiling ({catch_up / ceiling:.1f}x its time)")
    engine.dispose()


if __name__ == "__main__":
    main()
