"""Measure redaction: parsing the markup, deriving the public version, sealing, opening and checking it.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/redaction.py [--repeats N]

The workload is the example framework with about 1 MiB of prose appended as paragraphs, every tenth of them
redacted (blocks and inline spans alternating, so about 10% of the text), and one front-matter value redacted.
Each step runs in this one process, on one core; medians of N runs are printed, with CPU time beside wall time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from candor.domain.parse import parse_bytes
from candor.domain.public_version import check_public_version, derive_public_text, new_salts
from candor.domain.regulator_keys import generate_regulator_key
from candor.domain.sealing import open_sealed
from candor.services.redacting import check_opened, redact_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "acme-ai"
MIB = 1024 * 1024
_PARAGRAPH = "The framework's assessments are repeated at every checkpoint and reviewed by the officer. " * 5


def marked_framework(target_bytes: int) -> bytes:
    """The v1 example framework with prose appended until about ``target_bytes``, one paragraph in ten redacted."""
    text = re.sub(
        r"^  board_oversight: >-\n(?:    .*\n)+",
        '  board_oversight: {redact: {category: trade-secret, justification: "Names", value: "The board."}}\n',
        (EXAMPLES / "sdf-v1.md").read_text(),
        count=1,
        flags=re.MULTILINE,
    )
    parts, size, index = [text], len(text), 0
    while size < target_bytes:
        index += 1
        if index % 20 == 0:
            paragraph = f'\n::: redact category=cybersecurity justification="Site {index}"\n{_PARAGRAPH}\n:::\n'
        elif index % 20 == 10:
            paragraph = f'\nWe use [{_PARAGRAPH}]{{.redact category=trade-secret justification="Vendor"}}.\n'
        else:
            paragraph = f"\n{_PARAGRAPH}\n"
        parts.append(paragraph)
        size += len(paragraph)
    return "".join(parts).encode()


def median_time(step: Callable[[], object], repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    raw = marked_framework(MIB)
    key = generate_regulator_key()
    original = parse_bytes("sdf.md", raw)
    salts = new_salts(len(original.redactions))
    public = parse_bytes("sdf.md", derive_public_text(original, salts).encode())
    redacted = redact_document(original, key.public_key())
    opened = open_sealed(redacted.sealed, key, "sdf.sealed")
    sealed_mib = len(redacted.sealed) / MIB
    print(f"document: {len(raw) / MIB:.2f} MiB, {len(original.redactions)} redactions; sealed {sealed_mib:.2f} MiB")
    steps: dict[str, Callable[[], object]] = {
        "parse the marked original": lambda: parse_bytes("sdf.md", raw),
        "derive the public version": lambda: derive_public_text(original, salts),
        "redact (derive, re-parse, seal)": lambda: redact_document(original, key.public_key()),
        "open the sealed original": lambda: open_sealed(redacted.sealed, key, "sdf.sealed"),
        "check every commitment": lambda: check_public_version(original, salts, public),
        "check-redactions (parse + check)": lambda: check_opened(opened, redacted.public, name="sdf.sealed"),
    }
    for name, step in steps.items():
        wall, cpu = median_time(step, repeats)
        print(f"{name:<36} median {wall * 1000:8.1f} ms wall, {cpu * 1000:8.1f} ms CPU")


if __name__ == "__main__":
    main()
