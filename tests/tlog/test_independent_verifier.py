"""An independent implementation (tlog-scales, from PyPI) reads and verifies what our log publishes."""

from __future__ import annotations

import random

import pytest
from tlog_scales import tiles as scales_tiles
from tlog_scales.backend import LocalBackend
from tlog_scales.reader import TilesReader
from tlog_scales.signing import Vkey
from tlog_scales.tlog import InclusionProofInvalid

from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import tree_hash


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalLog, list[int]]:
    log = LocalLog.create(tmp_path_factory.mktemp("indep") / "log", "example.com/independent")
    sizes = []
    for stop in (1, 257, 5_000, 70_000):
        start = log.size()
        log.append_many([f"statement {i}".encode() * (1 + i % 5) for i in range(start, stop)])
        sizes.append(log.publish().size)
    log.close()
    return log, sizes


def test_checkpoint_signature_and_root_verify_independently(published: tuple[LocalLog, list[int]]) -> None:
    log, _ = published
    reader = TilesReader(LocalBackend(log.public))
    checkpoint = reader.get_checkpoint()
    checkpoint.verify(Vkey.from_string(log.vkey()))
    assert checkpoint.origin == "example.com/independent"
    assert checkpoint.size == 70_000
    assert reader.calculate_root_hash() == checkpoint.root_hash


def test_entries_and_inclusion_proofs_verify_independently(published: tuple[LocalLog, list[int]]) -> None:
    log, _ = published
    reader = TilesReader(LocalBackend(log.public))
    checkpoint = reader.get_checkpoint()
    for index in [0, 255, 256, 65_535, 65_536, 69_999, *random.Random(7).sample(range(70_000), 20)]:
        entry = reader.get_entry(index)
        assert entry == f"statement {index}".encode() * (1 + index % 5)
        proof = reader.get_inclusion_proof(index, checkpoint.size)
        proof.check(scales_tiles.leaf_hash(entry), checkpoint.root_hash)
        with pytest.raises(InclusionProofInvalid):
            proof.check(scales_tiles.leaf_hash(entry + b"!"), checkpoint.root_hash)


def test_consistency_between_published_sizes_verifies_independently(published: tuple[LocalLog, list[int]]) -> None:
    log, sizes = published
    reader = TilesReader(LocalBackend(log.public))
    checkpoint = reader.get_checkpoint()
    with LocalLog.open(log.directory) as reopened:
        ours = reopened.reader()
        for old in sizes[:-1]:
            proof = reader.get_consistency_proof(old, checkpoint.size)
            proof.check(tree_hash(ours, old), checkpoint.root_hash)
