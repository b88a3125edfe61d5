"""Reading a file a person named: the one set of errors every command shares."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from candor.domain.pem_keys import MAX_KEY_FILE_BYTES
from candor.errors import SourceError
from candor.services.files import read_input_file, read_key_file


def test_reads_a_file_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "entry.txt"
    path.write_bytes(b"12345")
    assert read_input_file(path, what="log entry", limit=5) == b"12345"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.md"
    with pytest.raises(SourceError) as caught:
        read_input_file(path, what="disclosure file", limit=100)
    assert caught.value.diagnostics() == f"{path}: no such file"


def test_a_directory_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_input_file(tmp_path, what="facts file", limit=100)
    assert caught.value.diagnostics() == f"{tmp_path}: is a directory, not a facts file"


def test_an_oversized_file_is_refused_with_its_size_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(b"x" * 2001)
    with pytest.raises(SourceError) as caught:
        read_input_file(path, what="disclosure file", limit=2000)
    assert (
        caught.value.diagnostics()
        == f"{path}: file is 2,001 bytes, over the limit of 2,000 bytes for a disclosure file"
    )


def test_an_unreadable_path_says_why(tmp_path: Path) -> None:
    # A path that runs through a regular file fails with ENOTDIR, whoever runs the test (root reads mode 000 files).
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    with pytest.raises(SourceError) as caught:
        read_input_file(plain / "child", what="tlog-proof", limit=100)
    assert caught.value.diagnostics() == f"{plain / 'child'}: cannot be read: Not a directory"


def test_a_key_file_has_the_small_key_limit(tmp_path: Path) -> None:
    path = tmp_path / "dev.key"
    path.write_bytes(b"k" * (MAX_KEY_FILE_BYTES + 1))
    with pytest.raises(SourceError, match="over the limit of 16,384 bytes for a private key file"):
        read_key_file(path, what="private key file")


def test_an_endless_device_is_refused_without_reading_it() -> None:
    with pytest.raises(SourceError) as caught:
        read_input_file(Path("/dev/zero"), what="disclosure file", limit=100)
    assert caught.value.diagnostics() == "/dev/zero: is a character device, not a disclosure file"


class _FifoFeeder(threading.Thread):
    """Writes ``size`` bytes into a FIFO in small chunks, counting what the reader took before it closed its end."""

    def __init__(self, fifo: Path, size: int) -> None:
        super().__init__(daemon=True)
        self.fifo, self.size, self.written = fifo, size, 0

    def run(self) -> None:
        with contextlib.suppress(BrokenPipeError), self.fifo.open("wb", buffering=0) as writer:
            while self.written < self.size:
                self.written += writer.write(b"x" * min(4096, self.size - self.written)) or 0


def _fed_fifo(tmp_path: Path, size: int) -> tuple[Path, _FifoFeeder]:
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    feeder = _FifoFeeder(fifo, size)
    feeder.start()
    return fifo, feeder


def test_a_pipe_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    fifo, feeder = _fed_fifo(tmp_path, 1000)
    assert read_input_file(fifo, what="facts file", limit=1000) == b"x" * 1000
    feeder.join()


def test_an_oversized_pipe_is_refused_without_reading_it_to_the_end(tmp_path: Path) -> None:
    fifo, feeder = _fed_fifo(tmp_path, 50_000_000)
    with pytest.raises(SourceError) as caught:
        read_input_file(fifo, what="facts file", limit=1000)
    assert caught.value.diagnostics() == f"{fifo}: is more than 1,000 bytes, over the limit for a facts file"
    feeder.join()
    # The reader stopped one byte past the limit; the writer got no further than what the pipe buffers hold.
    assert feeder.written < 1_000_000
