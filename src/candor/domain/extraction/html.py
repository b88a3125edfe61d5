"""The text of an HTML page, laid out as a reader sees it (inscriptis).

inscriptis renders block elements, lists and tables into lines and columns the way a browser lays them out, so a
changed table cell or list item becomes one changed line of the diff; it ignores scripts and styles and never
fetches anything the page links to. It is pure Python over lxml, Apache-2.0 and maintained.
"""

from __future__ import annotations

from inscriptis import get_text
from lxml.etree import ParserError

from candor.domain.extraction import ExtractionError


def html_text(content: bytes) -> str:
    """The text of an HTML page; its bytes are decoded as UTF-8, with undecodable bytes replaced."""
    markup = content.decode("utf-8", errors="replace")
    if not markup.strip():
        return ""
    try:
        text: str = get_text(markup)
    except (ParserError, ValueError) as exc:
        raise ExtractionError(f"the HTML page cannot be read ({exc})") from None
    return text
