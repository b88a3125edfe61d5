"""``candor monitor`` follows a registry's log through a proxy that lies, and raises an alarm for each lie: a fork,
a rollback, a statement forged under the stolen log key, a tampered tile, a document served with other bytes, and a
witness shown another log. Each lie is paired with the control in which the proxy tells the truth."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import KeyEvent, KeyEventKind, is_key_event_entry, key_text, signed_key_event
from candor.domain.log_entry import parse_log_entry, signed_entry
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.tlog.note import CosignatureSigner
from candor.tlog.witness import Witness, WitnessedLog, WitnessState
from candor.web.witness_app import build_witness_app
from tests.cli.test_malicious_registry import ORIGIN, Lies, Upstream, candor, forge, proxy, upstream
from tests.web.conftest import serve_app

__all__ = ["proxy", "upstream"]


def monitor(capsys: Any, url: str, upstream: Upstream, state: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    result = candor(capsys, "monitor", url, "--vkey", upstream.signer.verifier().vkey(), "--state", str(state),
                    "--once", *extra)  # fmt: skip
    assert "Traceback" not in result.err, result.err
    events = [json.loads(line) for line in result.out.splitlines()]
    return result.code, events


def alarms(events: list[dict[str, Any]]) -> list[str]:
    return [event["event"] for event in events if event["severity"] == "alarm"]


def test_an_honest_log_raises_no_alarm_and_nothing_is_reported_twice(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, _ = proxy
    code, events = monitor(capsys, url, upstream, tmp_path / "state.json")
    assert (code, alarms(events)) == (0, [])
    assert [event["event"] for event in events] == ["checkpoint"]
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["checked_size"] == len(upstream.entries)
    code, events = monitor(capsys, url, upstream, tmp_path / "state.json")
    assert (code, [event["event"] for event in events]) == (0, ["checkpoint"])


@pytest.mark.parametrize("lie", ["fork", "rollback"])
def test_a_fork_or_a_rollback_signed_with_the_real_key_is_an_alarm_with_evidence(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any, lie: str
) -> None:
    url, lies = proxy
    assert monitor(capsys, url, upstream, tmp_path / "state.json")[0] == 0
    entries = upstream.entries[:-2] if lie == "rollback" else [*upstream.entries[:-1], b"rewritten history"]
    lies.forged = forge(tmp_path / "forged", entries, upstream.signer)
    code, events = monitor(capsys, url, upstream, tmp_path / "state.json")
    assert (code, alarms(events)) == (5, [lie])
    evidence = Path(events[-1]["message"].split("saved in ")[1])
    assert upstream.signer.name in evidence.read_text()
    # The state still holds the honest checkpoint: the lie is reported again, not learnt.
    lies.forged = None
    assert monitor(capsys, url, upstream, tmp_path / "state.json")[0] == 0


def _registration(upstream: Upstream, developer: str) -> list[bytes]:
    """A key registration for ``developer`` signed by the log key, unless the log already holds one."""
    if any(is_key_event_entry(entry) and developer.encode() in entry for entry in upstream.entries):
        return []
    key = upstream.developer_keys[developer]
    event = KeyEvent(
        origin=ORIGIN,
        developer=developer,
        kind=KeyEventKind.REGISTRATION,
        key=key_text(public_key_raw(key.public_key())),
        issued_at="2026-06-01T00:00:00Z",
    )
    return [signed_key_event(event, upstream.signer.sign, None)]


def _withdrawal(upstream: Upstream, key: Ed25519PrivateKey) -> bytes:
    """acme-ai's withdrawal of its first framework, signed with ``key``."""
    target = next(
        parse_log_entry(entry).statement
        for entry in upstream.entries
        if not is_key_event_entry(entry)
        and parse_log_entry(entry).statement.developer == "acme-ai"
        and parse_log_entry(entry).statement.kind is StatementKind.SECURE_DEVELOPMENT_FRAMEWORK
    )
    statement = Statement(
        origin=ORIGIN,
        developer="acme-ai",
        kind=StatementKind.WITHDRAWAL,
        version="withdrawal-by-monitor-test",
        target=target.digest(),
        issued_at="2026-07-01T00:00:00Z",
    )
    return signed_entry(statement.canonical_bytes(), sign_statement(statement, key), public_key_raw(key.public_key()))


def test_a_statement_forged_under_the_stolen_log_key_is_an_alarm_at_its_index(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    base = [*upstream.entries, *_registration(upstream, "acme-ai")]
    honest = _withdrawal(upstream, upstream.developer_keys["acme-ai"])
    lies.forged = forge(tmp_path / "control", [*base, honest], upstream.signer)
    code, events = monitor(capsys, url, upstream, tmp_path / "control.json")
    assert (code, alarms(events)) == (0, [])
    forged = _withdrawal(upstream, Ed25519PrivateKey.generate())
    lies.forged = forge(tmp_path / "forged", [*base, forged], upstream.signer)
    code, events = monitor(capsys, url, upstream, tmp_path / "forged.json")
    assert (code, alarms(events)) == (5, ["entry_refused"])
    (alarm,) = [event for event in events if event["severity"] == "alarm"]
    assert alarm["log_index"] == len(base)
    assert "acme-ai" in alarm["message"]


def test_a_tampered_tile_is_an_alarm_that_names_it(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    lies.forged = forge(tmp_path / "forged", upstream.entries, upstream.signer)
    bundle = next((tmp_path / "forged" / "tile" / "entries").rglob("*"))
    while bundle.is_dir():
        bundle = next(bundle.iterdir())
    data = bytearray(bundle.read_bytes())
    data[-1] ^= 1
    bundle.write_bytes(bytes(data))
    code, events = monitor(capsys, url, upstream, tmp_path / "state.json")
    assert code == 5
    assert alarms(events) == ["tiles_refused"]
    assert "tile/entries/" in events[-1]["message"]


def test_a_document_served_with_other_bytes_is_an_alarm(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    lies.mode = "altered document"
    code, events = monitor(capsys, url, upstream, tmp_path / "state.json")
    assert code == 5
    assert set(alarms(events)) == {"document_altered"}


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Hook", (_Hook,), {"received": received}))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_witness_shown_another_log_reveals_the_split_view(
    upstream: Upstream,
    proxy: tuple[str, Lies],
    tmp_path: Path,
    capsys: Any,
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    """The registry shows the witness a fork of the log's own size; the monitor, reading the real log, compares."""
    url, _ = proxy
    hook_url, received = webhook
    witness_key = CosignatureSigner("witness.test/w1", Ed25519PrivateKey.generate())
    witness = Witness(
        witness_key, [WitnessedLog(ORIGIN, (upstream.signer.verifier(),))], WitnessState(tmp_path / "w.sqlite3")
    )
    options = ["--witness", witness_key.vkey(), "--witness-url", "witness.test/w1=WITNESS", "--webhook", hook_url]
    with serve_app(build_witness_app(witness)) as witness_url:
        options[3] = f"witness.test/w1={witness_url}"
        # Control: the witness cosigned the real log's checkpoint.
        real = forge(tmp_path / "real", upstream.entries, upstream.signer)
        witness.add_checkpoint(b"old 0\n\n" + real.note)
        code, events = monitor(capsys, url, upstream, tmp_path / "control.json", *options)
        assert (code, alarms(events), received) == (0, [], [])
        # The lie: a fork of the same size, shown only to a fresh witness.
        fresh = Witness(
            witness_key, [WitnessedLog(ORIGIN, (upstream.signer.verifier(),))], WitnessState(tmp_path / "w2.sqlite3")
        )
        fork = forge(tmp_path / "fork", [*upstream.entries[:-1], b"the view shown to the witness"], upstream.signer)
        fresh.add_checkpoint(b"old 0\n\n" + fork.note)
        witness.state = fresh.state
        code, events = monitor(capsys, url, upstream, tmp_path / "split.json", *options)
    assert (code, alarms(events)) == (5, ["split_view"])
    assert [event["event"] for event in received] == ["split_view"]


def test_a_growing_log_is_followed_with_a_consistency_proof(
    upstream: Upstream, proxy: tuple[str, Lies], tmp_path: Path, capsys: Any
) -> None:
    url, lies = proxy
    lies.forged = forge(tmp_path / "smaller", upstream.entries[:-3], upstream.signer)
    assert monitor(capsys, url, upstream, tmp_path / "state.json")[0] == 0
    lies.forged = None
    code, events = monitor(capsys, url, upstream, tmp_path / "state.json")
    assert (code, alarms(events)) == (0, [])
    assert json.loads((tmp_path / "state.json").read_text())["checked_size"] == len(upstream.entries)
