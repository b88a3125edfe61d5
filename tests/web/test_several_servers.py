"""Three real ``candor serve`` processes on one PostgreSQL schema, each with its own data directory, behind a
round-robin client; eight publishing processes; the signing server killed with ``kill -9`` mid-stream.

What must hold afterwards (docs/operations.md, "Several app servers"):

* every publication a server acknowledged is in the log, at the index it was told;
* the log's indexes are dense;
* every server (the killed one too, once restarted on its data directory) serves the same checkpoint;
* the tiles each server serves verify, both with candor's own tile reader and with an independent implementation
  of the Go tlog-tiles layout (tlog-scales), against the checkpoint and the log's key.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tlog_scales.backend import HttpBackend
from tlog_scales.reader import TilesReader
from tlog_scales.signing import Vkey
from tlog_scales.tiles import leaf_hash as scales_leaf_hash

from candor.domain.log_entry import parse_log_entry
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import log_entries, log_size
from candor.store.schema import upgrade_database
from candor.testing.publishing import ORIGIN, Signer, framework, register, request_body, signed
from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.merkle import inclusion_proof, leaf_hash, verify_inclusion
from candor.tlog.note import generate_key, parse_verifier_key
from candor.tlog.tilereader import HttpFetcher, TileReader
from tests.conftest import REPO
from tests.dbfixtures import postgres_schema_url

__all__ = ["postgres_schema_url"]

pytestmark = pytest.mark.slow

SERVERS = 3
PUBLISHERS = 8
VERSIONS = 6  # per publisher: 48 publications in all

#: One developer's versions, signed beforehand, published in order, each to the next server in turn. A request that
#: fails in transit (its server was killed) is sent again to the next server: republishing the same statement is
#: idempotent, so the answer then names the entry the first attempt may already have made. Prints what was
#: acknowledged. It imports only httpx, so that eight of them start quickly.
PUBLISHER = """
import json, sys, httpx

job = json.loads(open(sys.argv[1]).read())
servers = job["servers"]
turn = job["first"]
with httpx.Client(timeout=30) as client:
    for version, body in enumerate(job["bodies"], start=1):
        for attempt in range(12):
            base = servers[turn % len(servers)]
            turn += 1
            try:
                answer = client.post(
                    f"{base}/api/v1/statements", json=body, headers={"Authorization": f"Bearer {job['token']}"}
                )
            except httpx.TransportError:
                continue
            if answer.status_code in (200, 201):
                out = answer.json()
                print(json.dumps({"id": out["id"], "log_index": out["log_index"], "server": base}), flush=True)
                break
            raise SystemExit(f"{base}: HTTP {answer.status_code}: {answer.text}")
        else:
            raise SystemExit(f"version {version}: no server acknowledged it")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One ``candor serve`` process with its own data directory, started again by :meth:`start`."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    def start(self) -> None:
        self.data_dir.mkdir(exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "candor", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_serving(self, client: httpx.Client) -> None:
        for _ in range(600):
            assert self.process is not None
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if client.get(f"{self.base}/log/checkpoint").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.base} did not start serving: {self.log_path.read_text()}")

    def health(self, client: httpx.Client) -> dict[str, object]:
        answer: dict[str, object] = client.get(f"{self.base}/healthz").json()
        return answer

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def servers(postgres_schema_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    engine = create_database_engine(postgres_schema_url)
    upgrade_database(engine)
    engine.dispose()
    # The log's one key, which every server reads from the same file: the way a secret is mounted into containers.
    key_file = tmp_path / "log.key"
    key_file.write_text(generate_key(ORIGIN)[0] + "\n")
    key_file.chmod(0o600)
    env = {
        **os.environ,
        "CANDOR_DATABASE_URL": postgres_schema_url,
        "CANDOR_LOG_KEY_FILE": str(key_file),
        "CANDOR_LOG_ORIGIN": ORIGIN,
        "CANDOR_AUDIT_INTERVAL": "0",
        "PYTHONPATH": str(REPO),
    }
    started = [Server(tmp_path / f"server-{number}", env) for number in range(SERVERS)]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.stop()


def _checkpoints(client: httpx.Client, servers: list[Server]) -> list[bytes]:
    return [client.get(f"{server.base}/log/checkpoint").content for server in servers]


def test_three_servers_one_killed_mid_stream_lose_nothing_and_serve_one_log(
    servers: list[Server], postgres_schema_url: str, tmp_path: Path
) -> None:
    engine = create_database_engine(postgres_schema_url)
    sessions = session_factory(engine)
    signers: list[Signer] = [register(sessions, f"lab-{number}") for number in range(PUBLISHERS)]
    client = httpx.Client(timeout=30)
    try:
        for server in servers:
            server.wait_serving(client)
        vkey = (servers[0].data_dir / "log.vkey").read_text().strip()
        roles = [server.health(client)["log"] for server in servers]
        signing = [number for number, role in enumerate(roles) if isinstance(role, dict) and role["role"] == "signing"]
        assert len(signing) == 1, roles  # exactly one server signs; the others serve

        publishers = []
        for number, signer in enumerate(signers):
            bodies = [
                request_body(signed(signer, framework(signer.slug, version, supersedes=version - 1 or None)))
                for version in range(1, VERSIONS + 1)
            ]
            job = {
                "bodies": bodies,
                "token": signer.token,
                "servers": [server.base for server in servers],
                "first": number,
            }
            job_file = tmp_path / f"publisher-{number}.json"
            job_file.write_text(json.dumps(job))
            process = subprocess.Popen(
                [sys.executable, "-c", PUBLISHER, str(job_file)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=servers[0].env,
            )
            publishers.append(process)

        # Mid-stream: once a third of the publications are in, kill -9 the server that signs.
        total = PUBLISHERS * VERSIONS
        while True:
            with sessions() as session:
                if log_size(session) >= total // 3:
                    break
            assert all(process.poll() in (None, 0) for process in publishers)
            time.sleep(0.05)
        killed = servers[signing[0]]
        killed.kill()
        with sessions() as session:
            assert log_size(session) < total  # the publishers are still at work: the kill is mid-stream

        acknowledged: list[dict[str, Any]] = []
        for process in publishers:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err.decode()
            acknowledged.extend(json.loads(line) for line in out.decode().splitlines())
        assert len(acknowledged) == total
        assert {entry["server"] for entry in acknowledged} == {server.base for server in servers}

        # Another server took over signing, and the killed one, started again on its data directory, follows.
        killed.start()
        killed.wait_serving(client)
        deadline = time.monotonic() + 30
        while True:
            with sessions() as session:
                size = log_size(session)
            served = _checkpoints(client, servers)
            sizes = [open_checkpoint(note, parse_verifier_key(vkey)).size for note in served]
            if sizes == [size] * SERVERS and len(set(served)) == 1:
                break
            assert time.monotonic() < deadline, f"servers serve sizes {sizes}; the database holds {size}"
            time.sleep(0.1)
        roles = [server.health(client)["log"] for server in servers]
        now_signing = [
            number for number, role in enumerate(roles) if isinstance(role, dict) and role["role"] == "signing"
        ]
        assert len(now_signing) == 1, roles
        assert now_signing != signing  # another server took the lease when the signing one died

        # Dense indexes, and every acknowledged publication at the index it was given.
        with sessions() as session:
            rows = list(log_entries(session, 0, size))
        assert [row.log_index for row in rows] == list(range(size))
        by_index = {row.log_index: row.entry for row in rows}
        assert len({entry["log_index"] for entry in acknowledged}) == total
        for entry in acknowledged:
            logged = parse_log_entry(by_index[entry["log_index"]])
            assert hashlib.sha256(logged.statement_bytes).hexdigest() == entry["id"]

        # The tiles every server serves verify against the one checkpoint: candor's reader and an independent one.
        checkpoint = open_checkpoint(served[0], parse_verifier_key(vkey))
        for server in servers:
            reader = TileReader(HttpFetcher(f"{server.base}/log"), checkpoint.size, checkpoint.root)
            for index in (0, size // 2, size - 1):
                proof = inclusion_proof(reader, index, checkpoint.size)
                verify_inclusion(leaf_hash(by_index[index]), index, checkpoint.size, proof, checkpoint.root)
            independent = TilesReader(HttpBackend(f"{server.base}/log"))
            theirs = independent.get_checkpoint()
            theirs.verify(Vkey.from_string(vkey))
            assert theirs.size == size
            assert independent.calculate_root_hash() == checkpoint.root
            for index in range(size):
                assert independent.get_entry(index) == by_index[index]
            independent.get_inclusion_proof(size - 1, size).check(
                scales_leaf_hash(by_index[size - 1]), theirs.root_hash
            )
    finally:
        client.close()
        engine.dispose()
