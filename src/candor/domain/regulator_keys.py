"""The regulator's X25519 key pair, to which redacted originals are sealed, and its file formats.

Like developers' keys, the files are PEM: the private key as unencrypted PKCS #8 (``-----BEGIN PRIVATE KEY-----``,
written with mode 0600 and meant to stay offline), the public key as SubjectPublicKeyInfo
(``-----BEGIN PUBLIC KEY-----``), which the regulator hands to every covered developer. ``openssl pkey`` reads both.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from candor.domain.pem_keys import (
    KeyFileError,
    load_private_pem,
    load_public_pem,
    private_pem,
    public_pem,
    wrong_key_type,
)

#: The regulator's key files are written in the shared PEM formats.
regulator_private_pem = private_pem
regulator_public_pem = public_pem


def generate_regulator_key() -> X25519PrivateKey:
    """A fresh X25519 key from the operating system's random source."""
    return X25519PrivateKey.generate()


def regulator_key_fingerprint(public_key: X25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key: names the key a sealed original was sealed to."""
    raw = public_key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_regulator_private_key(name: str, pem: bytes) -> X25519PrivateKey:
    """Read a private key file written by ``candor regulator keygen``."""
    key = load_private_pem(name, pem, keygen="candor regulator keygen")
    if not isinstance(key, X25519PrivateKey):
        raise wrong_key_type(name, key, "the regulator's X25519 private key")
    return key


def load_regulator_public_key(name: str, pem: bytes) -> X25519PublicKey:
    """Read the regulator's public key file (``OUT.pub`` from ``candor regulator keygen``)."""
    given_private = KeyFileError(name, "is a PRIVATE key; seal to the regulator's .pub file", hint="use OUT.pub")
    key = load_public_pem(name, pem, keygen="candor regulator keygen", if_private=given_private)
    if not isinstance(key, X25519PublicKey):
        raise wrong_key_type(name, key, "the regulator's X25519 public key")
    return key
