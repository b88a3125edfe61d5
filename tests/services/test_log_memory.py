"""The log remembers what it signed: crashes between its two records of a checkpoint, and databases of another history.

A checkpoint is remembered twice: first in ``checkpoint-history`` (synced), then in the database. A kill -9 between
the two, or a history that lost its last line, must neither fork the log nor wedge it without a clear message.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.config import sqlite_url
from candor.domain.developer_keys import private_key_pem
from candor.services.integration import LogRefusesError, RegistryLog
from candor.services.publishing import Publisher
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import latest_checkpoint, log_append_lock, log_size
from candor.store.schema import upgrade_database
from candor.testing.publishing import Signer, framework, publisher, register, signed
from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.history import HISTORY_FILE, CheckpointHistory
from candor.tlog.merkle import tree_hash
from candor.tlog.note import parse_verifier_key
from candor.tlog.tilereader import DirectoryFetcher, TileReader

ORIGIN = "registry.test/memory"

#: Integrates once, and is killed (SIGKILL, by itself) the moment the new checkpoint is synced to the history,
#: before the database commits it: the narrowest window between the two records.
KILLED_AFTER_THE_HISTORY = """
import os, signal, sys
from pathlib import Path
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.tlog.history import CheckpointHistory

synced = CheckpointHistory.append

def append_then_die(self, note):
    head = synced(self, note)
    os.kill(os.getpid(), signal.SIGKILL)
    return head

CheckpointHistory.append = append_then_die
engine = create_database_engine(sys.argv[1])
RegistryLog(session_factory(engine), Path(sys.argv[2]), sys.argv[3]).integrate()
"""

#: Publishes and integrates as fast as it can, until the parent kills it.
PUBLISHING_UNTIL_KILLED = """
import sys
from pathlib import Path
from candor.domain.developer_keys import load_private_key
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.testing.publishing import Signer, framework, publisher, signed

database_url, data_dir, origin, slug, key_pem, token = sys.argv[1:7]
signer = Signer(slug, load_private_key(slug, key_pem.encode()), token)
sessions = session_factory(create_database_engine(database_url))
log = RegistryLog(sessions, Path(data_dir), origin)
service = publisher(sessions)
service.sequencing_check = log.check_sequencing
print("ready", flush=True)
version = 1
while True:
    raw = framework(slug, version, supersedes=version - 1 if version > 1 else None)
    service.publish(signer.token, signed(signer, raw))
    log.integrate()
    version += 1
"""


def _guarded(sessions: sessionmaker[Session], log: RegistryLog) -> Publisher:
    service = publisher(sessions)
    service.sequencing_check = log.check_sequencing
    return service


def _publish(service: Publisher, signer: Signer, version: int) -> int:
    raw = framework(signer.slug, version, supersedes=version - 1 if version > 1 else None)
    return service.publish(signer.token, signed(signer, raw)).log_index


def _history_sizes(data_dir: Path, log: RegistryLog) -> list[int]:
    return [head.size for head in CheckpointHistory(data_dir / HISTORY_FILE, log.signer.verifier()).heads()]


def test_kill_9_after_the_history_is_synced_and_before_the_database_commits_neither_forks_nor_wedges(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    acme = register(sessions, "acme-ai")
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    service = _guarded(sessions, log)
    _publish(service, acme, 1)
    assert log.integrate().size == 1
    _publish(service, acme, 2)
    script = tmp_path / "child.py"
    script.write_text(KILLED_AFTER_THE_HISTORY)
    child = subprocess.run([sys.executable, str(script), database_url, str(tmp_path), ORIGIN], env=os.environ)
    assert child.returncode == -signal.SIGKILL
    # The history remembers size 2, signed; the database never committed it.
    assert _history_sizes(tmp_path, log)[-1] == 2
    with sessions() as session:
        recorded = latest_checkpoint(session)
    assert recorded is not None
    assert recorded.size == 1
    # A restarted server signs the same size-2 tree (the same note), and the log goes on.
    restarted = RegistryLog(sessions, tmp_path, ORIGIN)
    history = CheckpointHistory(tmp_path / HISTORY_FILE, restarted.signer.verifier())
    remembered = history.latest()
    assert remembered is not None
    assert restarted.integrate().size == 2
    with sessions() as session:
        recorded = latest_checkpoint(session)
    assert recorded is not None
    assert recorded.note == remembered.note
    assert _publish(_guarded(sessions, restarted), acme, 3) == 2
    assert restarted.integrate().size == 3


def test_control_without_a_crash_each_checkpoint_is_remembered_once_in_both_places(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    acme = register(sessions, "acme-ai")
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    service = _guarded(sessions, log)
    for version in range(1, 4):
        _publish(service, acme, version)
        log.integrate()
    assert _history_sizes(tmp_path, log) == [1, 2, 3]


def test_a_history_that_lost_its_last_lines_catches_up_with_the_database(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    acme = register(sessions, "acme-ai")
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    service = _guarded(sessions, log)
    for version in range(1, 4):
        _publish(service, acme, version)
        log.integrate()
    path = tmp_path / HISTORY_FILE
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:1]) + b"\n" + lines[1][:20])  # one whole line, then a torn one
    restarted = RegistryLog(sessions, tmp_path, ORIGIN)
    assert _history_sizes(tmp_path, restarted) == [1]
    assert _publish(_guarded(sessions, restarted), acme, 4) == 3
    assert restarted.integrate().size == 4
    # The torn line was cut; the database's newest checkpoint was remembered before the new one.
    assert _history_sizes(tmp_path, restarted) == [1, 3, 4]


def test_a_database_of_another_history_with_more_entries_is_refused(tmp_path: Path) -> None:
    """The same key, and a database that holds a different tree: the log refuses, and leaves the served tiles."""
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        engine = create_database_engine(sqlite_url(directory / "candor.sqlite3"))
        upgrade_database(engine)
        engine.dispose()
    ours = session_factory(create_database_engine(sqlite_url(first / "candor.sqlite3")))
    theirs = session_factory(create_database_engine(sqlite_url(second / "candor.sqlite3")))
    acme, rival = register(ours, "acme-ai"), register(theirs, "rival-ai")
    log = RegistryLog(ours, first, ORIGIN)
    for version in range(1, 4):
        _publish(_guarded(ours, log), acme, version)
    assert log.integrate().size == 3
    (second / "log.key").write_bytes((first / "log.key").read_bytes())
    other = RegistryLog(theirs, second, ORIGIN)
    for version in range(1, 5):
        _publish(_guarded(theirs, other), rival, version)
    assert other.integrate().size == 4
    bundle = first / "log" / "tile" / "entries" / "000.p" / "3"
    served = bundle.read_bytes()
    # The first data directory, now with the other database (four entries: more, but not ours). Even the first
    # publish after the start, before any integration, is refused.
    wrong = RegistryLog(theirs, first, ORIGIN)
    with (
        pytest.raises(LogRefusesError, match="does not extend it"),
        theirs.begin() as session,
        log_append_lock(session),
    ):
        wrong.check_sequencing(session)
    with pytest.raises(LogRefusesError, match="does not extend it") as refusal:
        wrong.integrate()
    assert f"{ORIGIN} size 3 root" in refusal.value.message
    assert bundle.read_bytes() == served
    with pytest.raises(LogRefusesError), theirs.begin() as session:
        wrong.check_sequencing(session)


@pytest.mark.slow
def test_kill_9_at_random_while_publishing_and_integrating_never_forks_or_wedges(tmp_path: Path) -> None:
    database_url = sqlite_url(tmp_path / "candor.sqlite3")
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    script = tmp_path / "child.py"
    script.write_text(PUBLISHING_UNTIL_KILLED)
    rng = random.Random(20261206)
    root = Path(__file__).resolve().parents[2]
    for round_ in range(5):
        signer = register(sessions, f"developer-{round_}")
        child = subprocess.Popen(
            [
                sys.executable,
                str(script),
                database_url,
                str(tmp_path),
                ORIGIN,
                signer.slug,
                private_key_pem(signer.key).decode(),
                signer.token,
            ],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        child.stdout.close()
        signal_after = rng.uniform(0.2, 1.5)
        try:
            child.wait(timeout=signal_after)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
    # The restarted registry signs without complaint, and everything it ever signed is one history.
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    final = log.integrate()
    with sessions() as session:
        assert final.size == log_size(session)
    assert final.size > 0, "nothing was published before the kills"
    verifier = parse_verifier_key(log.signer.vkey())
    reader = TileReader(DirectoryFetcher(tmp_path / "log"), final.size, final.root)
    for head in CheckpointHistory(tmp_path / HISTORY_FILE, verifier).heads():
        assert tree_hash(reader, head.size) == head.root
    served = open_checkpoint((tmp_path / "log" / "checkpoint").read_bytes(), verifier)
    assert tree_hash(reader, served.size) == served.root
    engine.dispose()
