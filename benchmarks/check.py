"""Measure ``candor check``'s work: reading, parsing and checking disclosures against a standard.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/check.py [--standard ID] [--repeats N]

Two workloads, each timed end to end through the check service (read the file, decode, parse the front matter,
validate the model, run every rule), in this one process, on one core:

- one Secure Development Framework of about 1 MiB: the example framework with its risk domains repeated as
  ``other:`` domains until the file reaches the size (front matter is the expensive part, so the document is
  all front matter rather than padded prose);
- 1,000 small documents: the example system cards and certification, cycled.

Targets from issue 2: under 0.3 s for the 1 MiB document, under 3 s for the 1,000 documents.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from candor.domain.parse import parse_bytes
from candor.domain.standards import StandardCatalogue
from candor.services.checking import check_files
from candor.testing import EXAMPLES as REPOSITORY_EXAMPLES

EXAMPLES = REPOSITORY_EXAMPLES / "acme-ai"
MIB = 1024 * 1024
SMALL_EXAMPLES = ("certification-2026.md", "system-card-acme-3.md", "system-card-acme-3-5.md")


def large_framework(target_bytes: int) -> bytes:
    """The v2 example framework grown to about ``target_bytes`` with renamed copies of its risk domains."""
    original = parse_bytes("sdf-v2.md", (EXAMPLES / "sdf-v2.md").read_bytes())
    front: dict[str, Any] = copy.deepcopy(original.front_matter.value)
    templates = list(front["risk_domains"])
    copies = 0
    while True:
        text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + original.body
        if len(text.encode()) >= target_bytes:
            return text.encode()
        # Add a batch at a time: re-serialising after every single domain would make building quadratic.
        for _ in range(20):
            copies += 1
            front["risk_domains"].append(_renamed(templates[copies % len(templates)], f"synthetic-{copies}"))


def _renamed(domain: dict[str, Any], slug: str) -> dict[str, Any]:
    """A copy of ``domain`` as ``other:<slug>``, with every id inside made unique by the slug."""
    renamed = copy.deepcopy(domain)
    renamed["id"] = f"other:{slug}"
    for part in ("thresholds", "evaluations", "mitigations", "responses"):
        for entry in renamed.get(part, []):
            entry["id"] = f"{slug}.{entry['id']}"
    for evaluation in renamed.get("evaluations", []):
        evaluation["thresholds"] = [f"{slug}.{ref}" for ref in evaluation.get("thresholds", [])]
    for response in renamed.get("responses", []):
        if response.get("threshold"):
            response["threshold"] = f"{slug}.{response['threshold']}"
    return renamed


def median_seconds(work: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``work``; CPU time shows the cost on a machine shared with others."""
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--standard", default="ca-sb53-2026", help="the standard to apply (default: the largest)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per workload; the median is printed")
    args = parser.parse_args()
    standard = StandardCatalogue.bundled().load(args.standard)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        large = root / "large-sdf.md"
        large.write_bytes(large_framework(MIB))
        large_bytes = large.stat().st_size
        small = []
        for index in range(1000):
            name = SMALL_EXAMPLES[index % len(SMALL_EXAMPLES)]
            path = root / f"{index:04d}-{name}"
            path.write_bytes((EXAMPLES / name).read_bytes())
            small.append(path)

        large_report = check_files([large], standard)
        assert not large_report.unreadable, large_report.unreadable
        large_time = median_seconds(lambda: check_files([large], standard), args.repeats)
        small_time = median_seconds(lambda: check_files(small, standard), args.repeats)
        small_bytes = sum(path.stat().st_size for path in small)

    print(f"standard: {standard.id} ({len(standard.rules)} rules); median of {args.repeats} runs, one process")
    print(
        f"1 MiB framework ({large_bytes:,} bytes, "
        f"{len(large_report.findings)} findings): {large_time[0]:.3f} s wall, {large_time[1]:.3f} s CPU"
        "  (target < 0.3 s)"
    )
    print(
        f"1,000 small documents ({small_bytes:,} bytes in all): {small_time[0]:.3f} s wall, {small_time[1]:.3f} s CPU"
        "  (target < 3 s)"
    )


if __name__ == "__main__":
    main()
