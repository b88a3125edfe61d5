"""Rule packs as data: loading, ``extends`` resolution, and the load-time errors that keep a bad pack out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from candor.domain.checks import CHECKS
from candor.domain.parse import parse_bytes
from candor.domain.regimes import load_regimes
from candor.domain.standards import (
    DEFAULT_STANDARD,
    Finding,
    RulePack,
    Severity,
    StandardCatalogue,
    StandardError,
    findings_by_severity,
    load_standard,
    run_standard,
)
from candor.errors import DocumentError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"

RULE = """\
  - id: {rule_id}
    applies_to: [secure-development-framework]
    severity: error
    message: The framework does not cover cyber offence
    rationale: Because.
    source: A test tenet
    url: https://example.org/tenets
    check: framework-covers-domains
    params:
      domains: [cyber]
"""


def write_pack(folder: Path, pack_id: str, *, extends: str | None = None, rules: str | None = None) -> Path:
    body = textwrap.dedent(
        f"""\
        id: {pack_id}
        version: "1"
        title: Test pack {pack_id}
        description: A pack written by a test.
        """
    )
    if extends:
        body += f"extends: {extends}\n"
    body += "rules:\n" + (rules if rules is not None else RULE.format(rule_id=f"T-{pack_id.upper()}"))
    path = folder / f"{pack_id}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_bundled_standards_are_listed_and_load() -> None:
    catalogue = StandardCatalogue.bundled()
    assert catalogue.ids() == ["ca-sb53-2026", "candor-minimum-2026.1", "eu-cop-2025", "ny-raise-2027"]
    for pack_id in catalogue.ids():
        pack = catalogue.load(pack_id)
        assert pack.id == pack_id
        assert pack.rules
        for rule in pack.rules:
            assert rule.check in CHECKS
            assert rule.source.strip()
            assert rule.rationale.strip()


def test_default_standard_is_the_minimum() -> None:
    assert load_standard(DEFAULT_STANDARD).id == "candor-minimum-2026.1"


def test_sb53_extends_minimum_with_parent_rules_first() -> None:
    minimum = load_standard("candor-minimum-2026.1")
    sb53 = load_standard("ca-sb53-2026")
    assert sb53.extends == minimum.id
    assert sb53.rules[: len(minimum.rules)] == minimum.rules
    own = [rule.id for rule in sb53.rules[len(minimum.rules) :]]
    assert own
    assert all(rule_id.startswith("SB53-") for rule_id in own)


def test_sb53_cites_each_of_the_ten_framework_elements() -> None:
    sources = " ".join(rule.source for rule in load_standard("ca-sb53-2026").rules)
    for element in range(1, 11):
        assert f"§22757.12(a)({element})" in sources
    assert "§22757.12(b)(1)" in sources


def test_rule_origins_name_the_defining_pack() -> None:
    origins = StandardCatalogue.bundled().rule_origins("ca-sb53-2026")
    assert origins["SDF-RISK-CBRN"] == "candor-minimum-2026.1"
    assert origins["SB53-FW-ANNUAL-REVIEW"] == "ca-sb53-2026"


def test_three_level_chain_resolves(tmp_path: Path) -> None:
    write_pack(tmp_path, "base")
    write_pack(tmp_path, "middle", extends="base")
    write_pack(tmp_path, "top", extends="middle")
    catalogue = StandardCatalogue.from_folder(tmp_path)
    top = catalogue.load("top")
    assert [rule.id for rule in top.rules] == ["T-BASE", "T-MIDDLE", "T-TOP"]
    assert catalogue.rule_origins("top") == {"T-BASE": "base", "T-MIDDLE": "middle", "T-TOP": "top"}


def test_unknown_standard_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(StandardError) as caught:
        StandardCatalogue.bundled().load("ca-sb53-2025")
    assert "unknown standard 'ca-sb53-2025'" in caught.value.diagnostics()
    assert "did you mean ca-sb53-2026?" in caught.value.diagnostics()


def test_extending_an_unknown_pack_is_an_error(tmp_path: Path) -> None:
    write_pack(tmp_path, "child", extends="nowhere")
    with pytest.raises(StandardError, match="child extends unknown standard 'nowhere'"):
        StandardCatalogue.from_folder(tmp_path).load("child")


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    write_pack(tmp_path, "alpha", extends="beta")
    write_pack(tmp_path, "beta", extends="alpha")
    with pytest.raises(StandardError, match="cycle: alpha -> beta -> alpha"):
        StandardCatalogue.from_folder(tmp_path).load("alpha")


def test_pack_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    write_pack(tmp_path, "selfish", extends="selfish")
    with pytest.raises(StandardError, match="cycle: selfish -> selfish"):
        StandardCatalogue.from_folder(tmp_path).load("selfish")


def test_unknown_check_is_an_error_at_load_time(tmp_path: Path) -> None:
    rules = RULE.format(rule_id="T-BAD").replace("framework-covers-domains", "framework-covers-domain")
    write_pack(tmp_path, "bad", rules=rules)
    with pytest.raises(DocumentError) as caught:
        StandardCatalogue.from_folder(tmp_path).load("bad")
    error = caught.value
    assert error.field == "rules[0].check"
    assert error.line == 13  # 4 header lines, "rules:", then the rule: id, applies_to ... url, check
    assert "unknown check 'framework-covers-domain'" in error.message
    assert "did you mean framework-covers-domains?" in error.message


def test_bad_check_params_are_an_error_at_load_time(tmp_path: Path) -> None:
    rules = RULE.format(rule_id="T-BAD").replace("[cyber]", "[cyberr]")
    write_pack(tmp_path, "bad", rules=rules)
    with pytest.raises(DocumentError) as caught:
        StandardCatalogue.from_folder(tmp_path).load("bad")
    assert caught.value.field == "rules[0].params.domains[0]"
    assert "did you mean cyber?" in caught.value.message


def test_unknown_check_param_is_an_error(tmp_path: Path) -> None:
    rules = RULE.format(rule_id="T-BAD").replace("      domains: [cyber]", "      domains: [cyber]\n      strict: true")
    write_pack(tmp_path, "bad", rules=rules)
    with pytest.raises(DocumentError) as caught:
        StandardCatalogue.from_folder(tmp_path).load("bad")
    assert caught.value.field == "rules[0].params.strict"


def test_field_present_refuses_a_field_the_kind_lacks(tmp_path: Path) -> None:
    rules = textwrap.dedent(
        """\
          - id: T-FIELD
            applies_to: [certification]
            severity: error
            message: m
            rationale: r
            source: s
            url: https://example.org/s
            check: field-present
            params:
              field: website
        """
    )
    write_pack(tmp_path, "bad", rules=textwrap.indent(rules, "  "))
    with pytest.raises(DocumentError, match="a certification has no field website") as caught:
        StandardCatalogue.from_folder(tmp_path).load("bad")
    assert caught.value.field == "rules[0].params.field"


def test_check_applied_to_a_kind_it_cannot_read_is_an_error(tmp_path: Path) -> None:
    rules = RULE.format(rule_id="T-KIND").replace("[secure-development-framework]", "[system-card]")
    write_pack(tmp_path, "bad", rules=rules)
    with pytest.raises(DocumentError, match="cannot read system-card documents") as caught:
        StandardCatalogue.from_folder(tmp_path).load("bad")
    assert caught.value.field == "rules[0].check"


def test_unknown_document_kind_is_an_error(tmp_path: Path) -> None:
    rules = RULE.format(rule_id="T-KIND").replace("[secure-development-framework]", "[system-cards]")
    write_pack(tmp_path, "bad", rules=rules)
    with pytest.raises(DocumentError, match="did you mean system-card") as caught:
        StandardCatalogue.from_folder(tmp_path).load("bad")
    assert caught.value.field == "rules[0].applies_to"


def test_rule_defined_twice_in_one_pack_is_an_error(tmp_path: Path) -> None:
    write_pack(tmp_path, "twice", rules=RULE.format(rule_id="T-SAME") * 2)
    with pytest.raises(DocumentError, match="rule T-SAME is defined twice") as caught:
        StandardCatalogue.from_folder(tmp_path).load("twice")
    assert caught.value.field == "rules[1].id"


def test_rule_redefined_by_an_extending_pack_is_an_error(tmp_path: Path) -> None:
    write_pack(tmp_path, "base", rules=RULE.format(rule_id="T-SHARED"))
    write_pack(tmp_path, "child", extends="base", rules=RULE.format(rule_id="T-SHARED"))
    with pytest.raises(DocumentError, match="already defined by base") as caught:
        StandardCatalogue.from_folder(tmp_path).load("child")
    assert caught.value.name == "child.yaml"
    assert caught.value.field == "rules[0].id"


def test_pack_id_must_match_file_name(tmp_path: Path) -> None:
    path = write_pack(tmp_path, "named")
    path.rename(tmp_path / "renamed.yaml")
    with pytest.raises(DocumentError, match="does not match its file name"):
        StandardCatalogue.from_folder(tmp_path).load("renamed")


def test_unknown_pack_field_is_an_error(tmp_path: Path) -> None:
    path = write_pack(tmp_path, "extra")
    path.write_text(path.read_text(encoding="utf-8").replace("version:", "versoin: x\nversion:"), encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        StandardCatalogue.from_folder(tmp_path).load("extra")
    assert caught.value.field == "versoin"
    assert caught.value.line == 2


def test_rule_id_must_be_upper_case_words(tmp_path: Path) -> None:
    write_pack(tmp_path, "lower", rules=RULE.format(rule_id="sdf-risk"))
    with pytest.raises(DocumentError) as caught:
        StandardCatalogue.from_folder(tmp_path).load("lower")
    assert caught.value.field == "rules[0].id"


def test_pack_yaml_is_loaded_strictly(tmp_path: Path) -> None:
    path = write_pack(tmp_path, "tagged")
    path.write_text(path.read_text(encoding="utf-8").replace('"1"', "!!python/object:os.system x"), encoding="utf-8")
    with pytest.raises(DocumentError, match="YAML tags"):
        StandardCatalogue.from_folder(tmp_path).load("tagged")


def test_run_standard_skips_rules_for_other_kinds(tmp_path: Path) -> None:
    write_pack(tmp_path, "cyber")
    pack = StandardCatalogue.from_folder(tmp_path).load("cyber")
    card = parse_bytes("card.md", (EXAMPLES / "system-card-acme-3-5.md").read_bytes())
    assert run_standard(pack, card) == []


def test_run_standard_builds_findings_from_the_rule(tmp_path: Path) -> None:
    rules = RULE.format(rule_id="T-MANIP").replace("[cyber]", "[manipulation]") + "    hint: add it\n"
    write_pack(tmp_path, "manip", rules=rules)
    pack: RulePack = StandardCatalogue.from_folder(tmp_path).load("manip")
    framework = parse_bytes("sdf.md", (EXAMPLES / "sdf-v1.md").read_bytes())
    (finding,) = run_standard(pack, framework)
    assert finding.rule_id == "T-MANIP"
    assert finding.severity is Severity.ERROR
    assert finding.location == f"sdf.md:{framework.line_of(('risk_domains',))}"
    # The rule lists one domain, which its message names: the finding adds no detail that would repeat it.
    assert finding.message == "The framework does not cover cyber offence"
    # The check's own hint is more precise than the rule's, so it wins.
    assert finding.hint is not None
    assert "id: manipulation" in finding.hint


def test_findings_by_severity_counts_every_level() -> None:
    finding = Finding(rule_id="X-Y", severity=Severity.WARNING, file="f", line=None, field=None, message="m", hint=None)
    assert findings_by_severity([finding, finding]) == {Severity.ERROR: 0, Severity.WARNING: 2, Severity.NOTICE: 0}
    assert finding.location == "f"


def test_every_pack_follows_a_regime_that_exists() -> None:
    # A pack applies to the developers its regime covers; a misspelt or renamed regime would silently apply it to
    # nobody, so a bundled pack must name a regime the coverage engine knows.
    regimes = load_regimes()
    catalogue = StandardCatalogue.bundled()
    followed = {catalogue.load(pack_id).regime for pack_id in catalogue.ids()} - {None}
    assert followed == {"ca-sb53", "ny-raise", "eu-ai-act-gpai"}
    assert followed <= set(regimes)


def test_a_pack_knows_which_tenets_its_rules_cite() -> None:
    pack = StandardCatalogue.bundled().load("ca-sb53-2026")
    # Inherited with the rules of the pack it extends, and found in "Tenet 2" and "Tenets 2 and 4" alike.
    assert [tenet.number for tenet in pack.cited_tenets()] == [2, 3, 4, 5, 6]
    assert all(tenet.url.startswith("https://www.anthropic.com/") for tenet in pack.tenets)
    assert StandardCatalogue.bundled().load("eu-cop-2025").cited_tenets() == []
