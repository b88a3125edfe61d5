"""The log explorer on entries that are not statements: a key event and a watcher's observation, both signed by the
log key, and an entry that is no Candor entry at all (as a compromised log key could log). None may break the entry
page; all get proofs. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_raw
from candor.domain.key_history import KeyEvent, KeyEventKind, signed_key_event
from candor.domain.observation import Observation, ObservationKind, signed_observation
from candor.errors import NotFoundError
from candor.services.integration import RegistryLog
from candor.services.log_explorer import ExplorerQueryError, LogExplorer
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.tlog.merkle import leaf_hash, verify_inclusion
from candor.tlog.proof import verify_tlog_proof

ORIGIN = "explorer.test/log"


def _log(sessions: sessionmaker[Session], data_dir: Path, *entries: bytes) -> RegistryLog:
    log = RegistryLog(sessions, data_dir, ORIGIN)
    for entry in entries:
        with sessions.begin() as session, log_append_lock(session):
            append_log_entry(session, entry)
    log.integrate()
    return log


def test_a_key_event_and_a_foreign_entry_are_shown_with_their_proofs(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    key = Ed25519PrivateKey.generate().public_key()
    event = KeyEvent(
        origin=ORIGIN,
        developer="acme-ai",
        kind=KeyEventKind.REGISTRATION,
        key=base64.b64encode(public_key_raw(key)).decode(),
        issued_at="2026-01-01T00:00:00Z",
    )
    key_event = signed_key_event(event, log.signer.sign)
    foreign = b'{"hello":"world"}'
    _log(sessions, tmp_path, key_event, foreign)
    explorer = LogExplorer(sessions, tmp_path / "log")

    shown = explorer.entry(0)
    assert shown.form == "key event"
    assert shown.developer == "acme-ai"
    assert shown.entry_text.encode() == key_event
    assert shown.signature_verified is None  # no developer signature to check on a key event
    assert shown.inclusion is not None
    assert shown.inclusion.verified

    odd = explorer.entry(1)
    assert odd.form == "unreadable"
    assert odd.problem is not None
    assert "unknown entry type" in odd.problem or "not" in odd.problem
    assert odd.inclusion is not None
    assert odd.inclusion.verified
    root = base64.b64decode(odd.inclusion.root_hash)
    hashes = [base64.b64decode(item) for item in odd.inclusion.hashes]
    verify_inclusion(leaf_hash(foreign), 1, 2, hashes, root)

    # The tlog-proof of an entry that is no statement carries no evidence, and proves the entry itself.
    proof = explorer.tlog_proof(0)
    assert "extra " not in proof
    assert verify_tlog_proof(proof, key_event, log.signer.verifier()).index == 0
    with pytest.raises(Exception, match="not proven"):
        verify_tlog_proof(proof, foreign, log.signer.verifier())


def test_a_watcher_observation_is_shown_as_the_registry_s_word_and_a_forged_one_as_unreadable(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    observation = Observation(
        origin=ORIGIN,
        developer="acme-ai",
        url="https://acme.example/safety",
        observed_at="2026-01-01T00:00:00Z",
        finding=ObservationKind.SILENT_EDIT,
        content_sha256="a" * 64,
    )
    entry = signed_observation(observation, log.signer.sign)
    # Claims to be an observation (it begins as one does) but is not canonical: the parser must refuse it.
    broken = entry.replace(b'"finding":"silent-edit"', b'"finding":"silent-edit","extra":1')
    _log(sessions, tmp_path, entry, broken)
    explorer = LogExplorer(sessions, tmp_path / "log")

    shown = explorer.entry(0)
    assert shown.form == "observation"
    assert (shown.developer, shown.kind) == ("acme-ai", "silent-edit")
    assert shown.problem is None
    assert shown.signature is None  # the developer signed nothing: no developer signature is claimed
    assert shown.inclusion is not None
    assert shown.inclusion.verified
    assert verify_tlog_proof(explorer.tlog_proof(0), entry, log.signer.verifier()).index == 0

    forged = explorer.entry(1)
    assert forged.form == "unreadable"
    assert forged.problem is not None
    assert forged.inclusion is not None
    assert forged.inclusion.verified


def test_lookups_that_name_nothing_are_refused(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _log(sessions, tmp_path, b'{"hello":"world"}')
    explorer = LogExplorer(sessions, tmp_path / "log")
    assert explorer.lookup("0").log_indexes == (0,)
    assert explorer.lookup(leaf_hash(b'{"hello":"world"}').hex()).matched == "leaf hash"
    for text in ("1", "f" * 64, "nobody"):
        with pytest.raises(NotFoundError):
            explorer.lookup(text)
    for text in ("", " ", "x" * 201, "-1", "1.5", "DROP TABLE", "a" * 65):
        with pytest.raises((ExplorerQueryError, NotFoundError)):
            explorer.lookup(text)
    with pytest.raises(ExplorerQueryError):
        explorer.consistency(1, 0)
    with pytest.raises(NotFoundError):
        explorer.entry(5)
