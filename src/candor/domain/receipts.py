"""The reporter's receipt: the only thing that links a reporter to a report, and the key to the regulator's replies.

A receipt is 130 random bits written as 26 characters of Crockford base32 in groups of four (``7KQ2-...``), easy to
copy and to read aloud; GlobaLeaks' audit found a 53-bit receipt too short, and 120 bits is the floor asked for.
Reading one forgives case, spaces, hyphens and the look-alikes Crockford names (O for 0, I and L for 1).

What the server keeps is derived from the receipt through Argon2id, salted with a *pepper* that lives in the
settings, never in the database: a stolen database alone cannot test receipts, even with unbounded guesses. From
the stretched receipt, HKDF-SHA256 derives two independent values: the *lookup id* under which the report is
found, and the reporter's X25519 key, to which the regulator's replies are sealed.

The Argon2id parameters are RFC 9106's second recommended option (t=3, p=4, 64 MiB) and are pinned by known-answer
tests; changing them changes every lookup id, so they are part of the format (``candor-receipt/v1``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from candor.errors import CandorError

RECEIPT_FORMAT: Final = "candor-receipt/v1"
#: 26 base32 characters, each 5 random bits: 130 bits in all.
RECEIPT_CHARS: Final = 26
RECEIPT_BITS: Final = RECEIPT_CHARS * 5
#: Anything longer is refused before any derivation: nobody types more than this for a 26-character receipt.
MAX_RECEIPT_INPUT_CHARS: Final = 64
ARGON2_ITERATIONS: Final = 3
ARGON2_LANES: Final = 4
ARGON2_MEMORY_KIB: Final = 64 * 1024
MIN_PEPPER_BYTES: Final = 32

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DECODE = {char: value for value, char in enumerate(_ALPHABET)}


class ReceiptError(CandorError):
    """A receipt that cannot be one: over-long, or with characters outside its alphabet."""


def new_receipt() -> str:
    """A fresh receipt, grouped for reading: ``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX``."""
    value = secrets.randbits(RECEIPT_BITS)
    chars = "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(RECEIPT_CHARS)))
    return "-".join(chars[i : i + 4] for i in range(0, RECEIPT_CHARS, 4))


def read_receipt(text: str) -> bytes:
    """The receipt's canonical bytes (its 26 characters, upper case), forgiving layout and look-alikes.

    Raises :class:`ReceiptError` for input over :data:`MAX_RECEIPT_INPUT_CHARS` before looking at it further, and
    for characters outside the alphabet or the wrong length.
    """
    if len(text) > MAX_RECEIPT_INPUT_CHARS:
        raise ReceiptError("that is not a receipt")
    compact = "".join(text.split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(compact) != RECEIPT_CHARS or any(char not in _DECODE for char in compact):
        raise ReceiptError("that is not a receipt")
    return compact.encode("ascii")


def check_pepper(pepper: bytes) -> None:
    if len(pepper) < MIN_PEPPER_BYTES:
        raise CandorError(f"the receipt pepper must hold at least {MIN_PEPPER_BYTES} random bytes")


def stretch(receipt: bytes, pepper: bytes) -> bytes:
    """Argon2id of the receipt, salted from the pepper: costly per guess, and useless without the settings."""
    check_pepper(pepper)
    salt = hmac.new(pepper, RECEIPT_FORMAT.encode(), hashlib.sha256).digest()[:16]
    kdf = Argon2id(
        salt=salt, length=32, iterations=ARGON2_ITERATIONS, lanes=ARGON2_LANES, memory_cost=ARGON2_MEMORY_KIB
    )
    return kdf.derive(receipt)


@dataclass(frozen=True)
class ReceiptKeys:
    """What a stretched receipt gives: where the report is found, and the key its replies are sealed to."""

    lookup_id: str
    reporter_key: X25519PrivateKey


def derive_keys(stretched: bytes) -> ReceiptKeys:
    lookup = _hkdf(stretched, b"lookup id")
    reporter = _hkdf(stretched, b"reporter key")
    return ReceiptKeys(lookup.hex(), X25519PrivateKey.from_private_bytes(reporter))


def _hkdf(secret: bytes, label: bytes) -> bytes:
    info = RECEIPT_FORMAT.encode() + b" " + label
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def decoy_receipt() -> bytes:
    """A receipt-shaped value to stretch when the input was no receipt, so that the answer costs the same."""
    return os.urandom(RECEIPT_CHARS).hex()[:RECEIPT_CHARS].upper().encode("ascii")
