"""Reading a file a person named on the command line: one way, with one set of errors.

Every such file has a size limit. A regular file's size is checked before reading, so that a huge file is refused
without loading it. A pipe (``<(command)``, a FIFO) has no size until it ends, so at most one byte more than the
limit is ever read from it; opening a FIFO waits for its writer, as ``cat`` does. Devices such as ``/dev/zero``
or a terminal are refused outright: they never end, or wait for a person. Every failure is a
:class:`SourceError` that names the file in one line.
"""

from __future__ import annotations

import stat
from pathlib import Path

from candor.errors import SourceError

# What a path that is neither a regular file nor a pipe is, in the words of `ls -l` and `stat`.
_NOT_A_FILE = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_input_file(path: Path, *, what: str, limit: int) -> bytes:
    """The bytes of ``path``, a ``what`` (e.g. "disclosure file") of at most ``limit`` bytes."""
    name = str(path)
    try:
        mode = path.stat().st_mode
        kind = _NOT_A_FILE.get(stat.S_IFMT(mode))
        if kind is not None:
            raise SourceError(name, f"is {kind}, not a {what}")
        with path.open("rb") as stream:
            if stat.S_ISREG(mode):
                _check_size(name, stream.seek(0, 2), what, limit)
                stream.seek(0)
            # Even a regular file may grow after its size was taken: the limit holds for the bytes actually read.
            raw = stream.read(limit + 1)
    except FileNotFoundError:
        raise SourceError(name, "no such file") from None
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise SourceError(name, f"is more than {limit:,} bytes, over the limit for a {what}")
    return raw


def _check_size(name: str, size: int, what: str, limit: int) -> None:
    if size > limit:
        raise SourceError(name, f"file is {size:,} bytes, over the limit of {limit:,} bytes for a {what}")


def read_key_file(path: Path, *, what: str) -> bytes:
    """The bytes of a small key file (a PEM key or a verifier key), such as ``what="private key file"``."""
    # Imported here: pem_keys loads the cryptography library, which commands that read no key (check) never need.
    from candor.domain.pem_keys import MAX_KEY_FILE_BYTES

    return read_input_file(path, what=what, limit=MAX_KEY_FILE_BYTES)
