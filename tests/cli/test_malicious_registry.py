"""A malicious registry: a loopback proxy in front of a real one, lying in one way per mode.

The real registry is the app served by uvicorn in a thread, filled through the real store and log (the acme-ai
system card 3.5 is withdrawn at the end of the log). The proxy forwards everything, except what its mode lies
about: another log key or origin, a wrong root, a rollback, a fork (two logs of one size signed with the real
key), a hidden or invented withdrawal in the JSON, a truncated log, endless, huge and trickling bodies, redirects
and answers that are not what the API promises. ``candor`` runs in-process through its real entry point, each
client with its own state directory. Every lie is paired with the control in which the proxy tells the truth.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from candor import httpclient
from candor.cli.app import main
from candor.config import load_settings, sqlite_url
from candor.domain.developer_keys import key_fingerprint, public_key_raw
from candor.domain.log_entry import signed_entry
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.services.evidence import StatementEvidence
from candor.services.integration import RegistryLog, registry_log_signer
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import public_version
from candor.tlog.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from candor.tlog.merkle import inclusion_proof
from candor.tlog.note import CosignatureSigner, Signer, generate_key, parse_signer_key, sign_note
from candor.tlog.proof import format_tlog_proof, parse_tlog_proof
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import create_writer
from candor.web.app import create_app
from tests.web.conftest import serve_app
from tests.web.registry import Filled, Registry, example, fill

ORIGIN = "registry.test/log"


@dataclass
class Result:
    code: int
    out: str
    err: str


def candor(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run ``candor ARGS`` in this process through the real entry point; a traceback fails the test."""
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["candor", *args]
    try:
        main()
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def refused(result: Result, code: int, needle: str) -> None:
    """The verifier refused with ``code`` and one line on stderr that says ``needle``, without a traceback."""
    assert result.code == code, (result.out, result.err)
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert needle in result.err, result.err
    assert "Traceback" not in result.err


@dataclass
class ForgedLog:
    """A tiled log the attacker serves instead of the real one, and the key it signs with."""

    directory: Path
    signer: Signer
    note: bytes
    size: int

    def reader(self) -> TileReader:
        checkpoint = Checkpoint(self.signer.name, self.size, _root(self.note))
        return TileReader(DirectoryFetcher(self.directory), checkpoint.size, checkpoint.root)


def _root(note: bytes) -> bytes:
    return base64.b64decode(note.decode().split("\n")[2])


def forge(directory: Path, entries: list[bytes], signer: Signer) -> ForgedLog:
    """Tile ``entries`` under ``directory`` and sign their checkpoint with ``signer``."""
    writer = create_writer(directory, 0)
    root = writer.append(entries)
    note = sign_checkpoint(Checkpoint(signer.name, len(entries), root), signer)
    (directory / "checkpoint").write_bytes(note)
    return ForgedLog(directory, signer, note, len(entries))


@dataclass
class Upstream:
    url: str
    data_dir: Path
    filled: Filled
    entries: list[bytes]
    signer: Signer
    developer_keys: dict[str, Ed25519PrivateKey]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    data_dir = tmp_path_factory.mktemp("registry")
    database_url = sqlite_url(data_dir / "candor.sqlite3")
    settings = load_settings(data_dir=data_dir, database_url=database_url, log_origin=ORIGIN)
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, data_dir, ORIGIN))
    try:
        filled = fill(registry)
    finally:
        engine.dispose()
    signer = registry_log_signer(data_dir / "log.key", ORIGIN)
    note = (data_dir / "log" / "checkpoint").read_bytes()
    checkpoint = open_checkpoint(note, signer.verifier())
    reader = TileReader(DirectoryFetcher(data_dir / "log"), checkpoint.size, checkpoint.root)
    entries = [entry for _, entry in reader.entries(0, checkpoint.size)]
    with serve_app(create_app(settings)) as url:
        yield Upstream(url, data_dir, filled, entries, signer, registry.keys)


@dataclass
class Lies:
    """What the proxy lies about; empty means it forwards everything as it is."""

    mode: str = "honest"
    forged: ForgedLog | None = None
    vkey: str | None = None
    hits: list[str] = field(default_factory=list)


class _Proxy(BaseHTTPRequestHandler):
    upstream: str
    lies: Lies

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        # The verifier hangs up, as it should, on a body it will not take.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer()

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, path: str) -> httpx.Response:
        return httpx.get(self.upstream + path, timeout=30)

    def _answer(self) -> None:
        lies, path = self.lies, self.path.removeprefix("/real")
        lies.hits.append(path)
        mode, forged = lies.mode, lies.forged
        if mode == "cross-host redirect" and path == "/log/checkpoint":
            port = self.server.server_port  # type: ignore[attr-defined]
            return self._send(302, b"", "text/plain", {"Location": f"http://localhost:{port}/real/log/checkpoint"})
        if mode == "stale checkpoint" and path == "/log/checkpoint" and forged is not None:
            return self._send(200, forged.note, "text/plain; charset=utf-8")
        if mode == "same-origin redirect" and self.path == "/log/checkpoint":
            return self._send(302, b"", "text/plain", {"Location": "/real/log/checkpoint"})
        if mode == "altered document" and path.startswith("/api/v1/documents/"):
            return self._send(200, self._forward(path).content + b"\nOne more line.\n", "text/markdown")
        if mode == "huge tile" and path.startswith("/log/tile/0/"):
            return self._stream(b"\0" * 65536, repeat=1600)  # 100 MiB, without a Content-Length
        if path.startswith("/api/v1/statements/by-document/"):
            if mode == "endless body":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"[")
                return self._stream(b'{"id": "0000"},' * 4096, repeat=None)
            if mode == "300":
                return self._send(300, b"choose", "text/plain")
            if mode == "html":
                return self._send(200, b"<html>Sign in to the wifi</html>", "text/html")
            answer = self._forward(path)
            items = answer.json()
            for item in items:
                if mode == "hide withdrawal":
                    item.pop("withdrawn_by", None)
                elif mode == "invent withdrawal":
                    item["withdrawn_by"] = 3
            return self._send(answer.status_code, json.dumps(items).encode(), "application/json")
        if path.endswith("/tlog-proof"):
            answer = self._forward(path)
            if mode == "trickle":
                return self._trickle(answer.content)
            if forged is None or mode == "stale checkpoint":
                return self._send(answer.status_code, answer.content, answer.headers["content-type"])
            proof = parse_tlog_proof(answer.text)
            hashes = inclusion_proof(forged.reader(), proof.index, forged.size)
            text = format_tlog_proof(proof.index, hashes, forged.note, extra=proof.extra)
            return self._send(200, text.encode(), "text/plain; charset=utf-8")
        if mode == "stale checkpoint":
            forged = None
        if forged is not None and path == "/log/vkey":
            return self._send(200, (lies.vkey or forged.signer.verifier().vkey()).encode() + b"\n", "text/plain")
        if forged is not None and path.startswith("/log/"):
            name = path.removeprefix("/log/")
            try:
                body = (forged.directory / name).read_bytes()
            except FileNotFoundError:
                return self._send(404, b"not found", "text/plain")
            return self._send(200, body, "application/octet-stream")
        answer = self._forward(path)
        self._send(answer.status_code, answer.content, answer.headers.get("content-type", "text/plain"))

    def _stream(self, chunk: bytes, *, repeat: int | None) -> None:
        if repeat is not None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
        sent = 0
        while repeat is None or sent < repeat:
            self.wfile.write(chunk)
            sent += 1

    def _trickle(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[tuple[str, Lies]]:
    lies = Lies()
    handler = type("Proxy", (_Proxy,), {"upstream": upstream.url, "lies": lies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", lies
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    """The acme-ai framework 1.0 (never withdrawn) and system card 3.5 (withdrawn), as the registry serves them."""
    paths = {"framework": tmp_path / "sdf-v1.md", "card": tmp_path / "system-card-acme-3-5.md"}
    paths["framework"].write_bytes(public_version(example("sdf-v1.md")))
    paths["card"].write_bytes(public_version(example("system-card-acme-3-5.md")))
    return paths


def _verify(capsys: pytest.CaptureFixture[str], document: Path, url: str, state: Path, *extra: str) -> Result:
    return candor(capsys, "verify", str(document), "--registry", url, "--state", str(state), *extra)


def _evidence(result: Result) -> str:
    path = Path(result.err.split("saved in ")[1].split(";")[0])
    return path.read_text()


# -- the log's key and origin ---------------------------------------------------------------------------------


def test_a_forged_log_under_another_key_is_refused_once_the_real_key_is_pinned(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    state = tmp_path / "state"
    first = _verify(capsys, documents["framework"], url, state)
    assert first.code == 0, first.err
    fingerprint = upstream.signer.verifier().fingerprint()
    assert f"first contact with log {ORIGIN}: verifier key {fingerprint} is now pinned" in first.out
    assert (state / "logs" / "registry.test%2Flog" / "vkey").read_text().strip() == upstream.signer.verifier().vkey()
    again = _verify(capsys, documents["framework"], url, state)
    assert again.code == 0
    assert "first contact" not in again.out

    lies.forged = forge(tmp_path / "forged", upstream.entries, parse_signer_key(generate_key(ORIGIN)[0]))
    refused(_verify(capsys, documents["framework"], url, state), 5, "is pinned for this log")
    # Pinning the real key by hand on first contact refuses the forgery too.
    real_vkey = upstream.signer.verifier().vkey()
    fresh = _verify(capsys, documents["framework"], url, tmp_path / "fresh", "--vkey", real_vkey)
    refused(fresh, 5, "not signed by the pinned key")


def test_a_registry_that_switches_to_another_origin_is_refused(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    state = tmp_path / "state"
    assert _verify(capsys, documents["framework"], url, state).code == 0
    lies.forged = forge(tmp_path / "forged", upstream.entries, parse_signer_key(generate_key("evil.test/log")[0]))
    refused(_verify(capsys, documents["framework"], url, state), 5, f"but it served {ORIGIN!r} before")


# -- checkpoints: wrong root, rollback, fork ------------------------------------------------------------------


def test_a_checkpoint_with_a_wrong_root_is_a_fork_with_evidence(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    state = tmp_path / "state"
    assert _verify(capsys, documents["framework"], url, state).code == 0
    # The registry's own key signs a checkpoint of the same size over different entries.
    other = [*upstream.entries[:-1], upstream.entries[0]]
    lies.forged = forge(tmp_path / "forged", other, upstream.signer)
    result = _verify(capsys, documents["framework"], url, state)
    refused(result, 5, "fork: the checkpoint of size 9 does not extend the one of size 9")
    evidence = _evidence(result)
    assert upstream.signer.verifier().vkey().split("+")[0] in evidence
    assert lies.forged.note.decode() in evidence


def test_a_rollback_is_refused_with_both_checkpoints_as_evidence(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    state = tmp_path / "state"
    assert _verify(capsys, documents["framework"], url, state).code == 0
    remembered = (state / "logs" / "registry.test%2Flog" / "checkpoint").read_bytes()
    lies.forged = forge(tmp_path / "old", upstream.entries[:5], upstream.signer)
    result = _verify(capsys, documents["framework"], url, state)
    refused(result, 5, "rollback: the checkpoint of size 5 does not extend the one of size 9")
    evidence = _evidence(result)
    assert remembered.decode() in evidence
    assert lies.forged.note.decode() in evidence
    # The remembered checkpoint is kept, not replaced by the older one.
    assert (state / "logs" / "registry.test%2Flog" / "checkpoint").read_bytes() == remembered


def test_a_cached_checkpoint_older_than_the_proof_is_a_prefix_not_a_rollback(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    lies.mode = "stale checkpoint"
    lies.forged = forge(tmp_path / "old", upstream.entries[:5], upstream.signer)
    result = _verify(capsys, documents["card"], url, tmp_path / "state")
    assert result.code == 3, result.err
    assert "newest checkpoint: size 9" in result.out
    # A stale checkpoint that is not a prefix of the proof's is a fork.
    lies.forged = forge(tmp_path / "fork", [*upstream.entries[:4], upstream.entries[5]], upstream.signer)
    refused(_verify(capsys, documents["card"], url, tmp_path / "other"), 5, "fork")


def test_a_truncated_log_cannot_hide_a_withdrawal_from_a_client_that_saw_it(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    state = tmp_path / "state"
    honest = _verify(capsys, documents["card"], url, state)
    assert honest.code == 3, honest.err
    assert "WITHDREW: the developer withdrew this statement at log index 8" in honest.out
    lies.forged = forge(tmp_path / "truncated", upstream.entries[:8], upstream.signer)
    refused(_verify(capsys, documents["card"], url, state), 5, "rollback")


def test_a_split_view_is_caught_by_comparing_two_clients_checkpoints(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    # Alice sees the real log, in which the card is withdrawn.
    assert _verify(capsys, documents["card"], url, alice).code == 3
    # Bob is shown a fork of the same size, signed with the same key, where the withdrawal is something else.
    decoy = Statement(
        developer="acme-ai",
        kind=StatementKind.WITHDRAWAL,
        version="decoy",
        target=hashlib.sha256(upstream.entries[0]).hexdigest(),
        issued_at=Statement.model_validate_json(upstream.entries[8]).issued_at,
    )
    lies.forged = forge(tmp_path / "fork", [*upstream.entries[:8], decoy.canonical_bytes()], upstream.signer)
    assert _verify(capsys, documents["card"], url, bob).code == 0  # alone, Bob cannot tell
    checkpoints = [str(state / "logs" / "registry.test%2Flog" / "checkpoint") for state in (alice, bob)]
    vkey = upstream.signer.verifier().vkey()
    refused(candor(capsys, "log", "compare", *checkpoints, "--vkey", vkey), 5, "FORK")
    same = candor(capsys, "log", "compare", checkpoints[0], checkpoints[0], "--vkey", vkey)
    assert same.code == 0
    assert "same: both checkpoints are the tree of size 9" in same.out
    # And Alice, shown Bob's fork, refuses it herself.
    refused(_verify(capsys, documents["card"], url, alice), 5, "fork")


# -- withdrawals come from the log, not the JSON --------------------------------------------------------------


def test_hiding_the_withdrawal_in_the_json_does_not_hide_it(
    proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    for mode in ("honest", "hide withdrawal"):
        lies.mode = mode
        result = _verify(capsys, documents["card"], url, tmp_path / "state")
        assert result.code == 3, (mode, result.err)
        assert "withdrew this statement at log index 8" in result.out


def test_inventing_a_withdrawal_in_the_json_does_not_invent_one(
    proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    for mode in ("honest", "invent withdrawal"):
        lies.mode = mode
        result = _verify(capsys, documents["framework"], url, tmp_path / "state")
        assert result.code == 0, (mode, result.err)
        assert "not withdrawn or corrected in the log up to size 9" in result.out


def test_offline_verification_says_withdrawals_cannot_be_known(
    proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, _ = proxy
    proof = tmp_path / "card.tlog-proof"
    state = tmp_path / "state"
    assert _verify(capsys, documents["card"], url, state, "--save-proof", str(proof)).code == 3
    offline = candor(capsys, "verify", str(documents["card"]), "--proof", str(proof), "--state", str(state))
    assert offline.code == 0, offline.err
    assert "withdrawals: unknown offline" in offline.out
    refused(
        candor(capsys, "verify", str(documents["card"]), "--proof", str(proof), "--no-state"),
        2,
        "needs the verifier key of log registry.test/log",
    )


def test_a_proof_re_signed_with_another_key_is_caught_by_a_pinned_developer_key(
    upstream: Upstream, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, _ = proxy
    state, proof, resigned = tmp_path / "state", tmp_path / "sdf.tlog-proof", tmp_path / "resigned.tlog-proof"
    assert _verify(capsys, documents["framework"], url, state, "--save-proof", str(proof)).code == 0
    parsed = parse_tlog_proof(proof.read_text())
    evidence = StatementEvidence.from_extra(parsed.extra)
    impostor = Ed25519PrivateKey.generate()
    forged = StatementEvidence(
        evidence.statement_bytes,
        impostor.sign(evidence.statement_bytes),
        public_key_raw(impostor.public_key()),
    )
    resigned.write_text(format_tlog_proof(parsed.index, parsed.hashes, parsed.checkpoint, extra=forged.to_extra()))
    real = tmp_path / "acme-ai.pub"
    real.write_bytes(
        upstream.developer_keys["acme-ai"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    offline = ("verify", str(documents["framework"]), "--state", str(state), "--proof")
    # The log cannot tell (it holds the statement, not its signer's key), and the output says so ...
    unpinned = candor(capsys, *offline, str(resigned))
    assert unpinned.code == 0, unpinned.err
    assert f"developer key SHA256:{key_fingerprint(impostor.public_key())} (from the proof, not the log" in unpinned.out
    # ... and a pinned developer key refuses it, while it accepts the genuine proof.
    pinned = candor(capsys, *offline, str(proof), "--developer-key", str(real))
    assert pinned.code == 0, pinned.err
    assert "(pinned with --developer-key)" in pinned.out
    refused(candor(capsys, *offline, str(resigned), "--developer-key", str(real)), 1, "not the pinned developer key")


# -- bounded downloads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "needle"),
    [
        ("endless body", "the JSON answer is over the limit of 8,388,608 bytes"),
        ("huge tile", "the tile is over the limit of 8,192 bytes"),
        ("cross-host redirect", "redirects to another origin (http://localhost:"),
        ("300", ": 300 choose"),
        ("html", "answered text/html, not a JSON answer"),
    ],
)
def test_a_hostile_answer_is_one_line_error(
    mode: str, needle: str, proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    assert _verify(capsys, documents["framework"], url, tmp_path / "control").code == 0
    lies.mode = mode
    refused(_verify(capsys, documents["framework"], url, tmp_path / "state"), 2, needle)


def test_log_verify_does_not_follow_a_redirect_to_another_host(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    vkey = upstream.signer.verifier().vkey()
    assert candor(capsys, "log", "verify", f"{url}/log", "--vkey", vkey, "--no-state").code == 0
    lies.mode = "cross-host redirect"
    refused(
        candor(capsys, "log", "verify", f"{url}/log", "--vkey", vkey, "--no-state"),
        2,
        "redirects to another origin (http://localhost:",
    )


def test_a_same_origin_redirect_is_followed(
    proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    lies.mode = "same-origin redirect"
    assert _verify(capsys, documents["framework"], url, tmp_path / "state").code == 0
    assert lies.hits.count("/log/checkpoint") >= 2


def test_a_trickling_server_is_cut_off_at_the_deadline(
    proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, lies = proxy
    monkeypatch.setattr(httpclient, "DEADLINE_SECONDS", 2.0)
    assert _verify(capsys, documents["framework"], url, tmp_path / "control").code == 0
    lies.mode = "trickle"
    refused(_verify(capsys, documents["framework"], url, tmp_path / "state"), 2, "took longer than 2 s to arrive")


# -- candor log verify, consistency and compare against the served log ----------------------------------------


def test_log_verify_prints_the_root_and_refuses_another_key_later(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    state = tmp_path / "state"
    first = candor(capsys, "log", "verify", f"{url}/log", "--statements", "--state", str(state))
    assert first.code == 0, first.err
    root = base64.b64encode(_root((upstream.data_dir / "log" / "checkpoint").read_bytes())).decode()
    assert f"ok: {ORIGIN} size 9, 9 canonical statement entries" in first.out
    assert f"root {root}" in first.out
    assert "first contact" in first.out
    lies.forged = forge(tmp_path / "forged", upstream.entries, parse_signer_key(generate_key(ORIGIN)[0]))
    # The pinned key is used, whatever key the URL now serves, so the forged checkpoint does not verify.
    refused(candor(capsys, "log", "verify", f"{url}/log", "--state", str(state)), 2, "no valid signature")
    refused(
        candor(
            capsys, "log", "verify", f"{url}/log", "--state", str(state), "--vkey", lies.forged.signer.verifier().vkey()
        ),
        5,
        "is pinned for this log",
    )


def test_log_verify_statements_refuses_a_non_canonical_entry(tmp_path: Path, capsys: Any) -> None:
    signer = parse_signer_key(generate_key("example.com/log")[0])
    canonical = Statement.model_validate_json(
        json.dumps(
            {
                "developer": "acme-ai",
                "kind": "withdrawal",
                "version": "1",
                "target": "a" * 64,
                "issued_at": "2026-01-01T00:00:00Z",
            }
        )
    ).canonical_bytes()
    spaced = json.dumps(json.loads(canonical), indent=1).encode()
    vkey = signer.verifier().vkey()
    forge(tmp_path / "good", [canonical, canonical], signer)
    forge(tmp_path / "bad", [canonical, spaced], signer)
    good = candor(capsys, "log", "verify", str(tmp_path / "good"), "--statements", "--vkey", vkey, "--no-state")
    assert good.code == 0, good.err
    bad = candor(capsys, "log", "verify", str(tmp_path / "bad"), "--statements", "--vkey", vkey, "--no-state")
    refused(bad, 2, "log entry 1: not in RFC 8785 canonical form")
    plain = candor(capsys, "log", "verify", str(tmp_path / "bad"), "--vkey", vkey, "--no-state")
    assert plain.code == 0  # without --statements any bytes are entries


def test_log_verify_statements_reports_an_entry_whose_logged_signature_was_forged_with_the_log_key(
    tmp_path: Path, capsys: Any
) -> None:
    # Whoever holds the log key can sign a checkpoint over any entry; the signature the entry logs is what they
    # cannot make for a key that is not theirs.
    signer = parse_signer_key(generate_key("example.com/log")[0])
    developer = Ed25519PrivateKey.generate()
    statement = Statement.model_validate_json(
        json.dumps(
            {
                "developer": "acme-ai",
                "kind": "withdrawal",
                "version": "1",
                "target": "a" * 64,
                "issued_at": "2026-01-01T00:00:00Z",
            }
        )
    )
    key = public_key_raw(developer.public_key())
    honest = signed_entry(statement.canonical_bytes(), sign_statement(statement, developer), key)
    forged = signed_entry(statement.canonical_bytes(), bytes(64), key)
    vkey = signer.verifier().vkey()
    forge(tmp_path / "good", [statement.canonical_bytes(), honest], signer)
    forge(tmp_path / "bad", [honest, forged], signer)
    good = candor(capsys, "log", "verify", str(tmp_path / "good"), "--statements", "--vkey", vkey, "--no-state")
    assert good.code == 0, good.err
    bad = candor(capsys, "log", "verify", str(tmp_path / "bad"), "--statements", "--vkey", vkey, "--no-state")
    refused(bad, 2, "log entry 1: the signature it logs does not verify with the key it logs")


def test_consistency_and_compare_work_from_the_served_tiles_without_a_private_key(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, _ = proxy
    vkey = upstream.signer.verifier().vkey()
    proof = candor(capsys, "log", "consistency", f"{url}/log", "5", "9", "--vkey", vkey)
    assert proof.code == 0, proof.err
    hashes = proof.out.split()
    assert hashes
    old = forge(tmp_path / "old", upstream.entries[:5], upstream.signer)
    old_path, new_path = tmp_path / "old.checkpoint", tmp_path / "new.checkpoint"
    old_path.write_bytes(old.note)
    new_path.write_bytes((upstream.data_dir / "log" / "checkpoint").read_bytes())
    compared = candor(capsys, "log", "compare", str(old_path), str(new_path), "--log", f"{url}/log", "--vkey", vkey)
    assert compared.code == 0, compared.err
    assert f"consistent: {new_path} (size 9) extends {old_path} (size 5)" in compared.out
    assert [line.strip() for line in compared.out.splitlines()[-len(hashes) :]] == hashes
    # Size 5 of a fork does not extend the real size 9.
    fork = forge(tmp_path / "fork", [*upstream.entries[:4], upstream.entries[5]], upstream.signer)
    old_path.write_bytes(fork.note)
    refused(
        candor(capsys, "log", "compare", str(old_path), str(new_path), "--log", f"{url}/log", "--vkey", vkey),
        5,
        "FORK",
    )
    needs_tiles = candor(capsys, "log", "compare", str(old_path), str(new_path), "--vkey", vkey)
    refused(needs_tiles, 2, "needs the log's tiles")


def test_compare_counts_trusted_witness_cosignatures_and_enforces_the_quorum(
    upstream: Upstream, tmp_path: Path, capsys: Any
) -> None:
    note = (upstream.data_dir / "log" / "checkpoint").read_bytes()
    checkpoint = open_checkpoint(note, upstream.signer.verifier())
    witness = CosignatureSigner("witness.example/w", Ed25519PrivateKey.generate())
    impostor = CosignatureSigner("witness.example/w", Ed25519PrivateKey.generate())
    cosigned, uncosigned = tmp_path / "cosigned", tmp_path / "plain"
    cosigned.write_bytes(sign_note(checkpoint.to_text(), upstream.signer, witness))
    uncosigned.write_bytes(note)
    vkey, witness_vkey = upstream.signer.verifier().vkey(), witness.verifier().vkey()
    options = ("--vkey", vkey, "--witness", witness_vkey, "--quorum", "1", "--no-state")
    ok = candor(capsys, "log", "compare", str(cosigned), str(cosigned), *options)
    assert ok.code == 0, ok.err
    assert "1 trusted cosignatures" in ok.out
    refused(
        candor(capsys, "log", "compare", str(cosigned), str(uncosigned), *options),
        2,
        "checkpoint has 0 trusted cosignatures, 1 required",
    )
    # The impostor has the witness's name but not its key: its cosignature counts for nothing.
    forged = tmp_path / "forged"
    forged.write_bytes(sign_note(checkpoint.to_text(), upstream.signer, impostor))
    refused(candor(capsys, "log", "compare", str(forged), str(forged), *options), 2, "0 trusted cosignatures")


def test_verify_demands_the_witness_quorum_it_is_given(
    proxy: tuple[str, Lies], documents: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    url, _ = proxy
    witness = CosignatureSigner("witness.example/w", Ed25519PrivateKey.generate()).verifier().vkey()
    counted = _verify(capsys, documents["framework"], url, tmp_path / "state", "--witness", witness)
    assert counted.code == 0, counted.err
    assert "cosigned by 0 of 1 trusted witnesses" in counted.out
    quorum = _verify(capsys, documents["framework"], url, tmp_path / "state", "--witness", witness, "--quorum", "1")
    refused(quorum, 2, "checkpoint has 0 trusted cosignatures, 1 required")
