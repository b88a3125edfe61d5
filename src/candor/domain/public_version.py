"""The public version of a redacted document, and the regulator's check that it was honestly derived.

Derivation is deterministic given the salts: every marked passage is replaced by its placeholder and nothing
else changes. So whoever holds the original and the salts (the regulator, from the sealed original) can derive
the public version again and compare it byte for byte, and check every commitment on its own to name the one
that does not match.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from candor.domain.parse import ParsedDocument
from candor.domain.redaction import (
    SALT_BYTES,
    Redaction,
    RedactionForm,
    SizeBucket,
    commitment_of,
    quote_attribute,
)
from candor.errors import CandorError, DocumentError


class RedactionError(CandorError):
    """A document that cannot be redacted, or salts that do not fit its redactions."""


def new_salts(count: int) -> list[bytes]:
    """One fresh 32-byte salt per redaction, from the operating system's random source."""
    return [secrets.token_bytes(SALT_BYTES) for _ in range(count)]


def derive_public_text(document: ParsedDocument, salts: Sequence[bytes]) -> str:
    """The public version of ``document``: each marked passage replaced by its placeholder, in place."""
    marked = document.redactions
    if not marked:
        raise RedactionError(f"{document.name}: has nothing marked for redaction", hint="mark passages with ::: redact")
    if len(salts) != len(marked):
        raise RedactionError(f"{document.name}: {len(salts)} salts for {len(marked)} redactions")
    for redaction in marked:
        if redaction.is_placeholder:
            raise DocumentError(
                document.name, "already holds a redacted placeholder; redact the original instead", line=redaction.line
            )
        if redaction.justification is None:
            raise DocumentError(
                document.name,
                "a redaction must give its justification",
                line=redaction.line,
                hint='add justification="why this passage is withheld"',
            )
    text = document.source.text
    parts: list[str] = []
    position = 0
    for redaction, salt in sorted(zip(marked, salts, strict=True), key=lambda pair: pair[0].span):
        start, end = redaction.span
        parts.append(text[position:start])
        parts.append(_placeholder(redaction, salt, text[start:end]))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _placeholder(redaction: Redaction, salt: bytes, written: str) -> str:
    # Both are checked by the caller.
    assert redaction.text is not None
    assert redaction.justification is not None
    size = SizeBucket.of(redaction.text)
    commitment = commitment_of(salt, redaction.text)
    if redaction.form is RedactionForm.FRONT_MATTER:
        # A block-style YAML mapping's span runs up to the next key; keep that line break and indent.
        kept = written[len(written.rstrip()) :]
        justification = json.dumps(redaction.justification, ensure_ascii=False)
        fields = (
            f"category: {redaction.category}, justification: {justification}, "
            f"size: {json.dumps(size.value)}, commitment: {commitment}"
        )
        return "{redacted: {" + fields + "}}" + kept
    attributes = (
        f"category={redaction.category} justification={quote_attribute(redaction.justification)} "
        f"size={quote_attribute(size)} commitment={commitment}"
    )
    if redaction.form is RedactionForm.BLOCK:
        return f"::: redacted {attributes}\n{redaction.container}:::"
    return f"[redacted]{{.redacted {attributes}}}"


@dataclass(frozen=True)
class Mismatch:
    """One way in which a public version does not follow from the sealed original."""

    #: The public file's line, when the mismatch has one.
    line: int | None
    message: str


def check_public_version(original: ParsedDocument, salts: Sequence[bytes], public: ParsedDocument) -> list[Mismatch]:
    """Every commitment, category and justification of ``public`` checked against ``original``, then its text.

    An empty list means the public version is exactly the one derived from the original with these salts.
    """
    marked = original.redactions
    placeholders = public.redactions
    mismatches: list[Mismatch] = []
    if len(salts) != len(marked):
        return [Mismatch(None, f"the sealed original has {len(salts)} salts for {len(marked)} redactions")]
    for number, (redaction, salt, placeholder) in enumerate(zip(marked, salts, placeholders, strict=False), 1):
        mismatches.extend(_compare(number, redaction, salt, placeholder))
    if len(placeholders) != len(marked):
        mismatches.append(
            Mismatch(None, f"the public version has {len(placeholders)} placeholders; the original {len(marked)}")
        )
    expected = derive_public_text(original, salts)
    if expected != public.source.text:
        mismatches.append(Mismatch(_first_differing_line(expected, public.source.text), _TEXT_DIFFERS))
    return mismatches


_TEXT_DIFFERS = "the text differs from the public version derived from the sealed original"


def _compare(number: int, redaction: Redaction, salt: bytes, placeholder: Redaction) -> list[Mismatch]:
    assert redaction.text is not None  # an original holds marked passages
    found: list[Mismatch] = []
    label = f"redaction {number} (original {redaction.where})"
    if not placeholder.is_placeholder:
        return [Mismatch(placeholder.line, f"{label}: the public version shows the passage instead of a placeholder")]
    if placeholder.commitment != commitment_of(salt, redaction.text):
        found.append(Mismatch(placeholder.line, f"{label}: the commitment does not match the sealed original"))
    if placeholder.category != redaction.category:
        found.append(Mismatch(placeholder.line, f"{label}: category {placeholder.category}, not {redaction.category}"))
    if placeholder.justification != redaction.justification:
        found.append(Mismatch(placeholder.line, f"{label}: the justification differs from the sealed original"))
    if placeholder.size is not SizeBucket.of(redaction.text):
        found.append(
            Mismatch(placeholder.line, f"{label}: size {placeholder.size}, not {SizeBucket.of(redaction.text)}")
        )
    return found


def _first_differing_line(expected: str, actual: str) -> int:
    for number, (want, got) in enumerate(zip(expected.split("\n"), actual.split("\n"), strict=False), 1):
        if want != got:
            return number
    return min(expected.count("\n"), actual.count("\n")) + 1
