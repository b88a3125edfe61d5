"""Template placeholders, such as ``<your-developer-slug>``, that a person must replace.

``candor init`` writes templates whose values are placeholders. Parsing refuses any value still holding one,
so a template fails the check clearly until it is filled in, and passes once it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from candor.domain.yamlload import FieldPath, LoadedYaml, format_path
from candor.errors import DocumentError

# "<" then a lower-case word, then anything up to the closing ">", on one line: <developer-slug>, <date: 2026-01-31>.
_PLACEHOLDER = re.compile(r"^<[a-z][^<>\n]*>$")


def is_placeholder(value: object) -> bool:
    """Whether ``value`` is an unfilled template placeholder."""
    return isinstance(value, str) and _PLACEHOLDER.match(value.strip()) is not None


def _placeholders(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if is_placeholder(value):
        yield path, str(value)
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _placeholders(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _placeholders(child, (*path, index))


class UnfilledPlaceholdersError(DocumentError):
    """Every value of a document that still holds a template placeholder, so that all are reported at once.

    It reads as the first of them (its file, line and field); ``each`` holds one error per placeholder, in order.
    """

    def __init__(self, each: list[DocumentError]) -> None:
        first = each[0]
        super().__init__(first.name, first.detail, line=first.line, field=first.field, hint=first.hint)
        self.each = each


def reject_placeholders(loaded: LoadedYaml, name: str) -> None:
    """Raise :class:`UnfilledPlaceholdersError` naming every value that still holds a template placeholder."""
    each = [
        DocumentError(
            name,
            f"still holds the template placeholder {placeholder}",
            line=loaded.line_of(path),
            field=format_path(path),
            hint="replace it with the real value",
        )
        for path, placeholder in _placeholders(loaded.value, ())
    ]
    if each:
        raise UnfilledPlaceholdersError(each)
