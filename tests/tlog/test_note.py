"""C2SP signed notes: Go's sumdb/note vectors, the spec's example, and the attacks the trust rules stop."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.tlog.errors import NoteError, NoteKeyError
from candor.tlog.note import (
    MAX_SIGNATURES,
    NoteSignature,
    Signer,
    Verifier,
    generate_key,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

# golang.org/x/mod/sumdb/note/note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# c2sp.org/signed-note: the example note (the spec publishes no verifier key for it).
SPEC_EXAMPLE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def note(*signature_lines: str) -> bytes:
    return (TEXT + "\n" + "".join(signature_lines)).encode()


def test_go_keys_parse_and_agree() -> None:
    signer = parse_signer_key(PETER_SKEY)
    verifier = parse_verifier_key(PETER_VKEY)
    assert signer.name == verifier.name == "PeterNeumann"
    assert signer.key_id == verifier.key_id == 0xC74F20A3
    assert signer.vkey() == PETER_VKEY
    assert signer.skey() == PETER_SKEY


def test_signing_reproduces_go_signature_bytes() -> None:
    assert sign_note(TEXT, parse_signer_key(PETER_SKEY)) == note(PETER_SIG)


def test_go_note_opens_with_one_of_two_keys_known() -> None:
    opened = open_note(note(PETER_SIG, ENOCH_SIG), [parse_verifier_key(PETER_VKEY)])
    assert opened.text == TEXT
    assert [sig.name for sig in opened.signatures] == ["PeterNeumann"]
    assert [(sig.name, sig.key_id) for sig in opened.unverified] == [("EnochRoot", 0xAF0CFE78)]


def test_go_note_opens_with_both_keys_known() -> None:
    verifiers = [parse_verifier_key(PETER_VKEY), parse_verifier_key(ENOCH_VKEY)]
    opened = open_note(note(PETER_SIG, ENOCH_SIG), verifiers)
    assert [sig.name for sig in opened.signatures] == ["PeterNeumann", "EnochRoot"]
    assert opened.unverified == ()
    assert all(opened.signed_by(verifier) for verifier in verifiers)


def test_rejects_note_signed_only_by_unknown_keys() -> None:
    with pytest.raises(NoteError, match="no valid signature from a trusted key"):
        open_note(note(PETER_SIG, ENOCH_SIG), [])


def test_rejects_note_with_forged_known_signature() -> None:
    forged = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="invalid signature for trusted key PeterNeumann"):
        open_note(note(forged), [parse_verifier_key(PETER_VKEY)])


def test_rejects_note_whose_known_signature_fails_even_next_to_a_valid_one() -> None:
    verifiers = [parse_verifier_key(PETER_VKEY), parse_verifier_key(ENOCH_VKEY)]
    forged_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    with pytest.raises(NoteError, match="EnochRoot"):
        open_note(note(PETER_SIG, forged_enoch), verifiers)


def test_rejects_note_with_altered_text() -> None:
    altered = note(PETER_SIG).replace(b"answer", b"anzwer")
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(altered, [parse_verifier_key(PETER_VKEY)])


def test_ignores_signature_that_shares_only_the_name_of_a_known_key() -> None:
    impostor = Signer("PeterNeumann", Ed25519PrivateKey.generate())
    signed = sign_note(TEXT, impostor, parse_signer_key(PETER_SKEY))
    opened = open_note(signed, [parse_verifier_key(PETER_VKEY)])
    assert [sig.key_id for sig in opened.signatures] == [0xC74F20A3]
    assert [sig.key_id for sig in opened.unverified] == [impostor.key_id]


def test_ignores_repeated_signatures() -> None:
    forged_unknown = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    opened = open_note(
        note(PETER_SIG, PETER_SIG, ENOCH_SIG, ENOCH_SIG, forged_unknown), [parse_verifier_key(PETER_VKEY)]
    )
    assert len(opened.signatures) == 1
    assert len(opened.unverified) == 2


def test_rejects_trusting_two_different_keys_under_one_name_and_id() -> None:
    real = parse_verifier_key(PETER_VKEY)

    class Colliding(Verifier):
        @property
        def key_id(self) -> int:
            return real.key_id

    with pytest.raises(NoteKeyError, match="ambiguous key"):
        open_note(note(PETER_SIG), [real, Colliding("PeterNeumann", bytes(32))])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "\u2014 Bad Name " + PETER_SIG[len("\u2014 PeterNeumann ") : -1],
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + "\u2014 PeterNeumann \n",
        TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",
        TEXT + "\n" + "- PeterNeumann " + PETER_SIG[len("\u2014 PeterNeumann ") :],
    ],
    ids=["no-signatures", "blank-only", "no-final-newline", "control-char", "space-in-name", "trailing-text",
         "empty-signature", "short-signature", "hyphen-not-em-dash"],
)  # fmt: skip
def test_rejects_malformed_notes(message: str) -> None:
    with pytest.raises(NoteError, match=r"malformed note|control character"):
        open_note(message.encode(), [parse_verifier_key(PETER_VKEY)])


def test_rejects_note_that_is_not_utf8() -> None:
    with pytest.raises(NoteError, match="not UTF-8"):
        open_note(b"\xff" + note(PETER_SIG), [parse_verifier_key(PETER_VKEY)])


def test_rejects_note_with_too_many_signatures() -> None:
    with pytest.raises(NoteError, match=f"more than {MAX_SIGNATURES}"):
        open_note(note(*[PETER_SIG] * (MAX_SIGNATURES + 1)), [parse_verifier_key(PETER_VKEY)])


def test_accepts_sixteen_signatures_as_the_spec_requires() -> None:
    signers = [Signer(f"witness{i}.example", Ed25519PrivateKey.generate()) for i in range(16)]
    signed = sign_note(TEXT, *signers)
    opened = open_note(signed, [signer.verifier() for signer in signers])
    assert len(opened.signatures) == 16


def test_spec_example_splits_text_at_the_last_blank_line() -> None:
    parsed = parse_note(SPEC_EXAMPLE.encode())
    assert (
        parsed.text
        == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 subito sera.\n"
    )
    assert parsed.signatures == ()
    [signature] = parsed.unverified
    assert signature.name == "quasimodo.example/salvatore"
    assert len(signature.signature) == 64
    with pytest.raises(NoteError, match="no valid signature"):
        open_note(SPEC_EXAMPLE.encode(), [parse_verifier_key(PETER_VKEY)])


def test_text_with_blank_lines_round_trips() -> None:
    signer = Signer("quasimodo.example/salvatore", Ed25519PrivateKey.generate())
    text = "Ognuno sta solo sul cuor della terra\n\ned \u00e8 subito sera.\n\n"
    assert open_note(sign_note(text, signer), [signer.verifier()]).text == text


@pytest.mark.parametrize("text", ["no final newline", "bell\x07\n", ""])
def test_refuses_to_sign_text_the_spec_forbids(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, parse_signer_key(PETER_SKEY))


def test_generated_keys_round_trip_in_go_format() -> None:
    skey, vkey = generate_key("example.com/log")
    assert skey.startswith("PRIVATE+KEY+example.com/log+")
    signer, verifier = parse_signer_key(skey), parse_verifier_key(vkey)
    assert signer.vkey() == vkey
    assert open_note(sign_note(TEXT, signer), [verifier]).text == TEXT


def test_key_id_follows_the_spec() -> None:
    verifier = parse_verifier_key(PETER_VKEY)
    assert key_id("PeterNeumann", 0x01, verifier.public_key) == 0xC74F20A3


def _manglings(key: str) -> list[str]:
    substrings = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)} - {key}
    bumped = {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    return sorted(substrings | bumped)


def test_rejects_every_mangled_verifier_key() -> None:
    for mangled in _manglings(PETER_VKEY):
        with pytest.raises(NoteKeyError):
            parse_verifier_key(mangled)


def test_rejects_every_mangled_signer_key() -> None:
    for mangled in _manglings(PETER_SKEY):
        with pytest.raises(NoteKeyError):
            parse_signer_key(mangled)


def test_rejects_verifier_key_of_wrong_length_or_unknown_type() -> None:
    with pytest.raises(NoteKeyError):
        parse_verifier_key("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteKeyError, match="signature type"):
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_rejects_invalid_key_names() -> None:
    for name in ["", "has space", "has+plus", "tab\tname"]:
        with pytest.raises(NoteKeyError):
            Signer(name, Ed25519PrivateKey.generate())


def test_signature_line_format() -> None:
    line = NoteSignature("example.com/log", 0x01020304, b"\xff" * 64).line()
    assert line.startswith("\u2014 example.com/log AQIDBP")
    assert line.endswith("\n")
