"""The developer's side of its own site: what a static disclosure site holds, gathered from a registry, and the
signed manifest.

Run on the developer's machine with its private key: the registry's public API says which statements the developer
published (and which it withdrew); each document's exact bytes and its tlog-proof come from the registry too, so
the site serves exactly what the statements logged; the key signs the manifest that lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from candor.domain.developer_keys import load_private_key, public_key_raw
from candor.domain.manifest import Confirmation, ManifestError, SignedManifest, sign_manifest
from candor.registry_client import RegistryClient
from candor.services.files import read_key_file
from candor.services.manifests import PublishedDocument, manifest_content, published_documents


@dataclass(frozen=True)
class SiteDocument:
    """One document of the site: what the manifest lists, its bytes, its proof and when it was published."""

    listed: PublishedDocument
    content: bytes
    tlog_proof: str
    published_at: str


@dataclass(frozen=True)
class SiteContent:
    """Everything a static disclosure site shows."""

    developer: str
    legal_name: str
    registry: str
    site_url: str
    documents: list[SiteDocument]
    manifest: SignedManifest


def _confirmations(items: list[str]) -> list[Confirmation]:
    tokens = []
    for item in items:
        where, _, token = item.rpartition("=")
        if not where:
            raise ManifestError(f"--confirmation {item!r}: write it as REGISTRY=TOKEN")
        tokens.append(Confirmation(registry=where, token=token))
    return tokens


def gather_site(
    registry: str,
    developer: str,
    key_path: Path,
    site_url: str,
    *,
    confirmations: list[str] | None = None,
    with_documents: bool = True,
) -> SiteContent:
    """The site's content from ``registry``, its manifest signed with the key at ``key_path``."""
    private_key = load_private_key(str(key_path), read_key_file(key_path, what="private key file"))
    registry = registry.rstrip("/")
    with RegistryClient(registry) as client:
        rows = client.developer_statements(developer)
        details = client.developer(developer)
        listed = published_documents([{**row, "statement_sha256": row["id"]} for row in rows])
        published_at = {row["id"]: str(row.get("published_at", "")) for row in rows}
        documents = []
        if with_documents:
            for document in listed:
                # Checked against its SHA-256 by the client: a registry serving other bytes is refused.
                content = client.document(document.sha256)
                proof = client.tlog_proof(document.statement)
                documents.append(SiteDocument(document, content, proof, published_at.get(document.statement, "")))
    content_of_manifest = manifest_content(
        developer=developer,
        legal_name=str(details.get("legal_name") or developer),
        registries=[registry],
        keys=[(public_key_raw(private_key.public_key()), datetime.now(UTC), None)],
        documents=listed,
        site_url=site_url,
        confirmations=_confirmations(confirmations or []),
    )
    return SiteContent(
        developer,
        content_of_manifest.legal_name,
        registry,
        site_url.rstrip("/"),
        documents,
        sign_manifest(content_of_manifest, private_key),
    )


def build_manifest(
    registry: str, developer: str, key_path: Path, site_url: str, *, confirmations: list[str] | None = None
) -> SignedManifest:
    """The developer's manifest, listing its published, unwithdrawn documents, signed with the key at ``key_path``."""
    return gather_site(
        registry, developer, key_path, site_url, confirmations=confirmations, with_documents=False
    ).manifest
