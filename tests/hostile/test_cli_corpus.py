"""Every CLI case of the hostile-input corpus: a clear one-line error and exit code 2, never a traceback.

Cases whose safe outcome is not a refusal say so in their ``expect``:

- ``exit_or_absent``: ``candor redact`` refuses (exit 2, one line), or the canary is absent from the public version
  it writes; the redaction-split attacks pass under either fix;
- ``exit_or_strict_json``: the command refuses naming the field, or its JSON output is strict JSON (no Infinity);
- ``exit_or_clean``: the command refuses with one line, or it succeeds; either way no traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from candor.config import Settings, sqlite_url
from candor.domain.developer_keys import load_private_key
from candor.services.integration import RegistryLog
from candor.services.registration import Registration
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from tests.hostile.corpus import CLI_ENVIRONMENT, CORPUS, REPO, CliRun, cases_for, expand, prepare, run_cli


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated registry for every ``candor admin`` case, with acme-ai registered (lookalikes try beside it)."""
    data_dir = tmp_path_factory.mktemp("hostile-registry")
    engine = create_database_engine(sqlite_url(data_dir / "candor.sqlite3"))
    try:
        upgrade_database(engine)
        key = load_private_key("acme-ai", (CORPUS / "keys" / "acme-ai.key").read_bytes())
        sessions = session_factory(engine)
        registry_log = RegistryLog(sessions, data_dir, Settings.model_fields["log_origin"].default)
        Registration.of_log(sessions, registry_log).register(
            "acme-ai", legal_name="Acme AI, Inc.", website_domain="acme-ai.example", public_key=key.public_key()
        )
    finally:
        engine.dispose()
    return data_dir


@pytest.fixture(scope="module")
def hostile_registry() -> Iterator[str]:
    """A server that answers as the corpus's ``registries/<name>.json`` say, under ``/<name>``: a broken registry."""
    server = QuietServer(("127.0.0.1", 0), HostileRegistryHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class QuietServer(ThreadingHTTPServer):
    """A server that never writes to stderr: the CLI cases capture stderr, and a stray line would fail one of them."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class HostileRegistryHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer()

    def _answer(self) -> None:
        _, name, rest = self.path.split("/", 2)
        routes = json.loads((CORPUS / "registries" / f"{name}.json").read_text("utf-8"))["routes"]
        route: dict[str, Any] = next(
            (r for r in routes if r["method"] == self.command and ("/" + rest).startswith(r["prefix"])),
            {
                "status": 404,
                "content_type": "application/json",
                "body": '{"error": {"code": "not_found", "message": "not here", "detail": null}}',
            },
        )
        body = route["body"].encode("utf-8")
        self.send_response(route["status"])
        self.send_header("Content-Type", route["content_type"])
        self.send_header("Content-Length", str(len(body)))
        if route["status"] in (301, 302):
            self.send_header("Location", route.get("location", "http://127.0.0.1:9/elsewhere"))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # the test output is no place for access logs
        return


def places(case: dict[str, Any], request: pytest.FixtureRequest, registry_dir: Path) -> dict[str, str]:
    """The places a case's paths name; a fresh directory, or the hostile registry, only for the cases that use one."""
    text = repr(case)
    tmp = request.getfixturevalue("tmp_path") if "{tmp}" in text else Path("/nonexistent-tmp")
    hostile = request.getfixturevalue("hostile_registry") if "{hostile}" in text else "http://127.0.0.1:9"
    return {
        "corpus": str(CORPUS),
        "examples": str(REPO / "examples"),
        "tmp": str(tmp),
        "registry": str(registry_dir),
        "hostile": hostile,
    }


def assert_no_traceback(run: CliRun) -> None:
    assert run.escaped is None, f"an exception escaped the CLI:\n{run.escaped}"
    assert "Traceback" not in run.stdout + run.stderr, run.stdout + run.stderr


def assert_one_line_refusal(run: CliRun, needle: str, *, exit_code: int = 2) -> str:
    """The exit code (2 unless the case says), and stderr is one line, ``error: ...``, holding ``needle``."""
    assert_no_traceback(run)
    assert run.exit_code == exit_code, f"exit {run.exit_code}\nstdout: {run.stdout}\nstderr: {run.stderr}"
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"the error is not one line:\n{run.stderr}"
    assert lines[0].startswith("error: "), lines[0]
    assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def check_outcome(run: CliRun, expect: dict[str, Any], where: dict[str, str]) -> None:
    if "exit" in expect:
        line = assert_one_line_refusal(run, expand(expect["error"], where), exit_code=expect["exit"])
        if "names" in expect:
            # A person must learn which file is wrong, whatever else the line says.
            assert expand(expect["names"], where) in line, f"the error does not name {expect['names']}: {line}"
        return
    assert_no_traceback(run)
    if "exit_or_absent" in expect:
        canary, public = expect["exit_or_absent"]["canary"], Path(expand(expect["exit_or_absent"]["public"], where))
        if run.exit_code == 2:
            # A refusal must point at the markup it cannot read, so that the author can fix it there.
            line = assert_one_line_refusal(run, "")
            assert re.search(r"\.md:\d+: ", line), f"the refusal names no line: {line}"
            return
        assert run.exit_code == 0, run.stderr
        assert canary not in public.read_text("utf-8", "replace"), f"{canary} was published in clear in {public}"
    elif "exit_or_strict_json" in expect:
        if run.exit_code == 2:
            assert_one_line_refusal(run, expect["exit_or_strict_json"]["error"])
            return
        assert run.exit_code == 0, run.stderr
        json.loads(run.stdout, parse_constant=_refuse_constant)
    elif "exit_or_clean" in expect:
        if run.exit_code == 2:
            assert_one_line_refusal(run, expect["exit_or_clean"]["error"])
            return
        assert run.exit_code == 0, run.stderr
    else:
        raise AssertionError(f"unknown expectation {expect}")


def _refuse_constant(constant: str) -> Any:
    raise AssertionError(f"the JSON output holds {constant}, which JSON does not allow")


@pytest.mark.parametrize("case", cases_for("cli"))
def test_cli_refuses_hostile_input_in_one_line(
    case: dict[str, Any], request: pytest.FixtureRequest, registry_dir: Path
) -> None:
    where = places(case, request, registry_dir)
    prepare(case.get("prepare", []), where)
    argv = [expand(argument, where) for argument in case["argv"]]
    check_outcome(run_cli(argv), case["expect"], where)


SUBPROCESS_CASES = [param for param in cases_for("cli") if param.values[0].get("subprocess")]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_the_installed_entry_point_prints_no_traceback(
    case: dict[str, Any], request: pytest.FixtureRequest, registry_dir: Path
) -> None:
    where = places(case, request, registry_dir)
    prepare(case.get("prepare", []), where)
    argv = [expand(argument, where) for argument in case["argv"]]
    completed = subprocess.run(
        [sys.executable, "-m", "candor", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **CLI_ENVIRONMENT},
        check=False,
    )
    check_outcome(CliRun(completed.returncode, completed.stdout, completed.stderr), case["expect"], where)
