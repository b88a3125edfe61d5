"""App servers sharing one database, each with its own data directory: one signs, the others follow and serve.

A follower tiles the database's entries in its own directory and serves the database's checkpoint only once its
tiles hash to that checkpoint's root and its note verifies with the log's key; a server with another key never
signs, and still serves.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from candor.services.integration import Integrator, LogRefusesError, RegistryLog
from candor.services.queries import RegistryQueries
from candor.store.integrator_lease import IntegratorLease
from candor.store.log_entries import latest_checkpoint, log_entries, record_checkpoint
from candor.testing.publishing import ORIGIN, Signer, framework, publisher, register, signed
from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.merkle import MemoryTree, leaf_hash, verify_inclusion
from candor.tlog.note import generate_key, parse_signer_key
from candor.tlog.tiles import CHECKPOINT_NAME, TileError


def _files(public: Path) -> dict[str, bytes]:
    return {str(path.relative_to(public)): path.read_bytes() for path in sorted(public.rglob("*")) if path.is_file()}


def _publish(sessions: sessionmaker[Session], signer: Signer, versions: range) -> None:
    service = publisher(sessions)
    for version in versions:
        raw = framework(signer.slug, version, supersedes=version - 1 if version > 1 else None)
        service.publish(signer.token, signed(signer, raw))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared" / "log.key"
    path.parent.mkdir()
    path.write_text(generate_key(ORIGIN)[0] + "\n")
    return path


def test_a_follower_serves_byte_for_byte_the_tiles_and_checkpoint_the_signer_wrote(
    sessions: sessionmaker[Session], tmp_path: Path, key_file: Path
) -> None:
    signer_log = RegistryLog(sessions, tmp_path / "a", ORIGIN, key_file=key_file)
    follower = RegistryLog(sessions, tmp_path / "b", ORIGIN, key_file=key_file)
    acme = register(sessions, "acme-ai")
    signer_log.integrate()
    for versions in (range(1, 4), range(4, 6)):
        _publish(sessions, acme, versions)
        checkpoint = signer_log.integrate()
        assert follower.follow() == checkpoint.size
        assert _files(follower.public) == _files(signer_log.public)
    assert (follower.public / CHECKPOINT_NAME).read_bytes() == (signer_log.public / CHECKPOINT_NAME).read_bytes()
    assert not (tmp_path / "b" / "log.key").exists()  # the key stays where log_key_file says
    # A follower started later, on an empty directory, catches up from nothing.
    late = RegistryLog(sessions, tmp_path / "c", ORIGIN, key_file=key_file)
    assert late.follow() == 5
    assert _files(late.public) == _files(signer_log.public)


def test_a_follower_never_serves_a_checkpoint_the_logs_key_did_not_sign(
    sessions: sessionmaker[Session], tmp_path: Path, key_file: Path
) -> None:
    signer_log = RegistryLog(sessions, tmp_path / "a", ORIGIN, key_file=key_file)
    follower = RegistryLog(sessions, tmp_path / "b", ORIGIN, key_file=key_file)
    acme = register(sessions, "acme-ai")
    signer_log.integrate()
    assert follower.follow() == 0
    served = (follower.public / CHECKPOINT_NAME).read_bytes()
    _publish(sessions, acme, range(1, 3))
    # Whoever can write the database, but not read the log key, records a checkpoint of the right tree.
    forger = parse_signer_key(generate_key(ORIGIN)[0])
    with sessions.begin() as session:
        tree = MemoryTree()
        tree.extend(leaf_hash(row.entry) for row in log_entries(session, 0, 2))
        note = sign_checkpoint(Checkpoint(ORIGIN, 2, tree.root()), forger)
        record_checkpoint(session, size=2, root_hash=tree.root(), note=note.decode())
    with pytest.raises(LogRefusesError, match="not a checkpoint signed by this log's key"):
        follower.follow()
    assert (follower.public / CHECKPOINT_NAME).read_bytes() == served
    assert follower.refusal is not None


def test_a_server_with_another_key_never_signs_and_still_follows(
    sessions: sessionmaker[Session], tmp_path: Path, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signer_log = RegistryLog(sessions, tmp_path / "a", ORIGIN, key_file=key_file)
    acme = register(sessions, "acme-ai")
    signer_log.integrate()
    other_key = tmp_path / "other.key"
    other_key.write_text(generate_key(ORIGIN)[0] + "\n")
    with caplog.at_level(logging.ERROR, logger="candor.services.integration"):
        other = RegistryLog(sessions, tmp_path / "b", ORIGIN, key_file=other_key)
    assert other.key_refusal is not None
    assert "\n" not in other.key_refusal.message
    assert str(other_key) in other.key_refusal.message
    assert [record.getMessage() for record in caplog.records] == [other.key_refusal.message]  # said once, at start
    with pytest.raises(LogRefusesError):
        other.integrate()
    with sessions.begin() as session, pytest.raises(LogRefusesError):
        other.check_sequencing(session)
    _publish(sessions, acme, range(1, 3))
    signer_log.integrate()
    assert other.follow() == 2  # serves the log, under the log's key
    assert (tmp_path / "b" / "log.vkey").read_text().strip() == signer_log.signer.vkey()
    with sessions() as session:
        latest = latest_checkpoint(session)
        assert latest is not None
        assert (other.public / CHECKPOINT_NAME).read_text() == latest.note


def test_integrators_sharing_a_database_sign_one_at_a_time_and_hand_over_when_the_signer_stops(
    sessions: sessionmaker[Session], migrated_engine: Engine, tmp_path: Path, key_file: Path
) -> None:
    logs = [RegistryLog(sessions, tmp_path / name, ORIGIN, key_file=key_file) for name in ("a", "b", "c")]
    integrators = [Integrator(log, interval=0.02, lease=IntegratorLease(migrated_engine)) for log in logs]
    for integrator in integrators:
        integrator.start()
    try:
        acme = register(sessions, "acme-ai")
        _publish(sessions, acme, range(1, 3))
        signing = _wait_for_one_signer(logs)
        _wait_all_serve(logs, 2)
        integrators[signing].stop()
        _publish(sessions, acme, range(3, 5))
        survivors = [log for number, log in enumerate(logs) if number != signing]
        assert logs[_wait_for_one_signer(survivors, among=logs)] is not logs[signing]
        _wait_all_serve(survivors, 4)
        assert len({(log.public / CHECKPOINT_NAME).read_bytes() for log in survivors}) == 1
    finally:
        for integrator in integrators:
            if integrator.is_alive():
                integrator.stop()


def _wait_for_one_signer(logs: list[RegistryLog], *, among: list[RegistryLog] | None = None) -> int:
    for _ in range(500):
        signing = [log for log in logs if log.signing]
        if len(signing) == 1:
            return (among or logs).index(signing[0])
        assert len(signing) <= 1, "two servers sign at once"
        time.sleep(0.02)
    raise AssertionError("no server took the lease")


def _wait_all_serve(logs: list[RegistryLog], size: int) -> None:
    for _ in range(500):
        if all(_served(log) == size for log in logs):
            return
        time.sleep(0.02)
    raise AssertionError(f"served sizes {[_served(log) for log in logs]}, expected {size}")


def _served(log: RegistryLog) -> int:
    path = log.public / CHECKPOINT_NAME
    if not path.exists():
        return -1
    return int(path.read_text().splitlines()[1])


def test_an_inclusion_proof_asked_of_a_follower_a_tick_behind_makes_it_catch_up_first(
    sessions: sessionmaker[Session], tmp_path: Path, key_file: Path
) -> None:
    signer_log = RegistryLog(sessions, tmp_path / "a", ORIGIN, key_file=key_file)
    follower = RegistryLog(sessions, tmp_path / "b", ORIGIN, key_file=key_file)
    acme = register(sessions, "acme-ai")
    signer_log.integrate()
    follower.follow()
    _publish(sessions, acme, range(1, 4))
    checkpoint = signer_log.integrate()  # signed elsewhere; the follower has not ticked since
    queries = RegistryQueries(sessions, follower.public, tmp_path / "facts")
    # Control: without a way to catch up, the follower's tiles cannot prove an entry of the newer tree.
    with pytest.raises(TileError):
        queries.inclusion_proof(2)
    queries.log_queries.catch_up = follower.follow
    proof = queries.inclusion_proof(2)
    assert proof.tree_size == checkpoint.size == 3
    verify_inclusion(proof.leaf_hash, 2, proof.tree_size, proof.hashes, checkpoint.root)


def test_requests_that_a_follow_already_answered_do_not_follow_again(
    sessions: sessionmaker[Session], tmp_path: Path, key_file: Path
) -> None:
    signer_log = RegistryLog(sessions, tmp_path / "a", ORIGIN, key_file=key_file)
    follower = RegistryLog(sessions, tmp_path / "b", ORIGIN, key_file=key_file)
    signer_log.integrate()
    asked_before = time.monotonic()
    follower.follow()  # began after that request arrived, so it answered it
    _publish(sessions, register(sessions, "acme-ai"), range(1, 3))
    signer_log.integrate()
    follower.catch_up(asked_before)
    assert _served(follower) == 0  # a burst of such requests costs no further database reads
    follower.catch_up(time.monotonic())  # control: a request that came after the last follow makes it follow
    assert _served(follower) == 2
