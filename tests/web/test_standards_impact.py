"""``candor standards impact``: before a new pack version is adopted, what it would add, clear, and for whom.

Run against a real registry (the web tests' filled registry, on SQLite and PostgreSQL), over its API and, for the
SQLite one, straight from its data directory; the two must agree.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REPO, RunCandor
from tests.web.conftest import Served

SHIPPED = REPO / "src" / "candor" / "standards" / "candor-minimum-2026.1.yaml"

#: A rule the proposed version adds: every framework must cover a risk domain no fill document covers.
NEW_RULE = """
  - id: SDF-RISK-DECEPTION
    applies_to: [secure-development-framework]
    severity: error
    message: The framework does not cover deception
    rationale: A proposed requirement, for the impact test.
    source: "Proposed"
    url: https://www.anthropic.com/news/the-need-for-transparency-in-frontier-ai
    check: framework-covers-domains
    params:
      domains: [other:deception]
"""


def _proposed(tmp_path: Path) -> Path:
    """The shipped minimum standard without SDF-RISK-COMMITTED (it clears Borealis's warning) and with a new rule."""
    text = SHIPPED.read_text(encoding="utf-8")
    start = text.index("  - id: SDF-RISK-COMMITTED")
    end = text.index("  - id: SDF-DOMAIN-THRESHOLDS")
    path = tmp_path / "candor-minimum-2026.1.yaml"
    path.write_text(text[:start] + text[end:] + NEW_RULE, encoding="utf-8")
    return path


def test_impact_lists_new_and_cleared_findings_and_who_they_hit(
    served: Served, invoke_candor: RunCandor, tmp_path: Path
) -> None:
    pack = _proposed(tmp_path)
    result = invoke_candor("standards", "impact", str(pack), "--registry", served.base_url, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["current"] == {"id": "candor-minimum-2026.1", "version": "2026.1"}
    # Every developer's current framework lacks the new domain: one new error each.
    new = {(entry["developer"], entry["rule_id"]) for entry in report["new"]}
    assert new == {(slug, "SDF-RISK-DECEPTION") for slug in ("acme-ai", "borealis", "corvid-labs")}
    # Only Borealis's 2.0 commits to a CBRN domain as a may: the removed rule's finding clears there alone.
    cleared = {(entry["developer"], entry["rule_id"]) for entry in report["cleared"]}
    assert cleared == {("borealis", "SDF-RISK-COMMITTED")}
    assert report["developers_affected"] == ["acme-ai", "borealis", "corvid-labs"]
    text = invoke_candor("standards", "impact", str(pack), "--registry", served.base_url)
    assert "New findings (3)" in text.stdout
    assert "Cleared findings (1)" in text.stdout
    assert "Developers affected (3): acme-ai, borealis, corvid-labs" in text.stdout
    if served.database_url.startswith("sqlite"):
        local = invoke_candor("standards", "impact", str(pack), "--data-dir", str(served.data_dir), "--format", "json")
        assert local.returncode == 0, local.stdout + local.stderr
        assert json.loads(local.stdout) == report


def test_the_shipped_pack_against_itself_changes_nothing(served: Served, invoke_candor: RunCandor) -> None:
    result = invoke_candor("standards", "impact", str(SHIPPED), "--registry", served.base_url, "--format", "json")
    report = json.loads(result.stdout)
    assert (report["new"], report["cleared"], report["developers_affected"]) == ([], [], [])
    assert report["documents"] > 0


def test_bad_invocations_are_one_line_errors_with_exit_2(
    served: Served, invoke_candor: RunCandor, tmp_path: Path
) -> None:
    pack = _proposed(tmp_path)
    for args in (
        [str(pack)],
        [str(pack), "--registry", served.base_url, "--data-dir", str(tmp_path)],
        [str(tmp_path / "absent.yaml"), "--registry", served.base_url],
        [str(pack), "--data-dir", str(tmp_path / "no-registry")],
    ):
        result = invoke_candor("standards", "impact", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
