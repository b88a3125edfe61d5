"""Parsing disclosure files: every mistake becomes one line naming the file, the line and the field."""

from __future__ import annotations

import pytest

from candor.domain.documents import Certification, SecureDevelopmentFramework
from candor.domain.parse import ParsedDocument, parse_bytes, parse_document
from candor.domain.source import MAX_DOCUMENT_BYTES, Source
from candor.errors import DocumentError, SourceError
from tests.conftest import EXAMPLES

CERTIFICATION = """\
---
kind: certification
developer: acme-ai
version: "2026"
framework: "2.0"
period:
  start: 2026-01-01
  end: 2026-06-30
statement: We complied with version 2.0 of our framework.
officer:
  name: Dana Okafor
  title: Responsible Scaling Officer
date: 2026-07-20
---

# Certification

Signed.
"""


def parse(text: str, name: str = "cert.md") -> ParsedDocument:
    return parse_document(Source(name, text))


def fails(text: str, name: str = "cert.md") -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse(text, name)
    return caught.value


def test_front_matter_becomes_the_model_and_the_rest_the_body() -> None:
    parsed = parse(CERTIFICATION)
    assert isinstance(parsed.model, Certification)
    assert parsed.model.officer.name == "Dana Okafor"
    assert parsed.body == "\n# Certification\n\nSigned.\n"
    assert parsed.body_line == 15
    assert CERTIFICATION.split("\n")[parsed.body_line - 1 : parsed.body_line + 1] == ["", "# Certification"]
    assert parsed.name == "cert.md"
    assert parsed.source.text == CERTIFICATION


def test_field_lines_are_lines_of_the_file() -> None:
    parsed = parse(CERTIFICATION)
    lines = CERTIFICATION.split("\n")
    for path, starts_with in [(("kind",), "kind:"), (("period", "end"), "  end:"), (("officer", "title"), "  title:")]:
        line = parsed.line_of(path)
        assert line is not None
        assert lines[line - 1].startswith(starts_with)


def test_windows_line_endings_and_a_byte_order_mark_are_accepted() -> None:
    raw = ("\ufeff" + CERTIFICATION).replace("\n", "\r\n").encode("utf-8")
    parsed = parse_bytes("cert.md", raw)
    assert isinstance(parsed.model, Certification)
    assert parsed.line_of(("date",)) == 13


def test_a_wrong_strength_names_file_line_and_field() -> None:
    text = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    target = next(i for i, line in enumerate(lines) if line == "    strength: must")
    lines[target] = "    strength: mst"
    error = fails("\n".join(lines), "sdf.md")
    assert error.diagnostics() == (
        f"sdf.md:{target + 1}: risk_domains[0].strength: must be one of must, should, may (did you mean must?)"
    )
    assert (error.line, error.field) == (target + 1, "risk_domains[0].strength")


def test_an_unknown_key_suggests_the_known_one() -> None:
    error = fails(CERTIFICATION.replace("statement:", "statment:"))
    assert error.message.startswith("cert.md:9: statment: is not a known field")
    # The misspelt key also leaves "statement" missing: that is the same mistake, reported once.
    assert error.hint == "did you mean statement?"


def test_problems_beyond_a_misspelt_key_are_counted() -> None:
    error = fails(CERTIFICATION.replace("statement:", "statment:").replace("  name: Dana Okafor", "  name: 7"))
    assert error.field == "statment"
    assert error.hint == "did you mean statement? 1 more problem after this one"


def test_an_unknown_nested_key_suggests_from_its_own_model() -> None:
    error = fails(CERTIFICATION.replace("  title: Responsible", "  titel: Responsible"))
    assert (error.line, error.field) == (12, "officer.titel")
    assert error.hint is not None
    assert error.hint.startswith("did you mean title?")


def test_an_unknown_key_deep_in_a_list_suggests_from_the_list_items_model() -> None:
    text = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text(encoding="utf-8")
    error = fails(
        text.replace("        method: Automated question set", "        metod: Automated question set"), "sdf.md"
    )
    assert error.field == "risk_domains[0].evaluations[0].metod"
    assert error.hint is not None
    assert error.hint.startswith("did you mean method?")


def test_an_unrelated_unknown_key_lists_the_known_fields() -> None:
    error = fails(CERTIFICATION.replace("date: 2026-07-20", "date: 2026-07-20\nsignature: xyz"))
    assert error.field == "signature"
    assert error.hint is not None
    assert "known fields here: developer, version, supersedes, kind, framework" in error.hint


def test_a_missing_field_is_required() -> None:
    error = fails(CERTIFICATION.replace("statement: We complied with version 2.0 of our framework.\n", ""))
    assert error.diagnostics() == "cert.md:2: statement: is required"


def test_a_missing_nested_field_points_at_its_parent() -> None:
    error = fails(CERTIFICATION.replace("  name: Dana Okafor\n", ""))
    assert error.diagnostics() == "cert.md:10: officer.name: is required"


def test_a_number_where_text_belongs_says_to_quote_it() -> None:
    error = fails(CERTIFICATION.replace('framework: "2.0"', "framework: 2.0"))
    assert (
        error.diagnostics()
        == 'cert.md:5: framework: must be text (YAML reads 2.0 as a number; put it in quotes: "2.0")'
    )


def test_a_quoted_date_says_to_unquote_it() -> None:
    error = fails(CERTIFICATION.replace("date: 2026-07-20", 'date: "2026-07-20"'))
    assert error.diagnostics() == (
        "cert.md:13: date: must be a date written as YYYY-MM-DD (write the date without quotes)"
    )


def test_an_empty_value_says_so() -> None:
    error = fails(CERTIFICATION.replace("statement: We complied with version 2.0 of our framework.", "statement:"))
    assert error.message == "cert.md:9: statement: has no value"


def test_a_cross_field_problem_names_the_field_to_change() -> None:
    error = fails(CERTIFICATION.replace("  end: 2026-06-30", "  end: 2025-06-30"))
    assert error.diagnostics() == "cert.md:8: period.end: the period ends (2025-06-30) before it starts (2026-01-01)"


def test_the_first_problem_in_the_file_is_reported_and_the_rest_counted() -> None:
    text = CERTIFICATION.replace("developer: acme-ai", "developer: Acme").replace("  name: Dana Okafor", "  name: 7")
    error = fails(text)
    assert error.line == 3
    assert error.field == "developer"
    assert error.hint == "1 more problem after this one"


def test_no_front_matter() -> None:
    error = fails("# Framework\n\nkind: certification\n")
    assert error.line == 1
    assert "no front matter" in error.message


def test_front_matter_that_is_never_closed() -> None:
    error = fails(CERTIFICATION.replace("\n---\n\n# Certification", "\n\n# Certification"))
    assert error.diagnostics() == "cert.md:1: the front matter opened on line 1 is never closed with a '---' line"


def test_empty_front_matter() -> None:
    assert fails("---\n---\nbody\n").message == "cert.md:1: the front matter is empty"


def test_front_matter_that_is_not_a_mapping() -> None:
    assert "must be a mapping" in fails("---\n- a\n- b\n---\n").message


def test_a_missing_kind_lists_the_kinds() -> None:
    error = fails(CERTIFICATION.replace("kind: certification\n", ""))
    assert error.field == "kind"
    assert error.hint == "one of secure-development-framework, system-card, certification"


@pytest.mark.parametrize(("kind", "suggestion"), [("sdf", None), ("system_card", "system-card"), ("42", None)])
def test_an_unknown_kind_suggests_the_nearest(kind: str, suggestion: str | None) -> None:
    error = fails(CERTIFICATION.replace("kind: certification", f"kind: {kind}"))
    assert (error.line, error.field) == (2, "kind")
    assert "is not a kind of disclosure" in error.message
    if suggestion:
        assert error.hint == f"did you mean {suggestion}?"
    else:
        assert error.hint is not None
        assert error.hint.startswith("one of")


def test_a_placeholder_is_refused_before_its_type_is_checked() -> None:
    error = fails(CERTIFICATION.replace("date: 2026-07-20", "date: <yyyy-mm-dd>"))
    assert error.diagnostics() == (
        "cert.md:13: date: still holds the template placeholder <yyyy-mm-dd> (replace it with the real value)"
    )


def test_yaml_errors_carry_file_lines_not_front_matter_lines() -> None:
    error = fails(CERTIFICATION.replace("statement: We", "statement: !!python/object:os.system We"))
    assert error.line == 9
    error = fails(CERTIFICATION.replace("date: 2026-07-20", "date: 2026-07-20\ndeveloper: other"))
    assert error.line == 14


def test_bytes_are_checked_before_parsing() -> None:
    with pytest.raises(SourceError, match="file is empty"):
        parse_bytes("empty.md", b"  \n")
    latin = CERTIFICATION.replace("Okafor", "Okaf\u00f6r").encode("latin-1")
    line = CERTIFICATION[: CERTIFICATION.index("Okafor")].count("\n") + 1
    with pytest.raises(DocumentError, match=rf"^latin\.md:{line}: bytes are not valid UTF-8 \(offset \d+\)$"):
        parse_bytes("latin.md", latin)
    with pytest.raises(SourceError, match="over the limit"):
        parse_bytes("huge.md", CERTIFICATION.encode() + b"x" * MAX_DOCUMENT_BYTES)


def test_a_large_body_is_kept_whole() -> None:
    body = "\n".join(f"Paragraph {n} with a line of text --- and dashes." for n in range(20000))
    parsed = parse(CERTIFICATION + body)
    assert parsed.body.endswith("Paragraph 19999 with a line of text --- and dashes.")
    assert isinstance(parse((EXAMPLES / "acme-ai" / "sdf-v2.md").read_text()).model, SecureDevelopmentFramework)
