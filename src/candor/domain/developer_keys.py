"""Developers' Ed25519 signing keys and their file formats.

Key files are PEM, the format OpenSSL and most tools read and write:

- the private key file holds ``-----BEGIN PRIVATE KEY-----`` (PKCS #8, unencrypted; the file itself is created
  with mode 0600, and the developer keeps it wherever their secrets live);
- the public key file (``OUT.pub``) holds ``-----BEGIN PUBLIC KEY-----`` (X.509 SubjectPublicKeyInfo). This is the
  file a developer hands to the registry.

``openssl pkey -in OUT -pubout`` prints the same public key, so a developer can check the pair with tools they
already trust. Inside the registry a public key is kept as its 32 raw bytes.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from candor.domain.pem_keys import (
    KeyFileError,
    load_private_pem,
    load_public_pem,
    private_pem,
    public_pem,
    wrong_key_type,
)

__all__ = [
    "PUBLIC_KEY_BYTES",
    "KeyFileError",
    "generate_private_key",
    "key_fingerprint",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_from_raw",
    "public_key_pem",
    "public_key_raw",
]

#: Raw Ed25519 public keys are 32 bytes (RFC 8032).
PUBLIC_KEY_BYTES = 32

#: A developer's key files are written in the shared PEM formats.
private_key_pem = private_pem
public_key_pem = public_pem


def generate_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key from the operating system's random source."""
    return Ed25519PrivateKey.generate()


def public_key_raw(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key, as the registry stores it."""
    return public_key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """A public key from its 32 raw bytes."""
    if len(raw) != PUBLIC_KEY_BYTES:
        raise KeyFileError("public key", f"is {len(raw)} bytes; a raw Ed25519 public key is {PUBLIC_KEY_BYTES}")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw public key: a short, stable name for a key in messages and pages."""
    return hashlib.sha256(public_key_raw(public_key)).hexdigest()


def load_private_key(name: str, pem: bytes) -> Ed25519PrivateKey:
    """Read a private key file written by ``candor keygen`` (or any PKCS #8 Ed25519 PEM)."""
    key = load_private_pem(name, pem, keygen="candor keygen")
    if not isinstance(key, Ed25519PrivateKey):
        raise wrong_key_type(name, key, "an Ed25519 private key")
    return key


def load_public_key(name: str, pem: bytes) -> Ed25519PublicKey:
    """Read a public key file (``OUT.pub`` from ``candor keygen``, or any SubjectPublicKeyInfo Ed25519 PEM)."""
    # Refuse loudly: a private key handed to the registry has leaked and must be replaced.
    leaked = KeyFileError(name, "is a PRIVATE key; give the registry only the .pub file", hint="generate a new key")
    key = load_public_pem(name, pem, keygen="candor keygen", if_private=leaked)
    if not isinstance(key, Ed25519PublicKey):
        raise wrong_key_type(name, key, "an Ed25519 public key")
    return key
