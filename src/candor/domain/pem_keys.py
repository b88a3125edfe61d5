"""PEM key files, read and written one way for every kind of key Candor uses.

Private keys are unencrypted PKCS #8 (``-----BEGIN PRIVATE KEY-----``), public keys SubjectPublicKeyInfo
(``-----BEGIN PUBLIC KEY-----``): the formats OpenSSL and most tools read and write. Developers' Ed25519 signing
keys and the regulator's X25519 sealing key differ only in the key type and in the words of their errors.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from candor.errors import CandorError

#: Key files are a few hundred bytes; anything far larger is not a key file.
MAX_KEY_FILE_BYTES = 16 * 1024


class KeyFileError(CandorError):
    """A key file that cannot be read as the expected kind of key."""

    def __init__(self, name: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{name}: {message}", hint=hint)
        self.name = name


def private_pem(private_key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    """The private key as an unencrypted PKCS #8 PEM block."""
    return private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def public_pem(public_key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    """The public key as a SubjectPublicKeyInfo PEM block."""
    return public_key.public_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_pem(name: str, pem: bytes, *, keygen: str) -> PrivateKeyTypes:
    """Any private key from an unencrypted PEM file; ``keygen`` is the command that creates the right kind."""
    _check_size(name, pem)
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(name, "not an unencrypted PEM private key", hint=f"create one with `{keygen} OUT`") from exc


def load_public_pem(name: str, pem: bytes, *, keygen: str, if_private: KeyFileError) -> PublicKeyTypes:
    """Any public key from a PEM file; ``if_private`` is the error for a private key given instead."""
    _check_size(name, pem)
    if b"PRIVATE KEY" in pem:
        raise if_private
    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(name, "not a PEM public key", hint=f"use the OUT.pub file that `{keygen}` wrote") from exc


def wrong_key_type(name: str, key: PrivateKeyTypes | PublicKeyTypes, expected: str) -> KeyFileError:
    """The error for a key file that holds another kind of key than ``expected`` (e.g. "an Ed25519 public key")."""
    return KeyFileError(name, f"holds {describe_key(key)}, not {expected}")


#: Each key algorithm in words, and what Candor uses it for, if anything: never a library's class name.
_ALGORITHMS: tuple[tuple[type, type, str], ...] = (
    (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, "an Ed25519 {part} key (a developer's signing key)"),
    (x25519.X25519PrivateKey, x25519.X25519PublicKey, "an X25519 {part} key (a regulator's sealing key)"),
    (ed448.Ed448PrivateKey, ed448.Ed448PublicKey, "an Ed448 {part} key"),
    (x448.X448PrivateKey, x448.X448PublicKey, "an X448 {part} key"),
    (rsa.RSAPrivateKey, rsa.RSAPublicKey, "an RSA {part} key"),
    (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey, "an elliptic-curve (ECDSA) {part} key"),
)


def describe_key(key: PrivateKeyTypes | PublicKeyTypes) -> str:
    """The kind of ``key`` in words, e.g. "an RSA private key"."""
    for private, public, words in _ALGORITHMS:
        if isinstance(key, private):
            return words.format(part="private")
        if isinstance(key, public):
            return words.format(part="public")
    return "a key of a kind Candor does not use"  # DSA and finite-field DH: deprecated, not named here


def _check_size(name: str, pem: bytes) -> None:
    if len(pem) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(name, f"is {len(pem):,} bytes, too large for a key file")
