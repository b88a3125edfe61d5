"""The local log: durable appends, publishing, recovery, and never two inconsistent checkpoints."""

from __future__ import annotations

import itertools
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.fsck import FsckError, fsck
from candor.tlog.local_log import KEY_FILE, PUBLIC_DIR, LocalLog, LogError
from candor.tlog.merkle import (
    EMPTY_TREE_HASH,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from candor.tlog.note import parse_verifier_key
from candor.tlog.sequencer import Sequencer, SequencerError, SignedHead
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import EntryTooLargeError, TileError

ORIGIN = "example.com/log"


def entries(start: int, stop: int) -> list[bytes]:
    return [f"statement {i}".encode() for i in range(start, stop)]


@pytest.fixture
def log(tmp_path: Path) -> Iterator[LocalLog]:
    opened = LocalLog.create(tmp_path / "log", ORIGIN)
    yield opened
    opened.close()


def checkpoint_on_disk(directory: Path) -> bytes:
    return (directory / PUBLIC_DIR / "checkpoint").read_bytes()


def test_new_log_has_a_private_key_and_a_signed_empty_checkpoint(log: LocalLog) -> None:
    mode = stat.S_IMODE((log.directory / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    verifier = parse_verifier_key(log.vkey())
    checkpoint = open_checkpoint(checkpoint_on_disk(log.directory), verifier)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 0, EMPTY_TREE_HASH)
    assert stat.S_IMODE((log.public / "checkpoint").stat().st_mode) == 0o644


def test_create_refuses_to_overwrite_an_existing_log(log: LocalLog) -> None:
    key_before = (log.directory / KEY_FILE).read_bytes()
    with pytest.raises(LogError, match="already holds a log"):
        LocalLog.create(log.directory, ORIGIN)
    assert (log.directory / KEY_FILE).read_bytes() == key_before


def test_open_refuses_a_directory_that_is_not_a_log(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="not a log directory"):
        LocalLog.open(tmp_path)


def test_appends_get_consecutive_indexes_and_publish_signs_their_tree(log: LocalLog) -> None:
    assert [log.append(e) for e in entries(0, 3)] == [0, 1, 2]
    assert log.append_many(entries(3, 600)) == range(3, 600)
    assert log.size() == 0
    assert log.pending() == 600
    checkpoint = log.publish()
    expected = MemoryTree(leaf_hash(e) for e in entries(0, 600))
    assert checkpoint.size == 600
    assert checkpoint.root == expected.root()
    assert open_checkpoint(checkpoint_on_disk(log.directory), parse_verifier_key(log.vkey())) == checkpoint
    assert log.pending() == 0
    assert log.publish() == checkpoint  # nothing new: the same head, not a new signature


def test_entries_and_proofs_come_from_tiles(log: LocalLog) -> None:
    log.append_many(entries(0, 1000))
    first = log.publish()
    log.append_many(entries(1000, 70_000))
    second = log.publish()
    reader = log.reader()
    for index in (0, 255, 256, 999, 65_535, 65_536, 69_999):
        assert reader.entry(index) == f"statement {index}".encode()
        proof = inclusion_proof(reader, index, second.size)
        verify_inclusion(leaf_hash(reader.entry(index)), index, second.size, proof, second.root)
    proof = consistency_proof(reader, first.size, second.size)
    verify_consistency(first.size, second.size, proof, first.root, second.root)
    assert tree_hash(reader, first.size) == first.root


def test_every_published_size_keeps_its_partial_tiles(log: LocalLog) -> None:
    sizes = []
    for stop in (3, 10, 300, 513):
        log.append_many(entries(log.size() + log.pending(), stop))
        sizes.append(log.publish())
    for checkpoint in sizes:
        reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root)
        assert tree_hash(reader, checkpoint.size) == checkpoint.root
        assert reader.entry(checkpoint.size - 1) == f"statement {checkpoint.size - 1}".encode()


def test_concurrent_appends_are_all_durable_with_distinct_indexes(log: LocalLog) -> None:
    results: list[list[int]] = [[] for _ in range(8)]

    def worker(slot: int) -> None:
        for i in range(50):
            results[slot].append(log.append(f"thread {slot} item {i}".encode()))

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    indexes = sorted(index for slot in results for index in slot)
    assert indexes == list(range(400))
    log.publish()
    reader = log.reader()
    for slot, slot_indexes in enumerate(results):
        for i, index in enumerate(slot_indexes):
            assert reader.entry(index) == f"thread {slot} item {i}".encode()


def test_background_integrator_publishes_full_batches_and_stragglers(log: LocalLog) -> None:
    log.start_integrator()
    log.append_many(entries(0, 256))
    deadline = time.monotonic() + 10
    while log.size() < 256 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.size() == 256
    log.append(b"straggler")
    deadline = time.monotonic() + 10
    while log.size() < 257 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.size() == 257
    log.append(b"last one")
    log.stop_integrator()  # publishes what is left
    assert log.size() == 258


def test_oversized_entries_are_refused_before_sequencing(log: LocalLog) -> None:
    with pytest.raises(EntryTooLargeError):
        log.append(b"x" * 65_536)
    with pytest.raises(EntryTooLargeError, match="entry 1:"):
        log.append_many([b"ok", b"x" * 65_536])
    assert log.pending() == 0


def test_reopening_rewrites_a_checkpoint_lost_after_signing(log: LocalLog) -> None:
    log.append_many(entries(0, 10))
    log.publish()
    note = checkpoint_on_disk(log.directory)
    (log.public / "checkpoint").unlink()
    log.close()
    with LocalLog.open(log.directory):
        assert checkpoint_on_disk(log.directory) == note


def test_reopening_rebuilds_lost_tiles_from_the_sequencer(log: LocalLog) -> None:
    log.append_many(entries(0, 10))
    log.publish()
    log.append_many(entries(10, 300))
    log.publish()
    (log.public / "tile/0/001.p/44").unlink()
    (log.public / "tile/0/000.p/10").unlink()
    (log.public / "tile/entries/000").unlink()
    log.close()
    with LocalLog.open(log.directory) as reopened:
        assert (log.public / "tile/0/001.p/44").is_file()
        assert (log.public / "tile/0/000.p/10").is_file()  # the older size's partial tile too
        assert reopened.reader().entry(5) == b"statement 5"


def test_a_sequencer_that_disagrees_with_the_signed_root_is_refused(log: LocalLog) -> None:
    log.append_many(entries(0, 10))
    log.publish()
    log.close()
    sequencer = Sequencer(log.directory / "sequencer.db")
    sequencer._db.execute("UPDATE entries SET body = ? WHERE idx = 3", (b"rewritten",))
    sequencer.close()
    (log.public / "tile/0/000.p/10").unlink()
    bundle = (log.public / "tile/entries/000.p/10").read_bytes()
    with pytest.raises(LogError, match="do not hash to the signed root"):
        LocalLog.open(log.directory)
    # Nothing was rewritten from the altered sequencer.
    assert (log.public / "tile/entries/000.p/10").read_bytes() == bundle
    assert not (log.public / "tile/0/000.p/10").exists()


def test_tampered_tiles_are_never_extended(log: LocalLog) -> None:
    log.append_many(entries(0, 10))
    log.publish()
    log.append_many(entries(10, 20))
    # Another writer alters the partial tile behind the open log's back.
    tile = log.public / "tile/0/000.p/10"
    tile.write_bytes(bytes(32) + tile.read_bytes()[32:])
    log._writer = None
    with pytest.raises(TileError, match="do not match the signed root"):
        log.reader()
    with pytest.raises(LogError, match="do not match the signed root"):
        log.publish()


def test_two_handles_on_one_log_extend_one_consistent_tree(log: LocalLog) -> None:
    other = LocalLog.open(log.directory)
    try:
        heads = []
        for round_ in range(4):
            writer = log if round_ % 2 else other
            writer.append_many(entries(round_ * 100, round_ * 100 + 100))
            heads.append(writer.publish())
        reader = log.reader()
        for older, newer in itertools.pairwise(heads):
            proof = consistency_proof(reader, older.size, newer.size)
            verify_consistency(older.size, newer.size, proof, older.root, newer.root)
    finally:
        other.close()


def test_the_sequencer_refuses_to_sign_over_a_head_it_did_not_extend(tmp_path: Path) -> None:
    sequencer = Sequencer(tmp_path / "s.db")
    sequencer.record(SignedHead(0, EMPTY_TREE_HASH, "n0"), previous=None)
    sequencer.record(SignedHead(5, b"r" * 32, "n5"), previous=0)
    with pytest.raises(SequencerError, match="extended to size 5 meanwhile"):
        sequencer.record(SignedHead(6, b"s" * 32, "n6"), previous=0)
    assert sequencer.latest() == SignedHead(5, b"r" * 32, "n5")
    sequencer.close()


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_publishing_repairs_damaged_tiles_before_signing(log: LocalLog) -> None:
    log.append_many(entries(0, 10))
    log.publish()
    log.append_many(entries(10, 600))
    log.publish()
    log.close()
    # Damage the opening check of the right edge cannot see: a full tile, a full bundle, an older partial tile.
    flip_byte(log.public / "tile/0/001", 100)
    flip_byte(log.public / "tile/entries/000", 5)
    flip_byte(log.public / "tile/0/000.p/10", 0)
    with pytest.raises(FsckError):
        fsck(log.public, parse_verifier_key(log.vkey()))
    with LocalLog.open(log.directory) as reopened:
        reopened.append(b"one more")
        checkpoint = reopened.publish()
        assert sorted(repair.name for repair in reopened.repaired) == [
            "tile/0/000.p/10",
            "tile/0/001",
            "tile/entries/000",
        ]
    assert checkpoint.size == 601
    report = fsck(log.public, parse_verifier_key(log.vkey()))
    assert report.checkpoint == checkpoint


def test_the_tile_check_refuses_a_sequencer_that_disagrees_with_the_signed_root(log: LocalLog) -> None:
    log.append_many(entries(0, 300))
    log.publish()
    log.close()
    sequencer = Sequencer(log.directory / "sequencer.db")
    sequencer._db.execute("UPDATE entries SET body = ? WHERE idx = 3", (b"rewritten",))
    sequencer.close()
    tiles_before = (log.public / "tile/0/000").read_bytes()
    with LocalLog.open(log.directory) as reopened, pytest.raises(LogError, match="do not hash to the signed"):
        reopened.publish()
    assert (log.public / "tile/0/000").read_bytes() == tiles_before


def test_the_integrator_publishes_a_bulk_append_in_batches_of_256(log: LocalLog) -> None:
    log.start_integrator()
    log.append_many(entries(0, 600))
    deadline = time.monotonic() + 30
    while log.size() < 600 and time.monotonic() < deadline:
        time.sleep(0.01)
    log.stop_integrator()
    sequencer = Sequencer(log.directory / "sequencer.db")
    try:
        sizes = sequencer.signed_sizes()
    finally:
        sequencer.close()
    # Two full batches at once, then the remaining 88 once they are 250 ms old.
    assert sizes == [0, 256, 512, 600]
