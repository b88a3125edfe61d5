"""tlog-tiles paths, entry bundles and the tile writer, checked against the spec's examples and a plain tree."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.tlog.merkle import MemoryTree, leaf_hash, root_from_leaf_hashes, tree_hash
from candor.tlog.tiles import (
    MAX_ENTRY_SIZE,
    EntryTooLargeError,
    RightEdge,
    TileError,
    TileWriter,
    create_writer,
    decode_bundle,
    encode_bundle,
    encode_tile_index,
    entries_path,
    load_right_edge,
    split_hashes,
    tile_layout,
    tile_path,
    write_atomic,
)


def entry(index: int) -> bytes:
    return f"entry {index}".encode()


def files_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    ("index", "encoded"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),
        (10**9, "x001/x000/x000/000"),
    ],
)
def test_tile_index_is_x_prefixed_three_digit_groups(index: int, encoded: str) -> None:
    assert encode_tile_index(index) == encoded


def test_tile_paths_follow_the_spec() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 1, 17) == "tile/1/001.p/17"
    assert tile_path(2, 0, 256) == "tile/2/000"
    assert entries_path(273, 112) == "tile/entries/273.p/112"
    with pytest.raises(ValueError, match="width"):
        tile_path(0, 0, 0)
    with pytest.raises(ValueError, match="level"):
        tile_path(64, 0)


def test_spec_example_layout_of_70000_entries() -> None:
    layout = tile_layout(70_000)
    level0_full = [t for t in layout if t[0] == 0 and t[2] == 256]
    assert len(level0_full) == 273
    assert (0, 273, 112) in layout
    assert (1, 0, 256) in layout
    assert (1, 1, 17) in layout
    assert (2, 0, 1) in layout
    assert len(layout) == 273 + 1 + 1 + 1 + 1
    assert tile_layout(256) == [(0, 0, 256), (1, 0, 1)]


def test_writer_lays_out_70000_entries_like_the_spec(tmp_path: Path) -> None:
    writer = TileWriter(tmp_path, RightEdge())
    entries = [entry(i) for i in range(70_000)]
    root = writer.append(entries)
    assert root == root_from_leaf_hashes([leaf_hash(e) for e in entries])
    names = files_under(tmp_path)
    assert sum(1 for n in names if n.startswith("tile/0/") and ".p" not in n) == 273
    assert {"tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1", "tile/entries/273.p/112", "tile/1/000"} <= names
    assert not any(n.startswith("tile/3") for n in names)
    # Only the partial tiles of the size written, none for the slices hashed on the way.
    assert {n for n in names if ".p/" in n} == {
        "tile/0/273.p/112",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
        "tile/entries/273.p/112",
    }
    assert len(decode_bundle((tmp_path / "tile/entries/273.p/112").read_bytes(), "b")) == 112
    assert not [n for n in names if ".tmp-" in n]


def test_partial_tiles_of_every_published_size_are_kept(tmp_path: Path) -> None:
    writer = TileWriter(tmp_path, RightEdge())
    writer.append([entry(i) for i in range(3)])
    writer.append([entry(i) for i in range(3, 300)])
    names = files_under(tmp_path)
    assert {"tile/0/000.p/3", "tile/entries/000.p/3", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"} <= names
    assert (tmp_path / "tile/0/000").read_bytes()[: 3 * 32] == (tmp_path / "tile/0/000.p/3").read_bytes()


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=5))
def test_incremental_writes_give_the_tree_head_of_every_size(
    tmp_path_factory: pytest.TempPathFactory, batches: list[int]
) -> None:
    prefix = tmp_path_factory.mktemp("log")
    tree = MemoryTree()
    size = 0
    for count in batches:
        writer = create_writer(prefix, size)  # reopen from disk each time, as a restarted log does
        new = [entry(i) for i in range(size, size + count)]
        root = writer.append(new)
        tree.extend(leaf_hash(e) for e in new)
        size += count
        assert root == tree_hash(tree, size)
        assert load_right_edge(prefix, size).root() == root


def test_large_append_after_an_unaligned_size(tmp_path: Path) -> None:
    writer = TileWriter(tmp_path, RightEdge())
    writer.append([entry(i) for i in range(100)])
    root = create_writer(tmp_path, 100).append([entry(i) for i in range(100, 20_100)])
    assert root == root_from_leaf_hashes([leaf_hash(entry(i)) for i in range(20_100)])
    partials = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and ".p" in str(p)}
    assert partials == {
        "tile/0/000.p/100",
        "tile/entries/000.p/100",
        "tile/0/078.p/132",
        "tile/entries/078.p/132",
        "tile/1/000.p/78",
    }
    assert load_right_edge(tmp_path, 20_100).root() == root


def test_tile_hashes_are_the_spec_formula(tmp_path: Path) -> None:
    entries = [entry(i) for i in range(256 * 256 + 5)]
    TileWriter(tmp_path, RightEdge()).append(entries)
    hashes = [leaf_hash(e) for e in entries]
    level1 = split_hashes((tmp_path / "tile/1/000").read_bytes(), "t")
    assert level1[7] == root_from_leaf_hashes(hashes[7 * 256 : 8 * 256])
    level2 = split_hashes((tmp_path / "tile/2/000.p/1").read_bytes(), "t")
    assert level2 == [root_from_leaf_hashes(hashes[: 256 * 256])]


def test_bundle_round_trip_and_length_prefix() -> None:
    bundle = encode_bundle([b"", b"a", b"x" * 300])
    assert bundle[:2] == b"\x00\x00"
    assert bundle[2:5] == b"\x00\x01a"
    assert bundle[5:7] == (300).to_bytes(2, "big")
    assert decode_bundle(bundle, "b") == [b"", b"a", b"x" * 300]


def test_entry_of_65535_bytes_fits_and_65536_is_refused(tmp_path: Path) -> None:
    assert decode_bundle(encode_bundle([b"y" * MAX_ENTRY_SIZE]), "b") == [b"y" * MAX_ENTRY_SIZE]
    with pytest.raises(EntryTooLargeError, match="65,536 bytes"):
        encode_bundle([b"y" * (MAX_ENTRY_SIZE + 1)])
    writer = TileWriter(tmp_path, RightEdge())
    with pytest.raises(EntryTooLargeError, match="entry 1:"):
        writer.append([b"ok", b"y" * (MAX_ENTRY_SIZE + 1)])
    assert files_under(tmp_path) == set()


@pytest.mark.parametrize("data", [b"\x00", b"\x00\x05abc"])
def test_truncated_bundles_are_refused_with_the_file_name(data: bytes) -> None:
    with pytest.raises(TileError, match="tile/entries/000: entry 0"):
        decode_bundle(data, "tile/entries/000")


def test_tile_of_torn_hashes_is_refused() -> None:
    with pytest.raises(TileError, match="tile/0/000"):
        split_hashes(b"x" * 33, "tile/0/000")


def test_missing_partial_tile_is_reported(tmp_path: Path) -> None:
    TileWriter(tmp_path, RightEdge()).append([entry(i) for i in range(10)])
    (tmp_path / "tile/0/000.p/10").unlink()
    with pytest.raises(TileError, match=r"tile/0/000\.p/10: missing"):
        load_right_edge(tmp_path, 10)


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "checkpoint"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert files_under(tmp_path) == {"a/checkpoint"}
    assert stat.S_ISREG(target.stat().st_mode)
