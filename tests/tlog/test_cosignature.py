"""tlog-cosignature/v1 (type 0x04): witness cosignatures over checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.tlog.checkpoint import Checkpoint, open_checkpoint
from candor.tlog.errors import NoteError, NoteKeyError
from candor.tlog.merkle import leaf_hash
from candor.tlog.note import (
    CosignatureSigner,
    Signer,
    cosignature_timestamp,
    key_id,
    open_note,
    parse_cosignature_verifier_key,
    parse_note,
    parse_verifier_key,
    sign_note,
)

SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIGNED = (
    SPEC_CHECKPOINT
    + "\n"
    + "\u2014 example.com/behind-the-sofa "
    + "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    + "\u2014 witness.example.com/w1 "
    + "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
NOW = 1_700_000_000


def witness() -> CosignatureSigner:
    return CosignatureSigner("witness.example.com/w1", Ed25519PrivateKey.generate(), clock=lambda: NOW)


def log_signer() -> Signer:
    return Signer("example.com/behind-the-sofa", Ed25519PrivateKey.generate())


def test_spec_example_cosignature_carries_the_spec_timestamp() -> None:
    parsed = parse_note(SPEC_COSIGNED.encode())
    assert parsed.text == SPEC_CHECKPOINT
    cosignature = parsed.unverified[1]
    assert cosignature.name == "witness.example.com/w1"
    assert len(cosignature.signature) == 8 + 64
    # The spec's signed-message example says "time 1679315147".
    assert cosignature_timestamp(cosignature) == 1679315147


def test_cosignature_signs_the_spec_message() -> None:
    private = Ed25519PrivateKey.generate()
    signer = CosignatureSigner("witness.example.com/w1", private, clock=lambda: 1679315147)
    signature = signer.sign(SPEC_CHECKPOINT.encode())
    assert signature[:8] == (1679315147).to_bytes(8, "big")
    expected_message = ("cosignature/v1\ntime 1679315147\n" + SPEC_CHECKPOINT).encode()
    private.public_key().verify(signature[8:], expected_message)  # raises if the message differs


def test_cosigned_checkpoint_verifies_with_log_and_witness_keys() -> None:
    log, cosigner = log_signer(), witness()
    signed = sign_note(SPEC_CHECKPOINT, log, cosigner)
    opened = open_note(signed, [log.verifier(), cosigner.verifier()])
    assert len(opened.signatures) == 2
    assert cosignature_timestamp(opened.signatures[1]) == NOW
    # The log verifier alone still accepts the checkpoint and ignores the cosignature.
    checkpoint = open_checkpoint(signed, log.verifier())
    assert checkpoint.size == 20852163


def test_cosignature_key_id_uses_type_0x04() -> None:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    cosigner = CosignatureSigner("witness.example.com/w1", private)
    assert cosigner.key_id == key_id("witness.example.com/w1", 0x04, public)
    assert cosigner.key_id != Signer("witness.example.com/w1", private).key_id
    vkey = cosigner.vkey()
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    assert parse_cosignature_verifier_key(vkey).key_id == cosigner.key_id


def test_rejects_cosignature_key_used_as_a_log_key_and_back() -> None:
    cosigner = witness()
    with pytest.raises(NoteKeyError, match="signature type 0x04"):
        parse_verifier_key(cosigner.vkey())
    with pytest.raises(NoteKeyError, match="signature type 0x01"):
        parse_cosignature_verifier_key(log_signer().vkey())


def test_rejects_cosignature_with_altered_timestamp() -> None:
    log, cosigner = log_signer(), witness()
    signed = sign_note(SPEC_CHECKPOINT, log, cosigner).decode()
    line = signed.splitlines()[-1]
    raw = bytearray(base64.b64decode(line.split(" ")[-1]))
    raw[4 + 7] ^= 1  # last byte of the timestamp: a witness claiming another time
    forged = signed.replace(line.split(" ")[-1], base64.b64encode(bytes(raw)).decode())
    with pytest.raises(NoteError, match=r"invalid signature for trusted key witness\.example\.com/w1"):
        open_note(forged.encode(), [log.verifier(), cosigner.verifier()])


def test_rejects_cosignature_moved_to_another_checkpoint() -> None:
    log, cosigner = log_signer(), witness()
    first = sign_note(SPEC_CHECKPOINT, log, cosigner).decode()
    other = Checkpoint("example.com/behind-the-sofa", 20852164, leaf_hash(b"fork")).to_text()
    second = sign_note(other, log).decode()
    cosignature_line = first.splitlines()[-1] + "\n"
    with pytest.raises(NoteError, match="invalid signature for trusted key witness"):
        open_note((second + cosignature_line).encode(), [log.verifier(), cosigner.verifier()])


def test_rejects_plain_ed25519_signature_posing_as_a_cosignature() -> None:
    private = Ed25519PrivateKey.generate()
    cosigner = CosignatureSigner("witness.example.com/w1", private, clock=lambda: NOW)

    class PlainWithCosignatureId(Signer):
        @property
        def key_id(self) -> int:
            return cosigner.key_id

    signed = sign_note(SPEC_CHECKPOINT, PlainWithCosignatureId("witness.example.com/w1", private))
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(signed, [cosigner.verifier()])
