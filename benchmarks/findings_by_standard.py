"""Measure what showing findings under every applicable standard costs the registry per document.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/findings_by_standard.py [--repeats N]

The registry recomputes findings from the signed bytes (hash check, parse, every applicable pack) the first time a
document is shown under a pack version, and serves them from an in-memory memo after that. This times both, for
the example framework and system card held to every shipped pack (the Acme example's facts, in 2027, bring
SB 53, New York and the EU Code of Practice on top of the minimum standard).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from datetime import date

from candor.domain.coverage import report_coverage
from candor.domain.regimes import load_regimes
from candor.services.coverage import read_facts
from candor.services.findings import FindingsByStandard
from candor.testing import EXAMPLES as REPOSITORY_EXAMPLES

EXAMPLES = REPOSITORY_EXAMPLES / "acme-ai"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    as_of = date(2027, 1, 1)
    report = report_coverage(read_facts(EXAMPLES / "facts.yaml"), list(load_regimes().values()), as_of)
    for name in ("sdf-v2.md", "system-card-acme-3-5.md"):
        raw = (EXAMPLES / name).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        cold, warm = [], []
        for _ in range(args.repeats):
            checker = FindingsByStandard()
            applied = checker.applicable(report, as_of)
            started = time.perf_counter()
            groups = checker.check(name, digest, raw, applied)
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            checker.check(name, digest, raw, applied)
            warm.append(time.perf_counter() - started)
        packs = ", ".join(group.standard_id for group in groups)
        print(f"{name} ({len(raw):,} bytes) under {len(groups)} packs ({packs}):")
        print(f"  first showing (hash, parse, every pack): median {statistics.median(cold) * 1000:.2f} ms")
        print(f"  from the memo (hash check only):          median {statistics.median(warm) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
