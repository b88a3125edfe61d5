"""The SARIF writer on its own: schema validity, levels, rule help, relative URIs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from candor.cli.sarif import artifact_uri, sarif_log
from candor.domain.standards import Finding, Severity, StandardCatalogue
from candor.errors import SourceError
from candor.services.checking import CheckedFile, CheckReport, UnreadableFile, check_files

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
MINIMUM = StandardCatalogue.bundled().load("candor-minimum-2026.1")


def finding(severity: Severity, line: int | None) -> Finding:
    return Finding(
        rule_id="SDF-RISK-CBRN", severity=severity, file="docs/sdf.md", line=line, field=None, message="m", hint="h"
    )


def test_every_severity_maps_to_a_sarif_level(tmp_path: Path) -> None:
    findings = [finding(Severity.ERROR, 3), finding(Severity.WARNING, None), finding(Severity.NOTICE, 1)]
    report = CheckReport(MINIMUM, [CheckedFile("docs/sdf.md", "secure-development-framework", findings)])
    log = sarif_log(report, base=tmp_path)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    results = log["runs"][0]["results"]
    assert [result["level"] for result in results] == ["error", "warning", "note"]
    assert "region" not in results[1]["locations"][0]["physicalLocation"]
    assert results[0]["message"]["text"] == "m (h)"


def test_every_rule_is_described_with_help(tmp_path: Path) -> None:
    log = sarif_log(CheckReport(MINIMUM), base=tmp_path)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.id for rule in MINIMUM.rules]
    for descriptor, rule in zip(rules, MINIMUM.rules, strict=True):
        assert descriptor["shortDescription"]["text"] == rule.message
        assert rule.rationale in descriptor["help"]["text"]
        assert f"Source: {rule.source}" in descriptor["help"]["text"]
    assert log["runs"][0]["properties"]["standard"] == "candor-minimum-2026.1"


def test_source_errors_without_a_line_are_notifications(tmp_path: Path) -> None:
    report = CheckReport(MINIMUM, unreadable=[UnreadableFile("gone.md", SourceError("gone.md", "no such file"))])
    log = sarif_log(report, base=Path.cwd())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (notification,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notification["message"]["text"] == "gone.md: no such file"
    assert notification["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "gone.md", "uriBaseId": "SRCROOT"}
    }
    assert log["runs"][0]["originalUriBaseIds"] == {"SRCROOT": {"uri": Path.cwd().resolve().as_uri() + "/"}}


def test_artifact_uri_is_relative_to_the_base_inside_and_outside_it(tmp_path: Path) -> None:
    inside = tmp_path / "a dir" / "sdf v1.md"
    assert artifact_uri(str(inside), tmp_path) == "a%20dir/sdf%20v1.md"
    outside = tmp_path.parent / "elsewhere.md"
    assert artifact_uri(str(outside), tmp_path) == "../elsewhere.md"


def test_report_exit_codes(tmp_path: Path) -> None:
    assert CheckReport(MINIMUM).exit_code == 0
    warning_only = CheckReport(MINIMUM, [CheckedFile("f", "certification", [finding(Severity.WARNING, 1)])])
    assert warning_only.exit_code == 0
    with_error = CheckReport(MINIMUM, [CheckedFile("f", "certification", [finding(Severity.ERROR, 1)])])
    assert with_error.exit_code == 1
    assert check_files([tmp_path / "missing.md"], MINIMUM).exit_code == 2


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    with big.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024 + 1)
    (unreadable,) = check_files([big], MINIMUM).unreadable
    assert "over the limit" in unreadable.error.diagnostics()


def test_rules_link_to_their_page_and_the_driver_to_its_information(tmp_path: Path) -> None:
    # With the registry that serves the standard: each rule's entry on the standard's page.
    log = sarif_log(CheckReport(MINIMUM), base=tmp_path, registry="https://registry.example/")
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://registry.example/standards/candor-minimum-2026.1"
    assert [rule["helpUri"] for rule in driver["rules"]] == [
        f"https://registry.example/standards/candor-minimum-2026.1#{rule.id}" for rule in MINIMUM.rules
    ]
    # Without one: the official text each rule cites, and the framework the standard's tenets come from.
    offline = sarif_log(CheckReport(MINIMUM), base=tmp_path)["runs"][0]["tool"]["driver"]
    assert [rule["helpUri"] for rule in offline["rules"]] == [rule.url for rule in MINIMUM.rules]
    assert offline["informationUri"] == MINIMUM.tenets[0].url


def test_a_finding_keeps_its_fingerprint_when_its_line_moves_and_no_other_finding_shares_it(tmp_path: Path) -> None:
    lines: list[list[int]] = []

    def fingerprints(text: str) -> list[str]:
        (tmp_path / "sdf.md").write_text(text)
        log = sarif_log(check_files([tmp_path / "sdf.md"], MINIMUM), base=tmp_path)
        jsonschema.Draft4Validator(SCHEMA).validate(log)
        results = log["runs"][0]["results"]
        lines.append([result["locations"][0]["physicalLocation"]["region"]["startLine"] for result in results])
        return [result["partialFingerprints"]["candorFinding/v1"] for result in results]

    sdf = (REPO / "examples" / "acme-ai" / "sdf-v1.md").read_text()
    weakened = sdf.replace("strength: must", "strength: may")
    before = fingerprints(weakened)
    assert len(before) > 1
    assert len(set(before)) == len(before)
    # Lines added above every finding move them all; the fingerprints stay.
    moved = weakened.replace("---\n", "---\n# Reviewed by the board.\n# Next review: 2027.\n", 1)
    assert fingerprints(moved) == before
    assert lines[1] == [line + 2 for line in lines[0]]
    # The control: another file holding the same findings is another alert.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "sdf.md").write_text(weakened)
    other = sarif_log(check_files([tmp_path / "other" / "sdf.md"], MINIMUM), base=tmp_path)["runs"][0]["results"]
    assert not {result["partialFingerprints"]["candorFinding/v1"] for result in other} & set(before)
