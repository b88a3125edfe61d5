"""The observation: what the registry's watcher saw at a URL of a developer's own site, signed and logged.

A developer's statements say what it published; an observation says what its site actually served, whether or
not the developer uses Candor at all. Each is one entry of the same log as the statements, so an observation can
no more be withdrawn or rewritten than a statement can, and anyone holding the log can check what the registry
said it saw and when.

An observation entry (``candor.signed-observation/v1``) is an RFC 8785 canonical envelope:

- ``observation``: the canonical ``candor.observation/v1`` object (below);
- ``registry_signature``: the log key's Ed25519 signature over the observation's canonical bytes. The log key, as
  for key events: every verifier already pins it, and the bytes hold no newline, so they can never be the text of
  a signed note.

The developer never signs an observation: it is the registry's word about a site, which pages label as such. The
format is documented in ``docs/formats.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from candor.domain.statement import (
    LOG_ORIGIN_PATTERN,
    MAX_ORIGIN_CHARS,
    SIGNATURE_BYTES,
    DeveloperSlug,
    Sha256Hex,
    StatementError,
)

OBSERVATION_TYPE: Final = "candor.observation/v1"
SIGNED_OBSERVATION_TYPE: Final = "candor.signed-observation/v1"

#: The longest URL an observation records; longer ones are refused when a URL is watched.
MAX_URL_CHARS: Final = 2000
#: The longest reason; longer ones are cut, so that a server's error text cannot blow up a log entry.
MAX_REASON_CHARS: Final = 500

_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class ObservationKind(StrEnum):
    """What the watcher found when it looked at a URL."""

    #: A new version was archived, and nothing in it needs a reader's attention (a first version, a version that
    #: matches the developer's statement, bytes that changed without changing the text).
    ARCHIVED = "archived"
    #: A document the developer listed (in its manifest, or in a statement) is served with other bytes.
    SILENT_EDIT = "silent-edit"
    #: The URL answers 404 or 410, or the document was dropped from the manifest without a withdrawal statement.
    WITHDRAWAL = "withdrawal"
    #: The text of a watched page changed, but the developer published no new version.
    UNANNOUNCED_REVISION = "unannounced-revision"
    #: The site serves a version the registry does not hold, or the registry holds one the site does not serve.
    DIVERGENCE = "divergence"
    #: The site could not be reached for longer than the registry's limit.
    UNREACHABLE = "unreachable"
    #: The answer could not be used: too large, too slow, a redirect loop, the wrong content type, a forbidden
    #: address, robots.txt, a malformed or badly signed manifest. ``reason`` says which.
    REFUSED = "refused"
    #: The manifest served from the developer's registered domain holds this registry's domain-control token and
    #: is signed by the developer's key: whoever controls the domain holds the keys ``reason`` names.
    KEYS_CONFIRMED = "keys-confirmed"


#: The findings a reader is told about (page, feed, API): the problems found.
ALERTS: Final = frozenset(ObservationKind) - {ObservationKind.ARCHIVED, ObservationKind.KEYS_CONFIRMED}


class Observation(BaseModel):
    """One look at one URL, as logged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["candor.observation/v1"] = OBSERVATION_TYPE
    origin: str = Field(min_length=1, max_length=MAX_ORIGIN_CHARS, pattern=LOG_ORIGIN_PATTERN)
    developer: DeveloperSlug
    url: str = Field(min_length=1, max_length=MAX_URL_CHARS, pattern=r"^https?://\S+$")
    observed_at: str = Field(pattern=_TIME_PATTERN, description="When the answer arrived; UTC, whole seconds.")
    finding: ObservationKind
    reason: str | None = Field(default=None, min_length=1, max_length=MAX_REASON_CHARS)
    status: int | None = Field(default=None, ge=100, le=599, description="The HTTP status, if the site answered.")
    media_type: str | None = Field(default=None, max_length=100)
    content_sha256: Sha256Hex | None = Field(default=None, description="SHA-256 of the bytes served.")
    text_sha256: Sha256Hex | None = Field(default=None, description="SHA-256 of the text extracted from them.")
    statement: Sha256Hex | None = Field(default=None, description="The statement the bytes were compared with.")
    previous: Sha256Hex | None = Field(default=None, description="The digest of the URL's previous observation.")

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 bytes the log key signs."""
        encoded: bytes = rfc8785.dumps(self.model_dump(mode="json", exclude_none=True))
        return encoded

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical bytes: the id by which the next observation of the URL names this one."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


def short_reason(text: str) -> str:
    """``text`` on one line and within :data:`MAX_REASON_CHARS`, as an observation records it."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 1] + "…"


def signed_observation(observation: Observation, sign_as_registry: Callable[[bytes], bytes]) -> bytes:
    """The log entry recording ``observation``, signed by the registry's log key."""
    message = observation.canonical_bytes()
    envelope = {
        "type": SIGNED_OBSERVATION_TYPE,
        "observation": json.loads(message),
        "registry_signature": base64.b64encode(sign_as_registry(message)).decode("ascii"),
    }
    encoded: bytes = rfc8785.dumps(envelope)
    return encoded


@dataclass(frozen=True)
class LoggedObservation:
    """An observation read from the log, with the log key's signature."""

    observation: Observation
    registry_signature: bytes

    def verify(self, registry_verify: Callable[[bytes, bytes], bool], *, name: str = "log entry") -> None:
        """Raise :class:`StatementError` unless the log key signed this observation."""
        if not registry_verify(self.observation.canonical_bytes(), self.registry_signature):
            raise StatementError(f"{name}: the observation of {self.observation.url} is not signed by the log key")


def is_observation_entry(entry: bytes) -> bool:
    """Whether a log entry claims to be an observation: in canonical form only an observation begins with its
    ``observation`` field (the parser then insists on the rest)."""
    return entry.startswith(b'{"observation":')


def parse_observation_entry(entry: bytes, *, name: str = "log entry") -> LoggedObservation:
    """Read an observation entry; :class:`StatementError` unless it is exactly a canonical one."""
    try:
        raw: Any = json.loads(entry.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("type") != SIGNED_OBSERVATION_TYPE:
            raise StatementError(f"{name}: not a {SIGNED_OBSERVATION_TYPE} entry")
        if set(raw) != {"type", "observation", "registry_signature"}:
            raise StatementError(f"{name}: an observation entry holds type, observation and registry_signature only")
        observation = Observation.model_validate(raw["observation"])
        signature = raw["registry_signature"]
        if not isinstance(signature, str):
            raise TypeError("registry_signature is not a base64 string")
        signature_bytes = base64.b64decode(signature.encode("ascii"), validate=True)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError, binascii.Error) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else str(exc)
        raise StatementError(f"{name}: not a valid observation ({detail})") from exc
    if len(signature_bytes) != SIGNATURE_BYTES:
        raise StatementError(f"{name}: registry_signature is {len(signature_bytes)} bytes, not {SIGNATURE_BYTES}")
    logged = LoggedObservation(observation, signature_bytes)
    if signed_observation(observation, lambda _: signature_bytes) != entry:
        raise StatementError(f"{name}: not in RFC 8785 canonical form")
    return logged
