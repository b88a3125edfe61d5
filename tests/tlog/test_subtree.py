"""Subtrees (draft-ietf-plants-merkle-tree-certs §4): the draft's accumulated vectors, properties, attacks."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.tlog.errors import ProofError
from candor.tlog.merkle import EMPTY_TREE_HASH, MemoryTree, consistency_proof, inclusion_proof, leaf_hash, tree_hash
from candor.tlog.subtree import (
    is_valid_subtree,
    subtree_consistency_proof,
    subtree_hash,
    subtree_inclusion_proof,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

# Appendix C: leaves d[i] = the single byte i, trees up to 130 entries.
DRAFT_TREE = MemoryTree(leaf_hash(bytes([i])) for i in range(130))


def valid_subtrees(end_max: int) -> list[tuple[int, int]]:
    return [(start, end) for end in range(end_max + 1) for start in range(end + 1) if is_valid_subtree(start, end)]


def test_subtree_validity_follows_bit_ceil_alignment() -> None:
    assert is_valid_subtree(4, 8)
    assert is_valid_subtree(8, 13)
    assert is_valid_subtree(5, 5)
    assert is_valid_subtree(0, 13)
    assert not is_valid_subtree(1, 5)  # the draft's misaligned example
    assert not is_valid_subtree(2, 6)
    assert not is_valid_subtree(3, 2)


def test_draft_appendix_c1_subtree_hashes() -> None:
    rolling = hashlib.sha256()
    for start, end in valid_subtrees(130):
        rolling.update(f"[{start}, {end}) {subtree_hash(DRAFT_TREE, start, end).hex()}\n".encode())
    assert rolling.hexdigest() == "b82806ad4265bb151c1119c0f4db437bb4d1a1f887b3a7fba1cd4ebf552e3e81"


def test_draft_appendix_c2_subtree_inclusion_proofs() -> None:
    rolling = hashlib.sha256()
    for start, end in valid_subtrees(130):
        for index in range(start, end):
            proof = subtree_inclusion_proof(DRAFT_TREE, index, start, end)
            rolling.update((f"{index} [{start}, {end})" + "".join(f" {p.hex()}" for p in proof) + "\n").encode())
    assert rolling.hexdigest() == "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


def test_draft_appendix_c3_subtree_consistency_proofs() -> None:
    rolling = hashlib.sha256()
    subtrees = valid_subtrees(130)
    for size in range(131):
        root = tree_hash(DRAFT_TREE, size)
        for start, end in subtrees:
            if end > size:
                continue
            proof = subtree_consistency_proof(DRAFT_TREE, start, end, size)
            rolling.update((f"[{start}, {end}) {size}" + "".join(f" {p.hex()}" for p in proof) + "\n").encode())
            verify_subtree_consistency(start, end, size, proof, subtree_hash(DRAFT_TREE, start, end), root)
    assert rolling.hexdigest() == "10fa99b37bf9bf9ffa26b412fbd98bd75363256d0b75d61bc4538b9c9c5a0a74"


def test_draft_example_proof_for_4_8_in_a_tree_of_14() -> None:
    proof = subtree_consistency_proof(DRAFT_TREE, 4, 8, 14)
    assert proof == [subtree_hash(DRAFT_TREE, 0, 4), subtree_hash(DRAFT_TREE, 8, 14)]


def test_subtree_proofs_generalise_rfc_proofs() -> None:
    for size in range(1, 40):
        for old in range(1, size + 1):
            assert subtree_consistency_proof(DRAFT_TREE, 0, old, size) == consistency_proof(DRAFT_TREE, old, size)
        for index in range(size):
            assert subtree_consistency_proof(DRAFT_TREE, index, index + 1, size) == inclusion_proof(
                DRAFT_TREE, index, size
            )


@st.composite
def subtree_in_tree(draw: st.DrawFn) -> tuple[int, int, int]:
    size = draw(st.integers(min_value=1, max_value=130))
    start, end = draw(st.sampled_from([(s, e) for s, e in valid_subtrees(size) if s < e]))
    return start, end, size


@settings(max_examples=100, deadline=None)
@given(subtree_in_tree(), st.integers(min_value=0))
def test_subtree_consistency_rejects_any_flipped_bit(case: tuple[int, int, int], bit: int) -> None:
    start, end, size = case
    proof = subtree_consistency_proof(DRAFT_TREE, start, end, size)
    node, root = subtree_hash(DRAFT_TREE, start, end), tree_hash(DRAFT_TREE, size)
    verify_subtree_consistency(start, end, size, proof, node, root)
    changed = bytearray(node)
    changed[(bit // 8) % 32] ^= 1 << (bit % 8)
    with pytest.raises(ProofError):
        verify_subtree_consistency(start, end, size, proof, bytes(changed), root)
    if proof:
        position = bit % len(proof)
        forged = bytearray(proof[position])
        forged[(bit // 8) % 32] ^= 1 << (bit % 8)
        with pytest.raises(ProofError):
            verify_subtree_consistency(
                start, end, size, [*proof[:position], bytes(forged), *proof[position + 1 :]], node, root
            )


def test_rejects_misaligned_subtree() -> None:
    with pytest.raises(ProofError, match="not a valid subtree"):
        verify_subtree_consistency(1, 5, 8, [], EMPTY_TREE_HASH, EMPTY_TREE_HASH)
    with pytest.raises(ProofError, match="not a valid subtree"):
        subtree_hash(DRAFT_TREE, 2, 6)


def test_rejects_subtree_beyond_the_tree() -> None:
    with pytest.raises(ProofError, match="beyond"):
        verify_subtree_consistency(0, 9, 8, [], EMPTY_TREE_HASH, EMPTY_TREE_HASH)


def test_rejects_entry_outside_its_subtree() -> None:
    proof = subtree_inclusion_proof(DRAFT_TREE, 9, 8, 13)
    with pytest.raises(ProofError, match="outside"):
        verify_subtree_inclusion(leaf_hash(bytes([7])), 7, 8, 13, proof, subtree_hash(DRAFT_TREE, 8, 13))


def test_empty_subtree_needs_the_empty_hash_and_no_proof() -> None:
    verify_subtree_consistency(3, 3, 8, [], EMPTY_TREE_HASH, tree_hash(DRAFT_TREE, 8))
    with pytest.raises(ProofError):
        verify_subtree_consistency(3, 3, 8, [], leaf_hash(b"x"), tree_hash(DRAFT_TREE, 8))
    with pytest.raises(ProofError):
        verify_subtree_consistency(3, 3, 8, [EMPTY_TREE_HASH], EMPTY_TREE_HASH, tree_hash(DRAFT_TREE, 8))
