"""Measure ``candor diff`` on two versions of a 1 MiB Secure Development Framework.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/diff.py [--repeats N]

The old version is the example framework grown to about 1 MiB (the same generator as ``benchmarks/check.py``:
its risk domains repeated as ``other:`` domains), with about a quarter of it prose so the sentence diff has work.
The new version lowers one commitment's strength, raises one threshold and rewords two paragraphs. Timed:
parsing both files, and the diff of the two parsed documents alone. Target from issue 12: the diff under 0.5 s.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from typing import Any

from candor.domain.diff import diff_documents
from candor.domain.parse import parse_bytes
from check import MIB, large_framework

_PROSE = (
    "Paragraph {n}. We must assess every covered model against threshold {n} before deployment, and we review "
    "the result every 6 months. Evaluators use a helpful-only variant of the model.\n\n"
)


def versions() -> tuple[bytes, bytes]:
    """An old version of about 1 MiB and a new one with a handful of substantive and editorial edits."""
    front = large_framework(3 * MIB // 4).decode()
    prose = "".join(_PROSE.format(n=n) for n in range(1, 1400))
    old = front + prose
    new = old.replace("Success rate above 10%", "Success rate above 20%", 1)
    new = re.sub(r"(id: assess\.before-deployment\n\s+strength:) must", r"\1 should", new, count=1)
    new = new.replace("Paragraph 7. We must assess", "Paragraph 7. We must evaluate", 1)
    new = new.replace("against threshold 9 before deployment", "against threshold 9, before deployment,", 1)
    return old.encode(), new.encode()


def best_of(repeats: int, work: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    old_bytes, new_bytes = versions()
    old = parse_bytes("old.md", old_bytes)
    new = parse_bytes("new.md", new_bytes)
    parse_time = best_of(args.repeats, lambda: (parse_bytes("old.md", old_bytes), parse_bytes("new.md", new_bytes)))
    diff_time = best_of(args.repeats, lambda: diff_documents(old.model, new.model, old.body, new.body))
    result = diff_documents(old.model, new.model, old.body, new.body)
    print(f"sizes: {len(old_bytes) / MIB:.2f} MiB and {len(new_bytes) / MIB:.2f} MiB")
    print(f"parse both: {parse_time:.3f} s (best of {args.repeats})")
    print(f"diff:       {diff_time:.3f} s (best of {args.repeats}; target < 0.5 s)")
    print(f"diff / parse: {diff_time / parse_time:.2f}")
    print(f"direction: {result.direction}; kinds: {sorted({change.kind for change in result.changes})}")


if __name__ == "__main__":
    main()
