"""fsck: a clean log passes; each kind of tampered file is reported by name and index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from candor.tlog.fsck import FsckError, fsck
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import leaf_hash
from candor.tlog.note import generate_key, parse_verifier_key
from candor.tlog.tiles import encode_bundle

ORIGIN = "example.com/log"


@pytest.fixture(scope="module")
def built_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log published at sizes 3, 600 and 66,000, so it has stale partial tiles, level 1 and level 2."""
    directory = tmp_path_factory.mktemp("built") / "log"
    with LocalLog.create(directory, ORIGIN) as built:
        for stop in (3, 600, 66_000):
            start = built.size()
            built.append_many([f"entry {i}".encode() for i in range(start, stop)])
            built.publish()
    return directory


@pytest.fixture
def log(built_log: Path, tmp_path: Path) -> Iterator[LocalLog]:
    """A private copy of the built log for each test to tamper with."""
    shutil.copytree(built_log, tmp_path / "log")
    opened = LocalLog.open(tmp_path / "log")
    yield opened
    opened.close()


def run_fsck(log: LocalLog) -> None:
    fsck(log.public, parse_verifier_key(log.vkey()))


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_clean_log_passes_and_reports_progress(log: LocalLog) -> None:
    seen: list[tuple[int, int]] = []
    report = fsck(log.public, parse_verifier_key(log.vkey()), lambda done, total: seen.append((done, total)))
    assert report.entries == 66_000
    assert report.checkpoint.size == 66_000
    # 258 level-0 tiles (one partial) + 2 level-1 (one partial) + 1 level-2, then 3 stale partial tiles.
    assert report.tiles == 258 + 2 + 1 + 3
    assert seen[0] == (0, 66_000)
    assert seen[-1] == (66_000, 66_000)


def test_checkpoint_with_a_bad_signature_is_refused(log: LocalLog) -> None:
    checkpoint = log.public / "checkpoint"
    checkpoint.write_bytes(checkpoint.read_bytes().replace(b"66000", b"66001"))
    with pytest.raises(FsckError, match=r"^checkpoint: invalid signature"):
        run_fsck(log)


def test_checkpoint_of_another_key_is_refused(log: LocalLog) -> None:
    _, other = generate_key(ORIGIN)
    with pytest.raises(FsckError, match=r"^checkpoint: note has no valid signature"):
        fsck(log.public, parse_verifier_key(other))


def test_altered_entry_is_reported_at_its_bundle_and_entry_index(log: LocalLog) -> None:
    bundle = log.public / "tile/entries/001"
    entries = [f"entry {i}".encode() for i in range(256, 512)]
    entries[7] = b"entry 999"
    bundle.write_bytes(encode_bundle(entries))
    with pytest.raises(FsckError, match=r"^tile/entries/001: entry 263: its hash does not match tile/0/001 index 7$"):
        run_fsck(log)


def test_altered_entry_byte_in_the_partial_bundle_is_reported_at_its_bundle(log: LocalLog) -> None:
    # "entry 65800" is entry 8 of the partial bundle; flip its last byte (after 8 entries and its own prefix).
    bundle = log.public / "tile/entries/257.p/208"
    offset = sum(2 + len(f"entry {i}") for i in range(65_792, 65_801)) - 1
    flip_byte(bundle, offset)
    with pytest.raises(
        FsckError, match=r"^tile/entries/257\.p/208: entry 65800: its hash does not match tile/0/257\.p/208 index 8$"
    ):
        run_fsck(log)


def test_truncated_bundle_is_reported(log: LocalLog) -> None:
    bundle = log.public / "tile/entries/002"
    bundle.write_bytes(bundle.read_bytes()[:-3])
    with pytest.raises(FsckError, match=r"^tile/entries/002: entry 255 is truncated"):
        run_fsck(log)


def test_bundle_with_a_missing_entry_is_reported(log: LocalLog) -> None:
    bundle = log.public / "tile/entries/257.p/208"
    bundle.write_bytes(encode_bundle([f"entry {i}".encode() for i in range(65_792, 65_999)]))
    with pytest.raises(FsckError, match=r"^tile/entries/257\.p/208: holds 207 entries"):
        run_fsck(log)


def test_altered_level_zero_tile_is_reported(log: LocalLog) -> None:
    flip_byte(log.public / "tile/0/100", 32 * 42 + 5)
    with pytest.raises(FsckError, match=r"^tile/0/100: index 42: hash is not the hash of entry 25642"):
        run_fsck(log)


def test_altered_higher_tile_is_reported(log: LocalLog) -> None:
    flip_byte(log.public / "tile/1/000", 32 * 9)
    with pytest.raises(FsckError, match=r"^tile/1/000: index 9: hash is not the root of tile/0/009"):
        run_fsck(log)


def test_altered_top_partial_tile_is_reported(log: LocalLog) -> None:
    flip_byte(log.public / "tile/2/000.p/1", 0)
    with pytest.raises(FsckError, match=r"^tile/2/000\.p/1: index 0: hash is not the root of tile/1/000"):
        run_fsck(log)


def test_consistent_rewrite_of_entry_and_leaf_is_caught_above(log: LocalLog) -> None:
    # An attacker rewrites an entry and its leaf hash together; the tile above still remembers.
    entries = [f"entry {i}".encode() for i in range(256)]
    entries[0] = b"a different statement"
    (log.public / "tile/entries/000").write_bytes(encode_bundle(entries))
    tile = log.public / "tile/0/000"
    tile.write_bytes(leaf_hash(entries[0]) + tile.read_bytes()[32:])
    with pytest.raises(FsckError, match=r"^tile/1/000: index 0: hash is not the root of tile/0/000"):
        run_fsck(log)


def test_wrong_size_tile_is_reported(log: LocalLog) -> None:
    tile = log.public / "tile/0/005"
    tile.write_bytes(tile.read_bytes() + b"\x00")
    with pytest.raises(FsckError, match=r"^tile/0/005: is 8193 bytes; 256 hashes are 8192 bytes"):
        run_fsck(log)


def test_missing_tile_is_reported(log: LocalLog) -> None:
    (log.public / "tile/1/001.p/1").unlink()
    with pytest.raises(FsckError, match=r"^tile/1/001\.p/1: missing from "):
        run_fsck(log)


def test_altered_stale_partial_tile_is_reported(log: LocalLog) -> None:
    flip_byte(log.public / "tile/0/002.p/88", 32 * 87)
    with pytest.raises(FsckError, match=r"^tile/0/002\.p/88: index 87: hash is not the hash of entry 599"):
        run_fsck(log)


def test_altered_stale_partial_bundle_is_reported(log: LocalLog) -> None:
    (log.public / "tile/entries/000.p/3").write_bytes(encode_bundle([b"entry 0", b"entry X", b"entry 2"]))
    with pytest.raises(FsckError, match=r"^tile/entries/000\.p/3: index 1: entry differs"):
        run_fsck(log)


def test_root_that_tiles_do_not_reach_is_reported(tmp_path: Path) -> None:
    # A validly signed checkpoint over tiles that are all self-consistent but for another tree.
    with LocalLog.create(tmp_path / "a", ORIGIN) as first:
        first.append_many([b"one", b"two"])
        first.publish()
        with LocalLog.create(tmp_path / "b", ORIGIN) as second:
            second.append_many([b"one", b"too"])
            second.publish()
            for name in ("tile/0/000.p/2", "tile/entries/000.p/2"):
                (first.public / name).write_bytes((second.public / name).read_bytes())
        with pytest.raises(FsckError, match=r"^checkpoint: the root of the 2 entries is not the signed root"):
            run_fsck(first)
