"""The registry's commands end to end: candor serve on loopback, admin, keygen, publish, verify (online and
offline) and withdraw, candor serve --get, and the demo's seeding. Every command runs through the real entry
point."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES, REPO, RunCandor
from tests.processes import free_port

SDF_V1 = EXAMPLES / "acme-ai" / "sdf-v1.md"


@pytest.fixture
def registry_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every child process uses this test's database (a SQLite file, or a fresh PostgreSQL schema)."""
    monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def served(registry_env: str, invoke_candor: RunCandor, tmp_path: Path) -> Iterator[str]:
    """``candor serve`` in a child process on a free loopback port; its base URL."""
    data_dir = tmp_path / "data"
    assert invoke_candor("db", "upgrade", "--data-dir", str(data_dir)).returncode == 0
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "candor", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if server.poll() is not None:
                pytest.fail(f"candor serve exited: {(tmp_path / 'serve.log').read_text()}")
            try:
                if httpx.get(base_url + "/log/checkpoint", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("candor serve did not start")
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _register(invoke_candor: RunCandor, tmp_path: Path, slug: str) -> tuple[Path, str]:
    """Keygen, admin developer add and token create for ``slug``; its key file and token."""
    data_dir = str(tmp_path / "data")
    key = tmp_path / f"{slug}.key"
    assert invoke_candor("keygen", str(key)).returncode == 0
    added = invoke_candor(
        "admin", "developer", "add", slug, "--name", f"{slug} Inc.", "--domain", f"{slug}.example",
        "--public-key", f"{key}.pub", "--data-dir", data_dir,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = invoke_candor("admin", "token", "create", slug, "--data-dir", data_dir)
    assert created.returncode == 0, created.stderr
    return key, created.stdout.strip().splitlines()[-1]


def _redact(invoke_candor: RunCandor, tmp_path: Path) -> tuple[Path, Path]:
    """SDF_V1, which marks passages for redaction, through `candor redact` to a fresh regulator key: the public
    version and the sealed original, as its developer must publish them."""
    regulator = tmp_path / "regulator"
    assert invoke_candor("regulator", "keygen", str(regulator)).returncode == 0
    out = tmp_path / "public"
    out.mkdir()
    redacted = invoke_candor("redact", str(SDF_V1), "--regulator-key", f"{regulator}.pub", "--out", str(out))
    assert redacted.returncode == 0, redacted.stderr
    return out / "sdf-v1.md", out / "sdf-v1.sealed"


@pytest.mark.slow
def test_publish_then_verify_online_and_offline(served: str, invoke_candor: RunCandor, tmp_path: Path) -> None:
    key, token = _register(invoke_candor, tmp_path, "acme-ai")
    public, sealed = _redact(invoke_candor, tmp_path)
    publish = (
        "publish",
        str(public),
        "--sealed",
        str(sealed),
        "--registry",
        served,
        "--token",
        token,
        "--key",
        str(key),
    )
    published = invoke_candor(*publish)
    assert published.returncode == 0, published.stderr
    assert "log index: 0" in published.stdout
    assert f"page: {served}/statements/0" in published.stdout
    again = invoke_candor(*publish)
    assert again.stdout.startswith("already published")
    assert "log index: 0" in again.stdout

    proof = tmp_path / "sdf-v1.tlog-proof"
    online = invoke_candor("verify", str(public), "--registry", served, "--save-proof", str(proof))
    assert online.returncode == 0, online.stderr
    assert "verified:" in online.stdout
    assert "log index 0 of 1" in online.stdout
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\n")

    vkey = tmp_path / "log.vkey"
    vkey.write_text(httpx.get(served + "/log/vkey").text)
    offline = invoke_candor("verify", str(public), "--proof", str(proof), "--vkey", str(vkey))
    assert offline.returncode == 0, offline.stderr
    pinned = invoke_candor(
        "verify", str(public), "--proof", str(proof), "--vkey", str(vkey), "--developer-key", f"{key}.pub"
    )
    assert pinned.returncode == 0, pinned.stderr

    tampered = tmp_path / "sdf-v1.md"
    tampered.write_bytes(public.read_bytes().replace(b"strength: must", b"strength: may", 1))
    refused = invoke_candor("verify", str(tampered), "--proof", str(proof), "--vkey", str(vkey))
    assert refused.returncode != 0
    assert "but the signed statement names" in refused.stderr
    assert "Traceback" not in refused.stderr
    unknown = invoke_candor("verify", str(tampered), "--registry", served)
    assert unknown.returncode != 0
    assert "no statement" in unknown.stderr

    statement_id = published.stdout.split("statement: ")[1].split()[0]
    withdrawn = invoke_candor("withdraw", statement_id, "--registry", served, "--token", token, "--key", str(key))
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "log index: 1" in withdrawn.stdout
    # Still verifiable (nothing is deleted), and the verifier is told, from the log itself, that it was withdrawn.
    after = invoke_candor("verify", str(public), "--registry", served)
    assert after.returncode == 3, after.stderr
    assert "verified:" in after.stdout
    assert "WITHDREW: the developer withdrew this statement at log index 1" in after.stdout


def test_a_developer_cannot_publish_as_another_over_http(served: str, invoke_candor: RunCandor, tmp_path: Path) -> None:
    _register(invoke_candor, tmp_path, "acme-ai")
    rival_key, rival_token = _register(invoke_candor, tmp_path, "rival-ai")
    public, sealed = _redact(invoke_candor, tmp_path)
    forged = invoke_candor(
        "publish", str(public), "--sealed", str(sealed), "--registry", served, "--token", rival_token,
        "--key", str(rival_key),
    )  # fmt: skip
    assert forged.returncode != 0
    assert "403" in forged.stderr
    assert "not for acme-ai" in forged.stderr


def test_publish_reports_a_document_that_does_not_parse_before_sending(
    invoke_candor: RunCandor, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text(SDF_V1.read_text().replace("effective_date:", "effective_dat:", 1))
    key = tmp_path / "k"
    invoke_candor("keygen", str(key))
    result = invoke_candor(
        "publish", str(broken), "--registry", "http://127.0.0.1:9", "--token", "t", "--key", str(key)
    )  # fmt: skip
    assert result.returncode != 0
    assert "effective_dat" in result.stderr
    assert "Traceback" not in result.stderr


def test_publish_refuses_a_document_still_marked_for_redaction_before_signing(
    invoke_candor: RunCandor, tmp_path: Path
) -> None:
    # The key file does not exist and the registry is unreachable: the refusal comes before either is touched, so
    # the marked passages never leave the machine, with or without a sealed original beside them.
    _, sealed = _redact(invoke_candor, tmp_path)
    absent_key = tmp_path / "absent.key"
    for extra in ((), ("--sealed", str(sealed))):
        result = invoke_candor(
            "publish", str(SDF_V1), *extra, "--registry", "http://127.0.0.1:9", "--token", "t",
            "--key", str(absent_key),
        )  # fmt: skip
        assert result.returncode != 0
        assert result.stderr.splitlines() == [
            f"error: {SDF_V1}:451: this passage is still marked for redaction and would be published "
            "(run `candor redact` and publish the public version it writes, with its sealed original)"
        ]


def test_publish_refuses_a_public_version_without_its_sealed_original(invoke_candor: RunCandor, tmp_path: Path) -> None:
    public, _ = _redact(invoke_candor, tmp_path)
    result = invoke_candor(
        "publish", str(public), "--registry", "http://127.0.0.1:9", "--token", "t", "--key", str(tmp_path / "k")
    )  # fmt: skip
    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert f"error: {public}:" in line
    assert "redaction placeholder comes without the sealed original" in line
    assert "--sealed" in line


def test_serve_get_exits_zero_only_on_200(invoke_candor: RunCandor, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    assert invoke_candor("db", "upgrade", "--data-dir", data_dir).returncode == 0
    home = invoke_candor("serve", "--get", "/", "--data-dir", data_dir)
    assert home.returncode == 0, home.stderr
    assert "<html" in home.stdout
    missing = invoke_candor("serve", "--get", "/nonexistent", "--data-dir", data_dir)
    assert missing.returncode != 0
    assert "404" in missing.stderr


def test_serve_refuses_a_data_dir_that_holds_no_registry_and_creates_none(
    registry_env: str, invoke_candor: RunCandor, tmp_path: Path
) -> None:
    data_dir = tmp_path / "mistyped"
    refusal = [f"error: no registry in {data_dir}; run `candor db upgrade --data-dir {data_dir}` or `candor demo`"]
    for command in (("--get", "/"), ("--port", str(free_port()))):
        result = invoke_candor("serve", *command, "--data-dir", str(data_dir))
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines() == refusal
    assert not data_dir.exists()
    assert not (tmp_path / "candor.sqlite3").exists()  # where this test's SQLite database would be
    # An empty directory holds no registry either; once there is one, it is served.
    data_dir.mkdir()
    assert invoke_candor("serve", "--get", "/", "--data-dir", str(data_dir)).stderr.splitlines() == refusal
    assert invoke_candor("db", "upgrade", "--data-dir", str(data_dir)).returncode == 0
    served = invoke_candor("serve", "--get", "/", "--data-dir", str(data_dir))
    assert served.returncode == 0, served.stderr


def test_demo_seeds_a_registry_that_serves_its_developers(invoke_candor: RunCandor, tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    seeded = invoke_candor("demo", "--seed-only", "--data-dir", str(data_dir), cwd=REPO)
    assert seeded.returncode == 0, seeded.stderr
    assert "published 16 signed statements by 3 developers" in seeded.stdout
    # The history is published in date order across the three developers.
    assert "http://127.0.0.1:8000/statements/12  Borealis Labs' framework 3.0 weakens a commitment" in seeded.stdout
    assert "http://127.0.0.1:8000/statements/10  Tessellate AI's Tessera-1.5 system card, withdrawn" in seeded.stdout
    assert "http://127.0.0.1:8000/api  the JSON API reference" in seeded.stdout
    page = invoke_candor("serve", "--get", "/developers/tessellate-ai", "--data-dir", str(data_dir))
    assert page.returncode == 0, page.stderr
    assert "Tessellate AI" in page.stdout
    # The demo recorded its facts: the page decides coverage instead of saying none are on file.
    assert "Coverage by regime" in page.stdout
    assert "No facts are on file" not in page.stdout
    # A second run rebuilds the same registry from nothing.
    assert invoke_candor("demo", "--seed-only", "--data-dir", str(data_dir), cwd=REPO).returncode == 0


def test_demo_refuses_to_wipe_a_directory_it_did_not_make(invoke_candor: RunCandor, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = invoke_candor("demo", "--seed-only", "--data-dir", str(tmp_path), cwd=REPO)
    assert result.returncode != 0
    assert "refusing to wipe it" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"
