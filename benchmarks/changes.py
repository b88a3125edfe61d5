"""Measure the stored diffs behind the Changes page: computing them once per version, then reading them.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/changes.py [--repeats N]

Seeds the demo registry (SQLite, in a temporary directory), then times: the first fill, which diffs every
published version against the one before it; a refresh when nothing is due, which every page view pays; one page of
the timeline, unfiltered and filtered by kind; one version's stored diff. The ceiling is the machine's own cost of
one trivial query through the same session factory, so "refresh when nothing is due / trivial query" says how much
a page view pays beyond touching the database at all.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from candor.cli.demo import seed_registry
from candor.services.version_diffs import ChangeFilters, VersionDiffs
from candor.store.database import create_database_engine, session_factory

REPO = Path(__file__).resolve().parents[1]


def median_of(repeats: int, work: Callable[[], Any]) -> float:
    """The median of ``repeats`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings, seeded = seed_registry(REPO / "examples", Path(folder) / "demo")
        engine = create_database_engine(settings.database_url)
        sessions = session_factory(engine)
        try:
            diffs = VersionDiffs(sessions)
            start = time.perf_counter()
            computed = diffs.refresh()
            fill = time.perf_counter() - start

            def trivial() -> None:
                with sessions() as session:
                    session.execute(text("SELECT 1")).scalar_one()

            ceiling = median_of(args.repeats, trivial)
            idle = median_of(args.repeats, diffs.refresh)
            page = median_of(args.repeats, lambda: diffs.timeline(ChangeFilters(), number=1, size=50))
            kind = median_of(
                args.repeats, lambda: diffs.timeline(ChangeFilters(kind="escape_clause_added"), number=1, size=50)
            )
            one = median_of(args.repeats, lambda: diffs.of(seeded[-1].entry.log_index))
        finally:
            engine.dispose()
    print(f"statements seeded: {len(seeded)}; versions diffed: {computed}")
    print(f"first fill:               {fill:.3f} s ({fill / computed * 1000:.1f} ms per version, once)")
    print(f"trivial query (ceiling):  {ceiling * 1000:.2f} ms (median of {args.repeats})")
    print(f"refresh, nothing due:     {idle * 1000:.2f} ms = {idle / ceiling:.1f} x ceiling")
    print(f"timeline page of 50:      {page * 1000:.2f} ms = {page / ceiling:.1f} x ceiling")
    print(f"timeline filtered (kind): {kind * 1000:.2f} ms = {kind / ceiling:.1f} x ceiling")
    print(f"one version's diff:       {one * 1000:.2f} ms = {one / ceiling:.1f} x ceiling")
    print(f"one diff computed / read: {fill / computed / one:.1f}")


if __name__ == "__main__":
    main()
