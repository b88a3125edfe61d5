"""The redactions in a disclosure's body, read from the token stream the site's renderer draws.

The body is parsed once with :func:`candor.domain.markdown.shared_parser`; each redaction token becomes a
:class:`~candor.domain.redaction.Redaction` with its file line and its span in the file, so that ``candor redact``
can replace the markup in place. The walk also refuses, with the file line:

- markup the plugin claimed but could not read (``::: Redact``, an unclosed block, a span over two lines);
- text that still looks like markup where the plugin did not read it: raw HTML, an HTML comment, text that
  markdown-it left as text (an escaped bracket, markup after a link), a link's title, a link reference's title;
- bodies nested deeper than :data:`~candor.domain.markdown.MAX_NESTING_DEPTH`;
- a look-alike in text that markdown-it reads into no token, so that the page never shows it: a table cell beyond
  its header's columns, a code fence's info string, a link reference definition.

Markup inside code (fenced, indented or inline) is literal text, shown as written: it is neither read nor refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.token import Token

from candor.domain.markdown import MAX_NESTING_DEPTH, shared_parser
from candor.domain.redaction import Redaction, RedactionForm, body_redaction
from candor.domain.redaction_markup import (
    NESTED,
    PLACEHOLDER,
    REDACTION_BLOCK,
    REDACTION_INLINE,
    UNREADABLE,
    BlockMarkup,
    InlineMarkup,
    count_redaction_markup,
    looks_like_redaction_markup,
)
from candor.errors import DocumentError

_BLOCK_HINT = (
    'write ::: redact category=trade-secret justification="why" on its own line (in a list item or quote if need '
    "be), the passage, then ::: on a line of its own"
)
_INLINE_HINT = 'write [the words]{.redact category=trade-secret justification="why"} on one line'
_LITERAL_HINT = "to show markup as an example, put it in `backticks` or a code block"
_CONTAINERS_OPEN = frozenset({"blockquote_open", "list_item_open"})
_CONTAINERS_CLOSE = frozenset({"blockquote_close", "list_item_close"})


def find_body_redactions(text: str, body_line: int, name: str) -> list[Redaction]:
    """The redactions and placeholders in the body of the file ``text``, which starts at file line ``body_line``."""
    offset = _offset_of_line(text, body_line)
    body = text[offset:]
    reader = _BodyReader(body, offset, body_line, name)
    env: dict[str, Any] = {}
    tokens = shared_parser().parse(body, env)
    found = reader.read(tokens)
    reader.refuse_markup_in_references(env.get("references", {}))
    reader.refuse_markup_read_into_no_token(tokens)
    return found


def drawn_redactions(body: str) -> list[tuple[int, str | None]]:
    """Every redaction the renderer draws as a placeholder in ``body``: its body line (0-based) and kind.

    The registry compares these with the placeholders it parsed before it publishes, so that nothing is drawn as
    redacted that the public version does not hold as a placeholder.
    """
    drawn: list[tuple[int, str | None]] = []
    if "redact" not in body.casefold():
        return drawn  # the plugin claims nothing without the word
    for token in shared_parser().parse(body):
        if token.type == REDACTION_BLOCK and token.map is not None:
            drawn.append((token.map[0], token.meta["redaction"].kind))
        elif token.type == "inline" and token.map is not None:
            lines = _ContentLines(token.content)
            for child in token.children or ():
                if child.type == REDACTION_INLINE:
                    markup: InlineMarkup = child.meta["redaction"]
                    line = token.map[0] + lines.locate(markup.span[0])[0] if markup.source is token.content else -1
                    drawn.append((line, markup.kind))
    return drawn


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return offset


class _BodyReader:
    """One walk over a body's tokens. Lines are the body's 0-based lines until turned into file lines."""

    def __init__(self, body: str, offset: int, body_line: int, name: str) -> None:
        self._body = body
        self._offset = offset
        self._first_line = body_line
        self._name = name
        self._lines: list[str] | None = None
        self._starts: list[int] | None = None

    def _file_line(self, body_line: int) -> int:
        return body_line + self._first_line

    def _source_line(self, body_line: int) -> str:
        if self._lines is None:
            self._lines = self._body.split("\n")
        return self._lines[body_line]

    def _refuse(self, message: str, body_line: int, hint: str | None = None) -> DocumentError:
        return DocumentError(self._name, message, line=self._file_line(body_line), hint=hint)

    def read(self, tokens: Sequence[Token]) -> list[Redaction]:
        found: list[Redaction] = []
        depth = 0
        for token in tokens:
            line = token.map[0] if token.map is not None else 0
            if token.type in _CONTAINERS_OPEN or token.type == REDACTION_BLOCK:
                if depth + 1 > MAX_NESTING_DEPTH:
                    raise self._refuse(
                        f"lists, quotes and redactions nest more than {MAX_NESTING_DEPTH} deep here",
                        line,
                        hint="flatten the structure",
                    )
                depth += token.type in _CONTAINERS_OPEN
            elif token.type in _CONTAINERS_CLOSE:
                depth -= 1
            if token.type == REDACTION_BLOCK:
                found.append(self._block(token.meta["redaction"], line, token.map))
            elif token.type == "html_block" and looks_like_redaction_markup(token.content):
                raise self._refuse(_IN_HTML, line + _first_suspicious_line(token.content), hint=_HTML_HINT)
            elif token.type == "inline":
                found.extend(self._inline(token, line))
        return found

    def refuse_markup_in_references(self, references: Mapping[str, Any]) -> None:
        """Refuse markup in a link reference definition's title: the definition is never drawn on the page."""
        for reference in references.values():
            title = reference.get("title", "") if isinstance(reference, Mapping) else ""
            if _looks_like_text(title):
                at = self._body.find(title)
                line = self._body.count("\n", 0, at) if at >= 0 else 0
                raise self._refuse(f"{UNREADABLE}: it sits in a link reference's title", line, hint=_LITERAL_HINT)

    def refuse_markup_read_into_no_token(self, tokens: Sequence[Token]) -> None:
        """Refuse a look-alike on a line that no token holds it from: markdown-it dropped it, unread and unshown.

        markdown-it keeps a table row's cells up to its header's count and drops the rest, shows only the first
        word of a code fence's info string (the page, not even that), and draws no link reference definition. Markup
        there would be neither redacted nor refused, and published in clear where no preview shows it. Each body
        line's look-alikes are counted against those its tokens hold: an inline token's content (whose markup was
        read as a redaction, or refused), a code block's or fence's code, a redaction block's lines.
        """
        read: dict[int, int] = {}
        whole: set[int] = set()  # lines read whole: a redaction block's (its passage is replaced), code's
        for token in tokens:
            if token.map is None:
                continue
            start, end = token.map
            if token.type in (REDACTION_BLOCK, "code_block"):
                whole.update(range(start, end))
            elif token.type == "fence":
                whole.update(range(start + 1, end))  # not the opening line: its info string is never shown
            elif token.type == "inline":
                for index, line in enumerate(token.content.split("\n")):
                    read[start + index] = read.get(start + index, 0) + count_redaction_markup(line)
        for number, line in enumerate(self._body.split("\n")):
            if number not in whole and count_redaction_markup(line) > read.get(number, 0):
                raise self._refuse(_DROPPED, number, hint=_DROPPED_HINT)

    def _block(self, markup: BlockMarkup, line: int, lines: list[int] | None) -> Redaction:
        if markup.problem is not None:
            hint = None if markup.problem == NESTED else _BLOCK_HINT
            raise self._refuse(markup.problem, markup.problem_line, hint=hint)
        if not markup.closed:
            raise self._refuse("the redaction opened here is never closed with a ':::' line", line, hint=_BLOCK_HINT)
        file_line = self._file_line(line)
        span = (self._offset + markup.span[0], self._offset + markup.span[1])
        if markup.kind == PLACEHOLDER:
            if lines is None or lines[1] != line + 2:
                raise self._refuse("a redacted placeholder holds no text; close it on the next line", line)
            return body_redaction(
                RedactionForm.BLOCK, file_line, markup.attributes, span, self._name, text=None,
                container=markup.container,
            )  # fmt: skip
        if not markup.text.strip():
            raise self._refuse("the redaction holds no text", line, hint="remove it, or put the passage in")
        return body_redaction(
            RedactionForm.BLOCK, file_line, markup.attributes, span, self._name, text=markup.text,
            container=markup.container,
        )  # fmt: skip

    def _inline(self, token: Token, first_line: int) -> Iterator[Redaction]:
        content = token.content
        lines = _ContentLines(content)
        breaks = 0  # line breaks passed, for the line of text that is refused
        placers: dict[int, _Placer] = {}
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                breaks += 1
            elif child.type in ("text", "html_inline"):
                if looks_like_redaction_markup(child.content):
                    raw = child.type == "html_inline"
                    raise self._refuse(
                        _IN_HTML if raw else UNREADABLE,
                        first_line + breaks + (_first_suspicious_line(child.content) if raw else 0),
                        hint=_HTML_HINT if raw else f"{_INLINE_HINT}; {_LITERAL_HINT}",
                    )
                breaks += child.content.count("\n")
            elif child.type in ("link_open", "image") and any(
                _looks_like_text(value) for value in child.attrs.values()
            ):
                # A link's title shows only on hover; its target is the page's, never the reader's text.
                raise self._refuse(f"{UNREADABLE}: it sits in a link's title", first_line + breaks, hint=_LITERAL_HINT)
            elif child.type == "image" and any(_is_markup(alt) for alt in child.children or ()):
                # An image's description is read apart from its paragraph, and the page draws it as plain text.
                raise self._refuse("a redaction cannot sit inside an image's description", first_line + breaks)
            elif child.type == REDACTION_INLINE:
                markup: InlineMarkup = child.meta["redaction"]
                if markup.source is not content:
                    raise self._refuse("a redaction cannot sit inside an image's description", first_line + breaks)
                index, line_start, line_end = lines.locate(markup.span[0])
                line = first_line + index
                if markup.problem is not None:
                    raise self._refuse(markup.problem, line, hint=_INLINE_HINT)
                placer = placers.get(index)
                if placer is None:
                    placer = placers[index] = _Placer(self._source_line(line), content[line_start:line_end])
                column = placer.column(content[markup.span[0] : markup.span[1]], line_end - markup.span[0])
                if column is None:  # cannot happen: the markup was read from this line
                    raise self._refuse("cannot locate this inline redaction", line, hint="put it in a paragraph")
                start = self._line_start(line) + column
                span = (self._offset + start, self._offset + start + markup.span[1] - markup.span[0])
                text = None if markup.kind == PLACEHOLDER else markup.label
                if text is not None and not text.strip():
                    raise self._refuse("the inline redaction holds no text", line)
                yield body_redaction(
                    RedactionForm.INLINE, self._file_line(line), markup.attributes, span, self._name, text=text
                )

    def _line_start(self, line: int) -> int:
        if self._starts is None:
            starts, position = [], 0
            for source in self._body.split("\n"):
                starts.append(position)
                position += len(source) + 1
            self._starts = starts
        return self._starts[line]


class _Placer:
    """Finds inline markup read from one line of an inline token's content in the body's source line.

    A paragraph's content line is the end of its source line (the list indent or quote markers cut off, and the
    trailing spaces of its last line), so markup sits as far from the line's end in both; that is checked once per
    line. A table cell or a heading is cut from the middle of its line: there the markup is looked for left to
    right. Either way the found text is the markup itself, and ``candor redact`` re-reads the public version it
    derives, so a misplaced span could only make it refuse, never leave a passage in clear.
    """

    def __init__(self, source: str, content_line: str) -> None:
        self._source = source
        core = content_line.lstrip(" \t")
        self._suffix_of = next(
            (candidate for candidate in (source, source.rstrip(MD_TRIM_CHARS)) if candidate.endswith(core)), None
        )
        self._cursor = 0

    def column(self, markup: str, from_line_end: int) -> int | None:
        """The column of ``markup``, which sits ``from_line_end`` characters before its content line's end."""
        if self._suffix_of is not None:
            column = len(self._suffix_of) - from_line_end
            return column if column >= 0 and self._source.startswith(markup, column) else None
        column = self._source.find(markup, self._cursor)
        if column < 0:
            return None
        self._cursor = column + len(markup)
        return column


class _ContentLines:
    """Where each line of an inline token's content starts and ends, found moving forward only (linear)."""

    def __init__(self, content: str) -> None:
        self._content = content
        self._index = 0
        self._start = 0
        self._end = self._find_end(0)

    def _find_end(self, start: int) -> int:
        end = self._content.find("\n", start)
        return len(self._content) if end < 0 else end

    def locate(self, position: int) -> tuple[int, int, int]:
        """The content line holding ``position``: its index, its start and its end."""
        if position < self._start:
            self._index, self._start, self._end = 0, 0, self._find_end(0)
        while position > self._end:
            self._index += 1
            self._start = self._end + 1
            self._end = self._find_end(self._start)
        return self._index, self._start, self._end


_IN_HTML = (
    "redaction markup inside raw HTML or an HTML comment would be published in clear, neither redacted nor hidden"
)
_HTML_HINT = "move the passage out of the HTML, or remove the markup"
_DROPPED = (
    f"{UNREADABLE}: it sits where the page shows nothing (a table cell past the header's columns, a code fence's "
    "info string, a link reference definition)"
)
_DROPPED_HINT = "move the passage into the text, or add the table's column"


def _looks_like_text(value: object) -> bool:
    return isinstance(value, str) and looks_like_redaction_markup(value)


def _is_markup(token: Token) -> bool:
    return token.type == REDACTION_INLINE or (token.type == "text" and looks_like_redaction_markup(token.content))


def _first_suspicious_line(text: str) -> int:
    for number, line in enumerate(text.split("\n")):
        if looks_like_redaction_markup(line):
            return number
    return 0
