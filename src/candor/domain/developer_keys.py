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

from candor.errors import CandorError

#: Raw Ed25519 public keys are 32 bytes (RFC 8032).
PUBLIC_KEY_BYTES = 32

# Key files are a few hundred bytes; anything far larger is not a key file.
_MAX_KEY_FILE_BYTES = 16 * 1024


class KeyFileError(CandorError):
    """A key file that cannot be read as the expected kind of Ed25519 key."""

    def __init__(self, name: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{name}: {message}", hint=hint)
        self.name = name


def generate_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key from the operating system's random source."""
    return Ed25519PrivateKey.generate()


def private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    """The private key as an unencrypted PKCS #8 PEM block."""
    return private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as a SubjectPublicKeyInfo PEM block."""
    return public_key.public_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
    )


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
    _check_size(name, pem)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(
            name, "not an unencrypted PEM private key", hint="create one with `candor keygen OUT`"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(name, f"holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(name: str, pem: bytes) -> Ed25519PublicKey:
    """Read a public key file (``OUT.pub`` from ``candor keygen``, or any SubjectPublicKeyInfo Ed25519 PEM)."""
    _check_size(name, pem)
    if b"PRIVATE KEY" in pem:
        # Refuse loudly: a private key handed to the registry has leaked and must be replaced.
        raise KeyFileError(name, "is a PRIVATE key; give the registry only the .pub file", hint="generate a new key")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(
            name, "not a PEM public key", hint="use the OUT.pub file that `candor keygen` wrote"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(name, f"holds a {type(key).__name__}, not an Ed25519 public key")
    return key


def _check_size(name: str, pem: bytes) -> None:
    if len(pem) > _MAX_KEY_FILE_BYTES:
        raise KeyFileError(name, f"is {len(pem):,} bytes, too large for a key file")
