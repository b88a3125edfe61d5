"""Developer key files: PEM round trips and clear refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from candor.domain.developer_keys import (
    KeyFileError,
    generate_private_key,
    key_fingerprint,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_from_raw,
    public_key_pem,
    public_key_raw,
)


def test_pem_files_round_trip() -> None:
    key = generate_private_key()
    private_pem = private_key_pem(key)
    public_pem = public_key_pem(key.public_key())
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    loaded = load_private_key("key", private_pem)
    assert public_key_raw(loaded.public_key()) == public_key_raw(load_public_key("key.pub", public_pem))


def test_raw_public_key_round_trips_and_fingerprint_is_stable() -> None:
    public_key = generate_private_key().public_key()
    raw = public_key_raw(public_key)
    assert len(raw) == 32
    assert key_fingerprint(public_key_from_raw(raw)) == key_fingerprint(public_key)


def test_handing_the_registry_a_private_key_is_refused() -> None:
    with pytest.raises(KeyFileError, match="PRIVATE key"):
        load_public_key("key", private_key_pem(generate_private_key()))


def test_a_non_ed25519_key_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(KeyFileError, match="not an Ed25519 public key"):
        load_public_key("ec.pub", pem)


def test_garbage_is_not_a_key() -> None:
    with pytest.raises(KeyFileError, match="not a PEM public key"):
        load_public_key("notes.txt", b"hello")
    with pytest.raises(KeyFileError, match="not an unencrypted PEM private key"):
        load_private_key("notes.txt", b"hello")
