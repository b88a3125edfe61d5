"""``candor standards list|show``."""

from __future__ import annotations

import json

from tests.conftest import RunCandor


def test_list_names_every_standard_and_the_default(invoke_candor: RunCandor) -> None:
    result = invoke_candor("standards", "list")
    assert result.returncode == 0
    for pack_id in ("candor-minimum-2026.1", "ca-sb53-2026", "eu-cop-2025"):
        assert pack_id in result.stdout
    assert "(default)" in result.stdout
    assert "extends candor-minimum-2026.1" in result.stdout


def test_list_as_json(invoke_candor: RunCandor) -> None:
    result = invoke_candor("standards", "list", "--format", "json")
    packs = {pack["id"]: pack for pack in json.loads(result.stdout)}
    assert packs["ca-sb53-2026"]["extends"] == "candor-minimum-2026.1"
    assert packs["candor-minimum-2026.1"]["default"] is True
    assert packs["ca-sb53-2026"]["rule_count"] > packs["candor-minimum-2026.1"]["rule_count"]
    # Which developers the registry holds to each pack, as data: the regime it follows and when it binds.
    assert packs["ca-sb53-2026"]["regime"] == "ca-sb53"
    assert packs["ny-raise-2027"]["effective_from"] == "2027-01-01"
    assert packs["candor-minimum-2026.1"]["regime"] is None


def test_show_explains_every_rule(invoke_candor: RunCandor) -> None:
    listing = json.loads(invoke_candor("standards", "show", "ca-sb53-2026", "--format", "json").stdout)
    result = invoke_candor("standards", "show", "ca-sb53-2026")
    assert result.returncode == 0
    for rule in listing["rules"]:
        assert rule["id"] in result.stdout
    text = " ".join(result.stdout.split())  # undo the terminal's line wrapping
    for rule in listing["rules"]:
        for field in ("message", "rationale", "source"):
            assert " ".join(rule[field].split()) in text, (rule["id"], field)
    assert "SB53-FW-WEIGHT-SECURITY error" in text
    assert "SDF-RISK-CBRN error (from candor-minimum-2026.1)" in text


def test_show_as_json_gives_rule_fields_and_origin(invoke_candor: RunCandor) -> None:
    result = invoke_candor("standards", "show", "ca-sb53-2026", "--format", "json")
    document = json.loads(result.stdout)
    rules = {rule["id"]: rule for rule in document["rules"]}
    annual = rules["SB53-FW-ANNUAL-REVIEW"]
    assert annual["severity"] == "error"
    assert annual["source"] == "Cal. Bus. & Prof. Code §22757.12(b)(1)"
    assert annual["defined_in"] == "ca-sb53-2026"
    assert annual["params"] == {"max_months": 12}
    assert rules["SDF-RISK-CBRN"]["defined_in"] == "candor-minimum-2026.1"
    assert document["description"]


def test_show_unknown_standard_exits_2(invoke_candor: RunCandor) -> None:
    result = invoke_candor("standards", "show", "eu-cop-2024")
    assert result.returncode == 2
    assert "unknown standard 'eu-cop-2024'" in result.stderr
    assert "did you mean eu-cop-2025?" in result.stderr
    assert "Traceback" not in result.stderr
