"""Attacks on the promise that text marked for redaction is never published in clear, one test per attack.

Each case split the old regex parser from the site's markdown-it renderer: the preview drew a placeholder while
``candor check``, ``candor redact`` and the registry saw no marked passage, so the API served it in clear. Now one
parser reads both, so each case is either redacted (the canary is in neither the public version nor its page) or
refused with its line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from candor.domain.markdown import MAX_NESTING_DEPTH, shared_parser
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.public_version import derive_public_text, new_salts
from candor.domain.redaction import MAX_REDACTIONS
from candor.domain.source import refuse_carriage_returns
from candor.errors import DocumentError
from candor.services.publishing import PublishError, check_public_version
from candor.web.markdown import DocumentRenderer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
CERTIFICATION = (EXAMPLES / "certification-2026.md").read_text()
FRONT, _, _ = CERTIFICATION.partition("\n---\n")
CANARY = "CanaryZq7x"
MARK = "::: redact category=trade-secret justification=j\n"
BLOCK = f"{MARK}{CANARY}\n:::\n"
RENDERER = DocumentRenderer()


def document(body: str, *, newline: str = "\n") -> bytes:
    return f"{FRONT}\n---\n{body}".replace("\n", newline).encode()


def body_line(offset: int) -> int:
    return FRONT.count("\n") + 3 + offset


def html_of(parsed: ParsedDocument) -> str:
    return str(RENDERER.render(parsed.body))


def assert_redacted_everywhere(raw: bytes) -> ParsedDocument:
    """The marked passage is read as one, and neither the public version nor its page holds the canary."""
    original = parse_bytes("cert.md", raw)
    assert any(CANARY in (redaction.text or "") for redaction in original.redactions)
    assert CANARY not in html_of(original)  # the preview hides it...
    with pytest.raises(PublishError, match="still marked for redaction"):
        check_public_version(original, sealed=True)  # ...and so the registry refuses the original
    public = parse_bytes("cert.md", derive_public_text(original, new_salts(len(original.redactions))).encode())
    assert CANARY not in public.source.text  # what the API would serve
    assert CANARY not in html_of(public)
    assert all(redaction.is_placeholder for redaction in public.redactions)
    check_public_version(public, sealed=True)
    return public


def assert_refused(raw: bytes, line: int, message: str) -> None:
    with pytest.raises(DocumentError, match=message) as raised:
        parse_bytes("cert.md", raw)
    assert raised.value.line == line


# --- Code fences the old parser and CommonMark closed differently ---------------------------------------------


def test_a_closing_fence_shorter_than_the_opening_one_does_not_hide_a_redaction() -> None:
    # The old parser closed the four-backtick fence at the three-backtick line, then opened another: it took the
    # redaction for code. CommonMark closes the fence at the second four-backtick line.
    assert_redacted_everywhere(document(f"````\nx\n```\n````\n\n{BLOCK}"))


def test_a_backtick_fence_whose_info_string_holds_a_backtick_does_not_hide_a_redaction() -> None:
    assert_redacted_everywhere(document(f"``` info`tick\n{BLOCK}"))


def test_a_fence_inside_an_html_block_does_not_hide_a_redaction() -> None:
    assert_redacted_everywhere(document(f"<div>\n```\n</div>\n\n{BLOCK}"))


def test_a_tab_indented_fence_does_not_hide_a_redaction() -> None:
    assert_redacted_everywhere(document(f"\t```\n\n{BLOCK}"))


def test_a_fence_indented_by_a_no_break_space_does_not_hide_a_redaction() -> None:
    assert_redacted_everywhere(document(f"\u00a0```\n\n{BLOCK}"))


def test_a_fence_in_a_list_item_closed_by_the_end_of_the_list_does_not_hide_a_redaction() -> None:
    assert_redacted_everywhere(document(f"- item\n  ```\n  code\n\n{BLOCK}"))


def test_a_closing_line_inside_a_code_fence_in_the_passage_does_not_end_the_passage() -> None:
    public = assert_redacted_everywhere(document(f"{MARK}```\n:::\n```\n{CANARY}\n:::\n\nAfter.\n"))
    assert "After." in html_of(public)


# --- Line endings -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r", "\r\n"], ids=["cr", "crlf"])
def test_cr_line_endings_do_not_hide_a_redaction_and_are_never_published(newline: str) -> None:
    raw = document(f"Intro.\n\n{BLOCK}", newline=newline)
    public = assert_redacted_everywhere(raw)
    assert "\r" not in public.source.text  # candor redact writes LF
    with pytest.raises(DocumentError, match="carriage return") as raised:
        refuse_carriage_returns("cert.md", raw)  # the registry and candor publish refuse the bytes as sent
    assert raised.value.line == 1


# --- Case, spacing and indentation of the markup ----------------------------------------------------------------


@pytest.mark.parametrize("opening", ["::: Redact", "::: REDACT", ":::Redacted"])
def test_redact_in_another_case_is_refused_not_published_in_clear(opening: str) -> None:
    raw = document(f"Intro.\n\n{opening} category=trade-secret justification=j\n{CANARY}\n:::\n")
    assert_refused(raw, body_line(2), "cannot read.*lower case")


def test_an_inline_redact_in_another_case_is_refused() -> None:
    assert_refused(document(f"We use [{CANARY}]{{.Redact category=trade-secret}}.\n"), body_line(0), "lower case")


@pytest.mark.parametrize(
    "opening",
    [":::redact", "::: redact", "   ::: redact", ":::: redact", "::: \tredact"],
    ids=["no-space", "space", "three-spaces", "four-colons", "tab"],
)
def test_spacing_the_markup_allows_is_read_as_a_redaction(opening: str) -> None:
    closing = "::::" if opening.startswith("::::") else ":::"
    assert_redacted_everywhere(document(f"{opening} category=trade-secret justification=j\n{CANARY}\n{closing}\n"))


def test_markup_indented_as_code_is_literal_visible_text() -> None:
    parsed = parse_bytes("cert.md", document(f"Intro.\n\n    {MARK}    {CANARY}\n    :::\n"))
    assert parsed.redactions == ()
    assert "<pre><code>::: redact" in html_of(parsed)
    assert CANARY in html_of(parsed)  # shown, not hidden: the author sees it in clear in the preview


@pytest.mark.parametrize("indent", ["\t", "    ", "  \t", "     "])
def test_an_opening_a_tab_makes_code_redacts_nothing_and_the_preview_shows_it_as_code(indent: str) -> None:
    # Found by the fuzz test: the passage after such an opening sat in an HTML comment left open to the end of the
    # body, so the preview hid it while the API served it. The comment hid it, not a placeholder: the page shows
    # the opening as code and draws no placeholder, and the comment is raw HTML, published as written.
    body = f"{indent}{MARK}<!--\n{CANARY}\n:::\n"
    parsed = parse_bytes("cert.md", document(body))
    assert parsed.redactions == ()
    page = html_of(parsed)
    assert page.startswith("<pre><code>")
    assert "::: redact category=trade-secret justification=j\n</code>" in page
    assert "Redacted passage" not in page
    tokens = shared_parser().parse(parsed.body)
    assert [token.type for token in tokens] == ["code_block", "html_block"]
    assert CANARY in tokens[1].content  # read as raw HTML by the parser too, not as text the page hides


def test_markup_inside_inline_code_and_a_fence_is_literal_visible_text() -> None:
    body = f"Write `[{CANARY}]{{.redact category=trade-secret}}` to redact.\n\n```\n{BLOCK}```\n"
    parsed = parse_bytes("cert.md", document(body))
    assert parsed.redactions == ()
    assert html_of(parsed).count(CANARY) == 2


def test_a_block_indented_by_a_no_break_space_is_refused() -> None:
    assert_refused(document(f"Intro.\n\n\u00a0{BLOCK}"), body_line(2), "cannot read")


# --- Raw HTML and front matter ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        (f"Intro.\n\n<!-- [{CANARY}]{{.redact category=trade-secret justification=j}} -->\n", 2),
        (f"Intro.\n\n<!--\n{BLOCK}-->\n", 3),
        (f"<div>\n{BLOCK}</div>\n", 1),
        (f"Text <span>[{CANARY}]{{.redact category=trade-secret}}</span> and <!-- {{.redact}} -->.\n", 0),
    ],
    ids=["comment-inline", "comment-block", "html-block", "inline-html"],
)
def test_markup_inside_raw_html_or_a_comment_is_refused_naming_its_line(body: str, offset: int) -> None:
    raw = document(body)
    if "<span>" in body:
        # Inline HTML around an inline span leaves the span Markdown: it is read; the comment after it is refused.
        assert_refused(raw, body_line(0), "raw HTML")
        return
    assert_refused(raw, body_line(offset), "raw HTML or an HTML comment")


def test_inline_markup_inside_a_front_matter_text_is_refused_naming_its_field() -> None:
    lines = FRONT.split("\n")
    start = next(index for index, line in enumerate(lines) if line.startswith("statement:"))
    end = next(index for index in range(start + 1, len(lines)) if not lines[index].startswith(" "))
    marked = f'statement: "We certify [{CANARY}]{{.redact category=trade-secret justification=j}} compliance."'
    raw = "\n".join([*lines[:start], marked, *lines[end:]]) + "\n---\nBody.\n"
    with pytest.raises(DocumentError, match="front-matter text would be published in clear") as raised:
        parse_bytes("cert.md", raw.encode())
    assert raised.value.field == "statement"
    assert raised.value.line == start + 1


def test_a_redaction_in_an_image_description_is_refused() -> None:
    raw = document(f"![a [{CANARY}]{{.redact category=trade-secret justification=j}}](https://a.example/i.png)\n")
    assert_refused(raw, body_line(0), "image")


def test_markup_escaped_out_of_reading_is_refused() -> None:
    assert_refused(document(f"We use \\[{CANARY}]{{.redact category=trade-secret}}.\n"), body_line(0), "cannot read")


# --- The registry's check of what the renderer draws ------------------------------------------------------------


def test_a_placeholder_drawn_where_the_document_holds_none_is_refused_at_publication() -> None:
    public = assert_redacted_everywhere(document(f"Intro.\n\n{BLOCK}"))
    # A parse that lost the placeholder (a second reading, a bug) must not let the page hide what is served.
    with pytest.raises(PublishError, match="would draw a redaction placeholder"):
        check_public_version(replace(public, redactions=()), sealed=True)


# --- Limits -----------------------------------------------------------------------------------------------------


def test_nesting_deeper_than_the_limit_is_refused_naming_its_line() -> None:
    deep = "> " * (MAX_NESTING_DEPTH + 1)
    assert_refused(document(f"Intro.\n\n{deep}{BLOCK}"), body_line(2), "nest more than")
    quotes = "> " * (MAX_NESTING_DEPTH - 1)  # the block itself is the last level
    assert_redacted_everywhere(document("Intro.\n\n" + "".join(quotes + line + "\n" for line in BLOCK.splitlines())))


def test_nesting_past_markdown_its_own_limit_is_refused_not_silently_dropped() -> None:
    assert_refused(document(f"Intro.\n\n{'> ' * 200}{BLOCK}"), body_line(2), "nest more than")
    assert_refused(document(f"Intro.\n\n{'- ' * 200}{BLOCK}"), body_line(2), "nest more than")


def test_more_redactions_than_the_limit_are_refused_naming_the_line() -> None:
    inline = "[x]{.redact category=trade-secret justification=j} "
    assert_refused(document(f"Intro.\n\n{inline * (MAX_REDACTIONS + 1)}\n"), body_line(2), "at most")


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        (f'See [a](https://a.example "[{CANARY}]{{.redact category=trade-secret justification=j}}").\n', 0),
        (f'Intro.\n\n[a]: https://a.example "[{CANARY}]{{.redact category=trade-secret justification=j}}"\n', 2),
    ],
    ids=["link-title", "unused-reference-title"],
)
def test_markup_in_a_link_title_shown_only_on_hover_or_never_is_refused(body: str, offset: int) -> None:
    assert_refused(document(body), body_line(offset), "link")


INLINE = f"[{CANARY}]{{.redact category=trade-secret justification=j}}"


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        (f"| a | b |\n|---|---|\n| c | d | {INLINE} |\n", 2),
        (f"Intro.\n\n> | a |\n> |---|\n> | c | {INLINE}\n", 4),
        (f"Intro.\n\n```python {INLINE}\ncode\n```\n", 2),
        (f"Intro.\n\n~~~ {INLINE}\n", 2),
        (f"Intro.\n\n[a]: <https://a.example/ {INLINE}>\n", 2),
        (f"Intro.\n\n[a]:\n  <https://a.example/ {INLINE}>\n", 3),
    ],
    ids=["table-cell-past-the-header", "quoted-table-cell", "fence-info", "unclosed-fence-info", "reference", "wrap"],
)
def test_markup_markdown_it_drops_unread_and_unshown_is_refused_naming_its_line(body: str, offset: int) -> None:
    # markdown-it reads these into no token: the plugin never saw the markup and the preview never showed it, so
    # the passage went out in clear, with a second redaction elsewhere, and the registry's checks passed.
    raw = document(f"{body}\nText [x]{{.redact category=trade-secret justification=j}}.\n")
    assert_refused(raw, body_line(offset), "where the page shows nothing")


def test_markup_in_a_table_cell_within_the_header_and_in_a_fence_is_still_read_or_literal() -> None:
    body = f"| a | b |\n|---|---|\n| c | {INLINE} |\n\n```python\n{MARK}An example.\n:::\n```\n"
    public = assert_redacted_everywhere(document(body))
    assert public.source.text.count("::: redact") == 1  # the fence's, literal and shown
