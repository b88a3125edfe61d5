"""RFC 6962 Merkle tree hashing, tree heads and RFC 9162 §2.1 inclusion and consistency proofs.

Proofs are built only from hashes of *complete* subtrees (a :class:`NodeSource`), never from whole
leaf lists: a tiled log stores exactly those, and the hash of a partial right edge is recomputed by
folding the complete subtrees it is made of, the way Go's ``golang.org/x/mod/sumdb/tlog`` does.

Consistency from the empty tree is handled on purpose in two ways:

* :func:`verify_consistency` is the RFC 9162 §2.1.4.2 verifier. It needs ``0 < old_size``: a proof that
  some tree extends the empty tree proves nothing, so it raises :class:`ProofError` for ``old_size == 0``.
* :func:`verify_consistency_witness` is what the C2SP tlog-witness protocol needs: a witness that has
  never seen the log holds "size 0", and any tree extends it, so old size 0 is accepted with an empty
  proof (and refused with a non-empty one).

When both sizes are equal and non-zero, both verifiers accept only an empty proof and equal roots (the
RFC's proof for ``m == n`` is empty, while its verifier's step 1 would reject every empty proof).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Protocol

from candor.tlog.errors import ProofError

HASH_SIZE = 32

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

#: MTH({}) = SHA-256 of the empty string.
EMPTY_TREE_HASH = _sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH of a single entry: SHA-256(0x00 || entry)."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


class NodeSource(Protocol):
    """Anything that can give the hash of a complete subtree: an in-memory tree, a tile reader..."""

    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree covering leaves ``[index * 2**level, (index + 1) * 2**level)``."""
        ...


class MemoryTree:
    """An append-only tree held in memory as one list of complete-subtree hashes per level.

    ``levels[0]`` are the leaf hashes; ``levels[l][i]`` is the hash of the complete subtree of height ``l``
    at position ``i``. Only complete subtrees are stored, so a million leaves cost about two million
    32-byte strings, and :meth:`node` is a list lookup.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash and return its index."""
        levels = self._levels
        leaves = levels[0]
        index = len(leaves)
        leaves.append(leaf)
        count, level = index + 1, 0
        # Every time a level's count becomes even, the last two nodes complete a parent.
        while count & 1 == 0:
            lower = levels[level]
            level += 1
            if level == len(levels):
                levels.append([])
            levels[level].append(_sha256(_NODE_PREFIX + lower[-2] + lower[-1]).digest())
            count >>= 1
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes at once; each level is completed in one pass, which is much faster in bulk."""
        levels = self._levels
        levels[0].extend(leaf_hashes)
        level = 0
        while len(levels[level]) >= 2:
            lower = levels[level]
            if level + 1 == len(levels):
                levels.append([])
            upper = levels[level + 1]
            start = 2 * len(upper)
            stop = len(lower) - (len(lower) & 1)
            if start < stop:
                sha, prefix = _sha256, _NODE_PREFIX
                upper.extend(sha(prefix + lower[i] + lower[i + 1]).digest() for i in range(start, stop, 2))
            level += 1

    def node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels) or index >= len(self._levels[level]):
            raise ProofError(f"no complete subtree at level {level}, index {index} in a tree of size {self.size}")
        return self._levels[level][index]

    def root(self) -> bytes:
        """The tree head of every leaf appended so far."""
        return tree_hash(self, self.size)


class CompactRange:
    """The tree head of leaves appended one by one, in memory logarithmic in their number.

    It keeps only the roots of the tree's perfect subtrees, largest first (one per set bit of the size), so a
    stream of any length can be checked against signed roots as it goes, without holding its leaves.
    """

    def __init__(self) -> None:
        self.size = 0
        self._roots: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        height, node = 0, leaf
        roots = self._roots
        while roots and roots[-1][0] == height:
            node = _sha256(_NODE_PREFIX + roots.pop()[1] + node).digest()
            height += 1
        roots.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        """The tree head of every leaf appended so far: the perfect subtrees' roots folded from the right."""
        if not self._roots:
            return EMPTY_TREE_HASH
        root = self._roots[-1][1]
        for _, left in reversed(self._roots[:-1]):
            root = _sha256(_NODE_PREFIX + left + root).digest()
        return root


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The RFC 6962 root of a list of leaf hashes, computed level by level for speed in bulk.

    A node without a right sibling is carried up unchanged, which yields exactly the RFC 6962 shape
    (the left subtree is always the largest power of two smaller than the size).
    """
    if not hashes:
        return EMPTY_TREE_HASH
    level = list(hashes)
    sha, prefix = _sha256, _NODE_PREFIX
    while len(level) > 1:
        paired = [sha(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) & 1:
            paired.append(level[-1])
        level = paired
    return level[0]


def split_point(n: int) -> int:
    """The largest power of two k with k < n, for n > 1: where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(source: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a non-empty range whose start is a multiple of a power of two >= its length.

    Those are the ranges RFC 6962 recursion visits (and the draft-ietf-plants "subtrees"). Such a range is
    cut greedily into the largest complete subtrees, left to right, and folded from the right: that is
    exactly MTH's shape for it.
    """
    length = end - start
    if length <= 0:
        raise ProofError(f"the range [{start}, {end}) holds no leaves")
    if length & (length - 1) == 0:
        # A complete subtree, the common case inside proofs: one lookup, no folding.
        return source.node(length.bit_length() - 1, start // length)
    parts: list[bytes] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        parts.append(source.node(level, start >> level))
        start += 1 << level
    result = parts.pop()
    while parts:
        result = _sha256(_NODE_PREFIX + parts.pop() + result).digest()
    return result


def tree_hash(source: NodeSource, size: int) -> bytes:
    """The tree head (MTH) of the first ``size`` leaves; the empty tree hashes to SHA-256("")."""
    if size < 0:
        raise ProofError(f"tree size {size} is negative")
    if size == 0:
        return EMPTY_TREE_HASH
    return range_hash(source, 0, size)


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]): the audit path from leaf ``index`` to the root of ``size``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = split_point(end - start)
        middle = start + split
        if index < middle:
            proof.append(range_hash(source, middle, end))
            end = middle
        else:
            level = split.bit_length() - 1
            proof.append(source.node(level, start >> level))
            start = middle
    proof.reverse()
    return proof


def consistency_proof(source: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[new_size]).

    For ``old_size == 0`` this returns the empty proof that the witness protocol expects
    (see :func:`verify_consistency_witness`); the RFC defines no proof for it.
    """
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[bytes] = []
    if old_size == 0:
        return proof
    start, end, old, complete = 0, new_size, old_size, True
    while True:
        if old == end - start:
            if not complete:
                proof.append(range_hash(source, start, end))
            break
        split = split_point(end - start)
        middle = start + split
        if old <= split:
            proof.append(range_hash(source, middle, end))
            end = middle
        else:
            level = split.bit_length() - 1
            proof.append(source.node(level, start >> level))
            old -= split
            start = middle
            complete = False
    proof.reverse()
    return proof


def check_proof_hashes(proof: Sequence[bytes]) -> None:
    """Every proof element is one SHA-256 hash: refuse empty or oversized "hashes" before chaining them."""
    for position, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"proof hash {position} is {len(item)} bytes, not {HASH_SIZE}")


def _same(computed: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(computed, expected)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: check that ``leaf`` (a leaf hash) is at ``index`` in the tree ``(size, root)``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
    check_proof_hashes(proof)
    sha, prefix = _sha256, _NODE_PREFIX
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof for leaf {index} in size {size} has too many hashes ({len(proof)})")
        if fn & 1 or fn == sn:
            result = sha(prefix + sibling + result).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = sha(prefix + result + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof for leaf {index} in size {size} has too few hashes ({len(proof)})")
    if not _same(result, root):
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of size {size}")


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
    """RFC 9162 §2.1.4.2: check that the tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    Raises :class:`ProofError` for ``old_size == 0`` (see the module notes and
    :func:`verify_consistency_witness`).
    """
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"a tree of size {new_size} cannot extend a tree of size {old_size}")
    if old_size == 0:
        raise ProofError(
            "consistency with the empty tree proves nothing (RFC 9162 needs an old size above 0)",
            hint="a witness with no previous checkpoint uses verify_consistency_witness",
        )
    if old_size == new_size:
        if proof:
            raise ProofError(f"consistency proof between equal sizes {old_size} must be empty")
        if not _same(old_root, new_root):
            raise ProofError(f"two different roots for the same tree size {old_size}")
        return
    if not proof:
        raise ProofError(f"empty consistency proof from size {old_size} to size {new_size}")
    check_proof_hashes(proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    sha, prefix = _sha256, _NODE_PREFIX
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof from size {old_size} to {new_size} has too many hashes")
        if fn & 1 or fn == sn:
            old_result = sha(prefix + sibling + old_result).digest()
            new_result = sha(prefix + sibling + new_result).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new_result = sha(prefix + new_result + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof from size {old_size} to {new_size} has too few hashes")
    if not _same(old_result, old_root):
        raise ProofError(f"consistency proof does not lead to the old root of size {old_size}")
    if not _same(new_result, new_root):
        raise ProofError(f"consistency proof does not lead to the new root of size {new_size}")


def verify_consistency_witness(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Consistency as the C2SP tlog-witness protocol checks it: like :func:`verify_consistency`, except
    that old size 0 (a witness that has not seen the log yet) is accepted with an empty proof."""
    if old_size == 0 and new_size >= 0:
        if proof:
            raise ProofError(f"consistency proof from the empty tree must be empty, got {len(proof)} hashes")
        return
    verify_consistency(old_size, new_size, proof, old_root, new_root)
