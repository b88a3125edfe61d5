"""Redaction markup as a markdown-it plugin: the one place where the markup is recognised.

The parser that finds redactions (:mod:`candor.domain.redaction_body`) and the site's renderer
(:mod:`candor.web.markdown`) both read a body through the parser :func:`candor.domain.markdown.markdown_parser`
builds, which carries this plugin. So they cannot disagree about where a code fence ends, what a tab or a CR means,
or when a list closes: they read the same token stream. The plugin only recognises; it never raises, since the
renderer must draw any stored body. What it cannot read it still claims, marked with a ``problem``: the renderer
hides it and the parser refuses it.

The markup (see ``docs/redaction.md``):

- a block: a line ``::: redact category=... justification="..."`` (three or more colons), the passage, then a
  line of at least as many colons alone. The passage is read as Markdown to find the closing line, so a ``:::``
  inside a code fence or an HTML block inside the passage does not close it;
- inline: ``[the words]{.redact category=... justification="..."}`` on one line;
- ``redacted`` in place of ``redact``: the placeholder ``candor redact`` leaves in a public version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

#: Token type of a block redaction; the renderer draws it as a placeholder and shows nothing of its passage.
REDACTION_BLOCK: Final = "redaction_block"
#: Token type of an inline redaction.
REDACTION_INLINE: Final = "redaction_inline"
#: The word that marks a passage, and the word of the placeholder that replaces it.
MARKED: Final = "redact"
PLACEHOLDER: Final = "redacted"
_KINDS = (MARKED, PLACEHOLDER)
#: The problem of a block that holds another: the plugin reports the inner block's line.
NESTED: Final = "a redaction cannot contain another"
UNREADABLE: Final = "redaction markup that Candor cannot read; it would be published in clear"

_COLONS = re.compile(r":{3,}")
_WORD = re.compile(r"[ \t]*([^ \t]*)")
_SPACES = re.compile(r"[ \t]*")
_ATTRIBUTE = re.compile(r'([A-Za-z][\w-]*)=("(?:[^"\\\n]|\\.)*"|[^\s"{}]+)')
_INLINE_CLASS = re.compile(r"\{[ \t]*\.([A-Za-z][\w-]*)")
_ESCAPE = re.compile(r"\\(.)")
# The safety net, for text the plugin did not claim (raw HTML, front-matter strings, text markdown-it left as text).
# Looser than the markup on purpose, and case-blind: it matches everything the plugin claims, and more.
_SUSPICIOUS = re.compile(r":::[^\S\n]*\{?[^\S\n]*\.?redact|\{[^{}\n]*\.redact", re.IGNORECASE)


def looks_like_redaction_markup(text: str) -> bool:
    """Whether ``text`` holds something that looks like redaction markup (``::: redact``, ``{.redact``), in any case."""
    return _SUSPICIOUS.search(text) is not None


def count_redaction_markup(text: str) -> int:
    """How many look-alikes of redaction markup :func:`looks_like_redaction_markup` finds in ``text``."""
    return sum(1 for _ in _SUSPICIOUS.finditer(text))


@dataclass
class BlockMarkup:
    """What the plugin read of a ``::: redact`` block (in a token's ``meta["redaction"]``).

    Lines are 0-based lines of the parsed text; offsets are offsets into it.
    """

    #: ``redact`` or ``redacted``; None when the opening line cannot be read.
    kind: str | None
    attributes: dict[str, str]
    #: Why the markup cannot be accepted, if it cannot; the line it concerns.
    problem: str | None
    problem_line: int
    closed: bool
    #: The ``:::`` of the opening line to the end of the closing line.
    span: tuple[int, int]
    #: The passage, without the indent or quote markers of the list item or quote the block sits in.
    text: str
    #: What the closing line has before its ``:::``: the quote markers and indent the placeholder must repeat.
    container: str


@dataclass
class InlineMarkup:
    """What the plugin read of a ``[words]{.redact ...}`` span (in a token's ``meta["redaction"]``)."""

    kind: str | None
    attributes: dict[str, str]
    problem: str | None
    #: The words in brackets, as written.
    label: str
    #: The text the span was read from (an inline token's content), and where in it the markup is.
    source: str
    span: tuple[int, int]


@dataclass
class _OpenBlock:
    """A block whose passage is being read: its closing line must sit at the same level and indent."""

    level: int
    indent: int
    colons: int
    close_line: int | None = None
    nested_line: int | None = None


@dataclass
class _Reading:
    """Per-parse state, kept in the parse's ``env``."""

    open_blocks: list[_OpenBlock] = field(default_factory=list)


_ENV_KEY = "candor_redaction"


def redaction_plugin(md: MarkdownIt) -> None:
    """Teach ``md`` the redaction markup: a block rule before fences, an inline rule before links."""
    md.block.ruler.before(
        "fence", REDACTION_BLOCK, _block_rule, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.inline.ruler.before("link", REDACTION_INLINE, _inline_rule)


def read_attributes(src: str, position: int, end: int) -> tuple[dict[str, str], int, str | None]:
    """``key=value`` pairs from ``position``, up to a ``}``, a line break or ``end``.

    Values are bare words or double-quoted text in which a backslash escapes the next character. Returns the
    attributes, where reading stopped, and a problem (None if every pair could be read).
    """
    attributes: dict[str, str] = {}
    while True:
        position = _skip_spaces(src, position, end)
        if position >= end or src[position] in "}\n":
            return attributes, position, None
        match = _ATTRIBUTE.match(src, position, end)
        if match is None:
            excerpt = src[position : min(end, position + 40)].split("\n", 1)[0]
            return attributes, position, f"cannot read the redaction's attributes at {excerpt!r}"
        key, value = match.group(1), match.group(2)
        if key in attributes:
            return attributes, position, f"the redaction gives {key} twice"
        attributes[key] = _ESCAPE.sub(r"\1", value[1:-1]) if value.startswith('"') else value
        position = match.end()


def quote_attribute(value: str) -> str:
    """``value`` in double quotes, with backslashes and quotes escaped, as :func:`read_attributes` reads it back."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _skip_spaces(src: str, position: int, end: int) -> int:
    match = _SPACES.match(src, position, end)
    return position if match is None else match.end()


def _reading(state: StateBlock) -> _Reading:
    reading = state.env.get(_ENV_KEY)
    if not isinstance(reading, _Reading):
        reading = state.env[_ENV_KEY] = _Reading()
    return reading


# --- Blocks -----------------------------------------------------------------------------------------------------


def _block_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False  # indented code: literal text
    start = state.bMarks[start_line] + state.tShift[start_line]
    end = state.eMarks[start_line]
    colons = _COLONS.match(state.src, start, end)
    if colons is None:
        return False
    count = colons.end() - start
    rest = state.src[colons.end() : end]
    open_blocks = _reading(state).open_blocks
    if not rest.strip(" \t") and any(count >= block.colons for block in open_blocks):
        return _close(state, start_line, end_line, count, open_blocks[-1], silent)
    if "redact" not in rest.casefold():
        return False  # '::: note' and the like are ordinary text
    if silent:
        return True
    _read_block(state, start_line, end_line, count, colons.end())
    return True


def _close(state: StateBlock, line: int, end_line: int, count: int, innermost: _OpenBlock, silent: bool) -> bool:
    """A line of colons alone: it ends any paragraph, list or quote inside a passage (so that it can close it), and
    closes the innermost passage when it sits at that passage's own level and indent."""
    if silent:
        return True
    if state.level != innermost.level or state.blkIndent != innermost.indent or count < innermost.colons:
        return False
    innermost.close_line = line
    state.line = end_line  # ends the loop reading the passage
    return True


def _read_block(state: StateBlock, start_line: int, end_line: int, colons: int, after_colons: int) -> None:
    end = state.eMarks[start_line]
    word = _WORD.match(state.src, after_colons, end)
    assert word is not None  # the pattern matches the empty string
    kind: str | None = word.group(1) if word.group(1) in _KINDS else None
    attributes: dict[str, str] = {}
    problem: str | None = None
    if kind is None:
        problem = _unreadable_opening(word.group(1), "")
    else:
        attributes, stopped, problem = read_attributes(state.src, word.end(), end)
        if problem is None and stopped < end:
            problem = f"cannot read the redaction's attributes at {state.src[stopped:end]!r}"
    reading = _reading(state)
    if reading.open_blocks and reading.open_blocks[-1].nested_line is None:
        reading.open_blocks[-1].nested_line = start_line
    block = _OpenBlock(level=state.level + 1, indent=state.blkIndent, colons=colons)
    last = _read_passage(state, start_line, end_line, block)
    problem_line = start_line
    if problem is None and block.nested_line is not None:
        problem, problem_line = NESTED, block.nested_line
    closed = block.close_line is not None
    passage_end = last if block.close_line is None else block.close_line
    span_end = state.eMarks[max(passage_end - 1, start_line) if block.close_line is None else block.close_line]
    container = ""
    if block.close_line is not None:
        close_start = state.bMarks[block.close_line] + state.tShift[block.close_line]
        container = state.src[_line_start(state, block.close_line) : close_start]
    token = state.push(REDACTION_BLOCK, "aside", 0)
    token.block = True
    token.map = [start_line, block.close_line + 1 if block.close_line is not None else last]
    token.meta = {
        "redaction": BlockMarkup(
            kind=kind,
            attributes=attributes,
            problem=problem,
            problem_line=problem_line,
            closed=closed,
            span=(state.bMarks[start_line] + state.tShift[start_line], span_end),
            text=state.getLines(start_line + 1, passage_end, state.sCount[start_line], False),
            container=container,
        )
    }
    state.line = token.map[1]


def _read_passage(state: StateBlock, start_line: int, end_line: int, block: _OpenBlock) -> int:
    """Read the passage as Markdown, one level down, up to its closing line; keep none of its tokens.

    Returns the line after the last one read when no closing line was found.
    """
    reading = _reading(state)
    reading.open_blocks.append(block)
    first_token = len(state.tokens)
    parent = state.parentType
    state.parentType = "redaction"
    state.level += 1
    try:
        state.md.block.tokenize(state, start_line + 1, end_line)
    finally:
        state.level -= 1
        state.parentType = parent
        reading.open_blocks.pop()
        del state.tokens[first_token:]
    return max(state.line, start_line + 1)


def _line_start(state: StateBlock, line: int) -> int:
    # bMarks move past quote markers inside a quote; the end of the previous line does not move.
    return 0 if line == 0 else state.eMarks[line - 1] + 1


def _unreadable_opening(word: str, prefix: str) -> str:
    if word.casefold() in _KINDS:
        return f"{UNREADABLE}: write '{prefix}{word.casefold()}' in lower case"
    return UNREADABLE


# --- Inline -----------------------------------------------------------------------------------------------------


def _inline_rule(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "[":
        return False
    label_end = state.md.helpers.parseLinkLabel(state, start, False)
    if label_end < 0 or label_end + 1 >= state.posMax or src[label_end + 1] != "{":
        return False
    opened = _INLINE_CLASS.match(src, label_end + 1, state.posMax)
    if opened is None or opened.group(1).casefold() not in _KINDS:
        return False
    kind: str | None = opened.group(1) if opened.group(1) in _KINDS else None
    attributes, stopped, problem = read_attributes(src, opened.end(), state.posMax)
    if stopped < state.posMax and src[stopped] == "}":
        end = stopped + 1
    else:
        end = stopped
        problem = problem or "the redaction's attributes do not end with '}' on the same line"
    if kind is None:
        problem = _unreadable_opening(opened.group(1), ".")
    label = src[start + 1 : label_end]
    if "\n" in label:
        problem = "an inline redaction must sit on one line"
    if not silent:
        token = state.push(REDACTION_INLINE, "span", 0)
        token.meta = {"redaction": InlineMarkup(kind, attributes, problem, label, src, (start, end))}
    state.pos = max(end, start + 1)
    return True
