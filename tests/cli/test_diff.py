"""``candor diff``: the JSON shape the held-out pairs are read in, exit codes, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import EXAMPLES, RunCandor

SDF = EXAMPLES / "acme-ai" / "sdf-v1.md"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_has_exactly_the_documented_shape(invoke_candor: RunCandor, tmp_path: Path) -> None:
    weaker = write(
        tmp_path, "v2.md", SDF.read_text(encoding="utf-8").replace("cadence_months: 12", "cadence_months: 24")
    )
    result = invoke_candor("diff", str(SDF), str(weaker), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"direction", "changes"}
    assert report["direction"] == "weakening"
    assert [set(change) for change in report["changes"]] == [
        {"kind", "direction", "path", "before", "after", "explanation"}
    ]
    assert report["changes"][0] | {"explanation": ""} == {
        "kind": "cadence_lengthened",
        "direction": "weakening",
        "path": "review.cadence_months",
        "before": 12,
        "after": 24,
        "explanation": "",
    }


def test_fail_on_weakening_exits_1_for_ci_and_plain_runs_exit_0(invoke_candor: RunCandor, tmp_path: Path) -> None:
    weaker = write(
        tmp_path, "v2.md", SDF.read_text(encoding="utf-8").replace("cadence_months: 12", "cadence_months: 24")
    )
    assert invoke_candor("diff", str(SDF), str(weaker)).returncode == 0
    assert invoke_candor("diff", str(SDF), str(weaker), "--fail-on-weakening").returncode == 1
    assert invoke_candor("diff", str(SDF), str(SDF), "--fail-on-weakening").returncode == 0


def test_a_broken_version_is_one_line_naming_file_line_and_field(invoke_candor: RunCandor, tmp_path: Path) -> None:
    broken = write(
        tmp_path, "v2.md", SDF.read_text(encoding="utf-8").replace("cadence_months: 12", "cadence_months: x")
    )
    result = invoke_candor("diff", str(SDF), str(broken))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{broken}:" in result.stderr
    assert "cadence_months" in result.stderr


def test_a_framework_and_a_system_card_are_refused(invoke_candor: RunCandor) -> None:
    result = invoke_candor("diff", str(SDF), str(EXAMPLES / "acme-ai" / "system-card-acme-3.md"))
    assert result.returncode == 2
    assert "system-card" in result.stderr


def test_another_developers_framework_is_refused(invoke_candor: RunCandor, tmp_path: Path) -> None:
    other = write(
        tmp_path, "v2.md", SDF.read_text(encoding="utf-8").replace("developer: acme-ai", "developer: rival-ai")
    )
    result = invoke_candor("diff", str(SDF), str(other))
    assert result.returncode == 2
    assert "rival-ai" in result.stderr


def test_a_missing_file_is_refused_without_a_traceback(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("diff", str(SDF), str(tmp_path / "absent.md"))
    assert result.returncode == 2
    assert "absent.md" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_plain_text_policies_are_compared_by_their_words(invoke_candor: RunCandor, tmp_path: Path) -> None:
    old = write(tmp_path, "old.txt", "Our policy.\n\nWe must evaluate every model before release.\n")
    new = write(tmp_path, "new.txt", "Our policy.\n\nWe should evaluate every model before release.\n")
    result = invoke_candor("diff", str(old), str(new), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["direction"] == "weakening"
    assert [change["kind"] for change in report["changes"]] == ["commitment_strength_lowered"]


def test_a_disclosure_and_a_plain_text_are_refused(invoke_candor: RunCandor, tmp_path: Path) -> None:
    plain = write(tmp_path, "plain.md", "# Our policy\n\nWe must evaluate every model.\n")
    result = invoke_candor("diff", str(SDF), str(plain))
    assert result.returncode == 2
    assert "plain text" in result.stderr


def test_two_system_cards_report_a_dropped_evaluation(invoke_candor: RunCandor, tmp_path: Path) -> None:
    card = (EXAMPLES / "acme-ai" / "system-card-acme-3.md").read_text(encoding="utf-8")
    start, end = card.index("  - domain: cbrn.radiological\n"), card.index("  - domain: cbrn.nuclear\n")
    old = write(tmp_path, "old.md", card)
    new = write(tmp_path, "new.md", card[:start] + card[end:])
    report = json.loads(invoke_candor("diff", str(old), str(new), "--format", "json").stdout)
    assert report["direction"] == "weakening"
    assert {change["kind"] for change in report["changes"]} == {"evaluation_removed"}
