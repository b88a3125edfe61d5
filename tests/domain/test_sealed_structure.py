"""A sealed original cut short is refused by its length alone, before anyone holds the regulator's key."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.domain.regulator_keys import generate_regulator_key, regulator_key_fingerprint
from candor.domain.sealing import SealingError, check_sealed_structure, open_sealed, seal_original
from tests.domain.test_sealing import ORIGINAL, SALTS, header_for

KEY = generate_regulator_key()
SEALED = seal_original(header_for(regulator_key_fingerprint(KEY.public_key())), ORIGINAL, SALTS, KEY.public_key())
#: Where the encrypted part starts: after the format line and the header line.
BODY = SEALED.index(b"\n", SEALED.index(b"\n") + 1) + 1


def test_an_intact_sealed_original_passes_at_its_exact_least_length() -> None:
    # The bound is tight for this file: its original is exactly as long as the least the check allows.
    check_sealed_structure(SEALED, "sealed", salts=len(SALTS), least_original_bytes=len(ORIGINAL))
    assert open_sealed(SEALED, KEY, "sealed").original == ORIGINAL


@settings(max_examples=200)
@given(cut=st.integers(min_value=BODY, max_value=len(SEALED) - 1))
def test_every_truncation_is_refused_when_the_original_length_is_known(cut: int) -> None:
    with pytest.raises(SealingError, match="cut short"):
        check_sealed_structure(SEALED[:cut], "sealed", salts=len(SALTS), least_original_bytes=len(ORIGINAL))


@pytest.mark.parametrize("cut", [BODY, BODY + 1, BODY + 31])
def test_a_file_that_ends_inside_the_encapsulated_key_is_refused(cut: int) -> None:
    with pytest.raises(SealingError, match="encapsulated key"):
        check_sealed_structure(SEALED[:cut], "sealed", salts=0, least_original_bytes=0)


def test_missing_salts_are_counted_against_the_length() -> None:
    # Sealed with three salts; a public version with ten placeholders needs more bytes than this file has.
    with pytest.raises(SealingError, match="10 redaction salts"):
        check_sealed_structure(SEALED, "sealed", salts=10, least_original_bytes=0)
