"""The served log: checkpoint, tiles and entry bundles in tlog-tiles layout, the vkey, and refused traversal."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from candor.config import load_settings
from candor.domain.regulator_keys import generate_regulator_key, regulator_key_fingerprint, regulator_public_pem
from candor.errors import CandorError
from candor.store.database import create_database_engine
from candor.store.schema import upgrade_database
from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import leaf_hash, verify_inclusion
from candor.tlog.note import parse_verifier_key
from candor.tlog.proof import verify_tlog_proof
from candor.tlog.tiles import decode_bundle
from candor.web.app import create_app
from tests.conftest import RunCandor
from tests.web.conftest import Served, serve_app


def _vkey(client: httpx.Client) -> str:
    response = client.get("/log/vkey")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    return response.text.strip().splitlines()[-1]


def test_checkpoint_is_signed_plain_text_and_short_lived(served: Served) -> None:
    response = served.client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=5"
    checkpoint = open_checkpoint(response.content, parse_verifier_key(_vkey(served.client)))
    assert checkpoint.size == len(served.filled.published)


def test_partial_tiles_and_bundles_are_served_with_short_caching(served: Served) -> None:
    size = len(served.filled.published)
    tile = served.client.get(f"/log/tile/0/000.p/{size}")
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/octet-stream"
    assert tile.headers["cache-control"] == "public, max-age=5"
    bundle = served.client.get(f"/log/tile/entries/000.p/{size}")
    entries = decode_bundle(bundle.content, "bundle")
    assert [leaf_hash(entry) for entry in entries] == [
        tile.content[i : i + 32] for i in range(0, len(tile.content), 32)
    ]


def test_an_inclusion_proof_from_the_api_verifies_against_the_signed_checkpoint(served: Served) -> None:
    published = served.filled.published["acme-sdf-2"]
    proof = served.client.get(f"/api/v1/statements/{published.statement_sha256}/proof").json()
    checkpoint = open_checkpoint(proof["checkpoint"].encode(), parse_verifier_key(_vkey(served.client)))
    hashes = [base64.b64decode(item) for item in proof["hashes"]]
    verify_inclusion(bytes.fromhex(proof["leaf_hash"]), published.log_index, checkpoint.size, hashes, checkpoint.root)
    statement = served.client.get(f"/log/tile/entries/000.p/{checkpoint.size}").content
    entry = decode_bundle(statement, "bundle")[published.log_index]
    proven = verify_tlog_proof(proof["tlog_proof"], entry, parse_verifier_key(_vkey(served.client)))
    assert proven.index == published.log_index


TRAVERSALS = [
    b"/log/tile/../candor.sqlite3",
    b"/log/tile/../../log.key",
    b"/log/tile/0/../../../log.key",
    b"/log/tile/%2e%2e/%2e%2e/log.key",
    b"/log/tile/0/..%2f..%2f..%2flog.key",
    b"/log/tile/entries/../../log.key",
    b"/log/tile//etc/passwd",
    b"/log/tile/0/000.p/../../../log.key",
    b"/log/tile/64/000",
    b"/log/tile/01/000",
    b"/log/tile/0/0",
    b"/log/tile/0/000.p/0",
    b"/log/tile/0/000.p/256",
    b"/log/tile/0/001/002",
    b"/log/tile/0/x001",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_tile_paths_outside_the_grammar_are_refused(served: Served, path: bytes) -> None:
    # Sent on a raw socket: an HTTP client would normalise the dot segments away before they reach the server.
    host, port = served.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status = received.split(b"\r\n", 1)[0]
    assert status.split(b" ")[1] in (b"400", b"404"), status
    # Neither the log's signer key nor the database leaks out.
    assert b"PRIVATE+KEY" not in received
    assert b"SQLite format" not in received


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A log of 300 entries: one full level-0 tile and bundle, and partial ones after it."""
    data_dir = tmp_path_factory.mktemp("big-log")
    settings = load_settings(data_dir=data_dir, log_origin="registry.test/big")
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    engine.dispose()
    with LocalLog.create(data_dir, settings.log_origin) as log:
        log.append_many([f"entry {number}".encode() for number in range(300)])
        log.publish()
    with serve_app(create_app(settings)) as base_url:
        yield base_url, data_dir


def test_full_tiles_are_immutable_and_byte_exact(big_log: tuple[str, Path]) -> None:
    base_url, data_dir = big_log
    for path in ("tile/0/000", "tile/entries/000", "tile/1/000.p/1"):
        response = httpx.get(f"{base_url}/log/{path}")
        assert response.status_code == 200, path
        assert response.content == (data_dir / "log" / path).read_bytes()
        full = ".p/" not in path
        expected = "public, max-age=31536000, immutable" if full else "public, max-age=5"
        assert response.headers["cache-control"] == expected
    assert len(httpx.get(f"{base_url}/log/tile/0/000").content) == 256 * 32
    assert httpx.get(f"{base_url}/log/tile/0/001.p/44").status_code == 200
    assert httpx.get(f"{base_url}/log/tile/0/002").status_code == 404


def test_what_the_document_page_offers_verifies_with_candor_verify(
    served: Served, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    published = served.filled.published["acme-card-3"]
    assert published.document_sha256 is not None
    document = tmp_path / "card.md"
    document.write_bytes(served.client.get(f"/api/v1/documents/{published.document_sha256}").content)
    proof = tmp_path / "card.md.tlog-proof"
    proof.write_bytes(served.client.get(f"/api/v1/statements/{published.statement_sha256}/tlog-proof").content)
    vkey = _vkey(served.client)
    offline = invoke_candor("verify", str(document), "--proof", str(proof), "--vkey", vkey)
    assert offline.returncode == 0, offline.stderr
    online = invoke_candor("verify", str(document), "--registry", served.base_url)
    assert online.returncode == 0, online.stderr
    document.write_bytes(document.read_bytes().replace(b"Acme-3", b"Acme-X", 1))
    tampered = invoke_candor("verify", str(document), "--proof", str(proof), "--vkey", vkey)
    assert tampered.returncode != 0


def test_the_log_page_names_the_regulator_key_sealed_originals_must_be_sealed_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator = generate_regulator_key()
    key_path = tmp_path / "regulator.pub"
    key_path.write_bytes(regulator_public_pem(regulator.public_key()))
    monkeypatch.setenv("CANDOR_REGULATOR_PUBLIC_KEY", str(key_path))
    settings = load_settings(data_dir=tmp_path / "registry")
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    engine.dispose()
    with serve_app(create_app(settings)) as base_url:
        page = httpx.get(f"{base_url}/log", timeout=30).text
    assert regulator_key_fingerprint(regulator.public_key()) in page


def test_a_registry_given_an_unreadable_regulator_key_refuses_to_start(tmp_path: Path) -> None:
    key_path = tmp_path / "regulator.pub"
    key_path.write_text("not a key\n")
    with pytest.raises(CandorError, match=str(key_path)):
        create_app(load_settings(data_dir=tmp_path / "registry", regulator_public_key=key_path))
