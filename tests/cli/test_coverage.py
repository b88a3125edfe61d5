"""``candor coverage`` and ``candor demo`` through the real entry point."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from candor.cli.coverage import print_report
from candor.domain.coverage import report_coverage
from candor.domain.regimes import load_regimes
from candor.services.coverage import read_facts
from tests.conftest import EXAMPLES, REPO, RunCandor

ACME = str(EXAMPLES / "acme-ai" / "facts.yaml")
FACTS = EXAMPLES / "facts"
TEMPLATE = str(REPO / "src" / "candor" / "templates" / "facts.yaml")


def coverage_json(invoke_candor: RunCandor, *args: str) -> dict[str, Any]:
    result = invoke_candor("coverage", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def by_regime(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {found["regime"]: found for found in report["determinations"]}


def assert_one_line_error(result: Any, *fragments: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr


def test_json_report_has_the_fixed_shape(invoke_candor: RunCandor) -> None:
    report = coverage_json(invoke_candor, ACME, "--as-of", "2026-06-01")
    assert set(report) == {"developer", "as_of", "determinations"}
    assert report["developer"] == "acme-ai"
    assert report["as_of"] == "2026-06-01"
    assert [found["regime"] for found in report["determinations"]] == [
        "anthropic-2025",
        "ca-sb53",
        "eu-ai-act-gpai",
        "ny-raise",
    ]
    for found in report["determinations"]:
        assert isinstance(found["regime_version"], str)
        assert isinstance(found["covered"], bool)
        assert found["tier"] is None or isinstance(found["tier"], str)
        assert isinstance(found["exemptions"], list)
        assert found["outcome"] in {"covered", "not-covered", "exempt", "undetermined", "not-in-effect"}
        assert isinstance(found["missing_facts"], list)
        assert all({"pinpoint", "url"} == set(source) for source in found["sources"])
        for test in found["tests"]:
            assert isinstance(test["threshold"], str)
            assert isinstance(test["value"], int | float)
            assert isinstance(test["limit"], int | float)
            assert isinstance(test["met"], bool)
        for obligation in found["obligations"]:
            assert {"id", "description", "due", "due_date", "trigger", "timing", "period", "source", "url"} <= set(
                obligation
            )
    sb53 = by_regime(report)["ca-sb53"]
    assert sb53["covered"] is True
    assert sb53["tier"] == "large-frontier-developer"
    flop = sb53["tests"][0]
    assert (flop["threshold"], flop["value"], flop["limit"], flop["met"]) == (
        "training_compute_flop",
        3.1e26,
        1e26,
        True,
    )


def test_regime_option_selects_and_repeats(invoke_candor: RunCandor) -> None:
    report = coverage_json(invoke_candor, ACME, "--regime", "ny-raise", "-r", "ca-sb53", "--as-of", "2026-06-01")
    assert [found["regime"] for found in report["determinations"]] == ["ny-raise", "ca-sb53"]


def test_as_of_chooses_the_ny_version(invoke_candor: RunCandor) -> None:
    lab = str(FACTS / "halvorsen-institute.yaml")
    before = by_regime(coverage_json(invoke_candor, lab, "-r", "ny-raise", "--as-of", "2026-12-31"))["ny-raise"]
    after = by_regime(coverage_json(invoke_candor, lab, "-r", "ny-raise", "--as-of", "2027-01-01"))["ny-raise"]
    # The 2025 text never took effect: before 2027-01-01 nothing applies, and from then the university is exempt.
    assert (before["regime_version"], before["covered"], before["tier"]) == ("2026", False, None)
    assert before["outcome"] == "not-in-effect"
    assert (after["regime_version"], after["covered"], after["tier"]) == ("2026", False, None)
    assert after["outcome"] == "exempt"
    assert [exemption["id"] for exemption in after["exemptions"]] == ["new-york-academic-research"]


def test_ny_covers_acme_borealis_and_halvorsen_nowhere_before_2027(invoke_candor: RunCandor) -> None:
    # The review's finding: on 2026-12-06 these three were reported covered in New York under the 2025 text.
    for path in (ACME, str(EXAMPLES / "borealis-labs" / "facts.yaml"), str(FACTS / "halvorsen-institute.yaml")):
        found = by_regime(coverage_json(invoke_candor, path, "-r", "ny-raise", "--as-of", "2026-12-06"))["ny-raise"]
        assert (found["covered"], found["obligations"]) == (False, []), path
    borealis = str(EXAMPLES / "borealis-labs" / "facts.yaml")
    found = by_regime(coverage_json(invoke_candor, borealis, "-r", "ny-raise", "--as-of", "2027-01-01"))["ny-raise"]
    assert (found["covered"], found["tier"]) == (True, "frontier-developer")


def test_examples_exercise_the_edges(invoke_candor: RunCandor) -> None:
    covered = {
        name: {
            regime: found["covered"]
            for regime, found in by_regime(
                coverage_json(invoke_candor, str(FACTS / name), "--as-of", "2026-09-01")
            ).items()
        }
        for name in ("pebble-ai.yaml", "lumenforge.yaml")
    }
    assert not any(covered["pebble-ai.yaml"].values())
    assert [regime for regime, yes in covered["lumenforge.yaml"].items() if yes] == ["eu-ai-act-gpai"]
    kestrel = by_regime(coverage_json(invoke_candor, str(FACTS / "kestrel-systems.yaml"), "--as-of", "2026-09-01"))
    assert kestrel["ca-sb53"]["covered"] is False
    assert kestrel["ca-sb53"]["near"] == ["training_compute_flop (Kestrel-7)", "revenue_usd"]


def test_text_report_shows_verdict_tier_margin_and_near(invoke_candor: RunCandor) -> None:
    result = invoke_candor("coverage", str(FACTS / "kestrel-systems.yaml"), "--as-of", "2026-09-01")
    assert result.returncode == 0, result.stderr
    assert "Coverage of kestrel-systems as of 2026-09-01" in result.stdout
    assert "COVERED, tier systemic-risk" in result.stdout
    assert "NEAR" in result.stdout
    assert "-5.0%" in result.stdout
    assert "9.5e25" in result.stdout


def test_text_report_lists_obligations_with_deadlines(invoke_candor: RunCandor) -> None:
    result = invoke_candor("coverage", ACME, "--regime", "ca-sb53", "--as-of", "2026-06-01")
    assert result.returncode == 0, result.stderr
    assert "frontier-ai-framework" in result.stdout
    assert "within 15 days" in result.stdout
    assert "2026-03-10" in result.stdout  # Acme-3.5's transparency report, due at its release


def coverage_text_at(invoke_candor: RunCandor, columns: int, *args: str) -> str:
    """The text report as a terminal (or a pipe) of ``columns`` columns would show it."""
    result = invoke_candor("coverage", *args, columns=columns)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_text_report_fits_80_columns_with_every_figure_whole(invoke_candor: RunCandor) -> None:
    kestrel = coverage_text_at(invoke_candor, 80, str(FACTS / "kestrel-systems.yaml"), "--as-of", "2026-06-01")
    acme = coverage_text_at(invoke_candor, 80, ACME, "--as-of", "2026-06-01")
    for text in (kestrel, acme):
        assert "…" not in text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    for figure in ("9.5e25", "> 1e26", "-5.0%", "$480M", "≥ $100M", "$950M", "≥ $1B", "> $500M", "-4.0%", "NEAR"):
        assert figure in kestrel, figure
    for figure in ("3.1e26", "1.2e27", "+1100.0%", "$650M", "$900M", "$300M", "+30.0%"):
        assert figure in acme, figure
    # Obligations are listed one under another, each with its document, deadline, recurrence and source.
    assert "transparency-report (Acme-3.5)" in acme
    assert re.search(r"^\s+due\s+2026-03-10 \(before or concurrently", acme, re.MULTILINE)
    assert "Cal. Bus. & Prof. Code §22757.13(c)(1)" in acme
    # Tier names are never split across lines.
    assert "large-frontier-developer" in acme


def test_text_report_opens_with_a_summary_table_in_plain_words(invoke_candor: RunCandor) -> None:
    text = coverage_text_at(invoke_candor, 80, ACME, "--as-of", "2026-12-06")
    lines = text.splitlines()
    assert lines[0] == "Coverage of acme-ai as of 2026-12-06"
    header = next(index for index, line in enumerate(lines) if line.startswith("regime "))
    assert header < text.count("\n") // 10  # the summary comes before any regime's details
    summary = "\n".join(lines[header : header + 12])
    assert re.search(r"ca-sb53\s+COVERED\s+large-frontier-developer\s+2025: law since\s", summary)
    assert re.search(r"ny-raise\s+not in force\s+—\s+2026: law from\s", summary)
    assert "proposal of" in summary
    assert "not yet" in summary
    assert "in effect from" not in text  # neither "proposal, in effect from" nor "not yet in effect from"


def test_every_missing_fact_is_reported_at_once(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "developer: min-ai\nlegal_name: Min AI\nmodels:\n  - name: Big\n    training_compute_flop: 3e26\n"
        "    training_started: 2025-01-01\n    eu_market_intent: true\n"
    )
    text = coverage_text_at(invoke_candor, 80, str(facts), "--as-of", "2027-02-01")
    assert "Missing facts (5): add them to the facts file and run again" in text
    for fact in ("revenue_usd_by_year[2026]", "rnd_usd", "capex_usd", "eu_established", "new_york_operations"):
        assert fact in text
    assert "needed by anthropic-2025, ca-sb53, ny-raise" in text
    assert "UNDETERMINED" in text


def test_text_report_never_rounds_a_figure_to_its_limit(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(Path(ACME).read_text(encoding="utf-8").replace("  2025: 650000000", "  2025: 499999999"))
    text = coverage_text_at(invoke_candor, 80, str(facts), "--regime", "ca-sb53", "--as-of", "2026-06-01")
    assert re.search(r"revenue_usd\s+\$499,999,999\s+> \$500M\s+-0\.0%\s+no NEAR", text)


def test_text_report_prints_a_model_name_with_brackets_as_written(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(Path(ACME).read_text(encoding="utf-8").replace("- name: Acme-3\n", '- name: "Acme [/] 3"\n'))
    text = coverage_text_at(invoke_candor, 80, str(facts), "--regime", "ca-sb53", "--as-of", "2026-06-01")
    assert re.search(r"training_compute_flop\s+Acme \[/\] 3\s", text)
    assert "transparency-report (Acme [/] 3)" in text


def test_param_overrides_the_seed_proposals_frontier_compute(invoke_candor: RunCandor) -> None:
    lumen = str(FACTS / "lumenforge.yaml")
    found = by_regime(
        coverage_json(invoke_candor, lumen, "-r", "anthropic-2025", "--param", "frontier_compute_flop=1e25")
    )
    assert found["anthropic-2025"]["tests"][0]["limit"] == 1e25


def test_unknown_regime_exits_2_listing_known_ids(invoke_candor: RunCandor) -> None:
    result = invoke_candor("coverage", ACME, "--regime", "ca-sb-53")
    assert_one_line_error(result, "unknown regime 'ca-sb-53'", "anthropic-2025, ca-sb53, eu-ai-act-gpai, ny-raise")


def test_bad_facts_exit_2_with_file_line_and_field(invoke_candor: RunCandor, tmp_path: Path) -> None:
    bad = tmp_path / "facts.yaml"
    text = Path(ACME).read_text()
    bad.write_text(text.replace("rnd_usd:", "rnd_uds:"))
    line = text.split("rnd_usd:")[0].count("\n") + 1
    result = invoke_candor("coverage", str(bad))
    assert_one_line_error(result, f"{bad}:{line}: rnd_uds: unknown field", "did you mean 'rnd_usd'?")


def test_an_old_format_facts_file_exits_2_saying_how_to_rewrite_it(invoke_candor: RunCandor, tmp_path: Path) -> None:
    old = tmp_path / "facts.yaml"
    old.write_text(
        "developer: old-ai\nlegal_name: Old AI\nfiscal_year: 2025\nannual_revenue_usd: 650000000\n"
        "rnd_capex_usd: 1200000000\nmodels: []\n"
    )
    result = invoke_candor("coverage", str(old))
    assert_one_line_error(result, f"{old}:3: fiscal_year: is a field of the old facts format", "rnd_usd and capex_usd")
    assert result.stderr.count("\n") == 1


def test_an_impossible_date_exits_2_with_file_line_and_field(invoke_candor: RunCandor, tmp_path: Path) -> None:
    text = Path(ACME).read_text(encoding="utf-8")
    bad = tmp_path / "facts.yaml"
    bad.write_text(text.replace("training_started: 2025-03-01", "training_started: 2025-02-30", 1))
    line = text.split("training_started: 2025-03-01")[0].count("\n") + 1
    result = invoke_candor("coverage", str(bad))
    assert_one_line_error(result, f"{bad}:{line}: models[0].training_started: 2025-02-30 is not a real date")
    assert result.stderr.count("\n") == 1


def test_the_unfilled_template_fails_clearly(invoke_candor: RunCandor) -> None:
    result = invoke_candor("coverage", TEMPLATE)
    assert_one_line_error(result, "developer: still holds the template placeholder <developer-slug>")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["no-such-facts.yaml"], "no such file"),
        ([str(EXAMPLES)], "is a directory"),
        ([ACME, "--as-of", "next year"], "is not a date"),
        ([ACME, "--param", "frontier_compute_flop"], "is not NAME=NUMBER"),
        ([ACME, "--param", "frontier_flop=1e25"], "unknown regime parameter 'frontier_flop'"),
        ([], "give a facts file"),
    ],
)
def test_bad_invocations_exit_2_with_one_line(invoke_candor: RunCandor, args: list[str], fragment: str) -> None:
    assert_one_line_error(invoke_candor("coverage", *args), fragment)


def test_list_regimes_in_text_and_json(invoke_candor: RunCandor) -> None:
    text = invoke_candor("coverage", "--list-regimes")
    assert text.returncode == 0
    assert "ny-raise" in text.stdout
    assert "2027-01-01" in text.stdout
    listing = json.loads(invoke_candor("coverage", "--list-regimes", "--format", "json").stdout)
    ny = next(regime for regime in listing if regime["id"] == "ny-raise")
    assert [version["effective_from"] for version in ny["versions"]] == ["2026-03-19", "2027-01-01"]
    assert [version["status"] for version in ny["versions"]] == ["never-in-force", "law"]


def test_demo_reports_coverage_of_every_example(invoke_candor: RunCandor) -> None:
    result = invoke_candor("demo", "--check-only", "--as-of", "2027-02-01", cwd=REPO)
    assert result.returncode == 0, result.stderr
    for developer in ("acme-ai", "halvorsen-institute", "kestrel-systems", "lumenforge", "pebble-ai"):
        assert f"Coverage of {developer} as of 2027-02-01" in result.stdout
    assert "Coverage as of 2027-02-01" in result.stdout
    assert "exempt" in result.stdout
    assert "checked against candor-minimum-2026.1" in result.stdout
    assert "examples/acme-ai/sdf-v1.md" in result.stdout
    assert "examples/invalid" not in result.stdout


def test_demo_reports_a_broken_example_and_still_shows_the_others(invoke_candor: RunCandor, tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "facts.yaml").write_text(Path(ACME).read_text())
    (tmp_path / "bad.yaml").write_text(Path(ACME).read_text().replace("capex_usd: 300000000", "capex_usd: soon"))
    line = Path(ACME).read_text().split("capex_usd:")[0].count("\n") + 1
    (tmp_path / "invalid").mkdir()
    (tmp_path / "invalid" / "facts.yaml").write_text("developer: [\n")
    result = invoke_candor("demo", "--check-only", "--examples", str(tmp_path))
    assert result.returncode == 1
    assert f"bad.yaml:{line}: capex_usd:" in result.stdout
    assert "Coverage of acme-ai" in result.stdout
    assert "invalid" not in result.stdout


def test_demo_without_an_examples_folder_fails_clearly(invoke_candor: RunCandor, tmp_path: Path) -> None:
    assert_one_line_error(
        invoke_candor("demo", "--check-only", cwd=tmp_path), "no examples folder here", "--examples DIR"
    )


def test_init_facts_fails_coverage_until_filled(invoke_candor: RunCandor, tmp_path: Path) -> None:
    target = tmp_path / "facts.yaml"
    assert invoke_candor("init", "facts", str(target)).returncode == 0
    assert_one_line_error(invoke_candor("coverage", str(target)), f"{target}:7: developer: still holds the template")
    text = target.read_text()
    for placeholder, value in {
        "<developer-slug>": "new-lab",
        "<legal-name>": "New Lab, Inc.",
        "<year>": "2025",
        "<revenue>": "120000000",
        "<rnd>": "200000000",
        "<capex>": "100000000",
        "<true-or-false>": "false",
        "<model-name>": "Lab-1",
        "<flop>": "2e26",
        "<cost>": "150000000",
        "<yyyy-mm-dd>": "2026-02-01",
        "<yyyy-mm-dd-or-null>": "null",
    }.items():
        text = text.replace(placeholder, value)
    target.write_text(text)
    report = coverage_json(invoke_candor, str(target), "-r", "ca-sb53", "--as-of", "2026-06-01")
    assert by_regime(report)["ca-sb53"]["tier"] == "frontier-developer"


@pytest.mark.parametrize("as_of", ["2025-07-01", "2026-06-01", "2026-12-06", "2027-01-01", "2027-08-03"])
def test_no_report_is_cut_at_80_columns(as_of: str) -> None:
    # Every shipped example on days around every effective date: no line over 80 columns, no "…", and every
    # tier id whole on one line (a folded "large-frontier-de/veloper" would misread).
    regimes = list(load_regimes().values())
    for path in [Path(ACME), *sorted(EXAMPLES.glob("*/facts.yaml")), *sorted(FACTS.glob("*.yaml"))]:
        report = report_coverage(read_facts(path), regimes, date.fromisoformat(as_of))
        out = io.StringIO()
        print_report(report, Console(width=80, file=out, highlight=False, no_color=True, legacy_windows=False))
        text = out.getvalue()
        assert "…" not in text, path
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 80, path
        for found in report.determinations:
            if found.tier:
                assert found.tier in text, (path, found.tier)
