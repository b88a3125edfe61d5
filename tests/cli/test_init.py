"""``candor init``: templates that fail the check until filled in, pass once they are, and never overwrite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from candor.cli.templates import TEMPLATE_FILES, TemplateKind, template_text
from candor.domain.parse import parse_bytes
from candor.domain.placeholders import is_placeholder
from tests.conftest import RunCandor

DISCLOSURE_KINDS = [TemplateKind.SDF, TemplateKind.SYSTEM_CARD, TemplateKind.CERTIFICATION]
_PLACEHOLDER = re.compile(r"<[a-z][^<>\n]*>")


def fill(template: str) -> str:
    """Replace every placeholder the way a policy team would: a slug, dates, versions, an address, prose."""

    def value(match: re.Match[str]) -> str:
        name = match.group(0)
        if name == "<developer-slug>":
            return "acme-ai"
        if name == "<yyyy-mm-dd>":
            return "2026-01-15"
        if name in ("<version>", "<framework-version>", "<model-version>", "<previous-version>"):
            return "1.0"
        if name == "<log-index>":
            return "7"
        if name == "<framework-document-sha256>":
            return "ab" * 32
        if name.startswith("<https-address"):
            return "https://acme-ai.example/disclosures"
        return "Written by the policy team, " + name.strip("<>").replace("-", " ") + "."

    return _PLACEHOLDER.sub(value, template)


@pytest.mark.parametrize("kind", list(TemplateKind), ids=str)
def test_init_writes_the_packaged_template(invoke_candor: RunCandor, tmp_path: Path, kind: TemplateKind) -> None:
    result = invoke_candor("init", kind.value, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / TEMPLATE_FILES[kind]
    assert written.read_text(encoding="utf-8") == template_text(kind)
    assert f"wrote {TEMPLATE_FILES[kind]}" in result.stdout


def test_init_never_overwrites(invoke_candor: RunCandor, tmp_path: Path) -> None:
    existing = tmp_path / "framework.md"
    existing.write_text("my work\n")
    result = invoke_candor("init", "sdf", str(existing))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"error: {existing}: already exists; candor init never overwrites a file (give another PATH)"
    )
    assert existing.read_text() == "my work\n"


def test_init_into_a_folder_uses_the_template_name(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("init", "certification", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "certification.md").is_file()


def test_init_into_a_missing_folder_fails_clearly(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("init", "system-card", str(tmp_path / "no" / "card.md"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_template_is_a_usage_error(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("init", "press-release", cwd=tmp_path)
    assert result.returncode == 2
    assert "press-release" in result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("kind", DISCLOSURE_KINDS, ids=str)
def test_every_template_value_is_commented_and_placeholders_are_recognised(kind: TemplateKind) -> None:
    template = template_text(kind)
    front_matter = template.split("\n---\n", 1)[0]
    placeholders = _PLACEHOLDER.findall(front_matter)
    assert placeholders
    assert all(is_placeholder(name) for name in placeholders)
    assert front_matter.count("#") >= 5


def test_unfilled_templates_fail_the_check_at_the_first_placeholder(invoke_candor: RunCandor, tmp_path: Path) -> None:
    paths = [tmp_path / TEMPLATE_FILES[kind] for kind in DISCLOSURE_KINDS]
    for kind, path in zip(DISCLOSURE_KINDS, paths, strict=True):
        path.write_text(template_text(kind), encoding="utf-8")
    result = invoke_candor("check", *map(str, paths))
    assert result.returncode == 2
    for path in paths:
        line = next(n for n, text in enumerate(path.read_text().split("\n"), 1) if text.startswith("developer:"))
        expected = f"{path}:{line}: developer: still holds the template placeholder <developer-slug>"
        assert expected in result.stderr + result.stdout


@pytest.mark.parametrize("kind", DISCLOSURE_KINDS, ids=str)
def test_filled_templates_parse(kind: TemplateKind) -> None:
    filled = fill(template_text(kind))
    assert not _PLACEHOLDER.search(filled.split("\n---\n", 1)[0])
    document = parse_bytes(TEMPLATE_FILES[kind], filled.encode())
    assert document.model.developer == "acme-ai"


def test_filled_templates_pass_the_check(invoke_candor: RunCandor, tmp_path: Path) -> None:
    paths = []
    for kind in DISCLOSURE_KINDS:
        path = tmp_path / TEMPLATE_FILES[kind]
        path.write_text(fill(template_text(kind)), encoding="utf-8")
        paths.append(str(path))
    result = invoke_candor("check", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout
