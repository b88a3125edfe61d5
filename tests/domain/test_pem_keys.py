"""A key file of the wrong kind is named in words ("an RSA public key"), never by a library's class name."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from candor.domain.developer_keys import load_private_key, load_public_key
from candor.domain.pem_keys import KeyFileError, private_pem, public_pem
from candor.domain.regulator_keys import load_regulator_private_key, load_regulator_public_key

#: Keys of each kind, and the words an error must use for them.
KEYS: dict[str, tuple[Callable[[], PrivateKeyTypes], str]] = {
    "ed25519": (ed25519.Ed25519PrivateKey.generate, "an Ed25519 {part} key (a developer's signing key)"),
    "x25519": (x25519.X25519PrivateKey.generate, "an X25519 {part} key (a regulator's sealing key)"),
    "ed448": (ed448.Ed448PrivateKey.generate, "an Ed448 {part} key"),
    "x448": (x448.X448PrivateKey.generate, "an X448 {part} key"),
    "rsa": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "an RSA {part} key"),
    "ec": (lambda: ec.generate_private_key(ec.SECP256R1()), "an elliptic-curve (ECDSA) {part} key"),
}
#: A library class name: CamelCase words run together, such as X25519PublicKey or _RSAPrivateKey.
CLASS_NAME = re.compile(r"[A-Z][a-z0-9]*[A-Z][A-Za-z0-9]*Key\b|_[A-Za-z]+Key\b")


def _pems(kind: str) -> tuple[bytes, bytes]:
    key = KEYS[kind][0]()
    return private_pem(key), public_pem(key.public_key())  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [kind for kind in KEYS if kind != "ed25519"])
def test_a_developer_key_of_another_kind_is_named_in_words(kind: str) -> None:
    private, public = _pems(kind)
    words = KEYS[kind][1]
    with pytest.raises(KeyFileError) as refused:
        load_private_key("given.key", private)
    assert str(refused.value) == f"given.key: holds {words.format(part='private')}, not an Ed25519 private key"
    with pytest.raises(KeyFileError) as refused:
        load_public_key("given.pub", public)
    assert str(refused.value) == f"given.pub: holds {words.format(part='public')}, not an Ed25519 public key"
    assert not CLASS_NAME.search(str(refused.value))


@pytest.mark.parametrize("kind", [kind for kind in KEYS if kind != "x25519"])
def test_a_regulator_key_of_another_kind_is_named_in_words(kind: str) -> None:
    private, public = _pems(kind)
    words = KEYS[kind][1]
    with pytest.raises(KeyFileError) as refused:
        load_regulator_public_key("regulator.pub", public)
    message = str(refused.value)
    assert message == f"regulator.pub: holds {words.format(part='public')}, not the regulator's X25519 public key"
    assert not CLASS_NAME.search(message)
    with pytest.raises(KeyFileError, match=re.escape(words.format(part="private"))):
        load_regulator_private_key("regulator.key", private)


def test_the_class_name_pattern_finds_what_the_old_message_said() -> None:
    """The control: the words the errors used to print are what the pattern looks for."""
    assert CLASS_NAME.search("regulator.pub: holds a X25519PublicKey, not the regulator's key")
    assert CLASS_NAME.search("given.key: holds a _RSAPrivateKey, not an Ed25519 private key")
    assert not CLASS_NAME.search("holds an X25519 public key (a regulator's sealing key)")
