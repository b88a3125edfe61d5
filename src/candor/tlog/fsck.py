"""fsck for a tiled log: check everything a log serves against its entries and its signed checkpoint.

It verifies the checkpoint's signature, recomputes every level-0 tile from the entry bundles and every
higher tile from the tiles below, compares each stored tile (full and partial, every level) hash by hash,
folds the recomputed right edge into the root and compares it with the signed one. It stops at the first
mismatch and names the file and the index in it. When a level-0 tile disagrees with its entries, the tile is
authenticated against the signed root (through the tiles above it): if it holds, the entry bundle was altered,
and the bundle and the entry are named instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.merkle import HASH_SIZE, leaf_hash, root_from_leaf_hashes
from candor.tlog.note import Verifier
from candor.tlog.tilereader import DirectoryFetcher, TileFetcher, TileReader, open_fetcher
from candor.tlog.tiles import (
    CHECKPOINT_NAME,
    TILE_WIDTH,
    TileError,
    decode_bundle,
    entries_path,
    level_width,
    root_from_right_edge,
    tile_path,
)

Progress = Callable[[int, int], None]

_FETCH_THREADS = 8
_FETCH_AHEAD = 16
_PARTIAL_NAME = re.compile(r"tile/(entries|\d+)/((?:x\d{3}/)*\d{3})\.p/(\d+)")


class FsckError(TlogError):
    """The first thing in a log that does not verify: which file, and which index in it."""

    def __init__(self, name: str, message: str, *, index: int | None = None, entry: int | None = None) -> None:
        where = name if index is None else f"{name}: index {index}"
        where = where if entry is None else f"{where}: entry {entry}"
        super().__init__(f"{where}: {message}")
        self.name = name
        self.index = index
        self.entry = entry


@dataclass(frozen=True)
class FsckReport:
    """What a successful fsck checked."""

    checkpoint: Checkpoint
    entries: int
    tiles: int
    #: The signed checkpoint note that was checked, verbatim.
    note: bytes = b""


def _no_progress(done: int, total: int) -> None:
    """Progress callback that draws nothing."""


def fsck(location: str | Path, verifier: Verifier, progress: Progress = _no_progress) -> FsckReport:
    """Check the log at a directory or an HTTP base URL against the log's verifier key."""
    fetcher = open_fetcher(location)
    try:
        return _fsck(fetcher, verifier, progress)
    finally:
        fetcher.close()


def _fsck(fetcher: TileFetcher, verifier: Verifier, progress: Progress) -> FsckReport:
    note = _fetch(fetcher, CHECKPOINT_NAME)
    try:
        checkpoint = open_checkpoint(note, verifier)
    except TlogError as exc:
        raise FsckError(CHECKPOINT_NAME, exc.message) from None
    stale = _stale_partials(fetcher, checkpoint.size)
    with ThreadPoolExecutor(_FETCH_THREADS) as pool:
        try:
            report = _check_tree(_Prefetcher(fetcher, pool), fetcher, checkpoint, stale, progress)
        finally:
            pool.shutdown(cancel_futures=True)
    return FsckReport(report.checkpoint, report.entries, report.tiles, note)


def _check_tree(
    fetcher: _Prefetcher,
    direct: TileFetcher,
    checkpoint: Checkpoint,
    stale: dict[tuple[int, int], list[int]],
    progress: Progress,
) -> FsckReport:
    check = _Check(fetcher, direct, checkpoint, stale, progress)
    hashes = check.level_zero()
    level = 1
    while level_width(checkpoint.size, level) > 0:
        hashes = check.level(level, hashes)
        level += 1
    if root_from_right_edge(check.partials) != checkpoint.root:
        raise FsckError(CHECKPOINT_NAME, f"the root of the {checkpoint.size} entries is not the signed root")
    check.stale_partials()
    return FsckReport(checkpoint, checkpoint.size, check.tiles)


def _fetch(fetcher: TileFetcher, name: str) -> bytes:
    try:
        return fetcher.fetch(name)
    except TileError as exc:
        raise FsckError(name, exc.message.removeprefix(f"{name}: ")) from None


class _Prefetcher:
    """Fetches files ahead on a few threads, so that reading (or HTTP round trips) overlaps hashing.

    Errors surface only when a file is taken, so the first mismatch is still the first one reported.
    """

    def __init__(self, fetcher: TileFetcher, pool: ThreadPoolExecutor) -> None:
        self._fetcher = fetcher
        self._pool = pool
        self._ahead: dict[str, Future[bytes]] = {}

    def want(self, name: str) -> None:
        if name not in self._ahead:
            self._ahead[name] = self._pool.submit(self._fetcher.fetch, name)

    def fetch(self, name: str) -> bytes:
        ahead = self._ahead.pop(name, None)
        if ahead is None:
            return _fetch(self._fetcher, name)
        try:
            return ahead.result()
        except TileError as exc:
            raise FsckError(name, exc.message.removeprefix(f"{name}: ")) from None


def _stale_partials(fetcher: TileFetcher, size: int) -> dict[tuple[int, int], list[int]]:
    """Partial tiles of earlier sizes, keyed by (level, tile index; level -1 for bundles) -> widths.

    Only a directory can be listed; over HTTP only the tiles of the checkpoint's size can be found.
    """
    if not isinstance(fetcher, DirectoryFetcher):
        return {}
    stale: dict[tuple[int, int], list[int]] = {}
    tiles = fetcher.prefix / "tile"
    if not tiles.is_dir():
        return stale
    for path in tiles.rglob("*"):
        match = _PARTIAL_NAME.fullmatch(path.relative_to(fetcher.prefix).as_posix())
        if match is None or not path.is_file():
            continue
        level = -1 if match[1] == "entries" else int(match[1])
        index = int(match[2].replace("x", "").replace("/", ""))
        width = int(match[3])
        hashes = level_width(size, max(level, 0))
        # Partial tiles of sizes beyond the checkpoint (an integration that never got signed) prove nothing.
        if index * TILE_WIDTH + width <= hashes and (index, width) != divmod(hashes, TILE_WIDTH):
            stale.setdefault((level, index), []).append(width)
    return stale


class _Check:
    """One pass over a log, level by level, remembering what the later checks need."""

    def __init__(
        self,
        fetcher: _Prefetcher,
        direct: TileFetcher,
        checkpoint: Checkpoint,
        stale: dict[tuple[int, int], list[int]],
        progress: Progress,
    ) -> None:
        self.fetcher = fetcher
        self.direct = direct
        self.checkpoint = checkpoint
        self.size = checkpoint.size
        self.stale = stale
        self.progress = progress
        self.tiles = 0
        #: The recomputed partial tile of every level (empty where the level has none): the tree's right edge.
        self.partials: list[list[bytes]] = []
        # Recomputed contents of the tiles that have stale partial versions to compare with at the end.
        self.kept: dict[tuple[int, int], list[bytes]] = {}

    def level_zero(self) -> list[bytes]:
        """Recompute level 0 from the bundles, compare every level-0 tile, and return the level-1 hashes."""
        roots: list[bytes] = []
        full, partial = divmod(self.size, TILE_WIDTH)
        count = full + (1 if partial else 0)
        self.partials.append([])
        self.progress(0, self.size)
        for index in range(count):
            for ahead in range(index, min(index + _FETCH_AHEAD, count)):
                ahead_width = TILE_WIDTH if ahead < full else partial
                self.fetcher.want(entries_path(ahead, ahead_width))
                self.fetcher.want(tile_path(0, ahead, ahead_width))
            width = TILE_WIDTH if index < full else partial
            entries = self._bundle(index, width)
            if (-1, index) in self.stale:
                self.kept[(-1, index)] = entries
            hashes = [leaf_hash(entry) for entry in entries]
            try:
                self._compare(0, index, hashes, first_entry=index * TILE_WIDTH)
            except FsckError as mismatch:
                raise self._altered_entry(index, width) or mismatch from None
            if width == TILE_WIDTH:
                roots.append(root_from_leaf_hashes(hashes))
            else:
                self.partials[0] = hashes
            self.progress(index * TILE_WIDTH + width, self.size)
        return roots

    def level(self, level: int, hashes: list[bytes]) -> list[bytes]:
        """Compare every tile of ``level`` with ``hashes`` (recomputed from below); return the level above."""
        roots: list[bytes] = []
        self.partials.append([])
        for start in range(0, len(hashes), TILE_WIDTH):
            tile = hashes[start : start + TILE_WIDTH]
            self._compare(level, start // TILE_WIDTH, tile, first_entry=None)
            if len(tile) == TILE_WIDTH:
                roots.append(root_from_leaf_hashes(tile))
            else:
                self.partials[level] = tile
        return roots

    def _altered_entry(self, index: int, width: int) -> FsckError | None:
        """When level-0 tile ``index`` holds the signed tree's hashes, the error naming the entry that differs."""
        try:
            reader = TileReader(self.direct, self.size, self.checkpoint.root)
            first = index * TILE_WIDTH
            signed = [reader.leaf_hash(first + position) for position in range(width)]
        except TlogError:
            return None  # the tile (or one above it) is what was altered
        for position, (entry, hash_) in enumerate(zip(self._bundle(index, width), signed, strict=True)):
            if leaf_hash(entry) != hash_:
                message = f"its hash does not match {tile_path(0, index, width)} index {position}"
                return FsckError(entries_path(index, width), message, entry=first + position)
        return None

    def _bundle(self, index: int, width: int) -> list[bytes]:
        name = entries_path(index, width)
        try:
            entries = decode_bundle(self.fetcher.fetch(name), name)
        except TileError as exc:
            raise FsckError(name, exc.message.removeprefix(f"{name}: ")) from None
        if len(entries) != width:
            raise FsckError(name, f"holds {len(entries)} entries, its name says {width}")
        return entries

    def _compare(self, level: int, index: int, expected: list[bytes], *, first_entry: int | None) -> None:
        width = len(expected)
        name = tile_path(level, index, width)
        stored = self.fetcher.fetch(name)
        self.tiles += 1
        if (level, index) in self.stale:
            self.kept[(level, index)] = expected
        if stored == b"".join(expected):
            return
        if len(stored) != width * HASH_SIZE:
            raise FsckError(name, f"is {len(stored)} bytes; {width} hashes are {width * HASH_SIZE} bytes")
        for position, expected_hash in enumerate(expected):
            if stored[position * HASH_SIZE : (position + 1) * HASH_SIZE] != expected_hash:
                if first_entry is None:
                    what = f"the root of {tile_path(level - 1, index * TILE_WIDTH + position)}"
                else:
                    what = f"the hash of entry {first_entry + position}"
                raise FsckError(name, f"hash is not {what}", index=position)

    def stale_partials(self) -> None:
        """Partial tiles and bundles of earlier sizes must be prefixes of what the tree holds now."""
        for (level, index), widths in sorted(self.stale.items()):
            current = self.kept[(level, index)]
            for width in sorted(widths):
                if level >= 0:
                    first = index * TILE_WIDTH if level == 0 else None
                    self._compare(level, index, current[:width], first_entry=first)
                    continue
                name = entries_path(index, width)
                for position, entry in enumerate(self._bundle(index, width)):
                    if entry != current[position]:
                        raise FsckError(name, "entry differs from the later bundle", index=position)
