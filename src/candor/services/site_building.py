"""The developer's side of its own site: the signed manifest built from what a registry holds.

Run on the developer's machine with its private key: the registry's public API says which statements the developer
published (and which it withdrew), the key signs the manifest, and the documents' bytes are fetched from the
registry so the site serves exactly what the statements logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from candor.domain.developer_keys import load_private_key, public_key_raw
from candor.domain.manifest import Confirmation, ManifestError, SignedManifest, sign_manifest
from candor.registry_client import RegistryClient
from candor.services.files import read_key_file
from candor.services.manifests import manifest_content, published_documents


def build_manifest(
    registry: str, developer: str, key_path: Path, site_url: str, *, confirmations: list[str] | None = None
) -> SignedManifest:
    """The developer's manifest, listing its published, unwithdrawn documents, signed with the key at ``key_path``."""
    private_key = load_private_key(str(key_path), read_key_file(key_path, what="private key file"))
    with RegistryClient(registry) as client:
        rows = client.developer_statements(developer)
        details = client.developer(developer)
    statements = [{**row, "statement_sha256": row["id"]} for row in rows]
    tokens = []
    for item in confirmations or []:
        where, _, token = item.rpartition("=")
        if not where:
            raise ManifestError(f"--confirmation {item!r}: write it as REGISTRY=TOKEN")
        tokens.append(Confirmation(registry=where, token=token))
    content = manifest_content(
        developer=developer,
        legal_name=str(details.get("legal_name") or developer),
        registries=[registry.rstrip("/")],
        keys=[(public_key_raw(private_key.public_key()), datetime.now(UTC), None)],
        documents=published_documents(statements),
        site_url=site_url,
        confirmations=tokens,
    )
    return sign_manifest(content, private_key)
