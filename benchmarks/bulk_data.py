"""Measure the bulk data files and the whole-registry export at two sizes, to show that their cost is linear.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/bulk_data.py [--statements 1000] [--factor 4] [--repeat 3]

For each of ``statements`` and ``statements * factor``, a fresh SQLite registry is filled through the real store
(each statement signed with a real Ed25519 key, logged as a signed envelope with its document) and the registry
log integrates it into tiles and signs a checkpoint. Then, each ``repeat`` times, the median of:

- ``statements.jsonl``: every row produced and encoded, as ``/data/statements.jsonl`` streams it, with the peak
  memory traced while it is made (it should stay flat as the registry grows);
- the ceiling for the same rows: one plain SELECT of the same columns, all at once, with no encoding;
- ``candor export --data-dir`` into a fresh directory, and ``candor verify --export`` of it.

Each figure is printed per statement, with the ratio of the large registry's cost to the small one's (linear cost:
about 1) and, for the file, its ratio to the SELECT ceiling.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from candor.domain.developer_keys import public_key_raw  # noqa: E402
from candor.domain.log_entry import signed_entry  # noqa: E402
from candor.domain.statement import Statement, StatementKind, sign_statement  # noqa: E402
from candor.services.bulk_data import DATASETS, BulkData, encoded  # noqa: E402
from candor.services.export_verification import verify_export  # noqa: E402
from candor.services.integration import RegistryLog  # noqa: E402
from candor.services.queries import RegistryQueries  # noqa: E402
from candor.services.registry_export import DataDirectorySource, export_registry  # noqa: E402
from candor.store.database import create_database_engine, session_factory  # noqa: E402
from candor.store.developers import Developers  # noqa: E402
from candor.store.documents import Documents  # noqa: E402
from candor.store.log_entries import append_log_entry, log_append_lock  # noqa: E402
from candor.store.schema import upgrade_database  # noqa: E402
from candor.store.statements import Statements  # noqa: E402

DEVELOPERS = 20
ORIGIN = "bench.example/log"


def _fill(sessions: sessionmaker[Session], count: int) -> None:
    keys = {}
    with sessions.begin() as session:
        developers = Developers(session)
        for index in range(DEVELOPERS):
            key = Ed25519PrivateKey.generate()
            name = hashlib.sha256(f"developer {index}".encode()).hexdigest()[:10]  # far apart: no lookalikes
            developer = developers.add(f"dev-{index}", legal_name=f"Lab {name} Ltd", website_domain=f"{name}.example")
            developers.add_key(developer, key.public_key())
            keys[developer.slug] = key
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(0, count, 500):
        with sessions.begin() as session, log_append_lock(session):
            developers = Developers(session)
            for index in range(first, min(count, first + 500)):
                slug = f"dev-{index % DEVELOPERS}"
                version = index // DEVELOPERS + 1
                document = f"---\nversion: {version}\n---\n# Framework {index}\n\nText of document {index}.\n"
                stored = Documents(session).put(document.encode())
                statement = Statement(
                    developer=slug,
                    kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
                    version=str(version),
                    document_sha256=stored.sha256,
                    supersedes=str(version - 1) if version > 1 else None,
                    issued_at=start + timedelta(minutes=index),
                )
                signature = sign_statement(statement, keys[slug])
                developer = developers.get(slug)
                registered = developer.keys[0]
                entry = append_log_entry(
                    session,
                    signed_entry(statement.canonical_bytes(), signature, public_key_raw(keys[slug].public_key())),
                )
                Statements(session).add(
                    statement,
                    signature=signature,
                    developer=developer,
                    key=registered,
                    log_entry=entry,
                    document=stored,
                )


def _median(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(work: Path, count: int, repeat: int) -> dict[str, float]:
    data_dir = work / f"registry-{count}"
    data_dir.mkdir()
    engine = create_database_engine(f"sqlite:///{data_dir / 'candor.sqlite3'}")
    upgrade_database(engine)
    sessions = session_factory(engine)
    _fill(sessions, count)
    RegistryLog(sessions, data_dir, ORIGIN).integrate()
    bulk = BulkData(sessions, RegistryQueries(sessions, data_dir / "log", data_dir / "facts"))
    dataset = DATASETS["statements"]

    def stream() -> int:
        return sum(len(chunk) for chunk in encoded(dataset, "jsonl", bulk.rows("statements")))

    def ceiling() -> int:
        with engine.connect() as connection:
            return len(connection.execute(text("SELECT * FROM statements")).all())

    tracemalloc.start()
    stream()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = {"file": _median(repeat, stream), "ceiling": _median(repeat, ceiling), "peak": float(peak)}
    target = work / f"export-{count}"

    def export() -> None:
        shutil.rmtree(target, ignore_errors=True)
        source = DataDirectorySource(data_dir, sessions)
        try:
            export_registry(source, target)
        finally:
            source.close()

    figures["export"] = _median(repeat, export)
    figures["verify"] = _median(repeat, lambda: verify_export(target))
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    small, large = args.statements, args.statements * args.factor
    with tempfile.TemporaryDirectory() as work:
        figures = {count: _measure(Path(work), count, args.repeat) for count in (small, large)}
    for name, label in (
        ("file", "statements.jsonl, streamed"),
        ("ceiling", "SELECT of the same rows"),
        ("export", "candor export --data-dir"),
        ("verify", "candor verify --export"),
    ):
        per = [figures[count][name] / count * 1e6 for count in (small, large)]
        print(
            f"{label:>28}: {per[0]:8.1f} µs/statement at {small:,}, {per[1]:8.1f} at {large:,}; "
            f"large/small per statement {per[1] / per[0]:.2f}"
        )
    for count in (small, large):
        ratio = figures[count]["file"] / figures[count]["ceiling"]
        print(
            f"statements.jsonl at {count:,}: {ratio:.1f}x the SELECT ceiling; peak traced memory "
            f"{figures[count]['peak'] / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
