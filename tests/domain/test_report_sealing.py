"""Sealed reports open only for a reviewer, only as the report they were sealed for, and never after tampering."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.domain.regulator_keys import regulator_key_fingerprint
from candor.domain.report_sealing import (
    CHUNK_BYTES,
    MAX_ATTACHMENTS,
    SMALLEST_BUCKET,
    Attachment,
    ReportContents,
    ReportSealingError,
    bucket_size,
    open_message,
    open_report,
    seal_message,
    seal_report,
)

REVIEWER = X25519PrivateKey.generate()
OTHER_REVIEWER = X25519PrivateKey.generate()
CONTENTS = ReportContents("Statement 41 is false: the evaluation was never run.", (Attachment("memo.pdf", b"%PDF-1"),))


def _sealed(
    contents: ReportContents = CONTENTS, report_id: str = "r1", kind: str = "whistleblower"
) -> tuple[bytes, bytes]:
    sealed = seal_report(contents, report_id, kind, [REVIEWER.public_key(), OTHER_REVIEWER.public_key()])
    return sealed.ciphertext, sealed.wrapped_keys[regulator_key_fingerprint(REVIEWER.public_key())]


def test_each_reviewer_opens_the_report_as_it_was_sent() -> None:
    sealed = seal_report(CONTENTS, "r1", "whistleblower", [REVIEWER.public_key(), OTHER_REVIEWER.public_key()])
    for key in (REVIEWER, OTHER_REVIEWER):
        wrapped = sealed.wrapped_keys[regulator_key_fingerprint(key.public_key())]
        assert open_report(sealed.ciphertext, wrapped, key, "r1", "whistleblower") == CONTENTS


def test_a_key_that_is_not_a_reviewers_opens_nothing() -> None:
    ciphertext, wrapped = _sealed()
    with pytest.raises(ReportSealingError, match="does not open with this key"):
        open_report(ciphertext, wrapped, X25519PrivateKey.generate(), "r1", "whistleblower")


@pytest.mark.parametrize(("report_id", "kind"), [("r2", "whistleblower"), ("r1", "incident")])
def test_a_ciphertext_moved_to_another_report_or_kind_fails(report_id: str, kind: str) -> None:
    ciphertext, wrapped = _sealed()
    with pytest.raises(ReportSealingError):
        open_report(ciphertext, wrapped, REVIEWER, report_id, kind)
    # The data key alone, rewrapped for the other report, still cannot open this ciphertext: the stream is bound too.
    other_ciphertext, other_wrapped = _sealed(report_id=report_id, kind=kind)
    with pytest.raises(ReportSealingError):
        open_report(ciphertext, other_wrapped, REVIEWER, report_id, kind)
    assert open_report(other_ciphertext, other_wrapped, REVIEWER, report_id, kind) == CONTENTS


def test_every_flipped_byte_and_every_truncation_is_refused() -> None:
    big = ReportContents("x" * (2 * CHUNK_BYTES + 100))
    ciphertext, wrapped = _sealed(big)
    assert open_report(ciphertext, wrapped, REVIEWER, "r1", "whistleblower") == big
    for position in (0, 23, 24, CHUNK_BYTES, len(ciphertext) - 1):
        flipped = bytearray(ciphertext)
        flipped[position] ^= 1
        with pytest.raises(ReportSealingError):
            open_report(bytes(flipped), wrapped, REVIEWER, "r1", "whistleblower")
    sealed_chunk = CHUNK_BYTES + 17
    for cut in (24 + sealed_chunk, 24 + 2 * sealed_chunk, len(ciphertext) - 1, 10):
        with pytest.raises(ReportSealingError):
            open_report(ciphertext[:cut], wrapped, REVIEWER, "r1", "whistleblower")
    with pytest.raises(ReportSealingError, match="after its final chunk"):
        open_report(ciphertext + ciphertext[24:], wrapped, REVIEWER, "r1", "whistleblower")


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=300_000))
def test_sizes_are_padded_to_buckets(length: int) -> None:
    size = bucket_size(length)
    assert size >= length + 8
    assert size == SMALLEST_BUCKET or size // 2 < length + 8
    assert size & (size - 1) == 0


def test_two_reports_in_one_bucket_have_ciphertexts_of_one_size() -> None:
    short, _ = _sealed(ReportContents("a"))
    longer, _ = _sealed(ReportContents("a" * 3000))
    assert len(short) == len(longer)


def test_limits_are_checked_before_anything_is_encrypted() -> None:
    with pytest.raises(ReportSealingError, match="at most"):
        _sealed(ReportContents("x", tuple(Attachment(f"{i}.txt", b"") for i in range(MAX_ATTACHMENTS + 1))))
    with pytest.raises(ReportSealingError, match="file name"):
        _sealed(ReportContents("x", (Attachment("../etc/passwd", b""),)))


def test_a_reply_opens_only_with_the_reporters_key_for_its_report_and_number() -> None:
    reporter = X25519PrivateKey.generate()
    sealed = seal_message("We have opened an investigation.", reporter.public_key(), "r1", 1)
    assert open_message(sealed, reporter, "r1", 1) == "We have opened an investigation."
    for key, report_id, number in ((X25519PrivateKey.generate(), "r1", 1), (reporter, "r2", 1), (reporter, "r1", 2)):
        with pytest.raises(ReportSealingError):
            open_message(sealed, key, report_id, number)
