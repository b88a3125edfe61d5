"""Turning raw bytes into checked text, before any parsing.

Limits are enforced here, once, for every kind of input: disclosures, facts files, rule packs.
"""

from __future__ import annotations

from dataclasses import dataclass

from candor.errors import DocumentError, SourceError

#: The largest document Candor accepts, in bytes (DESIGN: every input has a size limit).
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """A named piece of UTF-8 text, such as a file's content."""

    name: str
    text: str


def decode_source(name: str, raw: bytes, *, limit: int = MAX_DOCUMENT_BYTES) -> Source:
    """Check size and encoding of ``raw`` and return it as text.

    A UTF-8 byte-order mark is accepted and dropped, since common editors on Windows write one. Line endings are
    normalised: CRLF and a lone CR become LF, as CommonMark (and so markdown-it, the renderer) reads them, so that
    every reader after this one sees the same lines. The registry publishes only documents without CR (see
    :func:`refuse_carriage_returns`), so that the bytes it serves are the text it checked.
    """
    if len(raw) > limit:
        raise SourceError(name, f"file is {len(raw):,} bytes, over the limit of {limit:,} bytes")
    if not raw.strip():
        raise SourceError(name, "file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        # A DocumentError, not a SourceError: it names its line as file:line, like every error inside a file.
        raise DocumentError(
            name, f"bytes are not valid UTF-8 (offset {exc.start})", line=line, hint="save the file as UTF-8"
        ) from None
    return Source(name=name, text=text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))


def refuse_carriage_returns(name: str, raw: bytes) -> None:
    """Refuse a document to be published whose bytes hold a CR.

    Parsing reads CRLF and a lone CR as LF, but the registry signs and serves the bytes as sent: a CR would make
    the bytes served differ from the text checked. ``candor redact`` writes its public version with LF endings.
    """
    position = raw.find(b"\r")
    if position >= 0:
        raise DocumentError(
            name,
            "holds a carriage return (CR or CRLF line ending); the registry publishes only LF line endings, so that "
            "the bytes it serves are the text it checked",
            line=raw[:position].count(b"\n") + 1,
            hint="save the file with LF line endings, or publish the public version `candor redact` wrote",
        )
