"""The one line of ``error: ...`` the CLI prints for a :class:`~candor.errors.CandorError`.

An error's message often quotes untrusted input: a registry's own error message, a file name, a field's value. Were
it printed as is, a newline in it would make one error several lines, and a hostile registry could forge a second
``error:`` line (or move the cursor, or recolour the terminal, with escape sequences). So the line is printed as
plain text, never as markup, with every character that could break or disguise it written as an escape.
"""

from __future__ import annotations

import unicodedata

from rich.console import Console
from rich.text import Text

#: Unicode categories that are invisible or break lines: controls (newline, ESC, DEL, NEL), format characters
#: (bidi overrides, zero-width spaces) and the line and paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def one_line(message: str) -> str:
    """``message`` with every control, format and line-separator character written as a Python escape (``\\n``,
    ``\\x1b``, ``\\u202e``), so that it prints as exactly one visible line."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in _ESCAPED_CATEGORIES else char
        for char in message
    )


def print_error(diagnostics: str, console: Console | None = None) -> None:
    """Print ``error: <diagnostics>`` as one line, to ``console`` or stderr; the text is never read as markup."""
    line = Text.assemble(("error:", "bold red"), " ", one_line(diagnostics))
    (console or Console(stderr=True, highlight=False, soft_wrap=True)).print(line, soft_wrap=True)
