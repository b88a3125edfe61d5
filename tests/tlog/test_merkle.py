"""RFC 6962 tree heads and RFC 9162 proofs: properties, attacks and an independent implementation."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.tlog.errors import ProofError
from candor.tlog.merkle import (
    EMPTY_TREE_HASH,
    CompactRange,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    tree_hash,
    verify_consistency,
    verify_consistency_witness,
    verify_inclusion,
)


def naive_mth(entries: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written straight from the definition."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:])).digest()


def entries_of(size: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(size)]


def tree_of(size: int) -> MemoryTree:
    return MemoryTree(leaf_hash(entry) for entry in entries_of(size))


def flip(data: bytes, bit: int) -> bytes:
    position = bit % (len(data) * 8)
    changed = bytearray(data)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def test_hashing_uses_rfc6962_domain_separation() -> None:
    assert leaf_hash(b"") == bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert hashlib.sha256(b"").digest() == EMPTY_TREE_HASH


def test_rfc6962_reference_roots() -> None:
    # The roots of the RFC 6962 test tree (Certificate Transparency's reference leaves), sizes 1..8.
    leaves = [b"", b"\x00", b"\x10", b" !", b"01", b"@ABC", b"PQRSTUVW", b"`abcdefghijklmno"]
    tree = MemoryTree(leaf_hash(leaf) for leaf in leaves)
    assert tree_hash(tree, 8).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert tree_hash(tree, 3).hex() == "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
    assert tree_hash(tree, 0) == EMPTY_TREE_HASH


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_tree_hash_equals_naive_mth(size: int) -> None:
    entries = entries_of(size)
    expected = naive_mth(entries)
    appended = MemoryTree()
    for entry in entries:
        appended.append(leaf_hash(entry))
    bulk = MemoryTree(leaf_hash(entry) for entry in entries)
    assert appended.root() == expected
    assert bulk.root() == expected
    assert root_from_leaf_hashes([leaf_hash(entry) for entry in entries]) == expected


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_a_compact_range_gives_the_root_of_every_prefix(size: int) -> None:
    # A stream checked against the checkpoints of every size it passes must get every prefix's root right.
    entries = entries_of(size)
    compact = CompactRange()
    assert compact.root() == EMPTY_TREE_HASH
    for count, entry in enumerate(entries, start=1):
        compact.append(leaf_hash(entry))
        assert compact.size == count
        assert compact.root() == naive_mth(entries[:count])


def test_every_prefix_of_a_tree_has_its_own_head() -> None:
    entries = entries_of(70)
    tree = tree_of(70)
    for size in range(71):
        assert tree_hash(tree, size) == naive_mth(entries[:size])


def test_extend_in_batches_matches_one_batch() -> None:
    hashes = [leaf_hash(entry) for entry in entries_of(1000)]
    tree = MemoryTree()
    for start in range(0, 1000, 37):
        tree.extend(hashes[start : start + 37])
    assert tree.size == 1000
    assert tree.root() == MemoryTree(hashes).root()


@st.composite
def sized_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=200))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=1, max_value=200))
    return draw(st.integers(min_value=1, max_value=new)), new


@settings(max_examples=150, deadline=None)
@given(sized_index(), st.integers(min_value=0))
def test_inclusion_proofs_verify_and_any_flipped_bit_fails(case: tuple[int, int], bit: int) -> None:
    size, index = case
    tree = tree_of(size)
    root, leaf = tree.root(), leaf_hash(entries_of(size)[index])
    proof = inclusion_proof(tree, index, size)
    verify_inclusion(leaf, index, size, proof, root)

    with pytest.raises(ProofError):
        verify_inclusion(flip(leaf, bit), index, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, flip(root, bit))
    if proof:
        position = bit % len(proof)
        forged = [*proof[:position], flip(proof[position], bit // len(proof)), *proof[position + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, forged, root)


@settings(max_examples=150, deadline=None)
@given(two_sizes(), st.integers(min_value=0))
def test_consistency_proofs_verify_and_any_flipped_bit_fails(sizes: tuple[int, int], bit: int) -> None:
    old, new = sizes
    tree = tree_of(new)
    old_root, new_root = tree_hash(tree, old), tree_hash(tree, new)
    proof = consistency_proof(tree, old, new)
    verify_consistency(old, new, proof, old_root, new_root)

    with pytest.raises(ProofError):
        verify_consistency(old, new, proof, flip(old_root, bit), new_root)
    with pytest.raises(ProofError):
        verify_consistency(old, new, proof, old_root, flip(new_root, bit))
    if proof:
        position = bit % len(proof)
        forged = [*proof[:position], flip(proof[position], bit // len(proof)), *proof[position + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(old, new, forged, old_root, new_root)


def test_rejects_inclusion_proof_for_a_different_position() -> None:
    tree = tree_of(13)
    proof = inclusion_proof(tree, 4, 13)
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(entries_of(13)[4]), 5, 13, proof, tree.root())


def test_rejects_inclusion_proof_with_an_extra_hash() -> None:
    tree = tree_of(13)
    proof = inclusion_proof(tree, 4, 13)
    with pytest.raises(ProofError, match="too many"):
        verify_inclusion(leaf_hash(entries_of(13)[4]), 4, 13, [*proof, tree.root()], tree.root())


def test_rejects_inclusion_proof_cut_short() -> None:
    tree = tree_of(13)
    proof = inclusion_proof(tree, 4, 13)
    with pytest.raises(ProofError, match="too few"):
        verify_inclusion(leaf_hash(entries_of(13)[4]), 4, 13, proof[:-1], tree.root())


def test_rejects_proof_hash_of_the_wrong_length() -> None:
    tree = tree_of(5)
    proof = inclusion_proof(tree, 0, 5)
    with pytest.raises(ProofError, match="not 32"):
        verify_inclusion(leaf_hash(b"entry 0"), 0, 5, [proof[0][:31], *proof[1:]], tree.root())


def test_rejects_forked_log_in_consistency() -> None:
    honest = tree_of(20)
    forked_entries = entries_of(20)
    forked_entries[3] = b"rewritten history"
    forked = MemoryTree(leaf_hash(entry) for entry in forked_entries)
    proof = consistency_proof(forked, 10, 20)
    with pytest.raises(ProofError):
        verify_consistency(10, 20, proof, tree_hash(honest, 10), forked.root())


def test_rejects_shrinking_tree() -> None:
    tree = tree_of(8)
    with pytest.raises(ProofError):
        verify_consistency(8, 4, [], tree.root(), tree_hash(tree, 4))
    with pytest.raises(ProofError):
        consistency_proof(tree, 8, 4)


def test_rejects_two_roots_for_one_size() -> None:
    tree = tree_of(8)
    verify_consistency(8, 8, [], tree.root(), tree.root())
    with pytest.raises(ProofError, match="two different roots"):
        verify_consistency(8, 8, [], tree.root(), tree_hash(tree, 7))


def test_consistency_from_the_empty_tree_is_refused_by_rfc_and_accepted_by_witness() -> None:
    tree = tree_of(8)
    assert consistency_proof(tree, 0, 8) == []
    with pytest.raises(ProofError, match="empty tree proves nothing"):
        verify_consistency(0, 8, [], EMPTY_TREE_HASH, tree.root())
    verify_consistency_witness(0, 8, [], EMPTY_TREE_HASH, tree.root())
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency_witness(0, 8, [tree.root()], EMPTY_TREE_HASH, tree.root())


def test_witness_verifier_still_checks_nonzero_sizes() -> None:
    tree = tree_of(8)
    proof = consistency_proof(tree, 3, 8)
    verify_consistency_witness(3, 8, proof, tree_hash(tree, 3), tree.root())
    with pytest.raises(ProofError):
        verify_consistency_witness(3, 8, proof, tree_hash(tree, 4), tree.root())


def test_proof_requests_outside_the_tree_are_refused() -> None:
    tree = tree_of(8)
    with pytest.raises(ProofError):
        inclusion_proof(tree, 8, 8)
    with pytest.raises(ProofError):
        inclusion_proof(tree, 0, 9)  # leaf 8 does not exist yet
    with pytest.raises(ProofError):
        tree.node(0, 8)


class _CountingSource:
    """A node source that records which complete subtrees are asked for."""

    def __init__(self, tree: MemoryTree) -> None:
        self.tree = tree
        self.requests: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        self.requests.append((level, index))
        return self.tree.node(level, index)


def test_proofs_need_only_logarithmically_many_complete_subtrees() -> None:
    source = _CountingSource(tree_of(1_000))
    inclusion_proof(source, 517, 1_000)
    assert len(source.requests) <= 2 * 10
    source.requests.clear()
    consistency_proof(source, 333, 1_000)
    assert len(source.requests) <= 3 * 10


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 100])
def test_roots_and_proofs_match_pymerkle(size: int) -> None:
    # pymerkle (security on by default) hashes leaves and nodes with the RFC 6962 prefixes, so it must agree.
    pymerkle = pytest.importorskip("pymerkle")
    other = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in entries_of(size):
        other.append_entry(entry)
    tree = tree_of(size)
    assert other.get_root() == tree.root()
    for index in range(size):
        leaf = other.get_leaf(index + 1)  # pymerkle counts leaves from 1
        assert leaf == leaf_hash(entries_of(size)[index])
        theirs = other.prove_inclusion(index + 1)
        pymerkle.verify_inclusion(leaf, tree.root(), theirs)
        ours = inclusion_proof(tree, index, size)
        # pymerkle's path also carries the leaf itself; the sibling hashes are the same.
        path = [bytes.fromhex(item) for item in theirs.serialize()["path"]]
        assert len(path) == len(ours) + 1
        assert set(ours) <= set(path)
        verify_inclusion(leaf, index, size, ours, other.get_root())
    for old in range(1, size + 1):
        pymerkle.verify_consistency(tree_hash(tree, old), tree.root(), other.prove_consistency(old, size))
