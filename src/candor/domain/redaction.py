"""Redaction markup: what an author marks as redacted, and the placeholders the public sees instead.

An author marks a passage in one of three ways:

- a block in the body, as a fenced div::

      ::: redact category=trade-secret justification="Names an unreleased supplier"
      The passage, over as many lines as it takes.
      :::

  The block may sit in a list item or a ``>`` quote: its following lines then keep the item's indent or the
  quote's ``>`` up to the closing ``:::``;
- inline in the body: ``[the words]{.redact category=cybersecurity justification="..."}`` (on one line; spaces
  inside the braces are allowed);
- one front-matter value, written as a mapping with the single key ``redact``::

      summary: {redact: {category: cybersecurity, justification: "...", value: "the text"}}

  Only text values can be redacted: numbers, dates, ids and lists keep the document checkable.

``candor redact`` turns each into a placeholder that names the category and the justification, gives a size
bucket and a commitment, and keeps the document parseable as the same kind:

- ``::: redacted category=... justification="..." size="100-1k" commitment=<hex>`` followed by ``:::``;
- ``[redacted]{.redacted category=... justification="..." size="<100" commitment=<hex>}``;
- ``{redacted: {category: ..., justification: "...", size: "<100", commitment: <hex>}}`` in the front matter,
  which the document model reads as the text ``[redacted: <category>]``.

The commitment is SHA-256 over a 32-byte random salt followed by the redacted text in UTF-8: the regulator, who
holds the salts in the sealed original, can check it; nobody else can test a guess against it.

The body markup is read by one markdown-it plugin (:mod:`candor.domain.redaction_markup`), the same one the
site's renderer draws placeholders with; :mod:`candor.domain.redaction_body` turns what it reads into
:class:`Redaction` values. Anything else that looks like redaction markup (``::: {.redact}``, ``::: Redact``, an
inline span over two lines, markup in raw HTML or in a front-matter text) is refused with its file line rather
than ignored: ignored markup would be published in clear while the author believes it redacted. The rules are in
``docs/redaction.md``.

A missing justification is accepted here and reported by the standards (rule ``REDACTION-JUSTIFIED``), so that
``candor check`` shows it with the other findings; ``candor redact`` refuses to publish such a redaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from candor.domain.redaction_markup import looks_like_redaction_markup
from candor.domain.redaction_markup import quote_attribute as quote_attribute
from candor.domain.yamlload import FieldPath, LoadedYaml, format_path
from candor.errors import DocumentError

#: Bytes of random salt in each commitment.
SALT_BYTES: Final = 32
#: The most redactions (placeholders included) one document may hold: each costs a salt in the sealed original,
#: a commitment to check and a placeholder to draw.
MAX_REDACTIONS: Final = 10_000


class RedactionCategory(StrEnum):
    """Why a passage may be withheld: the grounds SB 53 allows."""

    TRADE_SECRET = "trade-secret"  # noqa: S105 (a category name, not a password)
    CYBERSECURITY = "cybersecurity"
    PUBLIC_SAFETY = "public-safety"
    NATIONAL_SECURITY = "national-security"
    LEGAL_COMPLIANCE = "legal-compliance"


class RedactionForm(StrEnum):
    """Where a redaction sits in the document."""

    BLOCK = "block"
    INLINE = "inline"
    FRONT_MATTER = "front-matter"


class SizeBucket(StrEnum):
    """How long the redacted text is, in characters, told coarsely so the length itself reveals little."""

    UNDER_100 = "<100"
    UNDER_1K = "100-1k"
    UNDER_10K = "1k-10k"
    OVER_10K = ">10k"

    @property
    def least_chars(self) -> int:
        """The fewest characters a passage in this bucket has."""
        return _BUCKET_FLOORS[self]

    @classmethod
    def of(cls, text: str) -> SizeBucket:
        """The bucket of ``text``."""
        length = len(text)
        if length < 100:
            return cls.UNDER_100
        if length < 1000:
            return cls.UNDER_1K
        if length < 10_000:
            return cls.UNDER_10K
        return cls.OVER_10K


_BUCKET_FLOORS = {
    SizeBucket.UNDER_100: 0,
    SizeBucket.UNDER_1K: 100,
    SizeBucket.UNDER_10K: 1000,
    SizeBucket.OVER_10K: 10_000,
}


@dataclass(frozen=True)
class Redaction:
    """One redaction in a document: the author's marked passage, or the placeholder that replaced it.

    ``text`` is set for a marked passage and None for a placeholder; ``size`` and ``commitment`` the other way
    round.
    """

    form: RedactionForm
    #: The file line where the redaction starts (1-based).
    line: int
    category: RedactionCategory
    justification: str | None
    #: The field path, for a front-matter value; None in the body.
    field: FieldPath | None
    #: Where the markup sits in the file text, as [start, end) character offsets.
    span: tuple[int, int]
    text: str | None = None
    size: SizeBucket | None = None
    commitment: str | None = None
    #: For a block inside ``>`` quotes or a list item: what each line after its opening one starts with.
    container: str = ""

    @property
    def is_placeholder(self) -> bool:
        """Whether this is a placeholder in a public document rather than a marked passage."""
        return self.text is None

    @property
    def chars(self) -> int:
        """Characters redacted: exact for a marked passage, the bucket's floor for a placeholder."""
        if self.text is not None:
            return len(self.text)
        assert self.size is not None  # a placeholder always has one
        return self.size.least_chars

    @property
    def where(self) -> str:
        """``line 12`` or ``line 12 (field weight_security.summary)``, for messages."""
        return f"line {self.line}" if self.field is None else f"line {self.line} ({format_path(self.field)})"


def commitment_of(salt: bytes, text: str) -> str:
    """SHA-256 (hex) over the salt followed by the redacted text in UTF-8."""
    return hashlib.sha256(salt + text.encode("utf-8")).hexdigest()


# --- Attributes -------------------------------------------------------------------------------------------------

_MARKED_KEYS = frozenset({"category", "justification"})
_PLACEHOLDER_KEYS = frozenset({"category", "justification", "size", "commitment"})
_COMMITMENT = re.compile(r"^[0-9a-f]{64}$")
_CATEGORIES = ", ".join(RedactionCategory)


def _known(allowed: frozenset[str]) -> str:
    return f"its attributes are {', '.join(sorted(allowed))}"


def _category(value: object, name: str, line: int, field: str | None = None) -> RedactionCategory:
    if value is None:
        raise DocumentError(name, "a redaction must give its category", line=line, field=field, hint=_CATEGORIES)
    try:
        return RedactionCategory(str(value))
    except ValueError:
        raise DocumentError(
            name, f"{value!r} is not a redaction category", line=line, field=field, hint=f"one of {_CATEGORIES}"
        ) from None


def _justification(value: object, name: str, line: int, field: str | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DocumentError(name, "a redaction's justification must be text", line=line, field=field)
    return value.strip() or None


def _placeholder_parts(
    raw: Mapping[str, object], name: str, line: int, field: str | None = None
) -> tuple[SizeBucket, str]:
    size, commitment = raw.get("size"), raw.get("commitment")
    try:
        bucket = SizeBucket(str(size))
    except ValueError:
        raise DocumentError(
            name, f"{size!r} is not a size bucket", line=line, field=field, hint=f"one of {', '.join(SizeBucket)}"
        ) from None
    if not isinstance(commitment, str) or not _COMMITMENT.match(commitment):
        raise DocumentError(name, "a placeholder's commitment must be 64 lower-case hex digits", line=line, field=field)
    return bucket, commitment


# --- Body -------------------------------------------------------------------------------------------------------


def body_redaction(
    form: RedactionForm,
    line: int,
    attributes: Mapping[str, str],
    span: tuple[int, int],
    name: str,
    *,
    text: str | None,
    container: str = "",
) -> Redaction:
    """A redaction in the body, block or inline, from the attributes its markup gives.

    ``text`` is the marked passage, or None for a placeholder (whose size and commitment the attributes give).
    """
    allowed = _MARKED_KEYS if text is not None else _PLACEHOLDER_KEYS
    for key in attributes:
        if key not in allowed:
            raise DocumentError(name, f"a redaction has no attribute {key!r}", line=line, hint=_known(allowed))
    size, commitment = (None, None) if text is not None else _placeholder_parts(attributes, name, line)
    return Redaction(
        form,
        line,
        _category(attributes.get("category"), name, line),
        _justification(attributes.get("justification"), name, line),
        None,
        span,
        text=text,
        size=size,
        commitment=commitment,
        container=container,
    )


def check_redaction_count(redactions: Sequence[Redaction], name: str) -> None:
    """Refuse a document with more than :data:`MAX_REDACTIONS` redactions, naming the line of the first too many."""
    if len(redactions) > MAX_REDACTIONS:
        raise DocumentError(
            name,
            f"a document may hold at most {MAX_REDACTIONS:,} redactions; this is redaction {MAX_REDACTIONS + 1:,}",
            line=redactions[MAX_REDACTIONS].line,
            hint="redact longer passages instead of many short ones",
        )


# --- Front matter -----------------------------------------------------------------------------------------------

_MARK_KEY = "redact"
_PLACEHOLDER_KEY = "redacted"
_VALUE_KEYS = frozenset({"category", "justification", "value"})


@dataclass(frozen=True)
class FrontMatterRedactions:
    """The front matter as the document model reads it, and the redactions found in it (spans not yet known)."""

    #: The loaded value with each redaction replaced: by its text, or for a placeholder by ``[redacted: ...]``.
    value: Any
    #: The same value with every marked passage also replaced by its placeholder text, to check that the public
    #: version will still read as the same kind of document.
    public_value: Any
    redactions: list[Redaction]


def placeholder_text(category: RedactionCategory) -> str:
    """What the document model reads in place of a redacted front-matter value."""
    return f"[redacted: {category}]"


def resolve_front_matter(loaded: LoadedYaml, name: str) -> FrontMatterRedactions:
    """Find ``{redact: ...}`` and ``{redacted: ...}`` values in the front matter, in file order."""
    redactions: list[Redaction] = []
    value, public_value = _resolve(loaded.value, (), loaded, name, redactions)
    return FrontMatterRedactions(value, public_value, redactions)


def _resolve(value: Any, path: FieldPath, loaded: LoadedYaml, name: str, found: list[Redaction]) -> tuple[Any, Any]:
    if isinstance(value, dict):
        if _MARK_KEY in value or _PLACEHOLDER_KEY in value:
            redaction = _front_matter_redaction(value, path, loaded, name)
            found.append(redaction)
            public = placeholder_text(redaction.category)
            return (public if redaction.text is None else redaction.text), public
        resolved = {key: _resolve(child, (*path, str(key)), loaded, name, found) for key, child in value.items()}
        return {key: pair[0] for key, pair in resolved.items()}, {key: pair[1] for key, pair in resolved.items()}
    if isinstance(value, list):
        pairs = [_resolve(child, (*path, index), loaded, name, found) for index, child in enumerate(value)]
        return [pair[0] for pair in pairs], [pair[1] for pair in pairs]
    return value, value


def refuse_markup_in_front_matter(loaded: LoadedYaml, name: str) -> None:
    """Refuse a front-matter text that holds body redaction markup (``[words]{.redact ...}``, ``::: redact``).

    The front matter is published as written: markup inside one of its texts would be neither redacted nor
    hidden. A front-matter value is redacted whole, with ``{redact: {...}}``.
    """
    for path, text in _texts(loaded.value, ()):
        if looks_like_redaction_markup(text):
            raise DocumentError(
                name,
                "redaction markup inside a front-matter text would be published in clear",
                line=loaded.line_of(path),
                field=format_path(path),
                hint="redact the whole value: {redact: {category: ..., justification: ..., value: ...}}",
            )


def _texts(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        if _MARK_KEY in value or _PLACEHOLDER_KEY in value:
            return  # redacted whole, or a placeholder: read by _front_matter_redaction
        for key, child in value.items():
            yield from _texts(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _texts(child, (*path, index))


def _front_matter_redaction(value: dict[Any, Any], path: FieldPath, loaded: LoadedYaml, name: str) -> Redaction:
    line = loaded.line_of(path) or 1
    field = format_path(path)
    if len(value) != 1:
        raise DocumentError(
            name,
            "a redacted value is a mapping with the single key redact (or redacted), and nothing beside it",
            line=line,
            field=field,
        )
    ((key, inner),) = value.items()
    allowed = _VALUE_KEYS if key == _MARK_KEY else _PLACEHOLDER_KEYS
    if not isinstance(inner, dict):
        raise DocumentError(name, f"{key} must be a mapping of {', '.join(sorted(allowed))}", line=line, field=field)
    for inner_key in inner:
        if inner_key not in allowed:
            raise DocumentError(
                name, f"a redaction has no field {inner_key!r}", line=line, field=field, hint=_known(allowed)
            )
    category = _category(inner.get("category"), name, line, field)
    justification = _justification(inner.get("justification"), name, line, field)
    if key == _PLACEHOLDER_KEY:
        size, commitment = _placeholder_parts(inner, name, line, field)
        return Redaction(
            RedactionForm.FRONT_MATTER, line, category, justification, path, (0, 0), size=size, commitment=commitment
        )
    text = inner.get("value")
    if not isinstance(text, str) or not text.strip():
        raise DocumentError(
            name,
            "only text can be redacted: value must be a non-empty text",
            line=line,
            field=field,
            hint="numbers, dates, ids and lists stay public so the document can be checked",
        )
    return Redaction(RedactionForm.FRONT_MATTER, line, category, justification, path, (0, 0), text=text)


def front_matter_spans(front_text: str, offset: int) -> list[tuple[int, int]]:
    """The [start, end) file offsets of every ``{redact: ...}``/``{redacted: ...}`` mapping, in file order.

    ``front_text`` is the front matter (already loaded strictly, so it holds no tags or aliases) and ``offset``
    where it starts in the file. PyYAML's pure-Python composer is used because its marks count characters.
    """
    root = yaml.compose(front_text, Loader=yaml.SafeLoader)
    spans: list[tuple[int, int]] = []
    if root is not None:
        _collect_spans(root, offset, spans)
    return spans


def _collect_spans(node: Node, offset: int, spans: list[tuple[int, int]]) -> None:
    if isinstance(node, MappingNode):
        keys = [key.value for key, _ in node.value if isinstance(key, ScalarNode)]
        if _MARK_KEY in keys or _PLACEHOLDER_KEY in keys:
            spans.append((offset + node.start_mark.index, offset + node.end_mark.index))
            return
        for _, child in node.value:
            _collect_spans(child, offset, spans)
    elif isinstance(node, SequenceNode):
        for child in node.value:
            _collect_spans(child, offset, spans)


def locate_front_matter(redactions: list[Redaction], front_text: str, offset: int, name: str) -> list[Redaction]:
    """The front-matter redactions with their file spans filled in."""
    spans = front_matter_spans(front_text, offset)
    if len(spans) != len(redactions):  # both walks follow file order over the same YAML, so this cannot differ
        raise DocumentError(name, "the front matter's redactions could not be located")
    return [replace(redaction, span=span) for redaction, span in zip(redactions, spans, strict=True)]


@dataclass(frozen=True)
class DocumentRedactions:
    """A document's redactions with the size of its prose: what the redaction rules and statistics read."""

    items: tuple[Redaction, ...] = ()
    #: Characters of prose: the body without redaction markup, plus every redacted passage (front matter too).
    prose_chars: int = 0

    @classmethod
    def of(cls, body: str, items: tuple[Redaction, ...]) -> DocumentRedactions:
        """The redactions of a document whose Markdown body is ``body``."""
        markup = sum(item.span[1] - item.span[0] for item in items if item.form is not RedactionForm.FRONT_MATTER)
        return cls(items, len(body) - markup + sum(item.chars for item in items))

    def chars_by_category(self) -> dict[RedactionCategory, int]:
        """Characters redacted per category (exact in an original; at least this many in a public version)."""
        counts = dict.fromkeys(RedactionCategory, 0)
        for item in self.items:
            counts[item.category] += item.chars
        return counts

    @property
    def share(self) -> float:
        """The share of the prose that is redacted, from 0 to 1."""
        return 0.0 if self.prose_chars == 0 else sum(item.chars for item in self.items) / self.prose_chars
