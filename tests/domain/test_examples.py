"""The shipped examples: Acme AI's disclosures parse and meet the minimum standard; each invalid file fails as
examples/invalid/README.md says, through the library and through the real ``candor check``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from candor.domain.documents import Certification, SecureDevelopmentFramework, SystemCard
from candor.domain.parse import parse_bytes
from candor.domain.standards import DEFAULT_STANDARD, Severity, StandardCatalogue, run_standard
from candor.errors import CandorError, DocumentError, SourceError
from tests.conftest import EXAMPLES, RunCandor

ACME = EXAMPLES / "acme-ai"
INVALID = EXAMPLES / "invalid"
DISCLOSURES = sorted(ACME.glob("*.md"))


def _expectations() -> dict[str, tuple[int | None, str]]:
    """The README table: file -> (line, error excerpt)."""
    rows = re.findall(r"^\| (\S+\.md) \| (\d+|-) \| (.+) \|$", (INVALID / "README.md").read_text(), re.M)
    return {name: (None if line == "-" else int(line), excerpt) for name, line, excerpt in rows}


EXPECTED = _expectations()


def test_acme_publishes_two_frameworks_two_system_cards_and_a_certification() -> None:
    kinds = {path.name: type(parse_bytes(path.name, path.read_bytes()).model) for path in DISCLOSURES}
    assert kinds == {
        "sdf-v1.md": SecureDevelopmentFramework,
        "sdf-v2.md": SecureDevelopmentFramework,
        "system-card-acme-3.md": SystemCard,
        "system-card-acme-3-5.md": SystemCard,
        "certification-2026.md": Certification,
    }


@pytest.mark.parametrize("path", DISCLOSURES, ids=lambda path: path.name)
def test_every_acme_disclosure_meets_the_minimum_standard(path: Path) -> None:
    document = parse_bytes(path.name, path.read_bytes())
    assert document.model.developer == "acme-ai"
    findings = run_standard(StandardCatalogue.bundled().load(DEFAULT_STANDARD), document)
    assert [finding for finding in findings if finding.severity is Severity.ERROR] == []


def _load(name: str) -> SecureDevelopmentFramework:
    model = parse_bytes(name, (ACME / name).read_bytes()).model
    assert isinstance(model, SecureDevelopmentFramework)
    return model


def test_framework_v2_supersedes_v1_and_its_changelog_discloses_the_one_weakening() -> None:
    v1, v2 = _load("sdf-v1.md"), _load("sdf-v2.md")
    assert (v1.version, v2.version, v2.supersedes) == ("1.0", "2.0", "1.0")
    rank = {"must": 3, "should": 2, "may": 1}
    before = {ref.id: ref.strength for ref in v1.commitments()}
    after = {ref.id: ref.strength for ref in v2.commitments()}
    assert set(before) <= set(after), "v2 drops no commitment"
    weakened = [cid for cid in before if rank[after[cid]] < rank[before[cid]]]
    strengthened = [cid for cid in before if rank[after[cid]] > rank[before[cid]]]
    assert weakened == ["chem.expert-red-team"]
    assert len(strengthened) >= 4
    assert any("Expert chemical red-teaming is now a may" in change for change in v2.changelog[0].changes)


def test_system_cards_name_the_framework_version_in_force_at_release() -> None:
    cards = [parse_bytes(p.name, p.read_bytes()).model for p in sorted(ACME.glob("system-card-*.md"))]
    frameworks = {fw.version: fw for fw in (_load("sdf-v1.md"), _load("sdf-v2.md"))}
    for card in cards:
        assert isinstance(card, SystemCard)
        framework = frameworks[card.framework]
        assert framework.effective_date <= card.release_date
        assert {entry.domain for entry in card.evaluations} == {domain.id for domain in framework.risk_domains}


def test_every_body_holds_prose_and_the_frameworks_hold_a_redaction() -> None:
    for path in DISCLOSURES:
        body = parse_bytes(path.name, path.read_bytes()).body
        assert body.lstrip().startswith("# ")
    redaction = re.compile(r'^::: redact category=[a-z-]+ justification="[^"]+"\n.+?\n:::$', re.M | re.S)
    assert redaction.search((ACME / "sdf-v2.md").read_text())


def test_the_readme_describes_every_invalid_file() -> None:
    assert sorted(EXPECTED) == sorted(path.name for path in INVALID.glob("*.md") if path.name != "README.md")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_invalid_example_fails_with_its_documented_error(name: str) -> None:
    line, excerpt = EXPECTED[name]
    with pytest.raises(CandorError) as caught:
        parse_bytes(name, (INVALID / name).read_bytes())
    error = caught.value
    assert excerpt in error.diagnostics()
    if isinstance(error, DocumentError):
        assert error.line == line
        assert error.message.startswith(f"{name}:{line}: ")
    else:
        assert isinstance(error, SourceError)
        assert line is None


def test_candor_check_refuses_each_bad_input_in_one_line_with_exit_2(invoke_candor: RunCandor, tmp_path: Path) -> None:
    oversize = tmp_path / "oversize.md"
    oversize.write_bytes(b"---\nkind: certification\n---\n" + b"x" * (5 * 1024 * 1024))
    folder = tmp_path / "a-folder.md"
    folder.mkdir()
    names = sorted(EXPECTED)
    result = invoke_candor("check", *(str(INVALID / name) for name in names), str(oversize), str(folder))
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for name in names:
        line, excerpt = EXPECTED[name]
        location = f"{INVALID / name}:{line}" if line else str(INVALID / name)
        assert any(location in row and excerpt in row for row in output.splitlines()), name
    assert re.search(r"oversize\.md: file is [\d,]+ bytes, over the limit", output)
    assert "a-folder.md: is a directory" in output
