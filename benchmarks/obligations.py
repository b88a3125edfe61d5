"""Measure what an obligations calendar costs, as the developer's statements grow.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/obligations.py [--repeats N]

Works out the Acme example's calendar (every shipped regime, in 2027) against 0 to 100,000 published system
cards and frameworks, and writes it as iCalendar. Statements are grouped once by kind and model, so the cost
should grow linearly with them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from candor.domain.coverage import report_coverage
from candor.domain.obligations import LoggedStatement, as_of_day, obligations_calendar
from candor.domain.obligations_ical import calendar_ics
from candor.domain.regimes import load_regimes
from candor.services.coverage import read_facts
from candor.testing import EXAMPLES as REPOSITORY_EXAMPLES

EXAMPLES = REPOSITORY_EXAMPLES / "acme-ai"


def statements(count: int) -> list[LoggedStatement]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    kinds = [("system-card", "Acme-3"), ("system-card", "Acme-3.5"), ("secure-development-framework", None)]
    return [
        LoggedStatement(
            id=f"s{n}",
            kind=kinds[n % 3][0],
            series=kinds[n % 3][1],
            version=f"{n}.0",
            published_at=start + timedelta(minutes=n),
            where=f"log index {n}",
            log_index=n,
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    facts = read_facts(EXAMPLES / "facts.yaml")
    regimes = load_regimes()
    day = date(2027, 2, 1)
    report = report_coverage(facts, list(regimes.values()), day)
    print(f"{'statements':>10} {'entries':>7} {'calendar ms':>12} {'ical ms':>8}")
    for count in (0, 1_000, 10_000, 100_000):
        published = statements(count)
        timings, ical = [], []
        for _ in range(args.repeats):
            began = time.perf_counter()
            calendar = obligations_calendar(facts, report, regimes, published, as_of_day(day))
            middle = time.perf_counter()
            calendar_ics(calendar, stamp=as_of_day(day))
            ical.append(time.perf_counter() - middle)
            timings.append(middle - began)
        print(
            f"{count:>10} {len(calendar.entries):>7} {statistics.median(timings) * 1000:>12.2f}"
            f" {statistics.median(ical) * 1000:>8.2f}"
        )


if __name__ == "__main__":
    main()
