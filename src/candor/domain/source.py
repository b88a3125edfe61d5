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

    A UTF-8 byte-order mark is accepted and dropped, since common editors on Windows write one.
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
    return Source(name=name, text=text.removeprefix("\ufeff"))
