"""The regulator's X25519 key pair, to which redacted originals are sealed, and its file formats.

Like developers' keys, the files are PEM: the private key as unencrypted PKCS #8 (``-----BEGIN PRIVATE KEY-----``,
written with mode 0600 and meant to stay offline), the public key as SubjectPublicKeyInfo
(``-----BEGIN PUBLIC KEY-----``), which the regulator hands to every covered developer. ``openssl pkey`` reads both.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from candor.domain.developer_keys import KeyFileError

# Key files are a few hundred bytes; anything far larger is not a key file.
_MAX_KEY_FILE_BYTES = 16 * 1024


def generate_regulator_key() -> X25519PrivateKey:
    """A fresh X25519 key from the operating system's random source."""
    return X25519PrivateKey.generate()


def regulator_private_pem(private_key: X25519PrivateKey) -> bytes:
    """The private key as an unencrypted PKCS #8 PEM block."""
    return private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def regulator_public_pem(public_key: X25519PublicKey) -> bytes:
    """The public key as a SubjectPublicKeyInfo PEM block."""
    return public_key.public_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
    )


def regulator_key_fingerprint(public_key: X25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key: names the key a sealed original was sealed to."""
    raw = public_key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_regulator_private_key(name: str, pem: bytes) -> X25519PrivateKey:
    """Read a private key file written by ``candor regulator keygen``."""
    _check_size(name, pem)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(
            name, "not an unencrypted PEM private key", hint="create one with `candor regulator keygen OUT`"
        ) from exc
    if not isinstance(key, X25519PrivateKey):
        raise KeyFileError(name, f"holds a {type(key).__name__}, not the regulator's X25519 private key")
    return key


def load_regulator_public_key(name: str, pem: bytes) -> X25519PublicKey:
    """Read the regulator's public key file (``OUT.pub`` from ``candor regulator keygen``)."""
    _check_size(name, pem)
    if b"PRIVATE KEY" in pem:
        raise KeyFileError(name, "is a PRIVATE key; seal to the regulator's .pub file", hint="use OUT.pub")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(
            name, "not a PEM public key", hint="use the OUT.pub file that `candor regulator keygen` wrote"
        ) from exc
    if not isinstance(key, X25519PublicKey):
        raise KeyFileError(name, f"holds a {type(key).__name__}, not the regulator's X25519 public key")
    return key


def _check_size(name: str, pem: bytes) -> None:
    if len(pem) > _MAX_KEY_FILE_BYTES:
        raise KeyFileError(name, f"is {len(pem):,} bytes, too large for a key file")
