"""``candor coverage -f json`` writes only JSON: never Infinity or NaN, whatever the facts or limits."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_coverage import ACME, assert_one_line_error
from tests.conftest import RunCandor


def _reject_constants(name: str) -> None:
    raise AssertionError(f"not JSON: {name}")


def test_a_999_digit_revenue_exits_2_naming_file_line_and_field(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(Path(ACME).read_text().replace("650000000", "9" * 999, 1))
    result = invoke_candor("coverage", str(facts), "-f", "json")
    assert_one_line_error(result, f"{facts}:7: revenue_usd_by_year[2025]: must be at most 1e100")
    assert result.stdout == ""


def test_the_largest_figures_still_give_strict_json(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(Path(ACME).read_text().replace("650000000", "1" + "0" * 100, 1).replace("3.1e26", "1e100", 1))
    result = invoke_candor("coverage", str(facts), "-f", "json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout, parse_constant=_reject_constants)


def test_a_limit_near_zero_is_an_error_not_infinity(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(Path(ACME).read_text().replace("3.1e26", "1e100", 1))
    result = invoke_candor("coverage", str(facts), "-f", "json", "--param", "frontier_compute_flop=1e-300")
    assert_one_line_error(result, "training_compute_flop: 1e+100 is too many times its limit 1e-300")
    assert "Infinity" not in result.stdout
    assert_one_line_error(invoke_candor("coverage", ACME, "--param", "frontier_compute_flop=1e101"), "NAME=NUMBER")
