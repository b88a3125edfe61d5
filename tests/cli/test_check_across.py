"""``candor check --across``: contradictions between files, named by rule id and by both files, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import EXAMPLES, RunCandor

ACME = EXAMPLES / "acme-ai"


def _early_card(tmp_path: Path) -> Path:
    """The Acme-3.5 card, released before the framework version it applied took effect."""
    text = (ACME / "system-card-acme-3-5.md").read_text(encoding="utf-8")
    path = tmp_path / "early-card.md"
    path.write_text(text.replace("release_date: 2026-03-10", "release_date: 2026-01-10"), encoding="utf-8")
    return path


def test_a_card_released_before_its_framework_fails_with_the_rule_and_both_files(
    invoke_candor: RunCandor, tmp_path: Path
) -> None:
    card, framework = _early_card(tmp_path), ACME / "sdf-v2.md"
    result = invoke_candor("check", "--across", str(framework), str(card))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "across.deployed-before-framework" in result.stdout
    assert f"{card} against {framework}" in result.stdout
    assert "1 contradiction across documents" in result.stdout
    report = json.loads(invoke_candor("check", "--across", "--format", "json", str(framework), str(card)).stdout)
    assert [(f["rule_id"], f["subject"], f["other"]) for f in report["across"]] == [
        ("across.deployed-before-framework", str(card), str(framework))
    ]


def test_the_examples_pass_across_documents_and_without_the_flag_nothing_is_compared(
    invoke_candor: RunCandor, tmp_path: Path
) -> None:
    files = [str(path) for path in sorted(ACME.glob("*.md"))]
    result = invoke_candor("check", "--across", *files)
    assert result.returncode == 0, result.stdout
    assert "Across documents" not in result.stdout
    # The same failing pair without --across: each file passes on its own.
    plain = invoke_candor("check", str(ACME / "sdf-v2.md"), str(_early_card(tmp_path)))
    assert plain.returncode == 0, plain.stdout
    assert "across." not in plain.stdout


def test_an_unreadable_file_still_exits_2_with_across(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("check", "--across", str(ACME / "sdf-v2.md"), str(tmp_path / "absent.md"))
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
