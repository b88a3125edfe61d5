"""The redaction use cases: derive a public version and seal the original; the regulator opens and checks it.

Only the public version is hashed into the developer's statement (``document_sha256``); the statement also carries
the SHA-256 of the sealed original (``sealed_sha256``), so that the registry can keep the exact sealed bytes the
developer signed for.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.public_version import Mismatch, RedactionError, check_public_version, derive_public_text, new_salts
from candor.domain.regulator_keys import (
    load_regulator_private_key,
    load_regulator_public_key,
    regulator_key_fingerprint,
)
from candor.domain.sealing import MAX_SEALED_BYTES, SealedHeader, SealedOriginal, open_sealed, seal_original
from candor.errors import CandorError, SourceError
from candor.services.checking import read_disclosure

#: What ``candor redact`` adds to the document's name for the sealed original.
SEALED_SUFFIX = ".sealed"


@dataclass(frozen=True)
class RedactedDocument:
    """A public version and its sealed original, ready to write or publish."""

    public: ParsedDocument
    sealed: bytes

    @property
    def public_sha256(self) -> str:
        """SHA-256 of the public version's bytes: the statement's ``document_sha256``."""
        return hashlib.sha256(self.public.source.text.encode("utf-8")).hexdigest()

    @property
    def sealed_sha256(self) -> str:
        """SHA-256 of the sealed original's bytes: the statement's ``sealed_sha256``."""
        return hashlib.sha256(self.sealed).hexdigest()


def redact_document(document: ParsedDocument, regulator_key: X25519PublicKey) -> RedactedDocument:
    """Derive the public version of ``document`` and seal the original to ``regulator_key``."""
    salts = new_salts(len(document.redactions))
    public_text = derive_public_text(document, salts)
    public = parse_bytes(document.name, public_text.encode("utf-8"))
    if public.model.kind != document.model.kind:  # derivation touches only redactions; this guards that promise
        raise RedactionError(f"{document.name}: the public version no longer reads as a {document.model.kind}")
    # Read back with the same parser: every redaction must now be a placeholder, one for each passage marked.
    left = next((redaction for redaction in public.redactions if not redaction.is_placeholder), None)
    if left is not None or len(public.redactions) != len(document.redactions):
        raise RedactionError(
            f"{document.name}: the public version derived does not hold exactly one placeholder per marked passage"
            + ("" if left is None else f" (line {left.line} is still marked)")
        )
    header = SealedHeader(
        developer=document.model.developer,
        kind=document.model.kind,
        version=document.model.version,
        public_sha256=hashlib.sha256(public_text.encode("utf-8")).hexdigest(),
        regulator_key=regulator_key_fingerprint(regulator_key),
    )
    sealed = seal_original(header, document.source.text.encode("utf-8"), salts, regulator_key)
    return RedactedDocument(public, sealed)


@dataclass(frozen=True)
class RedactionOutput:
    """Where ``candor redact`` wrote the two files, and what the statement must carry."""

    public_path: Path
    sealed_path: Path
    redacted: RedactedDocument


class RedactOutputError(CandorError):
    """The public version or the sealed original cannot be written where asked."""


def redact_file(document_path: Path, regulator_key_path: Path, out_dir: Path) -> RedactionOutput:
    """``candor redact``: write ``DIR/<name>.md`` (public) and ``DIR/<name>.sealed``, creating DIR if needed; never
    overwrite either."""
    regulator_key = load_regulator_public_key(str(regulator_key_path), read_small_file(regulator_key_path))
    redacted = redact_document(read_disclosure(document_path), regulator_key)
    # Created when missing, as other tools do with an output directory; the files in it are still never replaced.
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RedactOutputError(f"{out_dir}: is not a directory", hint="choose another --out") from None
    except OSError as exc:
        raise RedactOutputError(f"{out_dir}: cannot create the directory ({exc.strerror})") from None
    stem = document_path.name.removesuffix(".md")
    public_path, sealed_path = out_dir / f"{stem}.md", out_dir / f"{stem}{SEALED_SUFFIX}"
    if public_path.resolve() == document_path.resolve():
        raise RedactOutputError(f"{public_path}: is the original; write the public version to another directory")
    # A second run draws new salts, so a pair of files must never be half replaced: refuse before writing either.
    for path in (public_path, sealed_path):
        if path.exists() or path.is_symlink():
            raise RedactOutputError(f"{path}: already exists; refusing to overwrite it", hint="choose another --out")
    _write_new(sealed_path, redacted.sealed)
    _write_new(public_path, redacted.public.source.text.encode("utf-8"))
    return RedactionOutput(public_path, sealed_path, redacted)


def regulator_key_fingerprint_of(path: Path) -> str:
    """The fingerprint of the regulator's public key in the PEM file ``path``."""
    return regulator_key_fingerprint(load_regulator_public_key(str(path), read_small_file(path)))


def open_sealed_file(sealed_path: Path, key_path: Path) -> SealedOriginal:
    """``candor regulator open``: the sealed original decrypted with the regulator's private key."""
    private_key = load_regulator_private_key(str(key_path), read_small_file(key_path))
    return open_sealed(read_small_file(sealed_path, MAX_SEALED_BYTES), private_key, str(sealed_path))


def check_redactions(sealed_path: Path, public_path: Path, key_path: Path) -> list[Mismatch]:
    """``candor regulator check-redactions``: how the public file departs from the sealed original (empty if not)."""
    opened = open_sealed_file(sealed_path, key_path)
    return check_opened(opened, read_disclosure(public_path), name=str(sealed_path))


def check_opened(opened: SealedOriginal, public: ParsedDocument, *, name: str) -> list[Mismatch]:
    """The mismatches between an opened sealed original and a public version."""
    original = parse_bytes(f"{name} (original)", opened.original)
    return check_public_version(original, opened.salts, public)


def read_small_file(path: Path, limit: int = 16 * 1024) -> bytes:
    """A whole file of at most ``limit`` bytes; a missing, unreadable or oversized one is a SourceError."""
    name = str(path)
    try:
        if path.is_dir():
            raise SourceError(name, "is a directory")
        size = path.stat().st_size
        if size > limit:
            raise SourceError(name, f"file is {size:,} bytes, over the limit of {limit:,} bytes")
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(name, "no such file") from None
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}") from None


def _write_new(path: Path, content: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError as exc:
        raise RedactOutputError(f"{path}: already exists; refusing to overwrite it") from exc
    except OSError as exc:
        raise RedactOutputError(f"{path}: cannot create ({exc.strerror})") from exc
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(content)
