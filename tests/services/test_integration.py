"""The registry log's integrator: tiles, signed checkpoints and inclusion proofs, checked with tlog's verifiers."""

from __future__ import annotations

import multiprocessing
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import private_key_pem
from candor.services.evidence import statement_evidence
from candor.services.integration import Integrator, RegistryLog, registry_log_signer
from candor.services.verification import VerificationError, verify_document
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import latest_checkpoint, log_entries
from candor.store.schema import upgrade_database
from candor.testing.publishing import framework, public_version, publisher, register, signed
from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.fsck import fsck
from candor.tlog.merkle import inclusion_proof
from candor.tlog.note import parse_verifier_key
from candor.tlog.proof import format_tlog_proof, verify_tlog_proof
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import CHECKPOINT_NAME
from tests.services.publisher_process import ORIGIN, publish_versions

WORKERS = 4
VERSIONS_EACH = 6


def _proof(sessions: sessionmaker[Session], log: RegistryLog, statement_sha256: str) -> str:
    """The statement's tlog-proof, built from the served tiles as the API builds it."""
    index, evidence = statement_evidence(sessions, statement_sha256)
    with sessions() as session:
        checkpoint = latest_checkpoint(session)
    assert checkpoint is not None
    reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root_hash)
    hashes = inclusion_proof(reader, index, checkpoint.size)
    return format_tlog_proof(index, hashes, checkpoint.note.encode(), extra=evidence.to_extra())


def test_first_integration_creates_a_private_key_and_signs_the_empty_tree(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    assert stat.S_IMODE((tmp_path / "log.key").stat().st_mode) == 0o600
    checkpoint = log.integrate()
    assert checkpoint.size == 0
    verifier = parse_verifier_key((tmp_path / "log.vkey").read_text())
    served = open_checkpoint((tmp_path / "log" / CHECKPOINT_NAME).read_bytes(), verifier)
    assert served.size == 0
    # A second server on the same data directory uses the same key.
    assert RegistryLog(sessions, tmp_path, ORIGIN).signer.vkey() == log.signer.vkey()


def test_servers_starting_together_all_get_the_same_whole_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(16) as pool:
        vkeys = set(pool.map(lambda _: registry_log_signer(tmp_path / "log.key", ORIGIN).vkey(), range(64)))
    assert len(vkeys) == 1
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_published_entries_get_a_checkpoint_and_inclusion_proofs(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    documents = {}
    for version in range(1, 4):
        raw = framework("acme-ai", version, supersedes=version - 1 if version > 1 else None)
        documents[service.publish(acme.token, signed(acme, raw)).statement_sha256] = public_version(raw)
    checkpoint = log.integrate()
    assert checkpoint.size == 3
    verifier = parse_verifier_key(log.signer.vkey())
    with sessions() as session:
        recorded = latest_checkpoint(session)
        entries = [row.entry for row in log_entries(session, 0, 3)]
    assert recorded is not None
    assert recorded.size == 3
    assert (tmp_path / "log" / CHECKPOINT_NAME).read_text() == recorded.note
    for digest, raw in documents.items():
        proof = _proof(sessions, log, digest)
        index, _ = statement_evidence(sessions, digest)
        assert verify_tlog_proof(proof, entries[index], verifier).index == index
        assert verify_document("doc.md", raw, proof, log.signer.vkey()).statement_sha256 == digest
    assert fsck(tmp_path / "log", verifier).entries == 3


def test_an_altered_document_does_not_verify(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    acme = register(sessions, "acme-ai")
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    raw = framework("acme-ai", 1)
    entry = publisher(sessions).publish(acme.token, signed(acme, raw))
    log.integrate()
    proof = _proof(sessions, log, entry.statement_sha256)
    with pytest.raises(VerificationError, match="but the signed statement names"):
        verify_document("doc.md", public_version(raw).replace(b"must", b"may", 1), proof, log.signer.vkey())


def test_a_statement_replayed_into_another_registrys_log_does_not_verify(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # The statement is signed for ORIGIN; a registry whose log is called something else holds and proves it, as
    # one that replayed it from the registry it was made for would.
    acme = register(sessions, "acme-ai")
    raw = framework("acme-ai", 1)
    entry = publisher(sessions).publish(acme.token, signed(acme, raw))
    elsewhere = RegistryLog(sessions, tmp_path, "elsewhere.example/registry")
    elsewhere.integrate()
    proof = _proof(sessions, elsewhere, entry.statement_sha256)
    with pytest.raises(VerificationError, match=re.escape(f"signed for the log {ORIGIN!r}")):
        verify_document("doc.md", public_version(raw), proof, elsewhere.signer.vkey())
    # The control is test_published_entries_get_a_checkpoint_and_inclusion_proofs: the log the statements name.


def test_tiles_lost_from_the_data_directory_are_rebuilt_from_the_database(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    acme = register(sessions, "acme-ai")
    service = publisher(sessions)
    service.publish(acme.token, signed(acme, framework("acme-ai", 1)))
    RegistryLog(sessions, tmp_path / "first", ORIGIN).integrate()
    # Another server, with its own empty directory but the same key, takes over and extends the same tree.
    second = tmp_path / "second"
    second.mkdir()
    (second / "log.key").write_bytes((tmp_path / "first" / "log.key").read_bytes())
    service.publish(acme.token, signed(acme, framework("acme-ai", 2, supersedes=1)))
    log = RegistryLog(sessions, second, ORIGIN)
    assert log.integrate().size == 2
    assert fsck(second / "log", parse_verifier_key(log.signer.vkey())).entries == 2


def test_a_new_data_directory_gets_the_tiles_of_a_log_with_nothing_new(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    acme = register(sessions, "acme-ai")
    publisher(sessions).publish(acme.token, signed(acme, framework("acme-ai", 1)))
    RegistryLog(sessions, tmp_path / "first", ORIGIN).integrate()
    second = tmp_path / "second"
    second.mkdir()
    (second / "log.key").write_bytes((tmp_path / "first" / "log.key").read_bytes())
    log = RegistryLog(sessions, second, ORIGIN)
    assert log.integrate().size == 1
    assert fsck(second / "log", parse_verifier_key(log.signer.vkey())).entries == 1


def test_the_background_integrator_signs_soon_after_a_publish(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    acme = register(sessions, "acme-ai")
    log = RegistryLog(sessions, tmp_path, ORIGIN)
    integrator = Integrator(log, interval=60)  # only a wake-up can make it integrate within this test
    integrator.start()
    try:
        publisher(sessions).publish(acme.token, signed(acme, framework("acme-ai", 1)))
        integrator.wake()
    finally:
        integrator.stop()
    with sessions() as session:
        recorded = latest_checkpoint(session)
    assert recorded is not None
    assert recorded.size == 1


def test_parallel_publishers_get_unique_dense_indexes_and_a_sound_log(postgres_schema_url: str, tmp_path: Path) -> None:
    """Several server processes sharing one PostgreSQL (and one data directory) publish and integrate at once."""
    engine = create_database_engine(postgres_schema_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    signers = [register(sessions, f"developer-{worker}") for worker in range(WORKERS)]
    jobs = [
        (postgres_schema_url, str(tmp_path), signer.slug, private_key_pem(signer.key), signer.token, VERSIONS_EACH)
        for signer in signers
    ]
    try:
        with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
            results = pool.starmap(publish_versions, jobs)
        given = sorted(index for indexes in results for index in indexes)
        assert given == list(range(WORKERS * VERSIONS_EACH))
        log = RegistryLog(sessions, tmp_path, ORIGIN)
        assert log.integrate().size == WORKERS * VERSIONS_EACH
        report = fsck(tmp_path / "log", parse_verifier_key(log.signer.vkey()))
        assert report.entries == WORKERS * VERSIONS_EACH
    finally:
        engine.dispose()
