"""Check a local log's stored tiles against its sequencer and its last signed head, and repair what differs.

The sequencer keeps every entry, so every file under ``tile/`` can be recomputed from it. This check reads
each entry once, recomputes every entry bundle and level-0 tile from the entries, every higher tile from the
level below, and folds the right edge into the root, which must be the signed root: only then are the files
that differ (or are missing) rewritten. So a sequencer that was altered never overwrites good tiles.

Checked, for the signed size: every entry bundle and tile of every level, full and partial, byte for byte;
and the partial tiles and bundles of every earlier signed size, as prefixes of the tiles that replaced them.
Not checked: files of sizes the log never signed (an interrupted publish leaves some; nobody serves them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from candor.tlog.errors import TlogError
from candor.tlog.merkle import leaf_hash, root_from_leaf_hashes
from candor.tlog.sequencer import Sequencer, SignedHead
from candor.tlog.tiles import (
    TILE_WIDTH,
    encode_bundle,
    entries_path,
    level_width,
    root_from_right_edge,
    tile_path,
    write_atomic,
)

logger = logging.getLogger(__name__)

#: Entries read from the sequencer at a time: a whole number of tiles, so each read covers whole tiles.
_CHUNK_ENTRIES = 256 * TILE_WIDTH
#: The level that stands for entry bundles where tiles are keyed by (level, index).
_BUNDLES = -1

Progress = Callable[[int, int], None]


class TileCheckError(TlogError):
    """The sequencer's entries do not hash to the root the log signed, so the tiles cannot be repaired."""


@dataclass(frozen=True)
class Repair:
    """A file that did not hold what the signed tree says, and was rewritten from the sequencer."""

    name: str
    problem: str


def _no_progress(done: int, total: int) -> None:
    """Progress callback that draws nothing."""


def check_and_repair(
    prefix: Path, head: SignedHead, sequencer: Sequencer, progress: Progress = _no_progress
) -> list[Repair]:
    """Check every stored tile of the signed tree ``head`` under ``prefix``; rewrite those that differ."""
    check = _Check(prefix, head.size, _earlier_partials(head.size, sequencer.signed_sizes()))
    hashes = check.level_zero(sequencer, progress)
    level = 1
    while level_width(head.size, level) > 0:
        hashes = check.level(level, hashes)
        level += 1
    if root_from_right_edge(check.partials) != head.root:
        raise TileCheckError(
            f"{sequencer.path}: the sequenced entries do not hash to the signed root of size {head.size}",
            hint="the sequencer database was altered; restore it from a backup",
        )
    check.earlier_partials()
    for name, data, problem in check.damaged:
        write_atomic(prefix / name, data)
        logger.warning("repaired %s from the sequencer: %s", name, problem)
    return [Repair(name, problem) for name, _, problem in check.damaged]


def _earlier_partials(size: int, signed_sizes: list[int]) -> dict[tuple[int, int], set[int]]:
    """The partial tiles and bundles of every earlier signed size: (level, tile index) -> widths."""
    current = set(_right_edge(size))
    wanted: dict[tuple[int, int], set[int]] = {}
    for earlier in signed_sizes:
        # A partial tile that is still the current one is checked with the tree itself.
        for level, index, width in set(_right_edge(earlier)) - current if earlier < size else ():
            wanted.setdefault((level, index), set()).add(width)
    return wanted


def _right_edge(size: int) -> list[tuple[int, int, int]]:
    """The partial bundle and partial tiles of a tree of ``size`` entries, as (level, index, width)."""
    edge: list[tuple[int, int, int]] = []
    index, width = divmod(size, TILE_WIDTH)
    if width:
        edge.append((_BUNDLES, index, width))
    level = 0
    while (hashes := level_width(size, level)) > 0:
        index, width = divmod(hashes, TILE_WIDTH)
        if width:
            edge.append((level, index, width))
        level += 1
    return edge


class _Check:
    """One pass over the tree, level by level, collecting the files that need rewriting."""

    def __init__(self, prefix: Path, size: int, earlier: dict[tuple[int, int], set[int]]) -> None:
        self.prefix = prefix
        self.size = size
        self.earlier = earlier
        #: The recomputed partial tile of every level (empty where the level has none): the tree's right edge.
        self.partials: list[list[bytes]] = []
        #: Files to rewrite once the root is known to be right: (name, contents, what was wrong).
        self.damaged: list[tuple[str, bytes, str]] = []
        # Recomputed tiles (and bundles' entries) that earlier partial versions must be prefixes of.
        self._kept: dict[tuple[int, int], list[bytes]] = {}

    def level_zero(self, sequencer: Sequencer, progress: Progress) -> list[bytes]:
        """Recompute bundles and level-0 tiles from the sequencer; return the level-1 hashes."""
        roots: list[bytes] = []
        self.partials.append([])
        progress(0, self.size)
        for chunk_start in range(0, self.size, _CHUNK_ENTRIES):
            chunk = sequencer.entries(chunk_start, min(chunk_start + _CHUNK_ENTRIES, self.size))
            for offset in range(0, len(chunk), TILE_WIDTH):
                entries = chunk[offset : offset + TILE_WIDTH]
                index = (chunk_start + offset) // TILE_WIDTH
                hashes = [leaf_hash(entry) for entry in entries]
                self._expect(entries_path(index, len(entries)), encode_bundle(entries))
                self._expect(tile_path(0, index, len(hashes)), b"".join(hashes))
                self._keep(_BUNDLES, index, entries)
                self._keep(0, index, hashes)
                if len(hashes) == TILE_WIDTH:
                    roots.append(root_from_leaf_hashes(hashes))
                else:
                    self.partials[0] = hashes
            progress(chunk_start + len(chunk), self.size)
        return roots

    def level(self, level: int, hashes: list[bytes]) -> list[bytes]:
        """Compare every tile of ``level`` with ``hashes`` recomputed from below; return the level above."""
        roots: list[bytes] = []
        self.partials.append([])
        for start in range(0, len(hashes), TILE_WIDTH):
            tile = hashes[start : start + TILE_WIDTH]
            self._expect(tile_path(level, start // TILE_WIDTH, len(tile)), b"".join(tile))
            self._keep(level, start // TILE_WIDTH, tile)
            if len(tile) == TILE_WIDTH:
                roots.append(root_from_leaf_hashes(tile))
            else:
                self.partials[level] = tile
        return roots

    def earlier_partials(self) -> None:
        """The partial tiles of earlier signed sizes must be prefixes of the tiles the tree holds now."""
        for (level, index), widths in sorted(self.earlier.items()):
            current = self._kept[(level, index)]
            for width in sorted(widths):
                if level == _BUNDLES:
                    self._expect(entries_path(index, width), encode_bundle(current[:width]))
                else:
                    self._expect(tile_path(level, index, width), b"".join(current[:width]))

    def _keep(self, level: int, index: int, items: list[bytes]) -> None:
        if (level, index) in self.earlier:
            self._kept[(level, index)] = items

    def _expect(self, name: str, expected: bytes) -> None:
        try:
            stored = (self.prefix / name).read_bytes()
        except FileNotFoundError:
            self.damaged.append((name, expected, "missing"))
            return
        except OSError as exc:
            self.damaged.append((name, expected, f"unreadable ({exc.strerror})"))
            return
        if stored != expected:
            self.damaged.append((name, expected, _difference(stored, expected)))


def _difference(stored: bytes, expected: bytes) -> str:
    if len(stored) != len(expected):
        return f"{len(stored)} bytes instead of {len(expected)}"
    first = next(offset for offset, (a, b) in enumerate(zip(stored, expected, strict=True)) if a != b)
    return f"differs from byte {first}"
