"""The canary test: a redacted passage's text must reach the registry nowhere, in any encoding.

A framework whose redacted passages (a block, an inline span and a front-matter value) hold a random canary is
redacted with ``candor redact`` and published with ``candor publish --sealed`` to a real ``candor serve`` on SQLite
and on PostgreSQL. Then every place the registry keeps or shows anything is searched for the canary, as text, hex
(either case) and base64 (standard and URL-safe, at each of the three byte alignments): the database dump
(sqlite3 ``iterdump``, or ``pg_dump``), every file in the data directory (the database file and the log's tiles),
every page reachable from the home page, the API's answers about the statement, and the server's log, as text and
as JSON lines, after it has also logged the refusal of a publication that carries the canary with a real token.

Positive controls show that each search would have found it: the same scanner finds the canary in the original,
and finds the public text of the document in the dump and in hex in the dumped document bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from candor.domain.developer_keys import private_key_pem
from candor.domain.regulator_keys import generate_regulator_key, regulator_private_pem, regulator_public_pem
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.store.search import INDEX_TABLE
from candor.testing.publishing import register
from tests.conftest import EXAMPLES
from tests.processes import free_port

pytestmark = pytest.mark.slow

_MAX_PAGES = 150


def encodings(secret: bytes) -> dict[str, bytes]:
    """The forms in which ``secret`` could hide inside a larger text: plain, hex, and base64 at every alignment."""
    forms = {"plain": secret, "hex": secret.hex().encode(), "HEX": secret.hex().upper().encode()}
    for shift in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(b"\0" * shift + secret)
            # Keep only the characters that depend on the secret's bytes alone, whatever surrounds it.
            start, end = (4 if shift else 0), (shift + len(secret)) // 3 * 4
            forms[f"{name}+{shift}"] = encoded[start:end]
    return forms


def leaks(haystack: bytes, secret: bytes) -> list[str]:
    """The forms of ``secret`` found in ``haystack``."""
    return [name for name, form in encodings(secret).items() if form in haystack]


def test_the_encodings_find_a_secret_however_it_is_wrapped() -> None:
    secret = b"canary-" + secrets.token_hex(8).encode()
    for prefix in (b"", b"a", b"ab", b"abc"):
        wrapped = prefix + secret + b"tail"
        assert "plain" in leaks(wrapped, secret)
        assert "hex" in leaks(wrapped.hex().encode(), secret)
        assert "HEX" in leaks(wrapped.hex().upper().encode(), secret)
        assert any(name.startswith("base64+") for name in leaks(base64.b64encode(wrapped), secret))
        assert any(name.startswith("base64url+") for name in leaks(base64.urlsafe_b64encode(wrapped), secret))
    assert leaks(b"nothing to see here", secret) == []


def _marked_framework(canary: str) -> str:
    """The example framework with the canary in a front-matter value, in blocks (at the top level, in a list item
    and in a quote) and in inline redactions (with and without a space inside the braces)."""
    text = (EXAMPLES / "acme-ai" / "sdf-v1.md").read_text()
    field = re.search(r"^  board_oversight: >-\n(?:    .*\n)+", text, flags=re.MULTILINE)
    assert field is not None
    redacted_field = (
        "  board_oversight: {redact: {category: trade-secret, justification: Names board members, "
        f'value: "The board subcommittee is chaired by {canary}."}}}}\n'
    )
    text = text[: field.start()] + redacted_field + text[field.end() :]
    return (
        text
        + f'\n::: redact category=cybersecurity justification="Names a datacentre"\nWeights live at {canary}.\n:::\n'
        + f'\nThe evaluator is [{canary}]{{.redact category=trade-secret justification="Named vendor"}}.\n'
        + f'\n- Sites:\n  ::: redact category=cybersecurity justification="A site"\n  Backup at {canary}.\n  :::\n'
        + f'\n> ::: redact category=public-safety justification="A route"\n> Route via {canary}.\n> :::\n'
        + f'\nThe auditor is [{canary}]{{ .redact category=trade-secret justification="Named auditor" }}.\n'
    )


def _candor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "candor", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result


class _Server:
    """``candor serve`` in a child process, its output going to a log file."""

    def __init__(self, data_dir: Path, env: dict[str, str], log_path: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = log_path.open("wb")
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "candor", "serve", "--port", port, "--data-dir", str(data_dir)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "candor serve exited"
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("candor serve did not come up")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _crawl(client: httpx.Client, start: list[str]) -> Iterator[tuple[str, bytes]]:
    """GET ``start`` and every same-site page linked from the HTML found, up to a bound."""
    queue, seen = list(start), set(start)
    while queue and len(seen) <= _MAX_PAGES:
        path = queue.pop(0)
        response = client.get(path)
        yield path, response.content
        if "html" not in response.headers.get("content-type", ""):
            continue
        for link in re.findall(rb'(?:href|src)="([^"#]+)', response.content):
            target = urlparse(urljoin(str(client.base_url) + path, link.decode()))
            if target.netloc != urlparse(str(client.base_url)).netloc:
                continue
            local = target.path + (f"?{target.query}" if target.query else "")
            if local not in seen:
                seen.add(local)
                queue.append(local)


def _database_dump(database_url: str) -> bytes:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        with sqlite3.connect(url.database) as connection:
            return "\n".join(connection.iterdump()).encode()
    pg_dump = shutil.which("pg_dump") or next(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), None)
    assert pg_dump is not None, "pg_dump is needed for the PostgreSQL canary test"
    options = parse_qs(f"o={url.query['options']}")["o"][0]
    schema = options.removeprefix("-csearch_path=")
    command = [
        str(pg_dump),
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    result = subprocess.run(
        [*command, "-n", schema, "--no-owner", url.database or "test"], capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def _refuse_a_publication_carrying(base_url: str, token: str, secret: bytes, original: bytes) -> None:
    """Send, with the developer's real token, a publication the registry must refuse: the canary in its
    statement and sealed original, and the unredacted original as its document. Its refusal is logged."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    body = {
        "statement": b64(b'{"developer":"acme-ai","note":"' + secret + b'"}'),
        "signature": b64(bytes(64)),
        "document": b64(original),
        "sealed_original": b64(secret * 4),
    }
    response = httpx.post(
        base_url + "/api/v1/statements", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert 400 <= response.status_code < 500, response.text


def _logged_refusals(log: bytes, log_format: str) -> list[dict[str, object]]:
    """The refused publications the server logged; in JSON, every line of the log must be one JSON object."""
    lines = [line for line in log.decode().splitlines() if line.strip()]
    if log_format == "text":
        return [{"line": line} for line in lines if "publication refused:" in line]
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    return [record for record in records if record.get("event") == "publication_refused"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_redacted_canary_appears_nowhere_in_the_registry(database_url: str, tmp_path: Path, log_format: str) -> None:
    canary = "canary-" + secrets.token_hex(16)
    secret = canary.encode()
    data_dir, work = tmp_path / "registry", tmp_path / "work"
    data_dir.mkdir()
    work.mkdir()
    env = {
        **os.environ,
        "CANDOR_DATABASE_URL": database_url,
        "CANDOR_DATA_DIR": str(data_dir),
        "CANDOR_LOG_FORMAT": log_format,
        "NO_COLOR": "1",
    }

    engine = create_database_engine(database_url)
    try:
        upgrade_database(engine)
        acme = register(session_factory(engine), "acme-ai")
    finally:
        engine.dispose()
    (work / "acme.key").write_bytes(private_key_pem(acme.key))
    regulator = generate_regulator_key()
    (work / "regulator").write_bytes(regulator_private_pem(regulator))
    (work / "regulator.pub").write_bytes(regulator_public_pem(regulator.public_key()))
    (work / "sdf.md").write_text(_marked_framework(canary))
    (work / "public").mkdir()
    assert leaks((work / "sdf.md").read_bytes(), secret) == ["plain"]  # the scanner sees it where it is

    _candor(
        "redact",
        str(work / "sdf.md"),
        "--regulator-key",
        str(work / "regulator.pub"),
        "--out",
        str(work / "public"),
        env=env,
    )
    public = (work / "public" / "sdf.md").read_bytes()
    assert leaks(public, secret) == []
    assert leaks((work / "public" / "sdf.sealed").read_bytes(), secret) == []

    server = _Server(data_dir, env, tmp_path / "server.log")
    try:
        server.wait_until_up()
        published = _candor(
            "publish",
            str(work / "public" / "sdf.md"),
            "--sealed",
            str(work / "public" / "sdf.sealed"),
            "--registry",
            server.url,
            "--token",
            acme.token,
            "--key",
            str(work / "acme.key"),
            env=env,
        ).stdout
        statement_id = re.search(r"^statement: ([0-9a-f]{64})$", published, flags=re.MULTILINE)
        assert statement_id is not None, published
        served = _served(server.url, statement_id.group(1), public)
        _refuse_a_publication_carrying(server.url, acme.token, secret, (work / "sdf.md").read_bytes())
        # Searching for the canary puts it in the access log's request lines: scan the log as it was before.
        logged_before_search = _logged_so_far(tmp_path / "server.log")
        _search_finds_no_canary(server.url, canary)
    finally:
        server.stop()
    server_log = (tmp_path / "server.log").read_bytes()
    # Positive control: the refusal was logged, with its reason and developer; the token never is.
    (refusal,) = _logged_refusals(server_log, log_format)
    if log_format == "json":
        assert refusal["developer"] == "acme-ai"
        assert refusal["reason"]
    else:
        assert "developer=acme-ai" in str(refusal["line"])
    assert acme.token.encode() not in server_log

    dump = _database_dump(database_url)
    # Positive control: the same scanner finds the public text of the document in the dump.
    assert leaks(dump, b"Acme AI Secure Development Framework")
    index = _search_index_text(database_url)
    # Positive control: the search index holds the document's public text, which the scanner finds.
    assert leaks(index, b"Acme AI Secure Development Framework")
    places = {"database dump": dump, "server log": server_log[:logged_before_search], "search index": index}
    places.update(
        {
            f"file {path.relative_to(tmp_path)}": path.read_bytes()
            for path in [*data_dir.rglob("*"), *tmp_path.glob("candor.sqlite3*")]
            if path.is_file()
        }
    )
    places.update({f"GET {path}": body for path, body in served})
    assert len(served) > 10
    found = {place: forms for place, content in places.items() if (forms := leaks(content, secret))}
    assert found == {}

    # The regulator can still read it all back.
    opened = subprocess.run(
        [
            sys.executable,
            "-m",
            "candor",
            "regulator",
            "open",
            str(work / "public" / "sdf.sealed"),
            "--key",
            str(work / "regulator"),
        ],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert opened.returncode == 0
    assert opened.stdout.count(secret) == 6  # one per redaction


def _logged_so_far(path: Path) -> int:
    """How many bytes the server has logged, once its last request's line is written."""
    deadline, size = time.monotonic() + 5, -1
    while size != path.stat().st_size and time.monotonic() < deadline:
        size = path.stat().st_size
        time.sleep(0.3)
    return size


def _search_index_text(database_url: str) -> bytes:
    """Everything the full-text search index holds as text (on SQLite, its FTS5 tables; on PostgreSQL, its table)."""
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(f"SELECT developer, body FROM {INDEX_TABLE}")).all()
    finally:
        engine.dispose()
    return "\n".join(f"{developer}\n{body}" for developer, body in rows).encode()


def _search_finds_no_canary(base_url: str, canary: str) -> None:
    """Search for the canary, whole and by its random part, on the page and in the API: nothing is found.

    These answers echo the query, so they are checked for results rather than scanned for the canary."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        # Positive control: a word of the public text finds the document.
        found = client.get("/api/v1/search", params={"q": "Secure Development Framework"}).json()["results"]
        assert len(found) == 1
        for query in (canary, canary.removeprefix("canary-"), f'"{canary}"'):
            assert client.get("/api/v1/search", params={"q": query}).json()["results"] == []
            page = client.get("/search", params={"q": query})
            assert page.status_code == 200
            assert "No published document holds all of these words." in page.text


def _served(base_url: str, statement_id: str, public: bytes) -> list[tuple[str, bytes]]:
    """Every page from the home page on, and the API's answers about the statement, once it is in the log."""
    document_sha256 = hashlib.sha256(public).hexdigest()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        deadline = time.monotonic() + 60
        while client.get(f"/api/v1/statements/{statement_id}/tlog-proof").status_code != 200:
            assert time.monotonic() < deadline, "the statement was never integrated into the log"
            time.sleep(0.2)
        api = [
            f"/api/v1/statements/{statement_id}",
            f"/api/v1/statements/{statement_id}/findings",
            f"/api/v1/statements/{statement_id}/tlog-proof",
            f"/api/v1/statements/by-document/{document_sha256}",
            f"/api/v1/documents/{document_sha256}",
            "/api/v1/developers",
            "/api/v1/developers/acme-ai",
            "/log/checkpoint",
            "/log/tile/entries/000.p/1",
            "/openapi.json",
        ]
        pages = list(_crawl(client, ["/", *api]))
    ((_, document),) = [(path, body) for path, body in pages if path == f"/api/v1/documents/{document_sha256}"]
    assert document == public  # the API serves the public version, byte for byte
    return pages
