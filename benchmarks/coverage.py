"""Measure ``candor coverage`` on facts files of 1,000 and 10,000 models.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/coverage.py [--models 1000 10000] [--repeats 3]

For each size, a facts file is written with models whose compute and cost vary around the regimes' thresholds
(some released, some still training, some on the EU market), and then:

- the bare YAML load of that file (PyYAML's libyaml loader, no checks), the floor any reader pays;
- each step in this process, best of the repeats, as CPU time: reading the facts (strict YAML, schema, caps),
  the coverage engine under every regime, the text report and the JSON report;
- ``candor coverage`` run end to end as a command (text, then JSON), wall time and its CPU time, which includes
  starting Python and importing the CLI.

The ratio to the bare YAML load shows what Candor adds on top of reading the file. Target from issue 8: under 2 s
for 10,000 models end to end on an idle core. The machine is often shared: the load average is printed with the
figures, and CPU time is the figure to compare across runs.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import yaml
from rich.console import Console

from candor.cli.coverage import print_report
from candor.domain.coverage import report_coverage
from candor.domain.regimes import load_regimes
from candor.services.coverage import read_facts

AS_OF = date(2026, 12, 1)


def facts_text(models: int) -> str:
    """A facts file listing ``models`` models, their figures spread around the thresholds."""
    lines = [
        "developer: bench-ai",
        "legal_name: Bench AI, Inc.",
        "revenue_usd_by_year:",
        "  2025: 650000000",
        "rnd_usd: 900000000",
        "capex_usd: 300000000",
        "models:",
    ]
    for index in range(models):
        released = f"2026-{index % 12 + 1:02d}-15" if index % 3 else "null"
        lines += [
            f"  - name: Bench-{index}",
            f"    training_compute_flop: {1 + index % 40}e25",
            f"    training_compute_cost_usd: {50_000_000 + index * 1_000}",
            f"    training_started: 2025-{index % 12 + 1:02d}-01",
            f"    released: {released}",
            f"    eu_market_intent: {'true' if index % 2 else 'false'}",
            *([f"    eu_placed_on: {released}"] if index % 2 and released != "null" else []),
        ]
    return "\n".join(lines) + "\n"


def best_cpu(step: Callable[[], object], repeats: int) -> float:
    """The least CPU time (seconds) ``step`` takes over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        step()
        best = min(best, time.process_time() - started)
    return best


def command(path: Path, output: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``candor coverage -f OUTPUT PATH`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "candor", "coverage", str(path), "-f", output, "--as-of", AS_OF.isoformat()],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(models: int, repeats: int, directory: Path) -> None:
    path = directory / f"facts-{models}.yaml"
    text = facts_text(models)
    path.write_text(text, "utf-8")
    regimes = list(load_regimes().values())
    facts = read_facts(path)
    report = report_coverage(facts, regimes, AS_OF)

    bare = best_cpu(lambda: yaml.load(text, Loader=yaml.CSafeLoader), repeats)
    parse = best_cpu(lambda: read_facts(path), repeats)
    engine = best_cpu(lambda: report_coverage(facts, regimes, AS_OF), repeats)
    rendered = best_cpu(lambda: print_report(report, Console(file=io.StringIO(), width=100)), repeats)
    as_json = best_cpu(lambda: report.model_dump_json(indent=2), repeats)
    in_process = parse + engine + rendered
    print(f"{models:,} models, {len(text) / 1024 / 1024:.1f} MiB of facts, {len(report.determinations)} regimes")
    print(f"  bare YAML load (libyaml)     {bare:6.2f} s")
    print(f"  read facts (strict, checked) {parse:6.2f} s  {parse / bare:5.1f}x the bare load")
    print(f"  coverage engine              {engine:6.2f} s")
    print(f"  text report                  {rendered:6.2f} s")
    print(f"  JSON report                  {as_json:6.2f} s")
    print(f"  read + engine + text         {in_process:6.2f} s  {in_process / bare:5.1f}x the bare load")
    for output in ("text", "json"):
        wall, cpu = command(path, output)
        print(f"  candor coverage -f {output:<4}     {wall:6.2f} s wall, {cpu:.2f} s CPU (with start-up)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as directory:
        for models in options.models:
            measure(models, options.repeats, Path(directory))


if __name__ == "__main__":
    main()
