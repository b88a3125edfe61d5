"""A strict, safe YAML loader that remembers where every field was written.

PyYAML's safe loading is the base (its C parser, libyaml, where installed: the pure-Python scanner takes
seconds on a 1 MiB framework), with four changes that disclosures need:

- explicit tags (``!!python/object``, ``!!binary``, ``!custom``) are errors, so no type can be smuggled in;
- anchors and aliases are errors: a disclosure has no use for them, and refusing them outright stops
  "billion laughs" alias bombs without having to count expansions;
- a key written twice in one mapping is an error instead of silently keeping the last value;
- numbers such as ``1e26`` and ``3.1e26`` read as floats, as YAML 1.2 says. PyYAML follows YAML 1.1, which
  requires a dot and a signed exponent, and would read them as strings: a training-compute figure must not.

The result carries a map from field paths to 1-based line numbers, so that every later error
(a wrong type, a failed rule) can point at the line a person wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    Event,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python loader is used
    CParser = object  # type: ignore[misc,assignment]

from candor.errors import DocumentError

#: How deeply values may nest. Disclosures need about six levels; the limit keeps hostile input from exhausting
#: the stack of the recursive composer.
MAX_NESTING = 64

_STR = "tag:yaml.org,2002:str"
# The tag PyYAML gives a plain "=" (YAML 1.1's value key); it reads as text.
_VALUE = "tag:yaml.org,2002:value"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT = "tag:yaml.org,2002:int"
_DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")

#: The longest whole number a value may be written with. Python refuses to turn ints of more than 4,300 digits
#: into text, and no figure in a disclosure comes near this.
_MAX_INT_DIGITS = 1000
_INT_LIMIT = 10**_MAX_INT_DIGITS

#: A field path: mapping keys and sequence indexes from the root, e.g. ("risk_domains", 0, "id").
FieldPath = tuple[str | int, ...]

# YAML 1.2 core schema floats, which include 1e26 and 3.1e26 (no dot or no exponent sign needed).
_FLOAT_1_2 = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


def format_path(path: FieldPath) -> str:
    """Render a field path the way people write it: ``risk_domains[0].id``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(document)"


@dataclass
class LoadedYaml:
    """The loaded value plus the line on which each field path starts."""

    value: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)
    #: Added to every line, for YAML that sits inside a larger file (front matter after its ``---``).
    line_offset: int = 0

    def line_of(self, path: FieldPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is None:
                # Mapping keys are recorded as text, but a validator names a key read as a number (a year) as
                # that number: look it up as written too.
                line = self.lines.get(tuple(str(part) if isinstance(part, int) else part for part in path[:end]))
            if line is not None:
                return line + self.line_offset
        return None


def _mark(event: Event) -> Any:
    """Where ``event`` starts. libyaml's marks are a different class from PyYAML's, with the same line and column."""
    return event.start_mark


class _StrictBuilder(SafeConstructor, Resolver):
    """Building values straight from parser events, refusing tags and aliases and reporting duplicate keys.

    It takes its events from a parser mixed in after it. PyYAML would compose a tree of nodes, then walk it to
    construct values, and a third walk would be needed for the lines; here one pass over the events checks each
    one, builds the value and notes its line, which takes a 1 MiB framework's load from about 0.27 s to 0.1 s.
    """

    def __init__(self, name: str) -> None:
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.source_name = name
        self.depth = 0

    # Provided by the parser mixed in after this class.
    get_event: Callable[[], Event]
    peek_event: Callable[[], Event]
    check_event: Callable[..., bool]

    def _fail(self, message: str, mark: Any, hint: str | None = None, path: FieldPath | None = None) -> DocumentError:
        line = None if mark is None else int(mark.line) + 1
        field = None if path is None else format_path(path)
        return DocumentError(self.source_name, message, line=line, field=field, hint=hint)

    def build_document(self) -> tuple[Any, dict[FieldPath, int]]:
        """The value of the one document in the stream (None when there is none) and the line of every field."""
        self.get_event()  # the start of the stream
        if self.check_event(StreamEndEvent):
            return None, {}
        start = _mark(self.get_event())
        lines: dict[FieldPath, int] = {(): _mark(self.peek_event()).line + 1}
        value = self._value((), lines)
        self.get_event()  # the end of the document
        if not self.check_event(StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream",
                start,
                "but found another document",
                _mark(self.get_event()),
            )
        return value, lines

    def _checked_event(self) -> ScalarEvent | CollectionStartEvent:
        """The next event that starts a value, refusing aliases, anchors and explicit tags."""
        event = self.get_event()
        if isinstance(event, AliasEvent):
            raise self._fail(
                "YAML aliases (*name) are not allowed", event.start_mark, hint="write the value out in full"
            )
        assert isinstance(event, ScalarEvent | CollectionStartEvent)  # the parser allows nothing else here
        if event.anchor is not None:
            raise self._fail(
                f"YAML anchors (&{event.anchor}) are not allowed", event.start_mark, hint="write the value out in full"
            )
        # A plain scalar has no tag; "!" is the non-specific tag of a quoted scalar. Anything else is explicit.
        if event.tag not in (None, "!"):
            written = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise self._fail(
                f"YAML tags such as {written!r} are not allowed",
                event.start_mark,
                hint="remove the tag; values are read as plain text, numbers, dates and lists",
            )
        return event

    def _value(self, path: FieldPath, lines: dict[FieldPath, int]) -> Any:
        """Build the next value, at ``path``, noting the line of every field inside it."""
        event = self._checked_event()
        if isinstance(event, ScalarEvent):
            return self._scalar(event, path)
        if self.depth >= MAX_NESTING:
            raise self._fail(f"values are nested more than {MAX_NESTING} levels deep", event.start_mark)
        self.depth += 1
        value: list[Any] | dict[Any, Any]
        if isinstance(event, SequenceStartEvent):
            value = []
            while not self.check_event(SequenceEndEvent):
                item: FieldPath = (*path, len(value))
                lines[item] = _mark(self.peek_event()).line + 1
                value.append(self._value(item, lines))
        else:
            value = {}
            first_lines: dict[Any, int] = {}
            while not self.check_event(MappingEndEvent):
                key_event = self._checked_event()
                if not isinstance(key_event, ScalarEvent):
                    raise self._fail("a mapping key must be a plain value", key_event.start_mark)
                child = (*path, key_event.value)
                key = self._scalar(key_event, child)
                line = _mark(key_event).line + 1
                if key in first_lines:
                    raise self._fail(
                        f"key {key!r} is written twice in one mapping (first on line {first_lines[key]})",
                        key_event.start_mark,
                        hint="keep one of them",
                    )
                first_lines[key] = line
                lines[child] = line
                value[key] = self._value(child, lines)
        self.get_event()  # the end of the sequence or mapping
        self.depth -= 1
        return value

    def _scalar(self, event: ScalarEvent, path: FieldPath) -> Any:
        text = event.value
        # Only a plain scalar is resolved: a quoted one is always text.
        if not event.implicit[0]:
            return text
        tag = _STR
        for candidate, pattern in self.yaml_implicit_resolvers.get(text[:1], ()):
            if pattern.match(text):
                tag = candidate
                break
        if tag in (_STR, _VALUE):
            return text
        construct = self.yaml_constructors.get(tag)
        start = _mark(event)
        if construct is None:
            # Only the merge key "<<" resolves to a tag without a constructor; it exists to reuse anchored values.
            raise self._fail("YAML merge keys (<<) are not allowed", start, hint="write the value out in full")
        node = ScalarNode(tag, text, start, start)
        # The resolvers match the shape of a value, not its sense: 2026-02-30 looks like a date and 0b_ like a
        # number, and building them raises a plain ValueError, which must reach a person as a DocumentError.
        try:
            value = construct(self, node)
        except (ValueError, OverflowError):
            raise self._unreadable(node, path) from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_LIMIT:
            # Python refuses to print an int this long, so every later message quoting it would fail.
            raise self._too_long(node, path)
        return value

    def _too_long(self, node: ScalarNode, path: FieldPath) -> DocumentError:
        return self._fail(f"numbers may have at most {_MAX_INT_DIGITS:,} digits", node.start_mark, path=path)

    def _unreadable(self, node: ScalarNode, path: FieldPath) -> DocumentError:
        if node.tag == _INT and len(node.value) > _MAX_INT_DIGITS:
            return self._too_long(node, path)
        written = node.value if len(node.value) <= 40 else node.value[:40] + "..."
        if node.tag == _TIMESTAMP:
            what = "date" if _DATE_ONLY.match(node.value) else "date and time"
            return self._fail(f"{written} is not a real {what}", node.start_mark, path=path)
        return self._fail(
            f"{written} cannot be read as a number",
            node.start_mark,
            path=path,
            hint="put it in quotes if it is text",
        )


class _PythonStrictLoader(_StrictBuilder, Reader, Scanner, Parser):
    """The strict loader on PyYAML's pure-Python reader, scanner and parser: the reference, and the fallback."""

    def __init__(self, stream: str, name: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _StrictBuilder.__init__(self, name)


class _LibyamlStrictLoader(_StrictBuilder, CParser):
    """The strict loader on libyaml's parser, which reads a 1 MiB framework several times faster."""

    def __init__(self, stream: str, name: str) -> None:
        CParser.__init__(self, stream)
        _StrictBuilder.__init__(self, name)


_StrictLoader: type[_PythonStrictLoader | _LibyamlStrictLoader] = (
    _LibyamlStrictLoader if yaml.__with_libyaml__ else _PythonStrictLoader
)

# Replace the YAML 1.1 float resolver with the YAML 1.2 one, on our loaders only.
_StrictBuilder.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_StrictBuilder.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_1_2, list("-+0123456789."))


def load_yaml(text: str, name: str, *, line_offset: int = 0) -> LoadedYaml:
    """Load one YAML document from ``text`` strictly; ``name`` is used in error messages.

    ``line_offset`` is added to every reported line, for YAML embedded in a larger file.
    """
    return _load(_StrictLoader, text, name, line_offset)


def _load(
    loader_class: type[_PythonStrictLoader | _LibyamlStrictLoader], text: str, name: str, line_offset: int
) -> LoadedYaml:
    try:
        value, lines = _read(loader_class, text, name)
    except DocumentError as exc:
        if exc.line is not None and line_offset:
            raise DocumentError(name, exc.detail, line=exc.line + line_offset, field=exc.field, hint=exc.hint) from None
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        hint = None
        if exc.context_mark is not None and "end of stream" in problem:
            # The end of the text is never where the mistake is; an unclosed quote or bracket starts at the context.
            mark = exc.context_mark
            problem = f"{exc.context}, {problem}" if exc.context else problem
            hint = "a quote or bracket opened here is never closed"
        line = None if mark is None else mark.line + 1 + line_offset
        raise DocumentError(name, f"malformed YAML: {problem}", line=line, hint=hint) from None
    except ReaderError as exc:
        # A reader error carries a character offset, not a mark; its text spans two lines.
        line = text.count("\n", 0, exc.position) + 1 + line_offset
        raise DocumentError(
            name,
            f"character U+{exc.character:04X} is not allowed in YAML",
            line=line,
            hint="remove it, or write it as an escape such as \\u001f inside double quotes",
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentError(name, f"malformed YAML: {exc}") from None
    return LoadedYaml(value=value, lines=lines, line_offset=line_offset)


def _read(
    loader_class: type[_PythonStrictLoader | _LibyamlStrictLoader], text: str, name: str
) -> tuple[Any, dict[FieldPath, int]]:
    # PyYAML's reader checks the text for unprintable characters as the loader is made, so making it can fail too.
    loader = loader_class(text, name)
    try:
        return loader.build_document()
    finally:
        loader.dispose()


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes what :func:`load_yaml` reads back unchanged.

    It shares the loader's resolvers, so a string such as "1e26" is quoted rather than written plain and
    read back as a float, and it never writes anchors or aliases, which the loader refuses.
    """

    yaml_implicit_resolvers = _StrictBuilder.yaml_implicit_resolvers

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(value: Any) -> str:
    """Write ``value`` (mappings, lists, text, numbers, booleans, dates, None) as block-style YAML."""
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
