"""The developer's manifest: its signature over the RFC 8785 form, its schema, and the edits that break it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.domain.developer_keys import public_key_raw
from candor.domain.manifest import ManifestError, SignedManifest, parse_manifest, sign_manifest
from candor.services.manifests import PublishedDocument, manifest_content

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "ai-transparency.schema.json"
KEY = Ed25519PrivateKey.generate()


def manifest_bytes(key: Ed25519PrivateKey = KEY) -> bytes:
    content = manifest_content(
        developer="acme-ai",
        legal_name="Acme AI, Inc.",
        registries=["https://registry.example"],
        keys=[(public_key_raw(key.public_key()), datetime(2026, 1, 1, tzinfo=UTC), None)],
        documents=[PublishedDocument("secure-development-framework", None, "1.0", "a" * 64, "b" * 64, 3)],
        site_url="https://acme-ai.example",
        issued_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    return sign_manifest(content, key).file_bytes()


def test_a_signed_manifest_reads_back_and_follows_the_published_schema() -> None:
    data = manifest_bytes()
    signed = parse_manifest(data)
    assert signed.manifest.documents[0].url == "https://acme-ai.example/documents/secure-development-framework-1.0.md"
    jsonschema.validate(json.loads(data), json.loads(SCHEMA.read_text("utf-8")))


def test_the_published_schema_is_the_models_schema() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    model = SignedManifest.model_json_schema()
    assert schema["properties"]["documents"] == model["$defs"]["Manifest"]["properties"]["documents"]
    assert set(schema["properties"]) == set(model["$defs"]["Manifest"]["properties"]) | {"signature"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw: raw.update(legal_name="Someone Else"), "signature: does not verify"),
        (lambda raw: raw["documents"][0].update(sha256="c" * 64), "signature: does not verify"),
        (lambda raw: raw.pop("signature"), "signature: missing"),
        (lambda raw: raw.update(unexpected=1), "unexpected: Extra inputs are not permitted"),
        (lambda raw: raw.update(type="candor.manifest/v9"), "type: must be"),
        (lambda raw: raw["documents"][0].update(log_index=-1), "documents.0.log_index"),
    ],
)
def test_every_edit_after_signing_is_refused_with_the_field(edit: object, message: str) -> None:
    raw = json.loads(manifest_bytes())
    edit(raw)  # type: ignore[operator]
    with pytest.raises(ManifestError, match=message):
        parse_manifest(json.dumps(raw).encode(), name="ai-transparency.json")


def test_a_manifest_signed_by_a_key_it_does_not_list_is_refused() -> None:
    raw = json.loads(manifest_bytes())
    other = json.loads(manifest_bytes(Ed25519PrivateKey.generate()))
    raw["signature"] = other["signature"]
    with pytest.raises(ManifestError, match="signed with a key it does not list"):
        parse_manifest(json.dumps(raw).encode())


def test_whitespace_and_member_order_do_not_matter_only_the_canonical_form_is_signed() -> None:
    raw = json.loads(manifest_bytes())
    reordered = json.dumps(dict(reversed(list(raw.items()))), separators=(",", ":")).encode()
    assert parse_manifest(reordered).manifest == parse_manifest(manifest_bytes()).manifest
