"""Read a tiled log from a directory or an HTTP base URL, trusting nothing but a signed tree head.

:class:`TileReader` is a :class:`~candor.tlog.merkle.NodeSource`, so the proof functions of
:mod:`candor.tlog.merkle` build proofs straight from tiles. Every tile is authenticated before use: the
partial tiles of the tree's right edge must fold into the signed root, and every full tile must hash to
its entry in the tile above it, which was itself authenticated the same way.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from candor.tlog.merkle import HASH_SIZE, leaf_hash, node_hash
from candor.tlog.note import MAX_NOTE_SIZE
from candor.tlog.tiles import (
    CHECKPOINT_NAME,
    MAX_ENTRY_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileError,
    TileUnavailableError,
    decode_bundle,
    entries_path,
    level_width,
    root_from_right_edge,
    split_hashes,
    tile_path,
)

if TYPE_CHECKING:
    from candor.httpclient import Resource

_CACHED_TILES = 2048
#: A full entry bundle: 256 entries, each with its 2-byte length prefix.
MAX_BUNDLE_SIZE = TILE_WIDTH * (2 + MAX_ENTRY_SIZE)


class TileFetcher(Protocol):
    """Where a log's files come from: ``fetch("tile/0/000")`` returns the bytes or raises :class:`TileError`."""

    location: str

    def fetch(self, name: str) -> bytes: ...

    def close(self) -> None: ...


class DirectoryFetcher:
    """A log laid out in a local directory."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.location = str(prefix)

    def fetch(self, name: str) -> bytes:
        try:
            return (self.prefix / name).read_bytes()
        except FileNotFoundError:
            raise TileError(f"{name}: missing from {self.location}") from None
        except OSError as exc:
            raise TileError(f"{name}: cannot be read from {self.location}: {exc.strerror}") from None

    def close(self) -> None:
        """Nothing to release for a directory."""


class HttpFetcher:
    """A log served over HTTP(S) under a base URL, as tlog-tiles specifies, through the bounded client."""

    def __init__(self, base_url: str, *, timeout: float | None = None) -> None:
        # Imported here, not at the top: the CLI and the registry read local logs far more often than remote
        # ones, and should start without httpx.
        from candor.httpclient import HttpClient, HttpError

        self.location = base_url.rstrip("/")
        self._client = HttpClient(self.location, timeout=timeout)
        self._http_error = HttpError

    def fetch(self, name: str) -> bytes:
        try:
            answer = self._client.get(name, _resource(name), allow_error=True)
        except self._http_error as exc:
            raise TileUnavailableError(f"{name}: {exc.message}") from None
        if answer.status == 404:
            raise TileError(f"{name}: missing from {self.location} (HTTP 404)")
        if not answer.ok:
            raise TileError(f"{name}: {answer.url} answered HTTP {answer.status}")
        return answer.body

    def close(self) -> None:
        self._client.close()


def _resource(name: str) -> Resource:
    """The size limit and content types of the log file ``name``."""
    from candor.httpclient import Resource

    if name.startswith("tile/entries/"):
        return Resource("entry bundle", MAX_BUNDLE_SIZE)
    if name.startswith("tile/"):
        return Resource("tile", TILE_WIDTH * HASH_SIZE)
    return Resource("checkpoint" if name == CHECKPOINT_NAME else name, MAX_NOTE_SIZE)


def open_fetcher(location: str | Path) -> DirectoryFetcher | HttpFetcher:
    """A fetcher for an ``http://``/``https://`` base URL or a local directory."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        return HttpFetcher(text)
    return DirectoryFetcher(Path(text))


class _Tile:
    """An authenticated tile with the hashes of every complete subtree inside it (``levels[k]`` spans 2**k)."""

    __slots__ = ("levels",)

    def __init__(self, hashes: list[bytes]) -> None:
        levels = [hashes]
        while len(levels[-1]) > 1:
            lower = levels[-1]
            levels.append([node_hash(lower[i], lower[i + 1]) for i in range(0, len(lower) - 1, 2)])
        self.levels = levels

    @property
    def hashes(self) -> list[bytes]:
        return self.levels[0]


class TileReader:
    """The complete-subtree hashes and entries of the tree ``(size, root)``, read from tiles and authenticated."""

    def __init__(self, fetcher: TileFetcher, size: int, root: bytes) -> None:
        self.fetcher = fetcher
        self.size = size
        self.root = root
        self._tiles: OrderedDict[tuple[int, int], _Tile] = OrderedDict()
        self._right_edge: dict[tuple[int, int], _Tile] = {}
        self._load_right_edge()

    def _load_right_edge(self) -> None:
        partials: list[list[bytes]] = []
        names: list[str] = []
        level = 0
        while (hashes := level_width(self.size, level)) > 0:
            index, width = divmod(hashes, TILE_WIDTH)
            if width:
                name = tile_path(level, index, width)
                tile = split_hashes(self.fetcher.fetch(name), name)
                if len(tile) != width:
                    raise TileError(f"{name}: holds {len(tile)} hashes, its name says {width}")
                self._right_edge[(level, index)] = _Tile(tile)
                partials.append(tile)
                names.append(name)
            else:
                partials.append([])
            level += 1
        if not hmac.compare_digest(root_from_right_edge(partials), self.root):
            listed = ", ".join(names) or "no tiles"
            raise TileError(f"the partial tiles of size {self.size} ({listed}) do not match the signed root")

    def _tile(self, level: int, index: int) -> _Tile:
        key = (level, index)
        edge = self._right_edge.get(key)
        if edge is not None:
            return edge
        cached = self._tiles.get(key)
        if cached is not None:
            self._tiles.move_to_end(key)
            return cached
        if index >= level_width(self.size, level) // TILE_WIDTH:
            raise TileError(f"{tile_path(level, index)}: no such full tile in a tree of size {self.size}")
        name = tile_path(level, index)
        hashes = split_hashes(self.fetcher.fetch(name), name)
        if len(hashes) != TILE_WIDTH:
            raise TileError(f"{name}: a full tile must hold {TILE_WIDTH} hashes, got {len(hashes)}")
        tile = _Tile(hashes)
        parent = self._tile(level + 1, index // TILE_WIDTH)
        if not hmac.compare_digest(tile.levels[TILE_HEIGHT][0], parent.hashes[index % TILE_WIDTH]):
            raise TileError(
                f"{name}: does not hash to entry {index % TILE_WIDTH} of "
                f"{tile_path(level + 1, index // TILE_WIDTH, len(parent.hashes))}"
            )
        self._tiles[key] = tile
        if len(self._tiles) > _CACHED_TILES:
            self._tiles.popitem(last=False)
        return tile

    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree of 2**level leaves at ``index`` (the NodeSource protocol)."""
        tile_level, height = divmod(level, TILE_HEIGHT)
        first = index << height
        if level < 0 or index < 0 or (index + 1) << level > self.size:
            raise TileError(f"no complete subtree at level {level}, index {index} in a tree of size {self.size}")
        tile = self._tile(tile_level, first // TILE_WIDTH)
        return tile.levels[height][(first % TILE_WIDTH) >> height]

    def leaf_hash(self, index: int) -> bytes:
        return self.node(0, index)

    def entry(self, index: int) -> bytes:
        """The entry at ``index``, read from its bundle and checked against the authenticated level-0 tile."""
        if not 0 <= index < self.size:
            raise TileError(f"entry {index} is outside a tree of size {self.size}")
        return next(self.entries(index, index + 1))[1]

    def entries(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        """``(index, entry)`` for ``start <= index < end``, each bundle fetched once and every entry checked
        against the authenticated level-0 tile, so a server cannot substitute, drop or reorder entries."""
        if not 0 <= start <= end <= self.size:
            raise TileError(f"entries {start} to {end} are outside a tree of size {self.size}")
        full = self.size // TILE_WIDTH
        index = start
        while index < end:
            bundle_index = index // TILE_WIDTH
            width = TILE_WIDTH if bundle_index < full else self.size % TILE_WIDTH
            name = entries_path(bundle_index, width)
            bundle = decode_bundle(self.fetcher.fetch(name), name)
            if len(bundle) != width:
                raise TileError(f"{name}: holds {len(bundle)} entries, expected {width}")
            stop = min(end, bundle_index * TILE_WIDTH + width)
            for position in range(index, stop):
                found = bundle[position % TILE_WIDTH]
                if not hmac.compare_digest(leaf_hash(found), self.leaf_hash(position)):
                    raise TileError(
                        f"{name}: entry {position} does not match its hash in {tile_path(0, bundle_index, width)}"
                    )
                yield position, found
            index = stop
