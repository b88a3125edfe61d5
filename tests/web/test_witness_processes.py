"""The witness as a real process over loopback HTTP: the same requests get the same answers as an independent
tlog-witness (aics-witness, from PyPI), and a ``kill -9`` while it cosigns never leaves it able to sign a fork."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.tlog.checkpoint import Checkpoint, check_cosignatures, open_checkpoint, sign_checkpoint
from candor.tlog.merkle import MemoryTree, consistency_proof, leaf_hash, tree_hash
from candor.tlog.note import Signer, parse_cosignature_verifier_key
from candor.tlog.witness import origin_hash
from tests.independent_tools import tool_venv
from tests.processes import free_port, wait_until_answering

ORIGIN = "registry.example/log"
#: A witness process while it runs: its base URL, verifier key and process.
Running = Generator[tuple[str, str, "subprocess.Popen[bytes]"], None, None]
LOG_KEY = Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
STRANGER = Signer("elsewhere.example/log", Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34))))
IMPOSTOR = Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35))))

pytestmark = pytest.mark.xdist_group("witness-processes")


class Tree:
    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self.tree = MemoryTree()

    def grow(self, count: int) -> Tree:
        start = self.tree.size
        self.tree.extend(leaf_hash(self.prefix + str(i).encode()) for i in range(start, start + count))
        return self

    def request(self, old: int, size: int | None = None, signer: Signer = LOG_KEY, proof: bool = True) -> bytes:
        size = self.tree.size if size is None else size
        hashes = consistency_proof(self.tree, old, size) if proof and 0 < old < size else []
        lines = "".join(base64.b64encode(node).decode() + "\n" for node in hashes)
        note = sign_checkpoint(Checkpoint(signer.name, size, tree_hash(self.tree, size)), signer)
        return f"old {old}\n{lines}\n".encode() + note


def _candor_witness(tmp_path: Path, name: str) -> Running:
    key = tmp_path / "witness.key"
    made = subprocess.run(
        [sys.executable, "-m", "candor", "witness", "keygen", name, "--out", str(key)],
        capture_output=True,
        check=True,
    )
    vkey = made.stdout.decode().strip().splitlines()[-1]
    yield from _serve(tmp_path, _serve_command(tmp_path), vkey)


def _serve_command(run_dir: Path) -> list[str]:
    """``candor witness serve`` for the key and state in ``run_dir``, witnessing the test log; ends with --port."""
    key, state = str(run_dir / "witness.key"), str(run_dir / "state")
    candor = [sys.executable, "-m", "candor", "witness", "serve"]
    return [*candor, "--key", key, "--state", state, "--log", LOG_KEY.vkey(), "--port"]


def _serve(tmp_path: Path, command: list[str], vkey: str) -> Running:
    """Run a witness whose command ends with its port option; yields its base URL, vkey and process."""
    port = free_port()
    log = tmp_path / f"witness-{port}.log"
    port_value = f"127.0.0.1:{port}" if command[-1] == "--listen" else str(port)
    with log.open("wb") as output:
        process = subprocess.Popen([*command, port_value], stdout=output, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(process, base_url + "/healthz", log)
            yield base_url, vkey, process
        finally:
            process.kill()
            process.wait(timeout=30)


def _aics_witness(tmp_path: Path, name: str) -> Running:
    bin_dir = tool_venv("aics-witness==0.1.0", "3.12")
    config = tmp_path / "witness.json"
    tool = str(bin_dir / "aics-witness")
    subprocess.run([tool, "init", "--config", str(config), "--name", name], check=True, capture_output=True)
    subprocess.run(
        [tool, "add-log", "--config", str(config), "--origin", ORIGIN, "--vkey", LOG_KEY.vkey()],
        check=True,
        capture_output=True,
    )
    status = subprocess.run([tool, "status", "--config", str(config), "--json"], check=True, capture_output=True)
    vkey = json.loads(status.stdout)["witness"]["vkey"]
    yield from _serve(tmp_path, [tool, "serve", "--config", str(config), "--listen"], vkey)


# One scenario, in order: each step's request and what a tlog-witness must answer.
honest, forked = Tree(b"entry"), Tree(b"forged")
honest.grow(5)
forked.grow(5)
STEPS: list[tuple[str, bytes]] = [
    ("unknown origin", honest.request(0, signer=STRANGER)),
    ("signed by an impostor only", honest.request(0, signer=IMPOSTOR)),
    ("malformed: no empty line", b"old 0\n" + honest.request(0).split(b"\n\n")[1]),
    ("old size above the size", honest.request(6, size=5)),
    ("first checkpoint", honest.request(0)),
    ("same checkpoint again", honest.request(5)),
    ("stale old size", honest.grow(300).request(0)),
    ("growth with a proof", honest.request(5)),
    ("growth with a wrong proof", honest.grow(10).request(305, proof=False)),
    ("fork of the same size", forked.grow(300).request(305)),
    ("rollback", honest.request(305, size=100)),
    ("honest growth after the attacks", honest.request(305)),
]


@pytest.fixture
def witnesses(tmp_path: Path) -> Iterator[list[tuple[str, str]]]:
    (tmp_path / "candor").mkdir()
    (tmp_path / "aics").mkdir()
    ours = _candor_witness(tmp_path / "candor", "witness.example/candor")
    theirs = _aics_witness(tmp_path / "aics", "witness.example/aics")
    first, second = next(ours), next(theirs)
    try:
        yield [(first[0], first[1]), (second[0], second[1])]
    finally:
        for generator in (ours, theirs):
            generator.close()


def test_both_witnesses_answer_every_request_alike(witnesses: list[tuple[str, str]]) -> None:
    answers: dict[str, list[tuple[str, int, str]]] = {}
    for base_url, vkey in witnesses:
        verifier = parse_cosignature_verifier_key(vkey)
        seen = []
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for name, body in STEPS:
                response = client.post("/add-checkpoint", content=body)
                detail = response.text if response.status_code == 409 else ""
                if response.status_code == 200:
                    cosigned = body.split(b"\n\n", 1)[1] + response.content
                    assert check_cosignatures(cosigned, [verifier], quorum=1) == 1, name
                seen.append((name, response.status_code, detail))
            monitored = client.get(f"/{origin_hash(ORIGIN)}/checkpoint")
            assert monitored.status_code == 200
            assert open_checkpoint(monitored.content, LOG_KEY.verifier()).size == 315
            assert check_cosignatures(monitored.content, [verifier], quorum=1) == 1
        answers[base_url] = seen
    ours, theirs = answers.values()
    assert ours == theirs
    statuses = dict((name, status) for name, status, _ in ours)
    # The control of each refusal: the honest requests were cosigned by both.
    assert [
        statuses[name] for name in ("first checkpoint", "growth with a proof", "honest growth after the attacks")
    ] == [
        200,
        200,
        200,
    ]
    assert statuses["fork of the same size"] == 422
    assert statuses["stale old size"] == 409


def test_a_witness_killed_while_cosigning_keeps_a_state_that_refuses_forks(tmp_path: Path) -> None:
    """kill -9 at an arbitrary moment among concurrent add-checkpoints; after a restart the witness still knows at
    least every size it acknowledged, its database is intact, and it refuses a fork of what it knows."""
    (tmp_path / "run").mkdir()
    log = Tree(b"entry").grow(2000)
    acknowledged: list[int] = []
    servers = _candor_witness(tmp_path / "run", "witness.example/candor")
    base_url, _, process = next(servers)
    stop = threading.Event()

    def submit() -> None:
        size = 0
        with httpx.Client(base_url=base_url, timeout=5) as client:
            for new in range(10, 2000, 10):
                if stop.is_set():
                    return
                try:
                    response = client.post("/add-checkpoint", content=log.request(size, size=new))
                except httpx.TransportError:
                    return
                if response.status_code == 409:
                    size = int(response.text)
                    continue
                if response.status_code == 200:
                    acknowledged.append(new)
                    size = new

    workers = [threading.Thread(target=submit) for _ in range(3)]
    for worker in workers:
        worker.start()
    while len(acknowledged) < 20:
        assert process.poll() is None
        threading.Event().wait(0.01)
    os.kill(process.pid, signal.SIGKILL)
    stop.set()
    for worker in workers:
        worker.join()
    servers.close()
    database = tmp_path / "run" / "state" / "witness.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (remembered,) = connection.execute("SELECT size FROM cosigned").fetchone()
    assert remembered >= max(acknowledged)
    restarted = _serve(tmp_path / "run", _serve_command(tmp_path / "run"), "")
    base_url, _, _ = next(restarted)
    try:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            fork = Tree(b"forged").grow(remembered + 10)
            assert client.post("/add-checkpoint", content=fork.request(remembered)).status_code == 422
            assert client.post("/add-checkpoint", content=log.request(remembered, size=2000)).status_code == 200
    finally:
        restarted.close()
