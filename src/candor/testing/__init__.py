"""Builders the test suite and the benchmarks share: registered developers, documents and signed publications.

Built with the real parts (keys, the redaction path, the publisher), never stand-ins, so that a benchmark measures
what the tests check. They read the repository's ``examples/``, so they work from a source checkout (an editable
install), which is where the tests and the benchmarks run; the registry itself never imports this package.
"""

from __future__ import annotations

from pathlib import Path

#: The repository's example documents and facts files.
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
