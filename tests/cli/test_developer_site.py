"""The developer's own site, end to end over loopback: `candor site build` from a served registry, the site served
by a plain static server, `candor manifest check`, the registry's watcher confirming the keys on the developer's
domain, and `candor verify --developer-site` refusing a statement signed by a key the site does not list."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.config import load_settings, sqlite_url
from candor.domain.developer_keys import private_key_pem
from candor.domain.manifest import MANIFEST_PATH
from candor.services.integration import RegistryLog
from candor.services.watch_fetch import WatchLimits
from candor.services.watcher import Watcher
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.store.watching import Watching
from candor.testing.publishing import ORIGIN, framework, public_version, publisher, register, signed
from candor.web.app import create_app
from tests.conftest import RunCandor
from tests.web.conftest import serve_app

DOMAIN = "acme-ai.example"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def static_host(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A plain static file server on loopback, as any static host would serve the built site."""
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site_dir, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_built_site_passes_manifest_check_and_the_registry_confirms_its_keys(
    tmp_path: Path, static_host: tuple[Path, int], invoke_candor: RunCandor
) -> None:
    site_dir, port = static_host
    data_dir = tmp_path / "data"
    engine = create_database_engine(sqlite_url(tmp_path / "candor.sqlite3"))
    upgrade_database(engine)
    sessions = session_factory(engine)
    signer = register(sessions, "acme-ai")  # registered with the domain acme-ai.example
    raw = framework("acme-ai", 1)
    publisher(sessions).publish(signer.token, signed(signer, raw))
    log = RegistryLog(sessions, data_dir, ORIGIN)
    log.integrate()
    key = tmp_path / "acme.key"
    key.write_bytes(private_key_pem(signer.key))
    watcher = Watcher(
        sessions,
        log,
        WatchLimits(allow_hosts=(DOMAIN,), host_interval=0.0),
        resolver=lambda host, _port: ["127.0.0.1"] if host == DOMAIN else [],
    )
    token = watcher.challenge("acme-ai")
    settings = load_settings(data_dir=data_dir, database_url=str(engine.url), log_origin=ORIGIN, watch_interval=0)
    site_url = f"http://{DOMAIN}:{port}"
    with serve_app(create_app(settings)) as registry:
        built = invoke_candor(
            "site",
            "build",
            str(site_dir),
            "--registry",
            registry,
            "--developer",
            "acme-ai",
            "--key",
            str(key),
            "--site",
            site_url,
            "--confirmation",
            f"{ORIGIN}={token}",
        )
        assert built.returncode == 0, built.stderr
        document = site_dir / "documents" / "secure-development-framework-1.0.md"
        assert document.read_bytes() == public_version(raw)
        assert (site_dir / "documents" / "secure-development-framework-1.0.md.tlog-proof").is_file()
        assert "Verify this statement" in (site_dir / "documents" / "secure-development-framework-1.0.html").read_text()
        assert "<entry>" in (site_dir / "feed.atom").read_text()

        checked = invoke_candor("manifest", "check", f"http://127.0.0.1:{port}")
        assert checked.returncode == 0, checked.stderr
        assert "a valid manifest of acme-ai" in checked.stdout

        # The manifest alone, for a site built by other means, checked as a file; a broken file is one line, exit 2.
        manifest_file = tmp_path / "ai-transparency.json"
        alone = invoke_candor(
            "manifest",
            "build",
            "--registry",
            registry,
            "--developer",
            "acme-ai",
            "--key",
            str(key),
            "--site",
            site_url,
            "--out",
            str(manifest_file),
        )
        assert alone.returncode == 0, alone.stderr
        assert "1 document(s)" in alone.stdout
        assert invoke_candor("manifest", "check", str(manifest_file)).returncode == 0
        manifest_file.write_bytes(manifest_file.read_bytes().replace(b"acme-ai Inc.", b"Acme AI Inc."))
        broken = invoke_candor("manifest", "check", str(manifest_file))
        assert broken.returncode == 2
        assert broken.stderr.strip().splitlines()[0].startswith(f"error: {manifest_file}: signature: does not verify")

        watcher.add("acme-ai", site_url + MANIFEST_PATH)
        watcher.run_once()
        with sessions() as session:
            found = {(row.url, row.finding) for row in Watching(session).observations(limit=100)}
        assert (site_url + MANIFEST_PATH, "keys-confirmed") in found
        assert (site_url + "/documents/secure-development-framework-1.0.md", "archived") in found
        assert not {finding for _, finding in found} - {"archived", "keys-confirmed"}
        log.integrate()
        page = httpx.get(f"{registry}/developers/acme-ai").text
        assert f"Keys confirmed at {DOMAIN}" in page

        verified = invoke_candor(
            "verify", str(document), "--registry", registry, "--developer-site", f"http://127.0.0.1:{port}"
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "listed in the developer's signed manifest" in verified.stdout

        # The attack: the site's manifest lists another key (the registry holds a key that is not the site's).
        impostor = tmp_path / "other.key"
        impostor.write_bytes(private_key_pem(Ed25519PrivateKey.generate()))
        rebuilt = invoke_candor(
            "site",
            "build",
            str(site_dir),
            "--registry",
            registry,
            "--developer",
            "acme-ai",
            "--key",
            str(impostor),
            "--site",
            site_url,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
        refused = invoke_candor(
            "verify", str(document), "--registry", registry, "--developer-site", f"http://127.0.0.1:{port}"
        )
        assert refused.returncode == 1
        assert "the manifest's keys and the registry's disagree" in refused.stdout + refused.stderr
    engine.dispose()


def test_a_confirmation_token_served_from_another_domain_confirms_nothing(
    tmp_path: Path, static_host: tuple[Path, int], invoke_candor: RunCandor
) -> None:
    """Control for the confirmation: the same signed manifest, token included, served from a host that is not the
    developer's registered domain, is archived but confirms no key."""
    site_dir, port = static_host
    data_dir = tmp_path / "data"
    engine = create_database_engine(sqlite_url(tmp_path / "candor.sqlite3"))
    upgrade_database(engine)
    sessions = session_factory(engine)
    signer = register(sessions, "acme-ai")
    publisher(sessions).publish(signer.token, signed(signer, framework("acme-ai", 1)))
    log = RegistryLog(sessions, data_dir, ORIGIN)
    log.integrate()
    key = tmp_path / "acme.key"
    key.write_bytes(private_key_pem(signer.key))
    watcher = Watcher(sessions, log, WatchLimits(allow_hosts=("127.0.0.1",), host_interval=0.0))
    settings = load_settings(data_dir=data_dir, database_url=str(engine.url), log_origin=ORIGIN, watch_interval=0)
    with serve_app(create_app(settings)) as registry:
        built = invoke_candor(
            "site",
            "build",
            str(site_dir),
            "--registry",
            registry,
            "--developer",
            "acme-ai",
            "--key",
            str(key),
            "--site",
            f"http://127.0.0.1:{port}",
            "--confirmation",
            f"{ORIGIN}={watcher.challenge('acme-ai')}",
        )
        assert built.returncode == 0, built.stderr
    watcher.add("acme-ai", f"http://127.0.0.1:{port}{MANIFEST_PATH}")
    watcher.run_once()
    with sessions() as session:
        findings = {row.finding for row in Watching(session).observations(limit=100)}
    assert findings == {"archived"}
    engine.dispose()
