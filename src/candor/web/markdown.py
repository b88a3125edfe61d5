"""Markdown bodies of disclosures, rendered to HTML that is safe to put in a page.

markdown-it-py renders CommonMark (with tables and strikethrough); nh3 then keeps only an allow-list of tags and
attributes, so a document can carry no script, no inline event handler and no ``javascript:`` link, whatever its
author wrote. Redactions are shown as visible placeholders that name their category and justification:
``::: redact category=... justification="..."`` blocks closed by ``:::``, and inline ``[text]{.redact ...}``.
The redacted text itself is never shown, even if a public document still holds it. The parser comes from
:func:`candor.domain.markdown.markdown_parser`, the one the redaction check reads bodies with, so that every
placeholder drawn here is a redaction the registry checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

import nh3
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from candor.domain.markdown import markdown_parser
from candor.domain.redaction_markup import REDACTION_BLOCK, REDACTION_INLINE

_ALLOWED_TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "sub", "sup",
    "ul", "ol", "li", "dl", "dt", "dd", "a", "abbr",
    "table", "caption", "thead", "tbody", "tr", "th", "td",
    "aside", "span",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}, "th": {"scope"}}
_ALLOWED_CLASSES = {"aside": {"redaction"}, "span": {"redaction"}, "p": {"redaction-label"}}
_URL_SCHEMES = {"http", "https", "mailto"}

#: How many rendered bodies one renderer keeps.
RENDER_CACHE_SIZE = 256


def _render_block(_renderer: Any, tokens: Sequence[Token], index: int, *_: Any) -> str:
    # Markup the parser refuses (never published) is still drawn as a placeholder: its text is never shown.
    attributes: Mapping[str, str] = tokens[index].meta["redaction"].attributes
    category = escape(attributes.get("category", "unspecified"))
    parts = [f'<aside class="redaction"><p class="redaction-label"><strong>Redacted passage</strong> — {category}</p>']
    if "justification" in attributes:
        parts.append(f"<p>Justification: {escape(attributes['justification'])}</p>")
    if "size" in attributes:
        parts.append(f"<p>Length: {escape(attributes['size'])} characters</p>")
    if "commitment" in attributes:
        parts.append(f"<p>Commitment: <code>{escape(attributes['commitment'])}</code></p>")
    parts.append("</aside>\n")
    return "".join(parts)


def _render_inline(_renderer: Any, tokens: Sequence[Token], index: int, *_: Any) -> str:
    attributes: Mapping[str, str] = tokens[index].meta["redaction"].attributes
    category = escape(attributes.get("category", "unspecified"))
    justification = attributes.get("justification")
    # Shown in the text, not in a tooltip: a reader on a phone or a screen reader would never see a title.
    why = f"; justification: {escape(justification)}" if justification else ""
    return f'<span class="redaction">[redacted: {category}{why}]</span>'


def _render_image(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    # The page holds no images (the allow-list has no <img>). It shows the description instead, as text: dropped
    # with the image, it would be text the registry serves that no reader of the page sees.
    description = renderer.renderInlineAsText(tokens[index].children, options, env).strip()
    return f"[image: {escape(description)}]" if description else "[image]"


# The tag name of an inline HTML token: an opening or closing tag (comments and the like have none).
_INLINE_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


def _render_html_block(_renderer: Any, tokens: Sequence[Token], index: int, *_: Any) -> str:
    # Sanitised on its own: markdown-it ends an HTML block with its quote or list item, but an unclosed comment or
    # <script> in it would run on in the page's HTML parser and hide text the registry serves in clear.
    return sanitise(tokens[index].content)


def _render_html_inline(_renderer: Any, tokens: Sequence[Token], index: int, *_: Any) -> str:
    # Only an allowed tag reaches the page's sanitiser with the text around it (so that <sub>x</sub> pairs up).
    # Any other tag is dropped on its own, before it can take the text after it: the sanitiser drops everything
    # after a <script>, <style> or <template> (to the end of the body, whatever Markdown says), and the rest of
    # the paragraph after an SVG or MathML <desc> or <annotation-xml>.
    content = tokens[index].content
    tag = _INLINE_TAG.match(content)
    return content if tag is not None and tag.group(1).lower() in _ALLOWED_TAGS else sanitise(content)


class DocumentRenderer:
    """Renders a disclosure's Markdown body to sanitised HTML. Build one per app and reuse it: it is stateless.

    ``heading_offset`` pushes the document's own headings down, so that its ``#`` title sits under the page's
    ``<h1>`` and the page's heading order stays intact.
    """

    def __init__(self, *, heading_offset: int = 1) -> None:
        self._heading_offset = heading_offset
        # The parser the redaction check reads bodies with: what it reads as redacted is what is drawn as redacted.
        md = markdown_parser()
        md.core.ruler.push("shift_headings", self._shift_headings)
        md.add_render_rule(REDACTION_BLOCK, _render_block)
        md.add_render_rule(REDACTION_INLINE, _render_inline)
        md.add_render_rule("html_block", _render_html_block)
        md.add_render_rule("html_inline", _render_html_inline)
        md.add_render_rule("image", _render_image)
        self._md = md
        self._cached = lru_cache(maxsize=RENDER_CACHE_SIZE)(self._render)

    def _shift_headings(self, state: StateCore) -> None:
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(int(token.tag[1:]) + self._heading_offset, 6)
                token.tag = f"h{level}"

    def render(self, markdown: str) -> Markup:
        """The body as sanitised HTML, marked safe for Jinja2. Published bodies never change, so the last
        :data:`RENDER_CACHE_SIZE` renderings are kept."""
        return self._cached(markdown)

    def _render(self, markdown: str) -> Markup:
        # Safe to mark: nh3 has just reduced it to the allow-list.
        return Markup(sanitise(self._md.render(markdown)))  # noqa: S704


_LINK_REL = "noopener noreferrer nofollow"
#: An ``a`` that kept no ``href`` (nh3 removed one with a scheme off the list, such as ``tel:``) but got nh3's
#: ``rel``: HTML allows ``rel`` only on a link with an address. nh3 writes attribute values in double quotes, with
#: any ``"`` inside escaped, and adds ``rel`` last, so the attributes before it are matched exactly.
_REL_WITHOUT_HREF = re.compile(r'<a((?: (?!href=)[a-z-]+="[^"]*")*) rel="' + _LINK_REL + '">')


def sanitise(html: str) -> str:
    """Keep only allow-listed tags, attributes, classes and URL schemes; links get ``rel=noopener``."""
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
    )
    return _REL_WITHOUT_HREF.sub(r"<a\1>", cleaned)
