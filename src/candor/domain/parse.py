"""Reading a disclosure file: front matter into a checked model, the rest as the Markdown body.

Every failure is a :class:`~candor.errors.DocumentError` that names the file, the line and the field, in words a
policy team can act on: ``sdf.md:14: risk_domains[0].strength: must be one of must, should, may``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from candor.domain.documents import (
    DISCLOSURE_KINDS,
    Certification,
    FieldValueError,
    SecureDevelopmentFramework,
    SystemCard,
)
from candor.domain.placeholders import reject_placeholders
from candor.domain.redaction import (
    FrontMatterRedactions,
    Redaction,
    check_redaction_count,
    locate_front_matter,
    refuse_markup_in_front_matter,
    resolve_front_matter,
)
from candor.domain.redaction_body import find_body_redactions
from candor.domain.source import Source, decode_source
from candor.domain.yamlload import FieldPath, LoadedYaml, format_path, load_yaml
from candor.errors import DocumentError

_FENCE = "---"
_KINDS = ", ".join(DISCLOSURE_KINDS)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ParsedDocument:
    """A disclosure read from a file: its checked front matter, its prose and where each came from."""

    source: Source
    model: SecureDevelopmentFramework | SystemCard | Certification
    #: The Markdown after the closing ``---``.
    body: str
    #: The file line on which the body starts (1-based).
    body_line: int
    front_matter: LoadedYaml
    #: Redacted passages (in an author's file) or their placeholders (in a public one), in file order.
    redactions: tuple[Redaction, ...] = ()

    @property
    def name(self) -> str:
        """The file name used in messages."""
        return self.source.name

    def line_of(self, path: FieldPath) -> int | None:
        """The file line where a front-matter field (or its nearest written ancestor) starts."""
        return self.front_matter.line_of(path)


def parse_bytes(name: str, raw: bytes) -> ParsedDocument:
    """Check the size and encoding of ``raw``, then parse it as a disclosure."""
    return parse_document(decode_source(name, raw))


def parse_document(source: Source) -> ParsedDocument:
    """Parse a disclosure: YAML front matter between ``---`` lines, then a Markdown body."""
    front_text, body, body_line = _split_front_matter(source)
    # The front matter's first line is the file's second line, after the opening fence.
    loaded = load_yaml(front_text, source.name, line_offset=1)
    if loaded.value is None:
        raise DocumentError(source.name, "the front matter is empty", line=1, hint=f"start it with kind: ({_KINDS})")
    if not isinstance(loaded.value, dict):
        raise DocumentError(source.name, "the front matter must be a mapping of fields (key: value)", line=2)
    model_class = _model_class(source.name, loaded)
    reject_placeholders(loaded, source.name)
    # Redaction markup is looked for only where the word appears, in any case: most disclosures have none.
    front = None
    if "redact" in front_text.casefold():
        refuse_markup_in_front_matter(loaded, source.name)
        front = resolve_front_matter(loaded, source.name)
    try:
        model = model_class.model_validate(loaded.value if front is None else front.value)
    except ValidationError as exc:
        raise _document_error(source.name, loaded, model_class, exc) from None
    redactions: list[Redaction] = []
    if front is not None and front.redactions:
        _check_redactable(source.name, loaded, model_class, front)
        redactions += locate_front_matter(front.redactions, front_text, source.text.index("\n") + 1, source.name)
    # Every reading of markup (and every look-alike the reader refuses) holds the word in some case; a body without
    # it draws no placeholder, so it is not read here (the renderer reads it for the page).
    if "redact" in body.casefold():
        redactions += find_body_redactions(source.text, body_line, source.name)
    check_redaction_count(redactions, source.name)
    return ParsedDocument(source, model, body, body_line, loaded, tuple(redactions))


def _check_redactable(
    name: str, loaded: LoadedYaml, model_class: type[BaseModel], front: FrontMatterRedactions
) -> None:
    """Refuse a redacted front-matter value whose placeholder the model would not accept (an id, a version)."""
    try:
        model_class.model_validate(front.public_value)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise DocumentError(
            name,
            "this value cannot be redacted: only free text can, so the public version stays checkable",
            line=loaded.line_of(_path_of(error)),
            field=format_path(_path_of(error)),
        ) from None


def _split_front_matter(source: Source) -> tuple[str, str, int]:
    """Return the front matter text, the body and the body's first line number."""
    lines = source.text.split("\n")
    if lines[0].rstrip() != _FENCE:
        raise DocumentError(
            source.name,
            "no front matter: a disclosure starts with a line '---', then YAML fields, then another '---'",
            line=1,
            hint="run `candor init sdf` to see a template",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() == _FENCE:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise DocumentError(source.name, "the front matter opened on line 1 is never closed with a '---' line", line=1)


def _model_class(name: str, loaded: LoadedYaml) -> type[SecureDevelopmentFramework | SystemCard | Certification]:
    kind = loaded.value.get("kind")
    line = loaded.line_of(("kind",))
    if kind is None:
        raise DocumentError(name, "is required", line=line, field="kind", hint=f"one of {_KINDS}")
    if not isinstance(kind, str) or kind not in DISCLOSURE_KINDS:
        close = difflib.get_close_matches(str(kind), DISCLOSURE_KINDS, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]}?" if close else f"one of {_KINDS}"
        raise DocumentError(name, f"{kind!r} is not a kind of disclosure", line=line, field="kind", hint=hint)
    return DISCLOSURE_KINDS[kind]


def _document_error(name: str, loaded: LoadedYaml, model: type[BaseModel], exc: ValidationError) -> DocumentError:
    """Turn the first problem, in file order, into one clear line; count the rest.

    A missing field has no line of its own, so problems at written fields come first: a misspelt key shows
    as "unknown field, did you mean ..." rather than as the missing field it was meant to be.
    """
    located = [
        (error["type"] == "missing", loaded.line_of(_path_of(error)) or 0, index, error)
        for index, error in enumerate(exc.errors())
    ]
    _, line, _, error = min(located, key=lambda item: item[:3])
    message, hint = _describe(error, model)
    # A misspelt key also leaves the field it was meant to be missing: that is the same problem, not another.
    meant = _meant_field(model, error["loc"]) if error["type"] == "extra_forbidden" else None
    others = [
        other
        for *_, other in located
        if other is not error and not (other["type"] == "missing" and meant and tuple(other["loc"]) == meant)
    ]
    if others:
        more = f"{len(others)} more problem{'s' if len(others) > 1 else ''} after this one"
        hint = f"{hint} {more}" if hint and hint.endswith("?") else f"{hint}; {more}" if hint else more
    return DocumentError(name, message, line=line or None, field=format_path(_path_of(error)), hint=hint)


def _path_of(error: ErrorDetails) -> FieldPath:
    """The field path of an error, down to the field a cross-field check blames."""
    problem = (error.get("ctx") or {}).get("error")
    if isinstance(problem, FieldValueError):
        return (*error["loc"], *problem.path)
    return tuple(error["loc"])


def _describe(error: ErrorDetails, model: type[BaseModel]) -> tuple[str, str | None]:
    """A message and an optional hint for one pydantic error, in the words of the front matter."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return "is required", None
    if kind == "extra_forbidden":
        return "is not a known field", _field_hint(model, error["loc"])
    if value is None and kind.endswith("_type"):
        return "has no value", "write a value after the colon, or remove the line"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
        return f"must be one of {', '.join(options)}", (f"did you mean {close[0]}?" if close else None)
    if kind == "string_type":
        if isinstance(value, int | float | dt.date):
            read_as = "date" if isinstance(value, dt.date) else "number"
            return "must be text", f'YAML reads {value} as a {read_as}; put it in quotes: "{value}"'
        return "must be text", None
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number", None
    if kind == "bool_type":
        return "must be true or false", None
    if kind.startswith("date_"):
        hint = "write the date without quotes" if isinstance(value, str) and _ISO_DATE.match(value) else None
        return "must be a date written as YYYY-MM-DD", hint
    if kind == "list_type":
        return "must be a list", "write each entry on its own line, starting with '- '"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping of fields (key: value)", None
    if kind == "too_short":
        least = int(ctx.get("min_length", 1))
        return f"must have at least {least} entr{'y' if least == 1 else 'ies'}", None
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}", None
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}", None
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), None
    msg = str(error["msg"])
    return msg[:1].lower() + msg[1:], None


def _field_hint(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """Suggest the field the writer probably meant, or list the fields allowed where the unknown key sits."""
    meant = _meant_field(model, loc)
    if meant is not None:
        return f"did you mean {meant[-1]}?"
    owner = _model_at(model, loc[:-1])
    return None if owner is None else f"known fields here: {', '.join(owner.model_fields)}"


def _meant_field(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldPath | None:
    """The path of the known field closest to the unknown key at ``loc``, if one is close enough."""
    owner = _model_at(model, loc[:-1])
    if owner is None:
        return None
    close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1, cutoff=0.6)
    return (*loc[:-1], close[0]) if close else None


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        nested = None if field is None else _nested_model(field.annotation)
        if nested is None:
            return None
        current = nested
    return current


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as ``list[Evaluation]`` or ``Practice | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None
