"""Facts files that try to break the report with numbers or lists too large for it."""

from __future__ import annotations

import pytest

from candor.domain.facts import MAX_MODELS, MAX_QUANTITY, parse_facts
from candor.errors import DocumentError
from tests.domain.test_facts import ISSUE_EXAMPLE

_MODEL = """\
  - name: M-{index}
    training_compute_flop: 1e25
    training_compute_cost_usd: 1000000
    training_started: 2025-03-01
"""


def _error(text: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse_facts("facts.yaml", text.encode())
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("2025: 650000000", "2025: " + "9" * 999, 4, "revenue_usd_by_year[2025]"),
        ("rnd_usd: 900000000", f"rnd_usd: {MAX_QUANTITY + 1}", 5, "rnd_usd"),
        ("capex_usd: 300000000", f"capex_usd: {MAX_QUANTITY + 1}", 6, "capex_usd"),
        ("training_compute_flop: 3.1e26", "training_compute_flop: 1e300", 10, "models[0].training_compute_flop"),
    ],
)
def test_an_absurd_quantity_is_refused_with_its_line_and_field(old: str, new: str, line: int, field: str) -> None:
    # A 999-digit revenue once became an infinite margin, which `candor coverage -f json` wrote as Infinity.
    error = _error(ISSUE_EXAMPLE.replace(old, new, 1))
    assert error.line == line
    assert error.field == field
    assert "at most 1e100" in error.message


def test_the_largest_quantity_is_still_read_exactly() -> None:
    facts = parse_facts("facts.yaml", ISSUE_EXAMPLE.replace("650000000", str(MAX_QUANTITY), 1).encode())
    assert facts.revenue_for(2025) == MAX_QUANTITY


def test_more_models_than_the_limit_are_refused_before_they_are_read() -> None:
    head = ISSUE_EXAMPLE.split("models:\n")[0] + "models:\n"
    at_limit = head + "".join(_MODEL.format(index=index) for index in range(MAX_MODELS))
    assert len(parse_facts("facts.yaml", at_limit.encode()).models) == MAX_MODELS
    error = _error(at_limit + _MODEL.format(index=MAX_MODELS))
    assert error.line == 8
    assert error.field == "models"
    assert f"over the limit of {MAX_MODELS:,}" in error.message
