"""The CLI's error is exactly one line, whatever the message quotes: a hostile registry's text, a file's name.

A newline in a message would let whoever wrote it print a second ``error:`` line of their own; a terminal escape
could erase the real one; a bidi override could make it read otherwise; console markup could restyle it or crash
the printer. Each is written out as an escape instead.
"""

from __future__ import annotations

import io
import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from candor.cli.errorline import one_line, print_error


def _printed(message: str) -> str:
    out = io.StringIO()
    print_error(message, Console(file=out, highlight=False, soft_wrap=True, no_color=True, width=40))
    return out.getvalue()


def test_a_newline_in_a_message_cannot_forge_a_second_error_line() -> None:
    printed = _printed("registry refused: first\nerror: verified, all is well")
    assert printed == "error: registry refused: first\\nerror: verified, all is well\n"


def test_terminal_escapes_bidi_and_line_separators_are_written_out() -> None:
    assert one_line("a\x1b[2K\rb") == "a\\x1b[2K\\rb"
    assert one_line("verified \u202edeifirev ton") == "verified \\u202edeifirev ton"
    assert one_line("acme\u200b-ai") == "acme\\u200b-ai"
    assert one_line("one\u2028two\u2029three\x85four") == "one\\u2028two\\u2029three\\x85four"


def test_ordinary_text_is_printed_as_written() -> None:
    message = "facts.yaml:3: legal_name: must be text — Société Générale, 株式会社 [quoted]"
    assert one_line(message) == message


def test_console_markup_in_a_message_is_printed_not_interpreted() -> None:
    assert _printed("closed [/bold] and [link=file:///etc]here[/link]") == (
        "error: closed [/bold] and [link=file:///etc]here[/link]\n"
    )


def test_a_long_message_is_not_wrapped_onto_a_second_line() -> None:
    assert _printed("x" * 500).count("\n") == 1


@given(st.text())
def test_any_message_prints_as_one_line_with_nothing_invisible(message: str) -> None:
    printed = _printed(message)
    assert printed.endswith("\n")
    assert len(printed.splitlines()) == 1
    assert not any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in printed[:-1])
