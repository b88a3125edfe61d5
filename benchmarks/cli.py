"""Measure how fast the ``candor`` command starts: ``candor --version`` and ``candor check`` on a small document.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/cli.py [--runs N]

Each figure is the median wall time of N child processes (``python -m candor ...``, as a user's shell runs it),
next to a baseline measured in the same run and interleaved with it: ``python -c "import pydantic, yaml"``, the
least any command that parses a disclosure must import. The ratio to the baseline is what to compare across
machines; the load average is printed because other processes on the machine slow every figure.

Targets from issue 10: ``candor check`` on a small document within 1.5x the baseline, under 0.35 s median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SMALL_DOCUMENT = Path(__file__).resolve().parent.parent / "examples" / "acme-ai" / "certification-2026.md"

WORKLOADS: dict[str, list[str]] = {
    "baseline: import pydantic, yaml": [sys.executable, "-c", "import pydantic, yaml"],
    "candor --version": [sys.executable, "-m", "candor", "--version"],
    "candor check SMALL.md": [sys.executable, "-m", "candor", "check", str(SMALL_DOCUMENT)],
}


def wall_time(command: list[str]) -> float:
    """Seconds from starting the child process to its exit; a failure is reported, not timed."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="Child processes per workload (default 15).")
    args = parser.parse_args()

    for command in WORKLOADS.values():  # warm the file cache and the bytecode cache first
        wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in WORKLOADS}
    # Interleaved rather than one workload after another, so a burst of load elsewhere hits all of them alike.
    for _ in range(args.runs):
        for name, command in WORKLOADS.items():
            times[name].append(wall_time(command))

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, load average {load}")
    baseline = statistics.median(times["baseline: import pydantic, yaml"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:32} median {median * 1000:6.0f} ms  min {min(samples) * 1000:6.0f} ms  "
            f"max {max(samples) * 1000:6.0f} ms  {median / baseline:4.2f}x baseline"
        )


if __name__ == "__main__":
    main()
