"""The developer's manifest: ``/.well-known/ai-transparency.json`` on its own domain, signed with its own key.

The manifest ties a developer's website to the registry: which registries it publishes to, which keys it signs
with, and for each document on the site its kind, version, URL, SHA-256 and the statement (id and log index) that
published it. The watcher reads it to know which bytes each URL must serve; ``candor verify --developer-site``
reads its keys; the registry reads its ``confirmations`` as proof that whoever controls the domain holds the key.

The signature is the developer's Ed25519 signature over the RFC 8785 canonical form of the manifest without its
``signature`` member; the ``signature`` member names the key (raw, base64) and carries the signature (base64).
The JSON Schema is ``docs/ai-transparency.schema.json``; the format is described in ``docs/formats.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Final, Literal

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from candor.domain.developer_keys import public_key_from_raw, public_key_raw
from candor.domain.statement import SIGNATURE_BYTES, DeveloperSlug, Label, Sha256Hex
from candor.errors import CandorError

MANIFEST_TYPE: Final = "candor.manifest/v1"
#: Where the manifest lives on the developer's domain (RFC 8615).
MANIFEST_PATH: Final = "/.well-known/ai-transparency.json"
#: The largest manifest read: thousands of documents fit well below this.
MAX_MANIFEST_BYTES: Final = 1024 * 1024

_BASE64_KEY = r"^[A-Za-z0-9+/]{43}=$"
_BASE64_SIGNATURE = r"^[A-Za-z0-9+/]{86}==$"
_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class ManifestError(CandorError):
    """A manifest that is not JSON, does not follow the schema, or whose signature does not verify."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ManifestKey(_Strict):
    """A signing key of the developer, with the time it is valid from and (once replaced) until."""

    key: str = Field(pattern=_BASE64_KEY, description="The raw 32-byte Ed25519 public key, base64.")
    valid_from: str = Field(pattern=_TIME)
    valid_until: str | None = Field(default=None, pattern=_TIME)

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.key)


class ManifestDocument(_Strict):
    """One document the site serves, and the statement that published it."""

    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z-]*$")
    series: Label | None = None
    version: Label
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://\S+$")
    sha256: Sha256Hex
    statement: Sha256Hex = Field(description="The id (SHA-256) of the statement that published it.")
    log_index: int = Field(ge=0)


class Confirmation(_Strict):
    """A registry's domain-control token, placed here to show that the domain's owner holds the key."""

    registry: str = Field(min_length=1, max_length=2000, pattern=r"^\S+$", description="The registry's URL or origin.")
    token: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class ManifestSignature(_Strict):
    key: str = Field(pattern=_BASE64_KEY)
    signature: str = Field(pattern=_BASE64_SIGNATURE)


class Manifest(_Strict):
    """The manifest's content: everything but the signature."""

    type: Literal["candor.manifest/v1"] = MANIFEST_TYPE
    developer: DeveloperSlug
    legal_name: str = Field(min_length=1, max_length=300)
    registries: list[str] = Field(min_length=1, max_length=16)
    keys: list[ManifestKey] = Field(min_length=1, max_length=64)
    documents: list[ManifestDocument] = Field(default_factory=list, max_length=10_000)
    confirmations: list[Confirmation] = Field(default_factory=list, max_length=16)
    issued_at: str = Field(pattern=_TIME)

    @field_validator("registries")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return value

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 bytes the developer signs."""
        encoded: bytes = rfc8785.dumps(self.model_dump(mode="json", exclude_none=True))
        return encoded

    def key_raws(self) -> set[bytes]:
        return {key.raw for key in self.keys}


class SignedManifest(_Strict):
    """A manifest with its signature, as read from a file or a site."""

    manifest: Manifest
    signature: ManifestSignature

    @property
    def signing_key(self) -> bytes:
        return base64.b64decode(self.signature.key)

    def file_bytes(self) -> bytes:
        """The file as served: the manifest's members and ``signature``, pretty-printed for people."""
        content = self.manifest.model_dump(mode="json", exclude_none=True)
        content["signature"] = self.signature.model_dump(mode="json")
        return (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sign_manifest(manifest: Manifest, private_key: Ed25519PrivateKey) -> SignedManifest:
    """``manifest`` signed with ``private_key``, which must be one of the keys it lists."""
    raw = public_key_raw(private_key.public_key())
    if raw not in manifest.key_raws():
        raise ManifestError("the signing key is not among the manifest's keys", hint="list it under keys")
    signature = private_key.sign(manifest.canonical_bytes())
    return SignedManifest(
        manifest=manifest,
        signature=ManifestSignature(
            key=base64.b64encode(raw).decode("ascii"), signature=base64.b64encode(signature).decode("ascii")
        ),
    )


def parse_manifest(data: bytes, *, name: str = "manifest") -> SignedManifest:
    """Read a manifest file and check its own signature; :class:`ManifestError` naming the field otherwise.

    This proves only that the key the manifest names signed it, and that the key is one it lists; whether that key
    is the developer's is the reader's question (the registry's keys, or ``candor verify``'s pin).
    """
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{name}: {len(data):,} bytes, over the limit of {MAX_MANIFEST_BYTES:,}")
    try:
        raw: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ManifestError(f"{name}{f':{line}' if line else ''}: not UTF-8 JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{name}: must be a JSON object")
    if raw.get("type") != MANIFEST_TYPE:
        raise ManifestError(f"{name}: type: must be {MANIFEST_TYPE!r}, not {raw.get('type')!r}")
    content = dict(raw)
    signature = content.pop("signature", None)
    if signature is None:
        raise ManifestError(f"{name}: signature: missing; a manifest is signed with the developer's key")
    try:
        signed = SignedManifest(manifest=Manifest.model_validate(content), signature=signature)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"] if part != "manifest") or "manifest"
        raise ManifestError(f"{name}: {field}: {first['msg']}") from None
    signing_key = signed.signing_key
    if signing_key not in signed.manifest.key_raws():
        raise ManifestError(f"{name}: signature.key: the manifest is signed with a key it does not list")
    try:
        signature_bytes = base64.b64decode(signed.signature.signature, validate=True)
        if len(signature_bytes) != SIGNATURE_BYTES:
            raise ValueError("wrong length")
        public_key_from_raw(signing_key).verify(signature_bytes, signed.manifest.canonical_bytes())
    except (InvalidSignature, ValueError, binascii.Error):
        raise ManifestError(
            f"{name}: signature: does not verify with the key it names",
            hint="the manifest was changed after signing, or signed over other bytes than its RFC 8785 form",
        ) from None
    return signed


def manifest_time(moment: datetime) -> str:
    """A time as a manifest writes it: UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def challenge_message(developer: str) -> bytes:
    """What a registry's log key signs to derive its domain-control token for ``developer``."""
    return b"candor.domain-challenge/v1 " + developer.encode("ascii")


def challenge_token(signature: bytes) -> str:
    """The token a developer places in its manifest's ``confirmations``: 43 URL-safe characters derived from the
    registry's signature over :func:`challenge_message`, so the registry can re-derive it and need store nothing.
    As in ACME http-01, the token is not a secret: only whoever controls the domain can serve it there."""
    return base64.urlsafe_b64encode(hashlib.sha256(signature).digest()).decode("ascii").rstrip("=")
