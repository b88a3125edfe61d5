"""c2sp.org/tlog-tiles: tile paths, entry bundles, and the writer that lays tiles out on disk.

A tile holds up to 256 consecutive Merkle tree hashes of one level (height 8). Level 0 holds leaf hashes; each
hash of level L+1 is the root of a full tile of level L. Entry bundles hold the entries themselves, each
prefixed by its big-endian uint16 length. Files are never rewritten in place: each is written to a temporary
file, fsynced and renamed, so a reader (or a crash) sees either the old file or the whole new one.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from candor.tlog.errors import TlogError
from candor.tlog.merkle import HASH_SIZE, leaf_hash, node_hash, root_from_leaf_hashes

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF
CHECKPOINT_NAME = "checkpoint"

_EMPTY_ROOT = hashlib.sha256(b"").digest()
_SYNC_THREADS = 16
_PIPELINE_ENTRIES = 16 * TILE_WIDTH
_LENGTH_PREFIX = struct.Struct(">H")


class TileError(TlogError):
    """A tile or entry bundle that is malformed, missing, or cannot be written."""


class TileUnavailableError(TileError):
    """A log file could not be fetched at all (the network, a timeout, a size limit): says nothing about the log."""


class EntryTooLargeError(TlogError):
    """An entry longer than an entry bundle's uint16 length prefix can express."""

    def __init__(self, size: int, *, index: int | None = None, name: str | None = None) -> None:
        where = f"{name}: " if name else "" if index is None else f"entry {index}: "
        super().__init__(
            f"{where}entry is {size:,} bytes, over the {MAX_ENTRY_SIZE:,}-byte limit of a tlog-tiles entry bundle",
            hint="log a digest or a statement that points at the document instead of the document itself",
        )
        self.size = size


def encode_tile_index(index: int) -> str:
    """The index of a tile as x-prefixed 3-digit path elements: 1234067 -> ``x001/x234/067``."""
    if index < 0:
        raise ValueError(f"tile index must not be negative, got {index}")
    elements = [f"{index % 1000:03d}"]
    index //= 1000
    while index > 0:
        elements.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(elements))


def _suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width must be between 1 and {TILE_WIDTH}, got {width}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The path of a hash tile, relative to the log prefix: ``tile/<L>/<N>[.p/<W>]``."""
    if not 0 <= level <= 63:
        raise ValueError(f"tile level must be between 0 and 63, got {level}")
    return f"tile/{level}/{encode_tile_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """The path of an entry bundle, relative to the log prefix: ``tile/entries/<N>[.p/<W>]``."""
    return f"tile/entries/{encode_tile_index(index)}{_suffix(width)}"


def level_width(size: int, level: int) -> int:
    """How many hashes level ``level`` holds in a tree of ``size`` entries (full and partial tiles together)."""
    return size >> (TILE_HEIGHT * level)


def tile_layout(size: int) -> list[tuple[int, int, int]]:
    """Every tile a tree of ``size`` entries is made of, as (level, index, width); partial tiles last per level."""
    layout: list[tuple[int, int, int]] = []
    level = 0
    while (hashes := level_width(size, level)) > 0:
        full, partial = divmod(hashes, TILE_WIDTH)
        layout.extend((level, index, TILE_WIDTH) for index in range(full))
        if partial:
            layout.append((level, full, partial))
        level += 1
    return layout


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry prefixed with its length as a big-endian uint16."""
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryTooLargeError(len(entry))
    pack = _LENGTH_PREFIX.pack
    return b"".join([pack(len(entry)) + entry for entry in entries])


def decode_bundle(data: bytes, name: str) -> list[bytes]:
    """The entries of a bundle; ``name`` says which file it was in when the bundle is malformed."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TileError(f"{name}: entry {len(entries)} has a truncated length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise TileError(f"{name}: entry {len(entries)} is truncated ({length} bytes announced)")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


def split_hashes(data: bytes, name: str) -> list[bytes]:
    """The hashes of a tile file, which must be a whole number of SHA-256 hashes."""
    if len(data) % HASH_SIZE or not data:
        raise TileError(f"{name}: a tile must hold 1 to {TILE_WIDTH} hashes of {HASH_SIZE} bytes, got {len(data)}")
    return [data[offset : offset + HASH_SIZE] for offset in range(0, len(data), HASH_SIZE)]


def _perfect_roots(hashes: Sequence[bytes]) -> list[bytes]:
    # The RFC 6962 tree splits at the largest power of two below its size, so its root is the right fold of
    # the roots of the perfect subtrees given by the binary digits of the size, largest first.
    roots: list[bytes] = []
    start, remaining = 0, len(hashes)
    while remaining:
        span = 1 << (remaining.bit_length() - 1)
        roots.append(root_from_leaf_hashes(hashes[start : start + span]))
        start += span
        remaining -= span
    return roots


def _fold_right(roots: Sequence[bytes]) -> bytes:
    root = roots[-1]
    for left in reversed(roots[:-1]):
        root = node_hash(left, root)
    return root


def root_from_right_edge(partials: Sequence[Sequence[bytes]]) -> bytes:
    """The tree hash from the partial tile of every level (index = level; an empty list where there is none).

    The partial tile of level L holds the roots of perfect subtrees of 256**L entries each, so together the
    partial tiles, highest level first, are the tree's perfect subtrees from left to right.
    """
    roots: list[bytes] = []
    for hashes in reversed(partials):
        if hashes:
            roots.extend(_perfect_roots(hashes))
    return _fold_right(roots) if roots else _EMPTY_ROOT


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` durably: temp file, fsync, rename, fsync of the directory."""
    _write_and_rename(path, data)
    fsync_directory(path.parent)


def _write_and_rename(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            # mkstemp makes files private; tiles and checkpoints are public, served as they are.
            os.fchmod(handle.fileno(), 0o644)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fsync_directory(directory: Path) -> None:
    """Make the renames inside ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass
class RightEdge:
    """What the writer needs to extend a tree: its size, each level's partial hashes, the partial bundle."""

    size: int = 0
    partials: list[list[bytes]] = field(default_factory=list)
    bundle: list[bytes] = field(default_factory=list)

    def root(self) -> bytes:
        return root_from_right_edge(self.partials)


def load_right_edge(prefix: Path, size: int) -> RightEdge:
    """Read back the partial tiles and partial bundle of a tree of ``size`` entries from ``prefix``."""
    partials: list[list[bytes]] = []
    level = 0
    while (hashes := level_width(size, level)) > 0:
        full, width = divmod(hashes, TILE_WIDTH)
        if width:
            name = tile_path(level, full, width)
            partials.append(split_hashes(_read(prefix, name), name))
            if len(partials[-1]) != width:
                raise TileError(f"{name}: holds {len(partials[-1])} hashes, its name says {width}")
        else:
            partials.append([])
        level += 1
    bundle: list[bytes] = []
    full, width = divmod(size, TILE_WIDTH)
    if width:
        name = entries_path(full, width)
        bundle = decode_bundle(_read(prefix, name), name)
        if len(bundle) != width:
            raise TileError(f"{name}: holds {len(bundle)} entries, its name says {width}")
    return RightEdge(size, partials, bundle)


def _read(prefix: Path, name: str) -> bytes:
    try:
        return (prefix / name).read_bytes()
    except FileNotFoundError:
        raise TileError(f"{name}: missing from {prefix}") from None
    except OSError as exc:
        raise TileError(f"{name}: cannot be read: {exc.strerror}") from None


class TileWriter:
    """Extends a tiled tree on disk: given new entries, writes every new or grown tile at every level.

    Full tiles are written once; the partial tiles of the new size are written beside the older partial
    tiles, which stay, so that every size ever checkpointed can still be served. Nothing here writes the
    checkpoint: the caller signs the returned root and writes the checkpoint last.
    """

    def __init__(self, prefix: Path, edge: RightEdge) -> None:
        self.prefix = prefix
        self.edge = edge

    @property
    def size(self) -> int:
        return self.edge.size

    def root(self) -> bytes:
        return self.edge.root()

    def append(self, entries: Sequence[bytes]) -> bytes:
        """Add ``entries`` after the current size, write their tiles durably, and return the new root."""
        for offset, entry in enumerate(entries):
            if len(entry) > MAX_ENTRY_SIZE:
                raise EntryTooLargeError(len(entry), index=self.edge.size + offset)
        if not entries:
            return self.root()
        first_size = self.edge.size
        directories: set[Path] = set()
        with ThreadPoolExecutor(_SYNC_THREADS) as pool:
            writes = []
            # Hashing the next slice (which holds the GIL) overlaps with writing and syncing the last one.
            for first in range(0, len(entries), _PIPELINE_ENTRIES):
                last = first + _PIPELINE_ENTRIES >= len(entries)
                files = self._extend(entries[first : first + _PIPELINE_ENTRIES], first_size if last else None)
                for name, data in files:
                    path = self.prefix / name
                    directories.add(path.parent)
                    writes.append(pool.submit(_write_and_rename, path, data))
            for write in writes:
                write.result()
            list(pool.map(fsync_directory, sorted(directories)))
        return self.root()

    def _extend(self, entries: Sequence[bytes], partials_since: int | None) -> list[tuple[str, bytes]]:
        """Advance the right edge over ``entries`` and return the files to write.

        Partial tiles are returned only when ``partials_since`` is given, and only those that differ from
        the partial tiles of that size: slices in the middle of one append are sizes nobody will sign.
        """
        edge = self.edge
        start = edge.size
        new_size = start + len(entries)
        files: list[tuple[str, bytes]] = []

        # Entry bundles: the partial bundle grows into full bundles, then a new partial.
        bundle = list(edge.bundle)
        bundle_index = start // TILE_WIDTH
        for entry in entries:
            bundle.append(entry)
            if len(bundle) == TILE_WIDTH:
                files.append((entries_path(bundle_index), encode_bundle(bundle)))
                bundle = []
                bundle_index += 1
        if bundle and partials_since is not None:
            files.append((entries_path(bundle_index, len(bundle)), encode_bundle(bundle)))

        # Hash tiles, level by level: each full tile's root feeds the level above.
        new_hashes = [leaf_hash(entry) for entry in entries]
        partials: list[list[bytes]] = []
        level = 0
        while new_hashes or level < len(edge.partials):
            carried = edge.partials[level] if level < len(edge.partials) else []
            hashes = carried + new_hashes
            tile_index = level_width(start, level) // TILE_WIDTH
            roots: list[bytes] = []
            offset = 0
            while len(hashes) - offset >= TILE_WIDTH:
                tile = hashes[offset : offset + TILE_WIDTH]
                files.append((tile_path(level, tile_index), b"".join(tile)))
                roots.append(root_from_leaf_hashes(tile))
                tile_index += 1
                offset += TILE_WIDTH
            rest = hashes[offset:]
            if (
                rest
                and partials_since is not None
                and level_width(new_size, level) != level_width(partials_since, level)
            ):
                files.append((tile_path(level, tile_index, len(rest)), b"".join(rest)))
            partials.append(rest)
            new_hashes = roots
            level += 1
        while partials and not partials[-1]:
            partials.pop()

        self.edge = RightEdge(new_size, partials, bundle)
        return files


def create_writer(prefix: Path, size: int) -> TileWriter:
    """A writer that extends the tree of ``size`` entries whose tiles are under ``prefix``."""
    return TileWriter(prefix, load_right_edge(prefix, size) if size else RightEdge())
