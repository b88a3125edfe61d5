"""``candor check``: exit codes, text, JSON and SARIF output, unreadable files (in-process; the one-line errors
through the real entry point)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, REPO, RunCandor

SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SDF_V1 = "examples/acme-ai/sdf-v1.md"


def sarif_of(invoke_candor: RunCandor, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke_candor("check", "--format", "sarif", *args, cwd=REPO)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    return result.returncode, log


def weakened_copy(tmp_path: Path) -> Path:
    """sdf-v1 with its chemical domain demoted to an optional commitment: a warning, not an error."""
    text = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text(encoding="utf-8")
    weakened = text.replace("  - id: cbrn.chemical\n    strength: must", "  - id: cbrn.chemical\n    strength: may")
    assert weakened != text
    path = tmp_path / "weak-sdf.md"
    path.write_text(weakened, encoding="utf-8")
    return path


def test_examples_pass_the_default_standard(invoke_candor: RunCandor) -> None:
    files = sorted(str(path) for path in (EXAMPLES / "acme-ai").glob("*.md"))
    result = invoke_candor("check", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked against candor-minimum-2026.1" in result.stdout
    assert "0 errors, 0 warnings, 0 notices" in result.stdout
    assert result.stdout.count("no findings") == len(files)


def test_error_finding_exits_1_and_names_file_line_and_rule(invoke_candor: RunCandor) -> None:
    result = invoke_candor("check", "--standard", "eu-cop-2025", SDF_V1, cwd=REPO)
    assert result.returncode == 1
    assert SDF_V1 in result.stdout
    assert "EU-COP-RISK-MANIPULATION" in result.stdout
    assert "risk_domains:" in result.stdout
    assert "hint: add a risk_domains entry with id: manipulation" in result.stdout
    assert "1 error, 0 warnings" in result.stdout
    assert "Traceback" not in result.stderr


def test_warnings_alone_exit_0(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("check", str(weakened_copy(tmp_path)))
    assert result.returncode == 0
    assert "SDF-RISK-COMMITTED" in result.stdout
    assert "0 errors, 1 warning" in result.stdout


def test_findings_are_grouped_under_their_file(invoke_candor: RunCandor) -> None:
    card = "examples/acme-ai/system-card-acme-3.md"
    result = invoke_candor("check", "-s", "eu-cop-2025", SDF_V1, card, cwd=REPO)
    lines = result.stdout.splitlines()
    sdf_header = next(i for i, line in enumerate(lines) if line.startswith(SDF_V1))
    card_header = next(i for i, line in enumerate(lines) if line.startswith(card))
    rule_line = next(i for i, line in enumerate(lines) if "EU-COP-RISK-MANIPULATION" in line)
    report_line = next(i for i, line in enumerate(lines) if "EU-COP-MODEL-REPORT" in line)
    assert sdf_header < rule_line < card_header < report_line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file is empty"),
        (b"---\nkind: system-card\n  bad: [\n---\n", "malformed YAML"),
        (b"\xff\xfe not utf-8", "not valid UTF-8"),
        (b"---\nkind: secure-development-framework\nkind: system-card\n---\n", "written twice"),
    ],
)
def test_unparsable_file_exits_2_with_one_line(
    run_candor: RunCandor, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "broken.md"
    path.write_bytes(content)
    result = run_candor("check", str(path))
    assert result.returncode == 2
    assert expected in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_error_names_file_line_and_field(invoke_candor: RunCandor, tmp_path: Path) -> None:
    text = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text(encoding="utf-8")
    path = tmp_path / "typo.md"
    path.write_text(text.replace("effective_date:", "efective_date:"), encoding="utf-8")
    result = invoke_candor("check", str(path))
    assert result.returncode == 2
    line = 1 + text.splitlines().index(next(line for line in text.splitlines() if line.startswith("effective_date:")))
    assert f"{path}:{line}: efective_date:" in result.stderr
    assert "did you mean effective_date?" in result.stderr


def test_missing_file_and_directory_exit_2_but_other_files_are_still_checked(
    invoke_candor: RunCandor, tmp_path: Path
) -> None:
    result = invoke_candor("check", str(tmp_path / "absent.md"), str(tmp_path), str(weakened_copy(tmp_path)))
    assert result.returncode == 2
    assert "absent.md: no such file" in result.stderr
    assert "is a directory" in result.stderr
    assert "SDF-RISK-COMMITTED" in result.stdout
    assert "2 files could not be read" in result.stdout
    assert "Traceback" not in result.stderr


def test_unknown_standard_exits_2_with_a_suggestion(invoke_candor: RunCandor) -> None:
    result = invoke_candor("check", "--standard", "ca-sb53", SDF_V1, cwd=REPO)
    assert result.returncode == 2
    assert "unknown standard 'ca-sb53'" in result.stderr
    assert "did you mean ca-sb53-2026?" in result.stderr


def test_json_output(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor(
        "check", "--format", "json", "-s", "eu-cop-2025", SDF_V1, str(tmp_path / "absent.md"), cwd=REPO
    )
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["standard"]["id"] == "eu-cop-2025"
    (checked,) = report["files"]
    assert checked["file"] == SDF_V1
    assert checked["kind"] == "secure-development-framework"
    (finding,) = checked["findings"]
    assert finding["rule_id"] == "EU-COP-RISK-MANIPULATION"
    assert finding["severity"] == "error"
    assert finding["field"] == "risk_domains"
    assert isinstance(finding["line"], int)
    assert finding["hint"]
    (unreadable,) = report["unreadable"]
    assert unreadable["file"].endswith("absent.md")
    assert report["summary"] == {"files": 2, "unreadable": 1, "error": 1, "warning": 0, "notice": 0}


def test_sarif_output_is_valid_and_points_at_the_line(invoke_candor: RunCandor) -> None:
    code, log = sarif_of(invoke_candor, "-s", "eu-cop-2025", SDF_V1)
    assert code == 1
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "candor"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert "EU-COP-RISK-MANIPULATION" in rule_ids
    for rule in driver["rules"]:
        assert "Source: GPAI Code of Practice" in rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    (result,) = run["results"]
    assert result["ruleId"] == "EU-COP-RISK-MANIPULATION"
    assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert result["level"] == "error"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == SDF_V1
    text = (REPO / SDF_V1).read_text(encoding="utf-8").splitlines()
    assert text[physical["region"]["startLine"] - 1].startswith("risk_domains:")
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_uris_are_relative_even_for_absolute_paths(invoke_candor: RunCandor) -> None:
    _, log = sarif_of(invoke_candor, "-s", "eu-cop-2025", str(REPO / SDF_V1))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == SDF_V1


def test_sarif_notice_level_and_unreadable_files(invoke_candor: RunCandor, tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"---\nkind: system-card\n  bad: [\n---\n")
    code, log = sarif_of(invoke_candor, str(weakened_copy(tmp_path)), str(broken))
    assert code == 2
    run = log["runs"][0]
    (result,) = run["results"]
    assert result["level"] == "warning"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert "malformed YAML" in notification["message"]["text"]
    location = notification["locations"][0]["physicalLocation"]
    assert location["region"]["startLine"] >= 1
    # A failure's file is named the way a finding's is: relative to the base, so a viewer resolves both alike.
    result_artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    base = os.path.relpath(tmp_path.resolve(), REPO.resolve()).replace(os.sep, "/")
    assert result_artifact == {"uri": f"{base}/weak-sdf.md", "uriBaseId": "SRCROOT"}
    assert location["artifactLocation"] == {"uri": f"{base}/broken.md", "uriBaseId": "SRCROOT"}
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": REPO.resolve().as_uri() + "/"}}


def test_sarif_with_no_findings_is_valid(invoke_candor: RunCandor) -> None:
    code, log = sarif_of(invoke_candor, SDF_V1)
    assert code == 0
    assert log["runs"][0]["results"] == []


def test_own_pack_file_extends_a_shipped_standard(invoke_candor: RunCandor, tmp_path: Path) -> None:
    pack = tmp_path / "acme-internal.yaml"
    pack.write_text(
        "id: acme-internal\n"
        'version: "0.1"\n'
        "title: Acme's internal bar\n"
        "description: SB 53 plus harmful manipulation.\n"
        "extends: ca-sb53-2026\n"
        "rules:\n"
        "  - id: ACME-RISK-MANIPULATION\n"
        "    applies_to: [secure-development-framework]\n"
        "    severity: error\n"
        "    message: The framework does not cover harmful manipulation\n"
        "    rationale: Our board asked for it.\n"
        "    source: Acme board resolution 2026-03\n"
        "    check: framework-covers-domains\n"
        "    params: {domains: [manipulation]}\n",
        encoding="utf-8",
    )
    result = invoke_candor("check", "--standard", str(pack), SDF_V1, cwd=REPO)
    assert result.returncode == 1
    assert "ACME-RISK-MANIPULATION" in result.stdout
    assert "checked against acme-internal" in result.stdout


def test_missing_pack_file_exits_2(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("check", "--standard", str(tmp_path / "nope.yaml"), SDF_V1, cwd=REPO)
    assert result.returncode == 2
    assert "nope.yaml: no such file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("field", "written"),
    [("effective_date", "2026-02-30"), ("effective_date", "2026-13-45"), ("version", "0b_")],
)
def test_an_impossible_value_exits_2_in_one_line_naming_file_line_and_field(
    run_candor: RunCandor, tmp_path: Path, field: str, written: str
) -> None:
    text = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text(encoding="utf-8")
    start = text.index(f"\n{field}: ") + 1
    line = text.count("\n", 0, start) + 1
    bad = tmp_path / "sdf.md"
    bad.write_text(text[:start] + f"{field}: {written}" + text[text.index("\n", start) :], encoding="utf-8")
    result = run_candor("check", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [row for row in result.stderr.splitlines() if row.startswith("error: ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {bad}:{line}: {field}: {written} ")


def test_every_unfilled_placeholder_is_reported_not_only_the_first(invoke_candor: RunCandor, tmp_path: Path) -> None:
    assert invoke_candor("init", "sdf", str(tmp_path / "sdf.md")).returncode == 0
    template = (tmp_path / "sdf.md").read_text()

    def unfilled(text: str) -> list[str]:
        (tmp_path / "sdf.md").write_text(text)
        result = invoke_candor("check", str(tmp_path / "sdf.md"))
        assert result.returncode == 2
        lines = result.stderr.splitlines()
        assert all(" still holds the template placeholder <" in line for line in lines), lines
        return lines

    reported = unfilled(template)
    assert len(reported) > 50
    numbers = [int(line.split(":")[2]) for line in reported]
    assert numbers == sorted(numbers)
    assert reported[0].endswith(
        "developer: still holds the template placeholder <developer-slug> (replace it with the real value)"
    )
    assert any(" risk_domains[0].thresholds[0].measure: " in line for line in reported)
    # Fill one value: exactly that one line goes, and the file is still one file in the summary.
    fewer = unfilled(template.replace("<framework-title>", "Example Framework", 1))
    assert [line for line in reported if line not in fewer] == [
        line for line in reported if "title: still holds the template placeholder <framework-title>" in line
    ]
    assert len(fewer) == len(reported) - 1
    as_json = invoke_candor("check", "--format", "json", str(tmp_path / "sdf.md"))
    report = json.loads(as_json.stdout)
    assert report["summary"]["files"] == 1
    assert report["summary"]["unreadable"] == 1
    assert [entry["line"] for entry in report["unreadable"]] == [int(line.split(":")[2]) for line in fewer]
