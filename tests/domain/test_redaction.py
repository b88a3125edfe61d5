"""Redaction markup, the public version derived from it, and the regulator's check of that derivation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.public_version import RedactionError, check_public_version, derive_public_text, new_salts
from candor.domain.redaction import (
    DocumentRedactions,
    RedactionCategory,
    RedactionForm,
    SizeBucket,
    commitment_of,
)
from candor.errors import DocumentError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
CERTIFICATION = (EXAMPLES / "certification-2026.md").read_text()


def with_body(body: str, front_change: tuple[str, str] | None = None) -> ParsedDocument:
    """The example certification with ``body`` as its body, and optionally one front-matter line replaced."""
    front, _, _ = CERTIFICATION.partition("\n---\n")
    if front_change is not None:
        old, new = front_change
        assert old in front
        front = front.replace(old, new)
    return parse_bytes("cert.md", f"{front}\n---\n{body}".encode())


def body_line(document: ParsedDocument, offset: int = 0) -> int:
    return document.body_line + offset


BLOCK = '::: redact category=trade-secret justification="Names a supplier"\nThe supplier is Foundry Nine.\n:::\n'
INLINE = 'We used [Foundry Nine]{.redact category=cybersecurity justification="a \\"named\\" vendor"} chips.\n'


def test_block_and_inline_markup_are_read_with_their_lines() -> None:
    document = with_body("Intro.\n\n" + BLOCK + "\n" + INLINE)
    block, inline = document.redactions
    assert (block.form, block.line, block.category, block.justification) == (
        RedactionForm.BLOCK,
        body_line(document, 2),
        RedactionCategory.TRADE_SECRET,
        "Names a supplier",
    )
    assert block.text == "The supplier is Foundry Nine."
    assert (inline.form, inline.line, inline.text) == (RedactionForm.INLINE, body_line(document, 6), "Foundry Nine")
    assert inline.justification == 'a "named" vendor'


def test_a_front_matter_value_is_redacted_and_the_model_reads_its_text() -> None:
    document = parse_bytes("cert.md", _front_redacted().encode())
    (redaction,) = document.redactions
    assert redaction.form is RedactionForm.FRONT_MATTER
    assert redaction.field == ("statement",)
    assert redaction.text == "We certify compliance. A court has sealed one departure."
    assert document.model.statement == redaction.text  # type: ignore[union-attr]


def _front_redacted() -> str:
    lines = CERTIFICATION.split("\n")
    start = next(index for index, line in enumerate(lines) if line.startswith("statement:"))
    end = next(index for index in range(start + 1, len(lines)) if not lines[index].startswith(" "))
    marked = (
        "statement:\n  redact:\n    category: legal-compliance\n    justification: Under seal by court order\n"
        "    value: >-\n      We certify compliance. A court has sealed one departure."
    )
    return "\n".join([*lines[:start], marked, *lines[end:]])


def test_public_version_keeps_everything_but_the_redacted_text() -> None:
    original = parse_bytes("cert.md", _front_redacted().replace("\n---\n", "\n---\n" + BLOCK + INLINE, 1).encode())
    salts = new_salts(len(original.redactions))
    public_text = derive_public_text(original, salts)
    for secret in ("Foundry Nine", "A court has sealed"):
        assert secret not in public_text
    public = parse_bytes("cert.md", public_text.encode())
    assert public.model.kind == original.model.kind
    assert public.model.statement == "[redacted: legal-compliance]"  # type: ignore[union-attr]
    assert [placeholder.category for placeholder in public.redactions] == [
        redaction.category for redaction in original.redactions
    ]
    for redaction, placeholder, salt in zip(original.redactions, public.redactions, salts, strict=True):
        assert redaction.text is not None
        assert placeholder.is_placeholder
        assert placeholder.justification == redaction.justification
        assert placeholder.size is SizeBucket.UNDER_100
        assert placeholder.commitment == hashlib.sha256(salt + redaction.text.encode()).hexdigest()
    assert check_public_version(original, salts, public) == []


def test_commitments_are_salted_so_equal_passages_do_not_look_equal() -> None:
    original = with_body(BLOCK + BLOCK)
    public = parse_bytes("cert.md", derive_public_text(original, new_salts(2)).encode())
    first, second = public.redactions
    assert first.commitment != second.commitment


def test_edited_public_version_fails_the_check_naming_the_redaction() -> None:
    original = with_body(BLOCK + INLINE)
    salts = new_salts(2)
    public_text = derive_public_text(original, salts)
    forged_commitment = commitment_of(b"\0" * 32, "The supplier is someone else.")
    first = parse_bytes("cert.md", public_text.encode()).redactions[0]
    assert first.commitment is not None
    forged = parse_bytes("cert.md", public_text.replace(first.commitment, forged_commitment).encode())
    mismatches = check_public_version(original, salts, forged)
    assert any("redaction 1" in m.message and "commitment" in m.message for m in mismatches)
    assert not any("redaction 2" in m.message for m in mismatches)


def test_public_version_with_an_edit_outside_redactions_fails_the_check() -> None:
    original = with_body("Intro.\n" + BLOCK)
    salts = new_salts(1)
    public_text = derive_public_text(original, salts)
    edited = parse_bytes("cert.md", public_text.replace("Intro.", "Introduction.").encode())
    (mismatch,) = check_public_version(original, salts, edited)
    assert mismatch.line == original.body_line
    assert "differs" in mismatch.message


def test_redacting_needs_a_justification_for_each_passage() -> None:
    original = with_body("::: redact category=public-safety\nThe passage.\n:::\n")
    assert original.redactions[0].justification is None
    with pytest.raises(DocumentError, match=r"cert\.md:\d+: a redaction must give its justification"):
        derive_public_text(original, new_salts(1))


def test_a_document_without_markup_cannot_be_redacted() -> None:
    with pytest.raises(RedactionError, match="nothing marked"):
        derive_public_text(with_body("Plain prose.\n"), [])


@pytest.mark.parametrize(
    ("body", "offset", "message"),
    [
        ("::: redact category=trade-secret justification=x\nnever closed\n", 0, "never closed"),
        ("text\n::: redact category=secret justification=x\nA\n:::\n", 1, "'secret' is not a redaction category"),
        ("::: redact justification=x\nA\n:::\n", 0, "must give its category"),
        ("::: redact category=trade-secret reason=x\nA\n:::\n", 0, "no attribute 'reason'"),
        ("::: redact category=trade-secret\n::: redact category=trade-secret\nA\n:::\n:::\n", 1, "cannot contain"),
        ("::: redact category=trade-secret justification=x\n\n:::\n", 0, "holds no text"),
        ('a\nb [x]{.redact category=trade-secret justification="unclosed}\n', 1, "cannot read"),
        ("a [x]{.redact category=trade-secret category=cybersecurity}\n", 0, "gives category twice"),
    ],
)
def test_markup_errors_name_the_file_and_line(body: str, offset: int, message: str) -> None:
    document_line = with_body("").body_line + offset
    with pytest.raises(DocumentError, match=message) as raised:
        with_body(body)
    assert raised.value.line == document_line
    assert str(raised.value).startswith(f"cert.md:{document_line}: ")


def test_markup_inside_a_code_fence_is_left_alone() -> None:
    document = with_body("```\n::: redact category=trade-secret\nan example\n:::\n```\n")
    assert document.redactions == ()


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ('version: {redact: {category: trade-secret, justification: "x", value: "2026.1"}}', "cannot be redacted"),
        ("date: {redact: {category: trade-secret, justification: x, value: 2026-01-01}}", "only text can be redacted"),
        ("date: {redact: {category: trade-secret, value: x}, note: y}", "single key redact"),
        ("date: {redact: {category: trade-secret, why: x, value: y}}", "no field 'why'"),
    ],
)
def test_front_matter_redaction_errors_name_the_line_and_field(replacement: str, message: str) -> None:
    key = replacement.split(":", 1)[0]
    line = next(line for line in CERTIFICATION.split("\n") if line.startswith(f"{key}:"))
    line_number = CERTIFICATION.split("\n").index(line) + 1
    with pytest.raises(DocumentError, match=message) as raised:
        with_body("Body.\n", (line, replacement))
    assert raised.value.line == line_number
    assert raised.value.field == key


def test_statistics_give_the_redacted_share_by_category() -> None:
    passage = "x" * 300
    body = f"{'y' * 700}\n::: redact category=cybersecurity justification=j\n{passage}\n:::\n"
    document = with_body(body)
    statistics = DocumentRedactions.of(document.body, document.redactions)
    assert statistics.chars_by_category()[RedactionCategory.CYBERSECURITY] == 300
    assert statistics.share == pytest.approx(300 / (300 + 702))
    public = parse_bytes("cert.md", derive_public_text(document, new_salts(1)).encode())
    # The public version tells the size only by bucket: at least 100 characters.
    assert (
        DocumentRedactions.of(public.body, public.redactions).chars_by_category()[RedactionCategory.CYBERSECURITY]
        == 100
    )


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(1, "<100"), (99, "<100"), (100, "100-1k"), (999, "100-1k"), (1000, "1k-10k"), (10_000, ">10k")],
)
def test_size_buckets(length: int, bucket: str) -> None:
    assert SizeBucket.of("a" * length) == bucket


@pytest.mark.parametrize(
    ("body", "text", "container"),
    [
        (
            "- An item:\n  ::: redact category=trade-secret justification=j\n  Plant in Ohio.\n  :::\n",
            "Plant in Ohio.",
            "  ",
        ),
        ("1. ::: redact category=trade-secret justification=j\n   Plant in Ohio.\n   :::\n", "Plant in Ohio.", "   "),
        (
            "> ::: redact category=trade-secret justification=j\n> Plant in Ohio.\n>\n> More.\n> :::\n",
            "Plant in Ohio.\n\nMore.",
            ">" + " ",
        ),
        (
            "> - ::: redact category=trade-secret justification=j\n>   Plant in Ohio.\n>   :::\n",
            "Plant in Ohio.",
            ">   ",
        ),
        # CommonMark reads a quote inside a list item; the old line-by-line parser refused it.
        (
            "- > ::: redact category=trade-secret justification=j\n  > Plant in Ohio.\n  > :::\n",
            "Plant in Ohio.",
            "  > ",
        ),
    ],
)
def test_a_block_in_a_list_item_or_quote_is_redacted_not_published_in_clear(
    body: str, text: str, container: str
) -> None:
    document = with_body(body)
    (redaction,) = document.redactions
    assert (redaction.text, redaction.container) == (text, container)
    public_text = derive_public_text(document, salts := new_salts(1))
    assert "Ohio" not in public_text
    assert "More." not in public_text
    public = parse_bytes("cert.md", public_text.encode())
    (placeholder,) = public.redactions
    assert placeholder.is_placeholder
    assert placeholder.container == container
    assert check_public_version(document, salts, public) == []


def test_an_inline_redaction_with_spaces_inside_its_braces_is_redacted_not_published_in_clear() -> None:
    document = with_body('We use [Foundry Nine]{ .redact category=cybersecurity justification="vendor" } chips.\n')
    (redaction,) = document.redactions
    assert redaction.text == "Foundry Nine"
    public_text = derive_public_text(document, salts := new_salts(1))
    assert "Foundry" not in public_text
    assert check_public_version(document, salts, parse_bytes("cert.md", public_text.encode())) == []


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        ("Intro.\n\n::: {.redact category=trade-secret justification=j}\nPlant in Ohio.\n:::\n", 2),
        ("Text\n\nWe use [Foundry]{#v .redact category=cybersecurity justification=j} chips.\n", 2),
        ("We use [Foundry\nNine]{.redact category=cybersecurity justification=j} chips.\n", 0),
        # The unmarked line leaves the quote, so the block in the quote is never closed.
        ("> ::: redact category=trade-secret justification=j\nPlant in Ohio.\n> :::\n", 0),
    ],
)
def test_redaction_markup_that_cannot_be_read_is_refused_not_published_in_clear(body: str, offset: int) -> None:
    with pytest.raises(DocumentError, match=r"it would be published in clear|never closed|on one line") as raised:
        with_body(body)
    assert raised.value.line == with_body("").body_line + offset
