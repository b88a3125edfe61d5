"""The redacted share of a document, by category: exact in an original, between bounds in a public version."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.public_version import derive_public_text, new_salts
from candor.domain.redaction import DocumentRedactions, RedactionCategory
from candor.domain.redaction_statistics import RedactionStatistics, redaction_statistics

CERTIFICATION = (Path(__file__).resolve().parents[2] / "examples" / "acme-ai" / "certification-2026.md").read_text()
FRONT, _, _ = CERTIFICATION.partition("\n---\n")
STATEMENT_LINE = next(line for line in FRONT.split("\n") if line.startswith("statement:"))


def document(body: str, *, redact_statement: str | None = None) -> ParsedDocument:
    front = FRONT
    if redact_statement is not None:
        # The folded statement's continuation lines go with it: the redacted value replaces the whole field.
        start = front.index(STATEMENT_LINE)
        end = front.index("\nofficer:")
        mark = f'category: legal-compliance, justification: "Under review", value: "{redact_statement}"'
        value = f"statement: {{redact: {{{mark}}}}}"
        front = front[:start] + value + front[end:]
    return parse_bytes("cert.md", f"{front}\n---\n{body}".encode())


def statistics(parsed: ParsedDocument) -> RedactionStatistics:
    return redaction_statistics(DocumentRedactions.of(parsed.body, parsed.redactions))


def public(parsed: ParsedDocument) -> ParsedDocument:
    return parse_bytes("cert.md", derive_public_text(parsed, new_salts(len(parsed.redactions))).encode())


BODY = (
    f"{'v' * 600}\n"
    f"::: redact category=cybersecurity justification=j\n{'c' * 300}\n:::\n"
    f"Made by [{'t' * 50}]{{.redact category=trade-secret justification=k}}.\n"
)


def test_an_original_gives_exact_shares_by_category() -> None:
    found = statistics(document(BODY))
    visible = (
        len(BODY)
        - len(f"::: redact category=cybersecurity justification=j\n{'c' * 300}\n:::")
        - len(f"[{'t' * 50}]{{.redact category=trade-secret justification=k}}")
    )
    assert found.passages == 2
    assert found.share.exact
    assert found.share.least == pytest.approx(350 / (visible + 350))
    trade, cyber = found.by_category  # in the categories' own order: trade secrets first
    assert (cyber.category, cyber.passages, cyber.chars.least, cyber.chars.most) == (
        RedactionCategory.CYBERSECURITY,
        1,
        300,
        300,
    )
    assert cyber.share.least == pytest.approx(300 / (visible + 350))
    assert trade.category is RedactionCategory.TRADE_SECRET
    assert trade.share.most == pytest.approx(50 / (visible + 350))
    assert found.front_matter == ()


def test_a_public_version_gives_the_share_between_its_buckets_bounds() -> None:
    original = document(BODY)
    exact = statistics(original)
    bounded = statistics(public(original))
    assert not bounded.share.exact
    assert bounded.share.most is not None
    # The truth lies within the bounds the public version allows.
    assert bounded.share.least <= exact.share.least <= bounded.share.most
    for truth, told in zip(exact.by_category, bounded.by_category, strict=True):
        assert told.category is truth.category
        assert told.share.most is not None
        assert told.share.least <= truth.share.least <= told.share.most
    cyber = bounded.by_category[1]
    assert (cyber.chars.least, cyber.chars.most) == (100, 999)


def test_a_passage_over_ten_thousand_characters_leaves_no_upper_bound() -> None:
    body = f"Intro.\n::: redact category=national-security justification=j\n{'n' * 10_000}\n:::\n"
    found = statistics(public(document(body)))
    assert found.share.most is None
    assert found.by_category[0].chars.most is None
    assert found.share.least > 0.99


def test_a_redacted_front_matter_value_counts_and_is_named() -> None:
    found = statistics(public(document("Plain prose.\n", redact_statement="We certify compliance.")))
    assert found.passages == 1
    assert [(value.field, value.category, value.justification) for value in found.front_matter] == [
        ("statement", RedactionCategory.LEGAL_COMPLIANCE, "Under review")
    ]
    assert found.by_category[0].category is RedactionCategory.LEGAL_COMPLIANCE


def test_a_document_without_redactions_has_none() -> None:
    found = statistics(document("Nothing withheld.\n"))
    assert (found.passages, found.share.least, found.share.most, found.by_category) == (0, 0.0, 0.0, ())
