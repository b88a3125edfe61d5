"""Subtrees of a Merkle tree and their inclusion and consistency proofs.

From the IETF PLANTS draft "Merkle Tree Certificates" (draft-ietf-plants-merkle-tree-certs, §4): a
subtree ``[start, end)`` is MTH(D[start:end]) where ``start`` is a multiple of BIT_CEIL(end - start), so it
lines up with the nodes of the whole tree. A subtree consistency proof shows that a subtree hash is made
of the very entries that the whole tree commits to; tlog-cosignature's ML-DSA format signs such subtrees.
With ``start = 0`` these are RFC 9162 consistency proofs; with ``end = start + 1``, inclusion proofs.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from candor.tlog.errors import ProofError
from candor.tlog.merkle import (
    EMPTY_TREE_HASH,
    NodeSource,
    check_proof_hashes,
    inclusion_proof,
    node_hash,
    range_hash,
    split_point,
    verify_inclusion,
)


def is_valid_subtree(start: int, end: int) -> bool:
    """``0 <= start <= end`` and ``start`` is a multiple of BIT_CEIL(end - start) (draft §4.1)."""
    if start < 0 or end < start:
        return False
    size = end - start
    ceiling = 1 if size <= 1 else 1 << (size - 1).bit_length()
    return start % ceiling == 0


def _require_subtree(start: int, end: int, size: int | None = None) -> None:
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")
    if size is not None and end > size:
        raise ProofError(f"subtree [{start}, {end}) reaches beyond a tree of size {size}")


def subtree_hash(source: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) of a valid subtree, from complete-subtree hashes."""
    _require_subtree(start, end)
    if start == end:
        return EMPTY_TREE_HASH
    return range_hash(source, start, end)


class _Shifted:
    """A view of a source re-rooted at an aligned ``start``, so RFC 9162 PATH works inside a subtree."""

    def __init__(self, source: NodeSource, start: int) -> None:
        self._source = source
        self._start = start

    def node(self, level: int, index: int) -> bytes:
        return self._source.node(level, (self._start >> level) + index)


def subtree_inclusion_proof(source: NodeSource, index: int, start: int, end: int) -> list[bytes]:
    """Draft §4.3: the RFC 9162 inclusion proof of entry ``index`` within D[start:end]."""
    _require_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"entry {index} is outside the subtree [{start}, {end})")
    return inclusion_proof(_Shifted(source, start), index - start, end - start)


def verify_subtree_inclusion(
    leaf: bytes, index: int, start: int, end: int, proof: Sequence[bytes], subtree_root: bytes
) -> None:
    """Draft §4.3.3: check that leaf hash ``leaf`` is entry ``index`` of the subtree ``[start, end)``."""
    _require_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"entry {index} is outside the subtree [{start}, {end})")
    verify_inclusion(leaf, index - start, end - start, proof, subtree_root)


def subtree_consistency_proof(source: NodeSource, start: int, end: int, size: int) -> list[bytes]:
    """Draft §4.4.1 SUBTREE_PROOF(start, end, D[size])."""
    _require_subtree(start, end, size)
    proof: list[bytes] = []
    if start == end:
        return proof
    low, high, complete = 0, size, True
    while not (start == low and end == high):
        split = split_point(high - low)
        middle = low + split
        level = split.bit_length() - 1
        if end <= middle:
            proof.append(range_hash(source, middle, high))
            high = middle
        else:
            proof.append(source.node(level, low >> level))
            if start < middle:
                # The subtree straddles the split, so it starts at ``low``; only its right part is followed.
                start = middle
                complete = False
            low = middle
    if not complete:
        proof.append(range_hash(source, low, high))
    proof.reverse()
    return proof


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes, root: bytes
) -> None:
    """Draft §4.4.3: check that the subtree ``[start, end)`` with hash ``subtree_root`` is part of the tree
    ``(size, root)``. An empty subtree is accepted only with an empty proof and the empty-tree hash."""
    _require_subtree(start, end, size)
    if start == end:
        if proof:
            raise ProofError("consistency proof for an empty subtree must be empty")
        if not hmac.compare_digest(subtree_root, EMPTY_TREE_HASH):
            raise ProofError("an empty subtree must hash to SHA-256 of the empty string")
        return
    check_proof_hashes(proof)
    fn, sn, tn = start, end - 1, size - 1
    if sn == tn:
        while fn != sn:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    else:
        while fn != sn and sn & 1:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    remaining = list(proof)
    if fn == sn:
        subtree_result = root_result = subtree_root
    else:
        if not remaining:
            raise ProofError(f"empty consistency proof for subtree [{start}, {end}) in size {size}")
        subtree_result = root_result = remaining.pop(0)
    for sibling in remaining:
        if tn == 0:
            raise ProofError(f"consistency proof for subtree [{start}, {end}) in size {size} has too many hashes")
        if sn & 1 or sn == tn:
            if fn < sn:
                subtree_result = node_hash(sibling, subtree_result)
            root_result = node_hash(sibling, root_result)
            while not sn & 1:
                fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
        else:
            root_result = node_hash(root_result, sibling)
        fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    if tn != 0:
        raise ProofError(f"consistency proof for subtree [{start}, {end}) in size {size} has too few hashes")
    if not hmac.compare_digest(subtree_result, subtree_root):
        raise ProofError(f"consistency proof does not lead to the hash of subtree [{start}, {end})")
    if not hmac.compare_digest(root_result, root):
        raise ProofError(f"consistency proof does not lead to the root of size {size}")
