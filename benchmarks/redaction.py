"""Measure redaction: parsing the markup, deriving the public version, sealing, opening and checking it.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/redaction.py [--repeats N] [--worst-only]

The workload is the example framework with about 1 MiB of prose appended as paragraphs, every tenth of them
redacted (blocks and inline spans alternating, so about 10% of the text), and one front-matter value redacted.
Each step runs in this one process, on one core; medians of N runs are printed, with CPU time beside wall time.

Then the worst cases for the markup reader, at growing sizes: many inline redactions on one line, many blocks,
quotes nested to the limit and far past it. Each is timed reading the body's redactions (the one parser with the
redaction plugin, plus the walk over its tokens) and, as the baseline, plain markdown-it parsing the same text
without the plugin; the ratio between the two, and time per redaction staying flat as sizes grow, show the
reading is linear.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Iterator

from markdown_it import MarkdownIt

from candor.domain.markdown import MAX_NESTING_DEPTH
from candor.domain.parse import parse_bytes
from candor.domain.public_version import check_public_version, derive_public_text, new_salts
from candor.domain.redaction_body import find_body_redactions
from candor.domain.regulator_keys import generate_regulator_key
from candor.domain.sealing import open_sealed
from candor.errors import DocumentError
from candor.services.redacting import check_opened, redact_document
from candor.testing import EXAMPLES as REPOSITORY_EXAMPLES

EXAMPLES = REPOSITORY_EXAMPLES / "acme-ai"
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


_INLINE = "[x]{.redact category=trade-secret justification=j} "
_BLOCK = '::: redact category=cybersecurity justification="Site"\nThe passage.\n:::\n\n'


def worst_cases() -> Iterator[tuple[str, int, str]]:
    """(case, size, body) for the markup reader's worst cases."""
    for count in (10_000, 25_000, 50_000, 100_000):
        yield "inline redactions on one line", count, "Intro.\n\n" + _INLINE * count + "\n"
    for count in (10_000, 25_000, 50_000):
        yield "block redactions", count, _BLOCK * count
    for depth in (MAX_NESTING_DEPTH - 1, 200, 10_000):
        quotes = "> " * depth
        yield "quotes nested, then a block", depth, "".join(quotes + line + "\n" for line in _BLOCK.splitlines())
    for count in (10_000, 100_000):
        yield "unmatched brackets", count, "[" * count + "\n"


def measure_worst_cases(repeats: int) -> None:
    plain = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    print()
    print(f"{'worst case':<30} {'size':>7} {'bytes':>10} {'read':>10} {'baseline':>10} {'ratio':>6} {'per item':>9}")
    for case, size, body in worst_cases():
        outcome = "read"

        def read(body: str = body) -> object:
            nonlocal outcome
            try:
                return find_body_redactions(body, 1, "worst.md")
            except DocumentError as refused:  # nesting past the limit: read all the same, then refused
                outcome = f"refused ({refused.detail[:30]}...)"
                return None

        wall, _ = median_time(read, repeats)
        baseline, _ = median_time(lambda body=body: plain.parse(body), repeats)  # type: ignore[misc]
        print(
            f"{case:<30} {size:>7,} {len(body):>10,} {wall * 1000:8.1f}ms {baseline * 1000:8.1f}ms "
            f"{wall / baseline:5.2f}x {wall / size * 1e6:7.2f}us  {outcome}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worst-only", action="store_true", help="only the markup reader's worst cases")
    arguments = parser.parse_args()
    repeats = arguments.repeats
    if arguments.worst_only:
        measure_worst_cases(repeats)
        return
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
    measure_worst_cases(repeats)


if __name__ == "__main__":
    main()
