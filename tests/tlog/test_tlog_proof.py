"""c2sp.org/tlog-proof@v1: the offline proof that travels with a document."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.errors import TlogProofError
from candor.tlog.merkle import MemoryTree, inclusion_proof, leaf_hash
from candor.tlog.note import CosignatureSigner, Signer, sign_note
from candor.tlog.proof import HEADER, format_tlog_proof, parse_tlog_proof, verify_tlog_proof

ORIGIN = "candor.example/log"
ENTRIES = [f"statement {i}".encode() for i in range(21)]

SPEC_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u2014 example.com/fancylog hI2DJw[...]1roloI=
"""


@pytest.fixture
def log() -> Signer:
    return Signer(ORIGIN, Ed25519PrivateKey.generate())


def proof_for(log: Signer, index: int, *, extra: bytes | None = None) -> str:
    tree = MemoryTree(leaf_hash(entry) for entry in ENTRIES)
    note = sign_checkpoint(Checkpoint(ORIGIN, tree.size, tree.root()), log)
    return format_tlog_proof(index, inclusion_proof(tree, index, tree.size), note, extra=extra)


def test_spec_example_parses() -> None:
    parsed = parse_tlog_proof(SPEC_EXAMPLE)
    assert parsed.index == 73894
    assert len(parsed.hashes) == 5
    assert parsed.hashes[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert parsed.extra is not None
    assert parsed.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert parsed.checkpoint.startswith(b"example.com/fancylog\n109482\n")


def test_format_follows_the_spec_layout(log: Signer) -> None:
    text = proof_for(log, 7, extra=b"context")
    lines = text.split("\n")
    assert lines[0] == HEADER
    assert lines[1] == "extra " + base64.b64encode(b"context").decode()
    assert lines[2] == "index 7"
    assert lines[3 + 5] == ""  # 21 leaves: five hashes, then the blank line, then the checkpoint
    assert lines[9] == ORIGIN
    assert "extra" not in proof_for(log, 7)


@pytest.mark.parametrize("index", [0, 1, 7, 16, 20])
def test_verifies_entry_at_its_index(log: Signer, index: int) -> None:
    proven = verify_tlog_proof(proof_for(log, index, extra=b"x"), ENTRIES[index], log.verifier())
    assert proven.index == index
    assert proven.checkpoint.size == len(ENTRIES)
    assert proven.extra == b"x"


def test_proof_with_witness_cosignature_still_verifies(log: Signer) -> None:
    tree = MemoryTree(leaf_hash(entry) for entry in ENTRIES)
    witness = CosignatureSigner("witness.example/w", Ed25519PrivateKey.generate())
    note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).to_text(), log, witness)
    text = format_tlog_proof(3, inclusion_proof(tree, 3, tree.size), note)
    assert verify_tlog_proof(text, ENTRIES[3], log.verifier()).index == 3


def test_requires_trusted_witness_cosignatures_when_asked(log: Signer) -> None:
    tree = MemoryTree(leaf_hash(entry) for entry in ENTRIES)
    body = Checkpoint(ORIGIN, tree.size, tree.root()).to_text()
    trusted = CosignatureSigner("witness.example/w", Ed25519PrivateKey.generate())
    stranger = CosignatureSigner("stranger.example/w", Ed25519PrivateKey.generate())
    hashes = inclusion_proof(tree, 3, tree.size)
    cosigned = format_tlog_proof(3, hashes, sign_note(body, log, trusted, stranger))
    uncosigned = format_tlog_proof(3, hashes, sign_note(body, log, stranger))

    proven = verify_tlog_proof(
        cosigned, ENTRIES[3], log.verifier(), witnesses=[trusted.verifier()], required_witnesses=1
    )
    assert proven.index == 3
    with pytest.raises(TlogProofError, match="0 trusted cosignatures, 1 required"):
        verify_tlog_proof(uncosigned, ENTRIES[3], log.verifier(), witnesses=[trusted.verifier()], required_witnesses=1)
    with pytest.raises(TlogProofError, match="1 trusted cosignatures, 2 required"):
        verify_tlog_proof(cosigned, ENTRIES[3], log.verifier(), witnesses=[trusted.verifier()], required_witnesses=2)


def test_rejects_proof_for_a_different_document(log: Signer) -> None:
    with pytest.raises(TlogProofError, match="not proven at index 3"):
        verify_tlog_proof(proof_for(log, 3), b"a document the log never saw", log.verifier())


def test_rejects_proof_moved_to_another_index(log: Signer) -> None:
    text = proof_for(log, 3).replace("index 3\n", "index 2\n")
    with pytest.raises(TlogProofError, match="not proven"):
        verify_tlog_proof(text, ENTRIES[3], log.verifier())


def test_rejects_proof_with_checkpoint_signed_by_a_different_key(log: Signer) -> None:
    impostor = Signer(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(TlogProofError, match="checkpoint rejected"):
        verify_tlog_proof(proof_for(impostor, 3), ENTRIES[3], log.verifier())


def test_rejects_proof_with_a_tampered_hash(log: Signer) -> None:
    text = proof_for(log, 3)
    line = text.split("\n")[2]
    raw = bytearray(base64.b64decode(line))
    raw[0] ^= 1
    tampered = text.replace(line, base64.b64encode(bytes(raw)).decode(), 1)
    with pytest.raises(TlogProofError, match="not proven"):
        verify_tlog_proof(tampered, ENTRIES[3], log.verifier())


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace(HEADER, "c2sp.org/tlog-proof@v2"), "must start with"),
        (lambda t: t.replace("index 3\n", "index 03\n"), "must be 'index N'"),
        (lambda t: t.replace("index 3\n", ""), "must be 'index N'"),
        (lambda t: t.split("\n\n")[0] + "\n", "no blank line"),
        (lambda t: t.replace("index 3\n", "index 3\nnot base64!\n"), "not valid base64"),
        (lambda t: t.replace("index 3\n", "index 3\nAAAA\n"), "not a 32-byte hash"),
        (lambda t: t.replace(HEADER + "\n", HEADER + "\nextra %%%\n"), "extra data is not valid base64"),
    ],
    ids=["wrong-header", "leading-zero-index", "missing-index", "no-blank-line", "bad-hash", "short-hash", "bad-extra"],
)
def test_rejects_malformed_proofs(log: Signer, mangle: Callable[[str], str], message: str) -> None:
    with pytest.raises(TlogProofError, match=message):
        parse_tlog_proof(mangle(proof_for(log, 3)))


def test_rejects_proof_that_is_not_utf8() -> None:
    with pytest.raises(TlogProofError, match="not UTF-8"):
        parse_tlog_proof(b"\xff" + SPEC_EXAMPLE.encode())
