"""Reading a file a person named on the command line: one way, with one set of errors.

Every such file has a size limit, checked before reading so that a huge file is refused without loading it, and
every failure is a :class:`SourceError` that names the file in one line.
"""

from __future__ import annotations

from pathlib import Path

from candor.domain.pem_keys import MAX_KEY_FILE_BYTES
from candor.errors import SourceError


def read_input_file(path: Path, *, what: str, limit: int) -> bytes:
    """The bytes of ``path``, a ``what`` (e.g. "disclosure file") of at most ``limit`` bytes."""
    name = str(path)
    try:
        if path.is_dir():
            raise SourceError(name, f"is a directory, not a {what}")
        size = path.stat().st_size
        if size > limit:
            raise SourceError(name, f"file is {size:,} bytes, over the limit of {limit:,} bytes for a {what}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(name, "no such file") from None
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}") from None
    # The file may have grown between stat and read; the limit holds for the bytes actually read.
    if len(raw) > limit:
        raise SourceError(name, f"file is {len(raw):,} bytes, over the limit of {limit:,} bytes for a {what}")
    return raw


def read_key_file(path: Path, *, what: str) -> bytes:
    """The bytes of a small key file (a PEM key or a verifier key), such as ``what="private key file"``."""
    return read_input_file(path, what=what, limit=MAX_KEY_FILE_BYTES)
