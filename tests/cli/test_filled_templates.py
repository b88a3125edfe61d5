"""A template from ``candor init``, filled in as its comments say, passes every shipped standard.

The filling is mechanical, so that a template which cannot pass (a required field missing, a domain a statute asks
for left out) fails here rather than in a developer's CI: every ``<placeholder>`` gets a value of its kind (a date,
a version, an https address, a slug, a count, a hash, or prose made from the placeholder's own words), and the
commented-out lines stay commented, as they are for a first version.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from candor.cli.templates import TemplateKind, template_text
from candor.domain.checks import CheckContext
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.standards import StandardCatalogue, run_standard
from tests.conftest import REPO, RunCandor

_PLACEHOLDER = re.compile(r"<([a-z0-9][a-z0-9-]*)>")

# Values for placeholders whose field is not prose. Everything else is prose made from the placeholder's words.
_TYPED = {
    "developer-slug": "example-ai",
    "version": "1.0",
    "framework-version": "1.0",
    "model-version": "1.0",
    "previous-version": "0.9",
    "previous-card-version": "0.9",
    "yyyy-mm-dd": "2026-06-30",
    "log-index": "7",
    "framework-document-sha256": "a" * 64,
    "language": "English",
}


def fill(template: str) -> str:
    """The template with every placeholder replaced by a value of its kind."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _TYPED:
            return _TYPED[name]
        if name.startswith("https-"):
            return f"https://example.com/{name.removeprefix('https-')}"
        return name.replace("-", " ").capitalize()

    return _PLACEHOLDER.sub(value, template)


def filled(kind: TemplateKind) -> ParsedDocument:
    return parse_bytes(f"{kind.value}.md", fill(template_text(kind)).encode())


DISCLOSURES = [TemplateKind.SDF, TemplateKind.SYSTEM_CARD, TemplateKind.CERTIFICATION]


@pytest.mark.parametrize("kind", DISCLOSURES, ids=[kind.value for kind in DISCLOSURES])
def test_filling_leaves_no_placeholder(kind: TemplateKind) -> None:
    assert _PLACEHOLDER.search(template_text(kind))
    assert not _PLACEHOLDER.search(fill(template_text(kind)))


@pytest.mark.parametrize("pack_id", StandardCatalogue.bundled().ids())
@pytest.mark.parametrize("kind", DISCLOSURES, ids=[kind.value for kind in DISCLOSURES])
def test_a_filled_in_template_passes_every_shipped_standard(kind: TemplateKind, pack_id: str) -> None:
    documents = [filled(each) for each in DISCLOSURES]
    # Checked together, as a developer would check a release: the card and the certification name the framework.
    context = CheckContext.of(document.model for document in documents)
    pack = StandardCatalogue.bundled().load(pack_id)
    findings = run_standard(pack, filled(kind), context)
    assert [f"{finding.rule_id}: {finding.message}" for finding in findings] == []


def test_the_system_card_template_offers_supersedes() -> None:
    assert '# supersedes: "<previous-card-version>"' in template_text(TemplateKind.SYSTEM_CARD)
    with_supersedes = fill(template_text(TemplateKind.SYSTEM_CARD)).replace("# supersedes:", "supersedes:", 1)
    card = parse_bytes("system-card.md", with_supersedes.encode())
    assert card.model.supersedes == "0.9"


#: The block example of docs/redaction.md, where the templates send an author instead of showing it in a comment.
DOCS_EXAMPLE = re.search(r"```\n(::: redact [^\n]*\n.*?\n:::)\n```", (REPO / "docs" / "redaction.md").read_text(), re.S)


@pytest.mark.parametrize("kind", [TemplateKind.SDF, TemplateKind.SYSTEM_CARD], ids=["sdf", "system-card"])
def test_a_filled_in_template_with_the_docs_redaction_example_redacts_and_checks_cleanly(
    kind: TemplateKind, run_candor: RunCandor, tmp_path: Path
) -> None:
    assert DOCS_EXAMPLE is not None
    template = template_text(kind)
    # The template explains redaction in a comment, but shows no markup there: it would be refused inside one.
    comments = re.findall(r"<!--.*?-->", template, re.S)
    assert any("docs/redaction.md" in comment for comment in comments)
    assert not any(":::" in comment or "{.redact" in comment for comment in comments)
    document = tmp_path / f"{kind.value}.md"
    document.write_text(fill(template) + "\n" + DOCS_EXAMPLE.group(1) + "\n", "utf-8")
    regulator = tmp_path / "regulator"
    assert run_candor("regulator", "keygen", str(regulator)).returncode == 0
    # --out names a directory that does not exist yet: it is created.
    out = tmp_path / "public" / "for-the-registry"
    redacted = run_candor("redact", str(document), "--regulator-key", f"{regulator}.pub", "--out", str(out))
    assert redacted.returncode == 0, redacted.stderr
    public = (out / document.name).read_text("utf-8")
    assert "The passage, over as many lines" not in public
    assert (out / f"{kind.value}.sealed").is_file()
    checked = run_candor("check", str(out / document.name))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The comment's lines are no redaction: the public version keeps them as written.
    assert all(comment in public for comment in comments)
