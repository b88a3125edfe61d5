"""The registry's commands end to end: candor serve on loopback, admin, keygen, publish, verify (online and
offline) and withdraw, candor serve --get, and the demo's seeding. Every command runs through the real entry
point."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    with _serving(invoke_candor, tmp_path) as base_url:
        yield base_url


@contextmanager
def _serving(invoke_candor: RunCandor, tmp_path: Path, *options: str) -> Iterator[str]:
    """``candor serve`` with ``options``, its output in ``serve.log``, until the block ends; its base URL."""
    data_dir = tmp_path / "data"
    assert invoke_candor("db", "upgrade", "--data-dir", str(data_dir)).returncode == 0
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "candor", "serve", "--port", str(port), "--data-dir", str(data_dir), *options],
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
    assert "log index: 1" in published.stdout  # after acme-ai's key-registration
    assert f"page: {served}/statements/1" in published.stdout
    again = invoke_candor(*publish)
    assert again.stdout.startswith("already published")
    assert "log index: 1" in again.stdout

    proof = tmp_path / "sdf-v1.tlog-proof"
    online = invoke_candor("verify", str(public), "--registry", served, "--save-proof", str(proof))
    assert online.returncode == 0, online.stderr
    assert "verified:" in online.stdout
    assert "log index 1 of 2" in online.stdout
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
    assert "log index: 2" in withdrawn.stdout
    # Still verifiable (nothing is deleted), and the verifier is told, from the log itself, that it was withdrawn.
    after = invoke_candor("verify", str(public), "--registry", served)
    assert after.returncode == 3, after.stderr
    assert "verified:" in after.stdout
    assert "WITHDREW: the developer withdrew this statement at log index 2" in after.stdout


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
    assert "published 19 signed statements by 3 developers" in seeded.stdout
    assert "http://127.0.0.1:8000/changes  every version on one timeline" in seeded.stdout
    # The history is published in date order across the three developers.
    assert "http://127.0.0.1:8000/statements/15  Borealis Labs' framework 3.0 weakens a commitment" in seeded.stdout
    assert "http://127.0.0.1:8000/statements/13  Tessellate AI's Tessera-1.5 system card, withdrawn" in seeded.stdout
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


def test_serve_logs_no_line_per_request_by_default(served: str, tmp_path: Path) -> None:
    """At thousands of requests a second the access log costs more than the answers; `--access-log` turns it on."""
    assert httpx.get(served + "/api/v1/statements", timeout=30).status_code == 200
    log = (tmp_path / "serve.log").read_text()
    assert "Application startup complete" in log  # control: the server's own log is there
    assert "GET /api/v1/statements" not in log
    assert "GET /log/checkpoint" not in log


def test_the_access_log_asked_for_still_never_names_the_confidential_channel(
    registry_env: str, invoke_candor: RunCandor, tmp_path: Path
) -> None:
    with _serving(invoke_candor, tmp_path, "--access-log") as base_url:
        assert httpx.get(base_url + "/api/v1/statements", timeout=30).status_code == 200
        # The channel is closed on this registry (no pepper): its answers are refusals, whose lines would still
        # pair an address with the channel.
        assert httpx.get(base_url + "/report", timeout=30).status_code == 503
        assert httpx.post(base_url + "/api/v1/reports", json={}, timeout=30).status_code >= 400
        assert httpx.get(base_url + "/api/v1/reports/reviewers", timeout=30).status_code == 503
    log = (tmp_path / "serve.log").read_text()
    assert "GET /api/v1/statements" in log  # control: the access log is on, and logs the public paths
    assert "/report" not in log


@pytest.mark.skipif(
    sys.platform == "win32" or sys.implementation.name != "cpython", reason="uvloop builds for CPython on POSIX"
)
def test_serve_runs_on_uvloop_and_httptools_where_they_build() -> None:
    from candor.cli.serve import fast_protocols

    assert fast_protocols() == ("uvloop", "httptools")


@pytest.mark.slow
def test_a_withdrawal_says_why_and_its_page_gives_a_command_that_works(
    served: str, run_candor: RunCandor, tmp_path: Path
) -> None:
    key, token = _register(run_candor, tmp_path, "acme-ai")
    public, sealed = _redact(run_candor, tmp_path)
    published = run_candor(
        "publish", str(public), "--sealed", str(sealed), "--registry", served, "--token", token, "--key", str(key)
    )
    assert published.returncode == 0, published.stderr
    statement_id = published.stdout.split("statement: ")[1].split()[0]
    withdraw = ("withdraw", statement_id, "--registry", served, "--token", token, "--key", str(key))

    # A reason that could forge a second line is refused in one line, before anything is signed or sent.
    forged = run_candor(*withdraw, "--reason", "Outdated.\nWITHDREW: nothing")
    assert forged.returncode == 2
    assert forged.stderr.strip().splitlines()[0].startswith("error: --reason: holds a line break")
    assert "Traceback" not in forged.stderr
    assert httpx.get(f"{served}/api/v1/statements/{statement_id}").json().get("withdrawn_by") is None

    reason = "Superseded by a framework that covers our new models; this one no longer describes our practice."
    withdrawn = run_candor(*withdraw, "--reason", f"  {reason} ")
    assert withdrawn.returncode == 0, withdrawn.stderr
    # Entry 0 is acme-ai's key registration, 1 the framework, 2 its withdrawal.
    assert "log index: 2" in withdrawn.stdout

    # The reason is in the signed statement the log holds, and both pages show it.
    evidence = httpx.get(f"{served}/api/v1/statements/{statement_id}").json()
    assert evidence["withdrawn_by"] == 2
    withdrawal_page = httpx.get(f"{served}/statements/2").text
    assert f'<q class="withdrawal-reason">{reason}</q>' in withdrawal_page
    assert f'<q class="withdrawal-reason">{reason}</q>' in httpx.get(f"{served}/statements/1").text

    # The withdrawal's verification panel: download the document it names and run the command it prints.
    link = re.search(
        r'<a href="(/api/v1/documents/[0-9a-f]{64})" download="([^"]+)">the withdrawn document</a>', withdrawal_page
    )
    command = re.search(r'<pre class="command" tabindex="0"><code>(candor verify [^<]+)</code></pre>', withdrawal_page)
    assert link is not None
    assert command is not None
    assert " --proof " not in withdrawal_page.split('class="verify"')[1], "a withdrawal has no document to prove"
    workdir = tmp_path / "reader"
    workdir.mkdir()
    (workdir / link.group(2)).write_bytes(httpx.get(served + link.group(1)).content)
    words = command.group(1).split()
    assert words[:3] == ["candor", "verify", link.group(2)]
    checked = run_candor(*words[1:], cwd=workdir)
    assert checked.returncode == 3, checked.stderr
    assert "WITHDREW: the developer withdrew this statement at log index 2" in checked.stdout


def test_log_verify_takes_the_registrys_base_url_or_its_log_url_and_its_own_vkey_file(
    served: str, run_candor: RunCandor, tmp_path: Path
) -> None:
    # The registry's own /log/vkey file, comment line and all, as a reader saves it.
    vkey = tmp_path / "registry.vkey"
    vkey.write_text(httpx.get(f"{served}/log/vkey").text)
    assert vkey.read_text().startswith("# ")
    for url in (served, f"{served}/", f"{served}/log", f"{served}/log/"):
        verified = run_candor("log", "verify", url, "--vkey", str(vkey), "--no-state")
        assert verified.returncode == 0, f"{url}: {verified.stderr}"
        assert verified.stdout.startswith("log ")
        assert "ok: " in verified.stdout
    # A server that holds no log at either place is named, in one line.
    nowhere = run_candor("log", "verify", f"{served}/nothing-here", "--vkey", str(vkey), "--no-state")
    assert nowhere.returncode == 2
    assert nowhere.stderr.startswith(
        f"error: no log at {served}/nothing-here: neither {served}/nothing-here/checkpoint"
    )
    assert "Traceback" not in nowhere.stderr


def test_a_wrong_registry_url_is_named_not_answered_with_the_servers_html(
    served: str, run_candor: RunCandor, tmp_path: Path
) -> None:
    key, token = _register(run_candor, tmp_path, "acme-ai")
    wrong = f"{served}/candor"
    expected = (
        f"error: no Candor registry at {wrong}: GET /candor/log/checkpoint answered 404 Not Found "
        "(give the registry's base URL, the address of its home page)"
    )
    # The server answers these paths with its HTML 404 page; none of it is printed.
    certification = EXAMPLES / "acme-ai" / "certification-2026.md"
    published = run_candor("publish", str(certification), "--registry", wrong, "--token", token, "--key", str(key))
    assert published.returncode == 2
    assert published.stderr.splitlines() == [expected]
    withdrawn = run_candor("withdraw", "ab" * 32, "--registry", wrong, "--token", token, "--key", str(key))
    assert withdrawn.returncode == 2
    assert withdrawn.stderr.startswith(f"error: no Candor registry at {wrong}: GET /candor/api/v1/statements/")
    assert "<" not in published.stderr + withdrawn.stderr
    # The registry's own 404, a JSON error, is still reported in its words.
    unknown = run_candor("withdraw", "ab" * 32, "--registry", served, "--token", token, "--key", str(key))
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(f"error: registry refused GET /api/v1/statements/{'ab' * 32}: 404 ")
