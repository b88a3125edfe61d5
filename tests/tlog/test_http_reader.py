"""Reading a log over real HTTP on loopback: fsck, entries and proofs through a base URL."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.fsck import FsckError, fsck
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from candor.tlog.note import generate_key, parse_verifier_key
from candor.tlog.tilereader import HttpFetcher, TileReader, open_fetcher
from candor.tlog.tiles import TileError

ORIGIN = "example.com/log"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LocalLog, str]]:
    log = LocalLog.create(tmp_path / "log", ORIGIN)
    log.append_many([f"entry {i}".encode() for i in range(700)])
    log.publish()
    log.append_many([f"entry {i}".encode() for i in range(700, 1500)])
    log.publish()
    handler = functools.partial(QuietHandler, directory=str(log.public))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield log, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        log.close()


def test_fsck_through_a_url(served: tuple[LocalLog, str]) -> None:
    log, url = served
    report = fsck(url, parse_verifier_key(log.vkey()))
    assert report.entries == 1500


def test_proofs_from_tiles_fetched_over_http(served: tuple[LocalLog, str]) -> None:
    log, url = served
    fetcher = open_fetcher(url)
    assert isinstance(fetcher, HttpFetcher)
    checkpoint = open_checkpoint(fetcher.fetch("checkpoint"), parse_verifier_key(log.vkey()))
    reader = TileReader(fetcher, checkpoint.size, checkpoint.root)
    for index in (0, 699, 1499):
        entry = reader.entry(index)
        assert entry == f"entry {index}".encode()
        verify_inclusion(
            leaf_hash(entry), index, checkpoint.size, inclusion_proof(reader, index, checkpoint.size), checkpoint.root
        )
    old_root = tree_hash(log.reader(), 700)
    verify_consistency(700, 1500, consistency_proof(reader, 700, 1500), old_root, checkpoint.root)
    fetcher.close()


def test_tampered_tile_served_over_http_is_not_trusted(served: tuple[LocalLog, str]) -> None:
    log, url = served
    tile = log.public / "tile/0/001"
    tile.write_bytes(bytes(32) + tile.read_bytes()[32:])
    fetcher = open_fetcher(url)
    checkpoint = open_checkpoint(fetcher.fetch("checkpoint"), parse_verifier_key(log.vkey()))
    reader = TileReader(fetcher, checkpoint.size, checkpoint.root)
    with pytest.raises(TileError, match=r"tile/0/001: does not hash to entry 1 of tile/1/000\.p/5"):
        inclusion_proof(reader, 300, checkpoint.size)
    with pytest.raises(FsckError, match=r"^tile/0/001: index 0"):
        fsck(url, parse_verifier_key(log.vkey()))


def test_missing_file_over_http_is_a_clear_error(served: tuple[LocalLog, str]) -> None:
    _, url = served
    with pytest.raises(TileError, match=r"tile/9/000: missing from http://127\.0\.0\.1:\d+ \(HTTP 404\)"):
        open_fetcher(url).fetch("tile/9/000")


def test_unreachable_server_is_a_clear_error() -> None:
    refused = r"^checkpoint: GET http://127\.0\.0\.1:9/checkpoint: cannot connect to the server"
    with pytest.raises(FsckError, match=refused):
        fsck("http://127.0.0.1:9/", parse_verifier_key(generate_key(ORIGIN)[1]))
