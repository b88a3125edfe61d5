"""The confidential channel on SQLite and PostgreSQL: what a dump of the database holds, receipts that cost the same
whether right or wrong, replies only the receipt opens, crypto-shredding, and the reviewers' chained audit log."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.report_sealing import Attachment, ReportContents, seal_report
from candor.domain.report_workflow import ReportState
from candor.errors import CandorError
from candor.services.reports import (
    Inbox,
    ReportChannel,
    ReportRefusedError,
    new_report_id,
    solve_proof_of_work,
)
from tests.dbfixtures import migrated_engine, postgres_schema_url, sessions

__all__ = ["migrated_engine", "postgres_schema_url", "sessions"]

CANARY = "CANARY-7f3a9c-whistle"
REVIEWER = X25519PrivateKey.generate()
PEPPER = bytes(range(32))
LA = ZoneInfo("America/Los_Angeles")


def canary_forms(canary: str) -> list[bytes]:
    """The canary as raw bytes, base64, hex and UTF-16, the encodings a leak would most likely take."""
    raw = canary.encode()
    forms = [
        raw,
        raw.hex().encode(),
        raw.hex().upper().encode(),
        canary.encode("utf-16-le"),
        canary.encode("utf-16-be"),
    ]
    for offset in range(3):  # base64 of the canary at each alignment inside a larger value
        encoded = base64.b64encode(b"x" * offset + raw)[4 if offset else 0 :]
        forms.append(encoded[: len(encoded) - 4])
    forms.append(raw.lower())
    return forms


def assert_no_canary(blob: bytes, where: str) -> None:
    for form in canary_forms(CANARY):
        assert form not in blob, f"the canary leaked into {where} as {form!r}"


@pytest.fixture
def channel(sessions: sessionmaker[Session]) -> ReportChannel:
    return ReportChannel(sessions, [REVIEWER.public_key()], PEPPER, zone=LA)


def _report() -> ReportContents:
    return ReportContents(
        f"Statement 12 is false. {CANARY} in the body.",
        (Attachment(f"{CANARY}-evidence.txt", f"attachment holding {CANARY}".encode()),),
    )


def _dump(engine: Engine, database_url: str, tmp_path: Path) -> bytes:
    if engine.dialect.name == "sqlite":
        database = make_url(database_url).database
        return subprocess.run(["sqlite3", str(database), ".dump"], capture_output=True, check=True).stdout
    url = make_url(database_url)
    schema = str(url.query["options"]).split("search_path=")[1]
    plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--schema", schema, plain], capture_output=True, check=True).stdout


def test_a_dump_of_the_database_holds_no_canary_and_the_reviewer_reads_it_all(
    channel: ReportChannel, sessions: sessionmaker[Session], migrated_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    receipt = channel.submit(_report(), "whistleblower", statements=[12])
    dump = _dump(migrated_engine, database_url, tmp_path)
    assert b"CREATE TABLE" in dump.replace(b"create table", b"CREATE TABLE")  # control: the dump is a real dump
    assert_no_canary(dump, "the database dump")
    with migrated_engine.connect() as connection:
        lookup = connection.execute(text("SELECT lookup_id FROM reports")).scalar_one()
    assert receipt.encode() not in dump
    assert lookup.encode() in dump  # control: what is kept is in the dump, only not the canary
    report, contents = Inbox(sessions, REVIEWER, date(2027, 1, 1)).open(report_is_only(sessions))
    assert contents == _report()
    assert report.statements == (12,)


def report_is_only(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        return str(session.execute(text("SELECT id FROM reports")).scalar_one())


def test_the_reviewers_reply_reaches_only_the_receipts_holder(
    channel: ReportChannel, sessions: sessionmaker[Session]
) -> None:
    receipt = channel.submit(_report(), "whistleblower")
    inbox = Inbox(sessions, REVIEWER, date(2027, 1, 3))
    report_id = report_is_only(sessions)
    inbox.set_state(report_id, ReportState.ACKNOWLEDGED)
    inbox.reply(report_id, "We have received your report and opened a file.")
    view = channel.status(receipt.lower().replace("-", " "))
    assert view is not None
    reply = (date(2027, 1, 3), "We have received your report and opened a file.")
    assert (view.state, view.replies) == ("acknowledged", [reply])
    with pytest.raises(CandorError, match="only move forward"):
        inbox.set_state(report_id, ReportState.RECEIVED)


def test_every_miss_gets_the_same_answer_and_the_over_long_one_costs_no_derivation(channel: ReportChannel) -> None:
    receipt = channel.submit(_report(), "whistleblower")
    before = channel.derivations
    one_changed = ("2" if receipt[0] != "2" else "3") + receipt[1:]
    misses = [one_changed, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZ", "not a receipt at all", "U" * 26]
    assert [channel.status(miss) for miss in misses] == [None] * len(misses)
    assert channel.derivations == before + len(misses)  # each miss paid one Argon2id, as a hit does
    assert channel.status("A" * 10_000) is None
    assert channel.derivations == before + len(misses)  # the over-long one paid nothing
    assert channel.status(receipt) is not None


def test_a_client_sealed_report_needs_its_proof_of_work_and_every_reviewer(
    channel: ReportChannel, sessions: sessionmaker[Session]
) -> None:
    report_id = new_report_id()
    sealed = seal_report(_report(), report_id, "whistleblower", [REVIEWER.public_key()])
    with pytest.raises(ReportRefusedError, match="proof of work"):
        channel.submit_sealed(report_id, "whistleblower", sealed.ciphertext, sealed.wrapped_keys, "0")
    stranger = seal_report(_report(), report_id, "whistleblower", [X25519PrivateKey.generate().public_key()])
    nonce = solve_proof_of_work(report_id)
    with pytest.raises(ReportRefusedError, match="every reviewer"):
        channel.submit_sealed(report_id, "whistleblower", stranger.ciphertext, stranger.wrapped_keys, nonce)
    receipt = channel.submit_sealed(report_id, "whistleblower", sealed.ciphertext, sealed.wrapped_keys, nonce)
    assert channel.status(receipt) is not None
    assert Inbox(sessions, REVIEWER, date(2027, 1, 1)).open(report_id)[1] == _report()


def test_shredding_after_retention_leaves_nothing_to_open(sessions: sessionmaker[Session]) -> None:
    channel = ReportChannel(
        sessions, [REVIEWER.public_key()], PEPPER, zone=LA, retention_days={"whistleblower": 30, "incident": 30},
        today=lambda: date(2027, 1, 1),
    )  # fmt: skip
    receipt = channel.submit(_report(), "whistleblower")
    report_id = report_is_only(sessions)
    Inbox(sessions, REVIEWER, date(2027, 1, 2)).reply(report_id, "noted")
    assert Inbox(sessions, REVIEWER, date(2027, 1, 31)).shred_expired() == []  # control: still within retention
    assert Inbox(sessions, REVIEWER, date(2027, 2, 1)).shred_expired() == [report_id]
    with pytest.raises(CandorError, match="destroyed"):
        Inbox(sessions, REVIEWER, date(2027, 2, 2)).open(report_id)
    view = channel.status(receipt)
    assert view is not None
    assert view.replies == []
    with sessions() as session:
        remaining = session.execute(text("SELECT count(*) FROM report_keys")).scalar_one()
    assert remaining == 0


def test_the_reviewers_audit_log_is_chained_and_an_edit_breaks_it(
    channel: ReportChannel, sessions: sessionmaker[Session], migrated_engine: Engine
) -> None:
    channel.submit(_report(), "whistleblower")
    report_id = report_is_only(sessions)
    inbox = Inbox(sessions, REVIEWER, date(2027, 1, 5))
    inbox.open(report_id)
    inbox.set_state(report_id, ReportState.ASSESSING)
    inbox.reply(report_id, "update")
    assert inbox.check_audit_chain() == 3
    with migrated_engine.begin() as connection:
        connection.execute(text("UPDATE reviewer_actions SET action = 'nothing happened' WHERE number = 2"))
    with pytest.raises(CandorError, match="broken at entry 2"):
        inbox.check_audit_chain()


def test_an_incident_report_needs_its_discovery_time(channel: ReportChannel) -> None:
    with pytest.raises(ReportRefusedError, match="discovered"):
        channel.submit(_report(), "incident")
    assert channel.submit(_report(), "incident", discovered_at=datetime(2027, 1, 1, tzinfo=UTC))
