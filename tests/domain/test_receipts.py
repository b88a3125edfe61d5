"""Receipts: long enough, forgiving to type, and pinned by known answers so that no change of parameters goes unseen."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from candor.domain.receipts import (
    MAX_RECEIPT_INPUT_CHARS,
    RECEIPT_BITS,
    ReceiptError,
    derive_keys,
    new_receipt,
    read_receipt,
    stretch,
)

PEPPER = bytes(range(32))
RECEIPT = "7KQ2-9XWM-D3FH-0ABZ-TT4R-NNPV-8C"


def test_a_receipt_holds_at_least_120_random_bits_in_groups_of_four() -> None:
    assert RECEIPT_BITS >= 120
    receipts = {new_receipt() for _ in range(200)}
    assert len(receipts) == 200
    for receipt in receipts:
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{2}", receipt), receipt


def test_reading_forgives_case_spacing_and_look_alikes() -> None:
    canonical = read_receipt(RECEIPT)
    assert read_receipt(RECEIPT.lower().replace("-", " ")) == canonical
    assert read_receipt(RECEIPT.replace("0", "O")) == canonical


@pytest.mark.parametrize(
    "text", ["", "7KQ2", RECEIPT + "X", RECEIPT.replace("7", "U"), "x" * (MAX_RECEIPT_INPUT_CHARS + 1)]
)
def test_what_is_not_a_receipt_is_refused_with_one_message(text: str) -> None:
    with pytest.raises(ReceiptError, match=r"^that is not a receipt$"):
        read_receipt(text)


def test_known_answers_pin_argon2id_and_hkdf() -> None:
    """RFC 9106 parameters (t=3, p=4, 64 MiB) and the HKDF labels: any change would orphan every stored report."""
    stretched = stretch(read_receipt(RECEIPT), PEPPER)
    assert stretched.hex() == STRETCHED
    keys = derive_keys(stretched)
    assert keys.lookup_id == LOOKUP_ID
    public = keys.reporter_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert public.hex() == REPORTER_PUBLIC


def test_another_pepper_gives_another_lookup_id() -> None:
    receipt = read_receipt(RECEIPT)
    assert derive_keys(stretch(receipt, bytes(32))).lookup_id != derive_keys(stretch(receipt, PEPPER)).lookup_id


def test_a_short_pepper_is_refused() -> None:
    with pytest.raises(Exception, match="at least 32"):
        stretch(read_receipt(RECEIPT), b"short")


def test_the_libraries_give_the_rfcs_answers() -> None:
    """RFC 9106 §5.3 (Argon2id) and RFC 5869 A.1 (HKDF-SHA256), so the pinned values above rest on standard KDFs."""
    argon = Argon2id(
        salt=b"\x02" * 16, length=32, iterations=3, lanes=4, memory_cost=32, ad=b"\x04" * 12, secret=b"\x03" * 8
    )
    assert argon.derive(b"\x01" * 32).hex() == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
    hkdf = HKDF(algorithm=hashes.SHA256(), length=42, salt=bytes(range(13)), info=bytes(range(0xF0, 0xFA)))
    assert hkdf.derive(b"\x0b" * 22).hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


STRETCHED = "76ea6a9795379dd9e326fc5969858336fb7f64e14df7fac6fd49d3c49c8053a4"
LOOKUP_ID = "7eab8f67b6b2547aba3700a1bc7826e1e2290530366e8263ae4eaa244055f2b0"
REPORTER_PUBLIC = "aee3fc741fe724a4df8942a427df28c03c38fb428aef05e317e1d73142f4b72b"
