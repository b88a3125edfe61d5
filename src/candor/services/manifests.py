"""Building and checking a developer's manifest (``/.well-known/ai-transparency.json``).

:func:`manifest_from_registry` writes the manifest's content from what a registry holds for the developer (its
keys and its published, unwithdrawn statements), read through the registry's public JSON API, so a developer
builds it on its own machine; :func:`check_manifest` reads one from a file or a URL and says what it lists.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from candor.domain.developer_keys import key_fingerprint, public_key_from_raw
from candor.domain.manifest import (
    MANIFEST_PATH,
    MAX_MANIFEST_BYTES,
    Confirmation,
    Manifest,
    ManifestDocument,
    ManifestError,
    ManifestKey,
    SignedManifest,
    manifest_time,
    parse_manifest,
)
from candor.domain.statement import KINDS_WITH_TARGET
from candor.errors import CandorError
from candor.httpclient import HttpClient, Resource

MANIFEST_RESOURCE = Resource("manifest", MAX_MANIFEST_BYTES, ("application/json",))


@dataclass(frozen=True)
class PublishedDocument:
    """One document a developer published and its site serves."""

    kind: str
    series: str | None
    version: str
    sha256: str
    statement: str
    log_index: int

    def file_name(self) -> str:
        """Where a static site keeps it: ``documents/<kind>[-<series>]-<version>.md``."""
        series = f"-{self.series}" if self.series else ""
        return f"documents/{self.kind}{series}-{self.version}.md"


def document_url(site_url: str, document: PublishedDocument) -> str:
    return f"{site_url.rstrip('/')}/{document.file_name()}"


def manifest_content(
    *,
    developer: str,
    legal_name: str,
    registries: list[str],
    keys: list[tuple[bytes, datetime, datetime | None]],
    documents: list[PublishedDocument],
    site_url: str,
    confirmations: list[Confirmation] | None = None,
    issued_at: datetime | None = None,
) -> Manifest:
    """The manifest's content, before signing."""
    return Manifest(
        developer=developer,
        legal_name=legal_name,
        registries=registries,
        keys=[
            ManifestKey(
                key=base64.b64encode(raw).decode("ascii"),
                valid_from=manifest_time(valid_from),
                valid_until=None if until is None else manifest_time(until),
            )
            for raw, valid_from, until in keys
        ],
        documents=[
            ManifestDocument(
                kind=document.kind,
                series=document.series,
                version=document.version,
                url=document_url(site_url, document),
                sha256=document.sha256,
                statement=document.statement,
                log_index=document.log_index,
            )
            for document in documents
        ],
        confirmations=confirmations or [],
        issued_at=manifest_time(issued_at or datetime.now(UTC)),
    )


def published_documents(statements: list[dict[str, Any]]) -> list[PublishedDocument]:
    """The documents among a developer's statements (as the API lists them) that no withdrawal acts on."""
    withdrawn = {row.get("target") for row in statements if row.get("kind") == "withdrawal"}
    documents = []
    for row in statements:
        if row.get("kind") in {kind.value for kind in KINDS_WITH_TARGET} or not row.get("document_sha256"):
            continue
        if row["statement_sha256"] in withdrawn:
            continue
        documents.append(
            PublishedDocument(
                kind=row["kind"],
                series=row.get("series") or None,
                version=row["version"],
                sha256=row["document_sha256"],
                statement=row["statement_sha256"],
                log_index=int(row["log_index"]),
            )
        )
    return sorted(documents, key=lambda document: document.log_index)


@dataclass(frozen=True)
class CheckedManifest:
    """A manifest that parsed and whose signature verifies with the key it names."""

    source: str
    signed: SignedManifest


def check_manifest(source: str, *, client: HttpClient | None = None) -> CheckedManifest:
    """Read the manifest at ``source`` (a file, a site's root URL, or the manifest's URL) and check its signature."""
    if source.startswith(("http://", "https://")):
        url = source if source.rstrip("/").endswith(MANIFEST_PATH) else source.rstrip("/") + MANIFEST_PATH
        own = client is None
        http = client or HttpClient("")
        try:
            data = http.get(url, MANIFEST_RESOURCE).body
        finally:
            if own:
                http.close()
        return CheckedManifest(url, parse_manifest(data, name=url))
    path = Path(source)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise ManifestError(f"{source}: cannot read the manifest ({exc.strerror})") from None
    return CheckedManifest(source, parse_manifest(data, name=source))


class SiteKeysError(CandorError):
    """The developer's own site and the registry disagree about the developer's keys."""

    #: As for a signature that does not verify: ``candor verify``'s "does not verify".
    exit_code = 1


@dataclass(frozen=True)
class SiteKeys:
    """The keys a developer's signed manifest lists, by fingerprint, and where the manifest was read."""

    source: str
    developer: str
    fingerprints: frozenset[str]

    def check(self, developer: str, fingerprint: str) -> None:
        """Raise :class:`SiteKeysError` unless ``developer``'s statement key ``fingerprint`` is one the site lists."""
        if developer != self.developer:
            raise SiteKeysError(
                f"the manifest at {self.source} is {self.developer}'s, but the statement is {developer}'s"
            )
        if fingerprint not in self.fingerprints:
            listed = ", ".join(f"SHA256:{item}" for item in sorted(self.fingerprints))
            raise SiteKeysError(
                "the manifest's keys and the registry's disagree: the statement is signed by key "
                f"SHA256:{fingerprint}, which {developer}'s manifest at {self.source} does not list ({listed})",
                hint="the registry may hold a key that is not the developer's, or the site is out of date",
            )


def developer_site_keys(source: str) -> SiteKeys:
    """The keys listed by the signed manifest at ``source`` (a site's root URL, the manifest's URL, or a file)."""
    checked = check_manifest(source)
    manifest = checked.signed.manifest
    fingerprints = frozenset(key_fingerprint(public_key_from_raw(raw)) for raw in manifest.key_raws())
    return SiteKeys(checked.source, manifest.developer, fingerprints)
