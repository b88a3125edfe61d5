"""Sealed originals: only the regulator's key opens them, and any change to the file is caught."""

from __future__ import annotations

import pytest

from candor.domain.developer_keys import KeyFileError
from candor.domain.regulator_keys import (
    generate_regulator_key,
    load_regulator_private_key,
    load_regulator_public_key,
    regulator_key_fingerprint,
    regulator_private_pem,
    regulator_public_pem,
)
from candor.domain.sealing import (
    SEALED_FORMAT,
    SealedHeader,
    SealingError,
    open_sealed,
    read_sealed_header,
    seal_original,
)

ORIGINAL = b"---\nkind: certification\n---\nThe secret passage: Foundry Nine.\n"
SALTS = [bytes([index]) * 32 for index in range(3)]


def header_for(key_fingerprint: str, **changes: str) -> SealedHeader:
    fields = {
        "developer": "acme-ai",
        "kind": "certification",
        "version": "2026",
        "public_sha256": "ab" * 32,
        "regulator_key": key_fingerprint,
    }
    return SealedHeader.model_validate({**fields, **changes})


def test_round_trip_recovers_the_original_and_salts() -> None:
    key = generate_regulator_key()
    header = header_for(regulator_key_fingerprint(key.public_key()))
    raw = seal_original(header, ORIGINAL, SALTS, key.public_key())
    assert raw.startswith(SEALED_FORMAT.encode() + b"\n")
    assert b"Foundry Nine" not in raw
    opened = open_sealed(raw, key, "x.sealed")
    assert (opened.original, opened.salts, opened.header) == (ORIGINAL, tuple(SALTS), header)
    assert read_sealed_header(raw, "x.sealed") == header


def test_tampered_ciphertext_fails_to_open() -> None:
    key = generate_regulator_key()
    raw = bytearray(
        seal_original(header_for(regulator_key_fingerprint(key.public_key())), ORIGINAL, SALTS, key.public_key())
    )
    raw[-5] ^= 1
    with pytest.raises(SealingError, match="altered after sealing"):
        open_sealed(bytes(raw), key, "x.sealed")


def test_header_rebound_to_another_statement_fails_to_open() -> None:
    key = generate_regulator_key()
    fingerprint = regulator_key_fingerprint(key.public_key())
    raw = seal_original(header_for(fingerprint), ORIGINAL, SALTS, key.public_key())
    honest, forged = header_for(fingerprint).info(), header_for(fingerprint, version="2027").info()
    with pytest.raises(SealingError, match="altered after sealing"):
        open_sealed(forged + raw[len(honest) :], key, "x.sealed")


def test_wrong_regulator_key_is_named() -> None:
    key, other = generate_regulator_key(), generate_regulator_key()
    raw = seal_original(header_for(regulator_key_fingerprint(key.public_key())), ORIGINAL, SALTS, key.public_key())
    with pytest.raises(SealingError, match="not to this key"):
        open_sealed(raw, other, "x.sealed")


def test_wrong_key_with_a_forged_fingerprint_still_fails() -> None:
    key, other = generate_regulator_key(), generate_regulator_key()
    raw = seal_original(header_for(regulator_key_fingerprint(key.public_key())), ORIGINAL, SALTS, key.public_key())
    honest = header_for(regulator_key_fingerprint(key.public_key())).info()
    relabelled = header_for(regulator_key_fingerprint(other.public_key())).info() + raw[len(honest) :]
    with pytest.raises(SealingError, match="altered after sealing"):
        open_sealed(relabelled, other, "x.sealed")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not sealed\n{}\nxx", "not a sealed original"),
        (SEALED_FORMAT.encode() + b"\n{}", "ends inside its header"),
        (SEALED_FORMAT.encode() + b'\n{"developer":1}\nxx', "header is not valid"),
    ],
)
def test_malformed_sealed_files_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(SealingError, match=message):
        read_sealed_header(raw, "x.sealed")


def test_key_files_round_trip_and_refuse_the_wrong_kind() -> None:
    key = generate_regulator_key()
    loaded = load_regulator_private_key("k", regulator_private_pem(key))
    public = load_regulator_public_key("k.pub", regulator_public_pem(key.public_key()))
    assert regulator_key_fingerprint(loaded.public_key()) == regulator_key_fingerprint(public)
    with pytest.raises(KeyFileError, match="PRIVATE key"):
        load_regulator_public_key("k", regulator_private_pem(key))
    with pytest.raises(KeyFileError, match="not an unencrypted PEM private key"):
        load_regulator_private_key("k.pub", regulator_public_pem(key.public_key()))
