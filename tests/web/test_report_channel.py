"""The confidential channel end to end over loopback HTTP: the no-JavaScript form, the reviewer's console, the
reporter's replies; a canary that reaches no page, log or file; and incident reports signed by a developer."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from candor.config import load_settings, sqlite_url
from candor.domain.developer_keys import private_key_pem
from candor.domain.regulator_keys import (
    generate_regulator_key,
    load_regulator_private_key,
    regulator_private_pem,
    regulator_public_pem,
)
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.web.app import create_app
from tests.cli.test_malicious_registry import candor
from tests.services.test_reports import assert_no_canary
from tests.web.conftest import serve_app
from tests.web.registry import Registry

CANARY = "CANARY-7f3a9c-whistle"
RECEIPT = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){5}-[0-9A-Z]{2}")


@dataclass
class Channel:
    url: str
    data_dir: Path
    reviewer_key: Path
    developer_key: Path
    stranger_key: Path


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channel]:
    home = tmp_path_factory.mktemp("channel")
    data_dir = home / "data"
    data_dir.mkdir()
    database_url = sqlite_url(data_dir / "candor.sqlite3")
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    registry = Registry(session_factory(engine), RegistryLog(session_factory(engine), data_dir, "registry.test/log"))
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    engine.dispose()
    developer_key, stranger_key = home / "acme.key", home / "stranger.key"
    developer_key.write_bytes(private_key_pem(registry.keys["acme-ai"]))
    stranger_key.write_bytes(private_key_pem(Ed25519PrivateKey.generate()))
    reviewer = generate_regulator_key()
    reviewer_key, reviewer_public = home / "reviewer.key", home / "reviewer.pub"
    reviewer_key.write_bytes(regulator_private_pem(reviewer))
    reviewer_public.write_bytes(regulator_public_pem(reviewer.public_key()))
    pepper = home / "pepper"  # outside the data directory, as the threat model asks
    pepper.write_text(bytes(range(32)).hex())
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        log_origin="registry.test/log",
        report_pepper_file=pepper,
        report_reviewer_keys=[reviewer_public],
        audit_interval=0,
    )
    (home / "settings.json").write_text(settings.model_dump_json())
    with serve_app(create_app(settings)) as url:
        yield Channel(url, data_dir, reviewer_key, developer_key, stranger_key)


def _inbox(capsys: pytest.CaptureFixture[str], channel: Channel, *args: str) -> str:
    result = candor(capsys, "inbox", *args, "--key", str(channel.reviewer_key), "--data-dir", str(channel.data_dir))
    assert result.code == 0, result.err
    return result.out


def test_the_form_the_console_and_the_reply_and_no_canary_anywhere(
    channel: Channel, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=channel.url, timeout=60) as client:
        form = client.get("/report")
        assert form.status_code == 200
        assert "<script" not in form.text
        assert "set-cookie" not in form.headers
        sent = client.post(
            "/report",
            data={"body": f"Statement 3 is false. {CANARY}", "statements": "3"},
            files={"attachment": (f"{CANARY}.txt", f"evidence {CANARY}".encode(), "text/plain")},
        )
        assert sent.status_code == 201, sent.text
        receipt = RECEIPT.search(sent.text)
        assert receipt is not None
        listing = _inbox(capsys, channel, "list")
        (report_id,) = re.findall(r"^([0-9a-f]{32}) ", listing, re.MULTILINE)
        assert "due" in listing
        opened = _inbox(capsys, channel, "open", report_id, "--out", str(channel.data_dir.parent / "opened"))
        assert CANARY in opened
        assert (channel.data_dir.parent / "opened" / f"{CANARY}.txt").read_bytes() == f"evidence {CANARY}".encode()
        _inbox(capsys, channel, "status", report_id, "acknowledged")
        _inbox(capsys, channel, "reply", report_id, "--message", "Thank you; we are looking into statement 3.")
        status = client.post("/report/status", files={"receipt": (None, receipt.group(0).lower())})
        assert status.status_code == 200
        assert "we are looking into statement 3" in status.text
        assert "acknowledged" in status.text
        wrong = client.post("/report/status", files={"receipt": (None, "7KQ2-9XWM-D3FH-0ABZ-TT4R-NNPV-8C")})
        assert wrong.status_code == 404
        assert "No report matches that receipt" in wrong.text
        pages = [client.get(path) for path in ("/", "/statements", "/log", "/api/v1/statements", "/report")]
        assert all(page.status_code == 200 for page in pages)
    for page in pages:
        assert_no_canary(page.content, f"the page {page.url}")
    assert_no_canary("\n".join(record.getMessage() for record in caplog.records).encode(), "the server's log")
    for path in channel.data_dir.rglob("*"):
        if path.is_file():
            assert_no_canary(path.read_bytes(), str(path))
    assert _inbox(capsys, channel, "audit").startswith("ok: 3 reviewer actions")


def test_no_reviewer_private_key_is_on_the_server(channel: Channel) -> None:
    """The data directory and the settings hold public keys only: the private key stays on the reviewer's machine."""
    private_pem = channel.reviewer_key.read_bytes()
    private = load_regulator_private_key("reviewer", private_pem)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    settings = channel.data_dir.parent / "settings.json"
    assert settings.exists()  # control: the settings the server was started with are scanned too
    scanned = [path for path in channel.data_dir.rglob("*") if path.is_file()] + [settings]
    assert len(scanned) > 2
    for path in scanned:
        content = path.read_bytes()
        for secret in (raw, raw.hex().encode(), base64.b64encode(raw), private_pem):
            assert secret not in content, f"the reviewer's private key is in {path}"


def test_a_bot_that_fills_the_hidden_field_is_thanked_and_nothing_is_kept(
    channel: Channel, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _inbox(capsys, channel, "list").count(" received ")
    answer = httpx.post(channel.url + "/report", files={"body": (None, "spam"), "website": (None, "http://spam")})
    assert answer.status_code == 200
    assert RECEIPT.search(answer.text) is None
    assert _inbox(capsys, channel, "list").count(" received ") == before


def test_an_incident_report_signed_by_the_developer_opens_and_one_signed_by_another_key_is_refused(
    channel: Channel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "incident.yaml"
    report.write_text(
        "incident_date: 2027-03-01\nqualifies: loss of control of model weights\n"
        "statement: Weights were copied to an unknown host.\ninternal_use: true\n"
    )
    duty = "ca-sb53/critical-safety-incident-report"
    common = ["report", "submit", str(report), "--registry", channel.url, "--incident", "--developer", "acme-ai",
              "--discovered", "2027-03-01T09:30:00-08:00", "--obligation", duty]  # fmt: skip
    receipts = {}
    for name, key in (("developer", channel.developer_key), ("stranger", channel.stranger_key)):
        sent = candor(capsys, *common, "--key", str(key))
        assert sent.code == 0, sent.err
        found = RECEIPT.search(sent.out)
        assert found is not None
        receipts[name] = found.group(0)
    listing = _inbox(capsys, channel, "list")
    incidents = re.findall(r"^([0-9a-f]{32}) +incident", listing, re.MULTILINE)
    assert len(incidents) == 2
    assert "22757.13(c)(1)" in listing
    outcomes = [candor(capsys, "inbox", "open", report_id, "--key", str(channel.reviewer_key), "--data-dir",
                       str(channel.data_dir)) for report_id in incidents]  # fmt: skip
    good = [result for result in outcomes if result.code == 0]
    bad = [result for result in outcomes if result.code != 0]
    assert len(good) == 1
    assert len(bad) == 1
    assert "Signed by acme-ai's registered key" in good[0].out
    assert "not a registered key of acme-ai" in bad[0].err
    assert "Traceback" not in bad[0].err
    good_id = incidents[outcomes.index(good[0])]
    exported = _inbox(capsys, channel, "export", good_id)
    assert '"involved_internal_use": true' in exported
    assert '"why_it_qualifies": "loss of control of model weights"' in exported
    answer = httpx.post(channel.url + "/api/v1/reports/status", json={"receipt": receipts["developer"]})
    assert answer.json()["state"] == "received"


def test_the_api_refuses_a_report_without_proof_of_work(channel: Channel) -> None:
    body = {"id": "0" * 32, "kind": "whistleblower", "ciphertext": base64.b64encode(b"x").decode(),
            "wrapped_keys": {}, "nonce": "1"}  # fmt: skip
    answer = httpx.post(channel.url + "/api/v1/reports", json=body)
    assert answer.status_code == 422
    assert "proof of work" in answer.text
