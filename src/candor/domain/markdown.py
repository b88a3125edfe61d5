"""The one Markdown reading of a disclosure's body: the markdown-it configuration every reader shares.

The redaction parser, ``candor check``, ``candor redact``, the registry's publish check and the site's renderer
all read a body through a parser built here. Two readings of one syntax disagree somewhere (where a code fence
ends, what a tab or a lone CR means), and an attacker finds where: so there is one.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from markdown_it import MarkdownIt

from candor.domain.redaction_markup import redaction_plugin

#: How deeply quotes, list items and redaction blocks may nest in a body. A deeper body is refused: markdown-it
#: stops reading past its own nesting limit, and text it does not read would be neither shown nor redacted.
MAX_NESTING_DEPTH: Final = 16
# markdown-it counts levels, not containers: a list item is two (the list and the item), a table four. Its limit
# sits above any body within MAX_NESTING_DEPTH, so that it never cuts a body Candor accepts.
_MARKDOWN_IT_NESTING: Final = 2 * MAX_NESTING_DEPTH + 8


def markdown_parser() -> MarkdownIt:
    """A new parser for disclosure bodies: CommonMark with raw HTML, tables, strikethrough and redaction markup.

    Callers may add render rules and core rules that only rename tags (the renderer shifts headings), never rules
    that change what is read.
    """
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": _MARKDOWN_IT_NESTING})
    md.enable(["table", "strikethrough"])
    redaction_plugin(md)
    return md


@cache
def shared_parser() -> MarkdownIt:
    """The parser the domain reads bodies with; stateless between parses, so built once."""
    return markdown_parser()
