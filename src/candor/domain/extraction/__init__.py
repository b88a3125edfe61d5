"""The text of what a site serves, one module per media type, so that a changed page can be diffed as text.

The watcher archives the exact bytes, but two HTML pages can differ in every byte and say the same thing, or a
PDF can be re-exported with new timestamps; the extracted text is what tells a reworded commitment from a new
build of the same page. Markdown and plain text are their own text.
"""

from __future__ import annotations

from typing import Final

from candor.errors import CandorError

#: Media types the watcher accepts, and how each is read.
HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES: Final = frozenset({"application/pdf"})
TEXT_TYPES: Final = frozenset({"text/markdown", "text/x-markdown", "text/plain"})
#: The manifest itself, which is fetched by the same watcher.
JSON_TYPES: Final = frozenset({"application/json"})
WATCHED_TYPES: Final = HTML_TYPES | PDF_TYPES | TEXT_TYPES | JSON_TYPES


class ExtractionError(CandorError):
    """Bytes whose text cannot be read: a broken PDF, or text that is not UTF-8."""


def media_type_of(content_type: str) -> str:
    """The media type of a Content-Type header, without its parameters, in lower case."""
    return content_type.split(";", 1)[0].strip().lower()


def extract_text(content: bytes, media_type: str) -> str:
    """The text of ``content`` served as ``media_type``, lines normalised so that diffs compare words."""
    if media_type in HTML_TYPES:
        from candor.domain.extraction.html import html_text

        text = html_text(content)
    elif media_type in PDF_TYPES:
        from candor.domain.extraction.pdf import pdf_text

        text = pdf_text(content)
    elif media_type in TEXT_TYPES or media_type in JSON_TYPES:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractionError(f"the {media_type} body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    else:
        raise ExtractionError(f"cannot read text from {media_type or 'an answer without a content type'}")
    return normalise_lines(text)


def normalise_lines(text: str) -> str:
    """Trailing spaces dropped, runs of blank lines made one, and one final newline: layout noise is not a change."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if not line and (not kept or not kept[-1]):
            continue
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n" if kept else ""
