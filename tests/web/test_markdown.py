"""Markdown rendering: attacks a document could carry are stripped; redactions become placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.domain.redaction_markup import read_attributes
from candor.web.markdown import DocumentRenderer
from tests.nuchecker import nu_errors
from tests.web.htmlcheck import check_html


@pytest.fixture(scope="module")
def renderer() -> DocumentRenderer:
    return DocumentRenderer()


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        '<img src="x" onerror="alert(1)">',
        '<p onmouseover="alert(1)">hover</p>',
        '<a href="javascript:alert(1)">link</a>',
        '<a href="JaVaScRiPt:alert(1)">link</a>',
        '<a href="data:text/html,<script>alert(1)</script>">link</a>',
        "[link](javascript:alert(1))",
        "[link](vbscript:msgbox)",
        '<iframe src="https://evil.example/"></iframe>',
        '<form action="https://evil.example/"><input name="q"></form>',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        '<style>body{display:none}</style><span style="color:red">x</span>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<base href="https://evil.example/">',
        '<object data="x.swf"></object><embed src="x.swf">',
    ],
)
def test_attacks_are_stripped(renderer: DocumentRenderer, attack: str) -> None:
    html = str(renderer.render(f"Before\n\n{attack}\n\nAfter"))
    page = check_html(html)
    forbidden = {"script", "iframe", "img", "form", "input", "svg", "style", "meta", "base", "object", "embed"}
    assert not [name for name, _ in page.tags if name in forbidden]
    assert not [name for name, attrs in page.tags if any(key.startswith("on") or key == "style" for key in attrs)]
    for name, attrs in page.tags:
        if name == "a" and "href" in attrs:
            assert (attrs["href"] or "").split(":")[0].lower() in ("http", "https", "mailto") or ":" not in (
                attrs["href"] or ""
            )
    assert "Before" in html
    assert "After" in html


def test_links_keep_their_target_and_get_noopener(renderer: DocumentRenderer) -> None:
    html = str(renderer.render("See [the law](https://leginfo.example/sb53)."))
    assert '<a href="https://leginfo.example/sb53" rel="noopener noreferrer nofollow">the law</a>' in html


UNSAFE_LINKS = (
    "Call [our desk](tel:+15550100), fetch [the archive](ftp://files.example/a), "
    '[a titled one](gopher://x "Its title"), <a href="javascript:alert(1)" title="q&quot; rel=&quot;x">raw</a> '
    "and [the law](https://leginfo.example/sb53)."
)


def test_a_link_whose_address_is_removed_keeps_no_rel(renderer: DocumentRenderer) -> None:
    html = str(renderer.render(UNSAFE_LINKS))
    links = [attrs for name, attrs in check_html(html).tags if name == "a"]
    assert len(links) == 5
    assert [attrs for attrs in links if "href" not in attrs] == [{}, {}, {"title": "Its title"}, {"title": 'q" rel="x'}]
    assert links[-1] == {"href": "https://leginfo.example/sb53", "rel": "noopener noreferrer nofollow"}


def test_the_nu_html_checker_accepts_a_body_with_removed_addresses(renderer: DocumentRenderer, tmp_path: Path) -> None:
    page = "<!doctype html><html lang=en><head><title>Body</title></head><body>{}</body></html>"
    body = str(renderer.render(UNSAFE_LINKS))
    # The control: the same body with nh3's rel left on the address-less links is what the checker refuses.
    unfixed = body.replace("<a>", '<a rel="noopener noreferrer nofollow">')
    found = nu_errors({"rendered": page.format(body), "unfixed": page.format(unfixed)}, tmp_path)
    assert found["rendered"] == []
    assert found["unfixed"]
    assert all("missing required attribute “href”" in error for error in found["unfixed"])


def test_headings_move_down_one_level_under_the_page_title(renderer: DocumentRenderer) -> None:
    html = str(renderer.render("# Title\n\n## Part\n\n###### Deepest"))
    assert "<h2>Title</h2>" in html
    assert "<h3>Part</h3>" in html
    assert "<h6>Deepest</h6>" in html


def test_tables_render(renderer: DocumentRenderer) -> None:
    html = str(renderer.render("| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<table>" in html
    assert "<td>1</td>" in html


def test_a_redaction_block_shows_category_and_justification_but_not_the_text(renderer: DocumentRenderer) -> None:
    markdown = (
        "Intro\n\n"
        '::: redact category=cybersecurity justification="Would help an attacker" commitment=sha256:abcd\n'
        "The firewall password is hunter2.\n\n"
        "More secret text.\n"
        ":::\n\n"
        "Outro"
    )
    html = str(renderer.render(markdown))
    assert '<aside class="redaction">' in html
    assert "cybersecurity" in html
    assert "Justification: Would help an attacker" in html
    assert "<code>sha256:abcd</code>" in html
    assert "hunter2" not in html
    assert "More secret text" not in html
    assert "Intro" in html
    assert "Outro" in html


def test_an_unclosed_redaction_block_hides_everything_after_it(renderer: DocumentRenderer) -> None:
    html = str(renderer.render("Public\n\n::: redact category=trade-secret\nSecret one\n\nSecret two\n"))
    assert "Public" in html
    assert "Secret" not in html


def test_an_inline_redaction_is_a_placeholder(renderer: DocumentRenderer) -> None:
    html = str(renderer.render("We trained on [12 trillion tokens]{.redact category=trade-secret} of text."))
    assert '<span class="redaction">[redacted: trade-secret]</span>' in html
    assert "12 trillion" not in html


def test_redaction_attributes_cannot_inject_markup(renderer: DocumentRenderer) -> None:
    markdown = '::: redact category="<script>alert(1)</script>" justification="<img src=x onerror=alert(1)>"\nx\n:::'
    html = str(renderer.render(markdown))
    page = check_html(html)
    assert page.count("script") == 0
    assert page.count("img") == 0
    assert "&lt;script&gt;" in html


def test_ordinary_brackets_and_other_attribute_spans_are_left_alone(renderer: DocumentRenderer) -> None:
    html = str(renderer.render("A [note]{.aside} and [a link](https://a.example) and [plain]."))
    assert "[note]{.aside}" in html
    assert "[plain]" in html
    assert 'href="https://a.example"' in html


def test_attribute_parsing_handles_quotes_and_escapes() -> None:
    written = 'category=trade-secret justification="two \\"quoted\\" words}" size=<100}'
    attributes, stopped, problem = read_attributes(written, 0, len(written))
    assert attributes == {"category": "trade-secret", "justification": 'two "quoted" words}', "size": "<100"}
    assert (written[stopped], problem) == ("}", None)


@pytest.mark.parametrize(
    "tag", ["<template>", "<template/>", "</template>", "<svg><desc>", "<annotation-xml>", "<script>", "<style>"]
)
def test_an_inline_tag_the_page_drops_cannot_hide_the_text_after_it(renderer: DocumentRenderer, tag: str) -> None:
    # The sanitiser drops everything after an inline <template> to the end of the body, and the rest of the
    # paragraph after a <desc>: text the registry serves and the parser reads as shown, hidden from every reader.
    html = str(renderer.render(f"Intro {tag} and the caveat.\n\nThe next paragraph.\n"))
    assert "and the caveat." in html
    assert "The next paragraph." in html
    assert not any(name in html for name in ("template", "desc", "script", "style"))


def test_allowed_inline_tags_still_pair_up_around_their_text(renderer: DocumentRenderer) -> None:
    html = str(renderer.render('H<sub>2</sub>O, <abbr title="artificial intelligence">AI</abbr> and <em>this</em>.'))
    assert "H<sub>2</sub>O" in html
    assert '<abbr title="artificial intelligence">AI</abbr>' in html
    assert "<em>this</em>" in html


def test_an_images_description_is_shown_as_text_not_hidden_with_the_image(renderer: DocumentRenderer) -> None:
    # The page holds no images; dropped with its image, the description would be served but never seen.
    html = str(renderer.render('See ![the **chart** of <b>risk</b>](https://a.example/c.png "t") and ![](e.png).'))
    assert "<img" not in html
    assert "[image: the chart of &lt;b&gt;risk&lt;/b&gt;]" in html
    assert "and [image]." in html
