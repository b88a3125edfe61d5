"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and tlog-cosignature/v1 witness cosignatures.

Key strings follow Go's ``golang.org/x/mod/sumdb/note`` exactly, so keys move between our tools and Go's:

* verifier key ("vkey"): ``<name>+<hex8 key id>+base64(type byte || public key)``;
* signer key: ``PRIVATE+KEY+<name>+<hex8 key id>+base64(0x01 || 32-byte Ed25519 seed)``;
* key id = SHA-256(name || 0x0A || type byte || public key)[:4], read big-endian.

Opening a note follows the spec's trust rules: signatures from unknown keys are ignored (a shared name
*or* id is not enough to be "known"), a known key whose signature fails rejects the whole note, and a
note without any verified signature from a known key is rejected.

A cosignature (type 0x04) signs ``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint text, and its
signature bytes are an 8-byte big-endian timestamp followed by the 64-byte Ed25519 signature. Because it
is checked over the same note text, a :class:`CosignatureVerifier` plugs into :func:`open_note` like any
other verifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from candor.tlog.errors import CosignatureError, NoteError, NoteKeyError

#: Signature type of plain Ed25519 note signatures.
ED25519 = 0x01
#: Signature type of timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature).
COSIGNATURE_V1 = 0x04

#: The spec asks verifiers to accept at least 16 signatures; Go's note package stops at 100.
MAX_SIGNATURES = 100
#: Upper bound on a whole note; checkpoints are a few hundred bytes, so this only stops abuse.
MAX_NOTE_SIZE = 1 << 20

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_PUBLIC_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_COSIGNATURE_HEADER = "cosignature/v1\n"
_MAX_TIMESTAMP = (1 << 63) - 1


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty and contain no Unicode space and no ``+``."""
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4] as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str) -> bytes:
    """Strict standard base64: right alphabet, right padding."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise ValueError(str(error)) from error


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class NoteSigner(Protocol):
    """Anything that can add a signature line to a note."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, text: bytes) -> bytes:
        """The signature bytes (after the 4-byte key id) over the note text."""
        ...


class NoteVerifier(Protocol):
    """Anything that can check a signature line of a note."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    @property
    def key_material(self) -> bytes:
        """Type byte followed by the public key: tells apart two verifiers that share name and id."""
        ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


class _NamedKey:
    """What every signer and verifier here shares: a checked key name, the Ed25519 public key, and the key id."""

    def __init__(self, name: str, signature_type: int, public_key: bytes) -> None:
        if not is_valid_key_name(name):
            raise NoteKeyError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")
        self._name = name
        self._public_key = public_key
        self._key_id = key_id(name, signature_type, public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public_key


class Signer(_NamedKey):
    """An Ed25519 note signer (type 0x01): a key name and a private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, ED25519, _public_bytes(private_key))
        self._private_key = private_key

    def sign(self, text: bytes) -> bytes:
        return self._private_key.sign(text)

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._private_key

    def verifier(self) -> Verifier:
        """The matching verifier."""
        return Verifier(self._name, self._public_key)

    def vkey(self) -> str:
        """The verifier key string to publish."""
        return self.verifier().vkey()

    def skey(self) -> str:
        """The signer key string, in Go's ``PRIVATE+KEY+...`` format. Keep it secret."""
        seed = self._private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return f"PRIVATE+KEY+{self._name}+{self._key_id:08x}+{_b64encode(bytes([ED25519]) + seed)}"


class Verifier(_NamedKey):
    """An Ed25519 note verifier (type 0x01)."""

    signature_type = ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        super().__init__(name, self.signature_type, public_key)
        if len(public_key) != _PUBLIC_KEY_SIZE:
            raise NoteKeyError(f"Ed25519 public key for {name} is {len(public_key)} bytes, not 32")
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @property
    def key_material(self) -> bytes:
        return bytes([self.signature_type]) + self._public_key

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def vkey(self) -> str:
        return f"{self._name}+{self._key_id:08x}+{_b64encode(self.key_material)}"

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the verifier key string: short enough to read aloud and compare out of band, and
        bound to the key's name as well as its bytes."""
        return hashlib.sha256(self.vkey().encode()).hexdigest()


def _cosigned_message(text: bytes, timestamp: int) -> bytes:
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n".encode() + text


class CosignatureVerifier(Verifier):
    """A tlog-cosignature/v1 verifier (type 0x04): a witness's Ed25519 key."""

    signature_type = COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + _ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return super().verify(_cosigned_message(text, timestamp), signature[8:])


class CosignatureSigner(_NamedKey):
    """Creates tlog-cosignature/v1 signatures, as a witness does after checking consistency."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, clock: Callable[[], float] = time.time) -> None:
        super().__init__(name, COSIGNATURE_V1, _public_bytes(private_key))
        self._private_key = private_key
        self._clock = clock

    def sign(self, text: bytes) -> bytes:
        return self.sign_at(text, int(self._clock()))

    def sign_at(self, text: bytes, timestamp: int) -> bytes:
        """A cosignature made at ``timestamp``: a witness reads its clock once, to check it against its last
        cosignature and to sign with that same time."""
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise CosignatureError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
        return timestamp.to_bytes(8, "big") + self._private_key.sign(_cosigned_message(text, timestamp))

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._public_key)

    def vkey(self) -> str:
        return self.verifier().vkey()


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The POSIX time at which a (verified) tlog-cosignature/v1 signature was made."""
    if len(signature.signature) != 8 + _ED25519_SIGNATURE_SIZE:
        raise CosignatureError(f"signature by {signature.name} is not a tlog-cosignature/v1 signature")
    return int.from_bytes(signature.signature[:8], "big")


def generate_key(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key pair as (signer key string, verifier key string)."""
    signer = Signer(name, Ed25519PrivateKey.generate())
    return signer.skey(), signer.vkey()


def _split_key(key: str, parts: int, what: str) -> list[str]:
    # The base64 field may itself contain '+', so split only at the first separators.
    fields = key.split("+", parts - 1)
    if len(fields) != parts:
        raise NoteKeyError(f"malformed {what}: expected {parts} '+'-separated fields")
    return fields


def _decode_key(name: str, hex_id: str, encoded: str, what: str) -> tuple[int, int, bytes]:
    if not is_valid_key_name(name):
        raise NoteKeyError(f"malformed {what}: invalid key name {name!r}")
    if not _HEX8.fullmatch(hex_id):
        raise NoteKeyError(f"malformed {what}: key id {hex_id!r} is not 8 hex digits")
    try:
        material = _b64decode(encoded)
    except ValueError as error:
        raise NoteKeyError(f"malformed {what}: key is not valid base64") from error
    if not material:
        raise NoteKeyError(f"malformed {what}: empty key")
    return int(hex_id, 16), material[0], material[1:]


def _parse_public_key(vkey: str, expected_type: int) -> tuple[str, bytes]:
    name, hex_id, encoded = _split_key(vkey, 3, "verifier key")
    declared_id, signature_type, public_key = _decode_key(name, hex_id, encoded, "verifier key")
    if signature_type != expected_type:
        raise NoteKeyError(
            f"verifier key {name} has signature type 0x{signature_type:02x}, expected 0x{expected_type:02x}"
        )
    if len(public_key) != _PUBLIC_KEY_SIZE:
        raise NoteKeyError(f"verifier key {name} holds {len(public_key)} key bytes, not 32")
    if key_id(name, signature_type, public_key) != declared_id:
        raise NoteKeyError(f"verifier key {name}: key id {hex_id} does not match the key")
    return name, public_key


def parse_verifier_key(vkey: str) -> Verifier:
    """An Ed25519 (type 0x01) verifier from ``name+hex8+base64(0x01 || public key)``."""
    return Verifier(*_parse_public_key(vkey.strip(), ED25519))


def parse_cosignature_verifier_key(vkey: str) -> CosignatureVerifier:
    """A witness verifier from ``name+hex8+base64(0x04 || public key)``."""
    return CosignatureVerifier(*_parse_public_key(vkey.strip(), COSIGNATURE_V1))


def parse_signer_key(skey: str) -> Signer:
    """An Ed25519 signer from Go's ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)``."""
    private, key, name, hex_id, encoded = _split_key(skey.strip(), 5, "signer key")
    if private != "PRIVATE" or key != "KEY":
        raise NoteKeyError("malformed signer key: it must start with PRIVATE+KEY+")
    declared_id, signature_type, seed = _decode_key(name, hex_id, encoded, "signer key")
    if signature_type != ED25519:
        raise NoteKeyError(f"signer key {name} has signature type 0x{signature_type:02x}, expected 0x01")
    if len(seed) != _PUBLIC_KEY_SIZE:
        raise NoteKeyError(f"signer key {name} holds {len(seed)} seed bytes, not 32")
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != declared_id:
        raise NoteKeyError(f"signer key {name}: key id {hex_id} does not match the key")
    return signer


def parse_cosignature_signer_key(skey: str) -> CosignatureSigner:
    """A witness's signer from the same ``PRIVATE+KEY+...`` string as any note key.

    Go's note package has no private-key form for cosignature keys, so a witness keeps an ordinary Ed25519 signer
    key and signs with type 0x04; its verifier key (``name+id+base64(0x04 || public key)``) is what logs and
    readers are given.
    """
    signer = parse_signer_key(skey)
    return CosignatureSigner(signer.name, signer.private_key)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key id and the signature bytes that follow the id."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        encoded = _b64encode(self.key_id.to_bytes(4, "big") + self.signature)
        return f"{_SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the signatures verified by trusted keys, and the others (ignored)."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...] = ()

    def signed_by(self, verifier: NoteVerifier) -> bool:
        return any(sig.name == verifier.name and sig.key_id == verifier.key_id for sig in self.signatures)


def check_note_text(text: str) -> None:
    """The text rules of the spec: it ends with a newline and holds no control character but newline.

    Empty lines inside the text are allowed: readers split a note at its LAST blank line and a signature
    block never contains one, so the split is unambiguous even for text that ends with an empty line.
    """
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if len(text.encode()) > MAX_NOTE_SIZE:
        raise NoteError(f"note text is larger than {MAX_NOTE_SIZE} bytes")
    _check_characters(text)


def _check_characters(text: str) -> None:
    for position, char in enumerate(text):
        if char < " " and char != "\n":
            raise NoteError(f"note holds control character U+{ord(char):04X} at offset {position}")


def sign_note(text: str, *signers: NoteSigner) -> bytes:
    """The signed note: text, a blank line, then one signature line per signer."""
    if not signers:
        raise NoteError("a note needs at least one signer")
    check_note_text(text)
    message = text.encode()
    lines = []
    for signer in signers:
        if not is_valid_key_name(signer.name):
            raise NoteKeyError(f"invalid key name {signer.name!r}")
        lines.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)).line())
    return (text + "\n" + "".join(lines)).encode()


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteError(f"malformed note: signature line {line[:40]!r} does not start with an em dash and a space")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not is_valid_key_name(name) or not encoded:
        raise NoteError(f"malformed note: bad signature line {line[:40]!r}")
    try:
        raw = _b64decode(encoded)
    except ValueError as error:
        raise NoteError(f"malformed note: signature by {name} is not valid base64") from error
    if len(raw) < 5:
        raise NoteError(f"malformed note: signature by {name} is too short")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _trusted_keys(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    trusted: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        known = trusted.get(slot)
        if known is not None and known.key_material != verifier.key_material:
            raise NoteKeyError(f"ambiguous key {verifier.name}+{verifier.key_id:08x}: two trusted keys share it")
        trusted[slot] = verifier
    return trusted


def _split_note(note: bytes) -> tuple[str, list[NoteSignature]]:
    if len(note) > MAX_NOTE_SIZE:
        raise NoteError(f"note is larger than {MAX_NOTE_SIZE} bytes")
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NoteError(f"malformed note: not UTF-8 at byte {error.start}") from error
    _check_characters(decoded)
    # The text is separated from the signatures by the LAST empty line; the text may hold empty lines.
    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("malformed note: the signature block must be non-empty and end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def parse_note(note: bytes) -> Note:
    """Parse a signed note WITHOUT verifying anything: every signature lands in ``unverified``.

    For display and diagnostics only; the spec says the text must be ignored until a trusted key's
    signature has been verified (use :func:`open_note`).
    """
    text, signatures = _split_note(note)
    return Note(text, (), tuple(dict.fromkeys(signatures)))


def open_note(note: bytes, verifiers: Iterable[NoteVerifier]) -> Note:
    """Parse a signed note and verify it against trusted keys (see the module notes for the rules)."""
    trusted = _trusted_keys(verifiers)
    text, signatures = _split_note(note)
    message = text.encode()
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for signature in signatures:
        verifier = trusted.get((signature.name, signature.key_id))
        if verifier is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if signature in verified:
            continue
        if not verifier.verify(message, signature.signature):
            raise NoteError(f"invalid signature for trusted key {signature.name}+{signature.key_id:08x}")
        verified.append(signature)
    if not verified:
        raise NoteError("note has no valid signature from a trusted key")
    return Note(text, tuple(verified), tuple(unverified))
