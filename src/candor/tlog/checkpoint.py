"""C2SP tlog-checkpoint: the signed tree head ``origin\\nsize\\nbase64(root)\\n``.

Our own log never writes extension lines (they are not auditable by monitors), and by default
:func:`parse_checkpoint` refuses them. Other logs may add them, so a caller verifying a *foreign* log
passes ``allow_extensions=True``: the lines are then kept verbatim in :attr:`Checkpoint.extensions`
(they are part of the signed text and of any cosigned message) but never interpreted; only origin, size
and root carry meaning. :func:`sign_checkpoint` refuses a checkpoint with extension lines.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from candor.tlog.errors import CheckpointError, CosignatureError, NoteError
from candor.tlog.merkle import HASH_SIZE
from candor.tlog.note import NoteSigner, NoteVerifier, check_note_text, open_note, parse_note, sign_note

_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = (1 << 64) - 1


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head at one size, named by the log's origin."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError(f"checkpoint origin {self.origin!r} must be one non-empty line")
        if not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"checkpoint size {self.size} is outside 0..2^64-1")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root is {len(self.root)} bytes, not {HASH_SIZE}")
        for line in self.extensions:
            if not line or "\n" in line:
                raise CheckpointError("checkpoint extension lines must be single non-empty lines")

    def to_text(self) -> str:
        """The note text: origin, size and base64 root, each on its own line, then any extension lines."""
        root = base64.b64encode(self.root).decode("ascii")
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))


def parse_checkpoint(text: str, *, allow_extensions: bool = False) -> Checkpoint:
    """Parse a checkpoint body strictly (see the module notes for extension lines)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint has {len(lines)} lines; it needs origin, size and root")
    origin, size, root, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint origin line is empty")
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"checkpoint size {size[:40]!r} is not a decimal number without leading zeros")
    try:
        root_hash = base64.b64decode(root.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise CheckpointError(f"checkpoint root {root[:60]!r} is not valid base64") from error
    if len(root_hash) != HASH_SIZE or base64.b64encode(root_hash).decode("ascii") != root:
        raise CheckpointError(f"checkpoint root {root[:60]!r} is not the base64 of a {HASH_SIZE}-byte hash")
    if extensions and not allow_extensions:
        raise CheckpointError(f"checkpoint has {len(extensions)} extension line(s); this log accepts none")
    if any(not line for line in extensions):
        raise CheckpointError("checkpoint has an empty extension line")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> bytes:
    """The signed checkpoint note. The signer's key name must be the origin, as the spec recommends."""
    if checkpoint.extensions:
        raise CheckpointError("our log signs no checkpoint with extension lines")
    if signer.name != checkpoint.origin:
        raise CheckpointError(f"key name {signer.name!r} does not match checkpoint origin {checkpoint.origin!r}")
    text = checkpoint.to_text()
    check_note_text(text)
    return sign_note(text, signer)


def open_checkpoint(
    note: bytes, verifier: NoteVerifier, *, origin: str | None = None, allow_extensions: bool = False
) -> Checkpoint:
    """Verify a signed checkpoint against the log's key and parse it.

    Only the log's own signature counts here; cosignatures and other signatures are ignored. The origin
    must be ``origin`` (by default the log key's name), so a checkpoint of another log signed with the
    same key is refused.
    """
    opened = open_note(note, [verifier])
    checkpoint = parse_checkpoint(opened.text, allow_extensions=allow_extensions)
    expected = verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} is not the expected {expected!r}")
    return checkpoint


def check_cosignatures(note: bytes, witnesses: Sequence[NoteVerifier], quorum: int) -> int:
    """How many of the trusted ``witnesses`` validly cosigned ``note``; at least ``quorum`` are required.

    A trusted witness whose cosignature does not verify rejects the note (the signed-note rules); cosignatures
    by keys not in ``witnesses`` are ignored, since nothing says who made them.
    """
    if not witnesses:
        if quorum > 0:
            raise CosignatureError(f"a quorum of {quorum} cosignatures needs the witnesses' keys")
        return 0
    trusted = {(witness.name, witness.key_id) for witness in witnesses}
    if not any((line.name, line.key_id) in trusted for line in parse_note(note).unverified):
        count = 0
    else:
        try:
            cosigned = open_note(note, witnesses)
        except NoteError as error:
            raise CosignatureError(f"checkpoint cosignatures rejected: {error.message}") from error
        count = sum(1 for witness in witnesses if cosigned.signed_by(witness))
    if count < quorum:
        raise CosignatureError(f"checkpoint has {count} trusted cosignatures, {quorum} required")
    return count
