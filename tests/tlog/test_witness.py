"""The witness cosigns only checkpoints that extend what it cosigned, and answers every other request with the
status the tlog-witness spec gives. Each refusal is paired with the request that succeeds."""

from __future__ import annotations

import base64
import multiprocessing
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tlog_scales.signing import Vkey
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from candor.tlog.checkpoint import Checkpoint, check_cosignatures, open_checkpoint, sign_checkpoint
from candor.tlog.merkle import EMPTY_TREE_HASH, MemoryTree, consistency_proof, leaf_hash
from candor.tlog.note import CosignatureSigner, Signer
from candor.tlog.witness import (
    SIZE_MEDIA_TYPE,
    Witness,
    WitnessedLog,
    WitnessRefusalError,
    WitnessState,
    origin_hash,
)

ORIGIN = "registry.example/log"
LOG_KEY = Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
WITNESS_KEY = CosignatureSigner("witness.example/w1", Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))


class Log:
    """A log that can also lie: it signs whatever tree it is given."""

    def __init__(self, signer: Signer = LOG_KEY, prefix: bytes = b"entry") -> None:
        self.signer = signer
        self.prefix = prefix
        self.tree = MemoryTree()

    def grow(self, count: int) -> None:
        start = self.tree.size
        self.tree.extend(leaf_hash(self.prefix + str(i).encode()) for i in range(start, start + count))

    def note(self, size: int | None = None) -> bytes:
        size = self.tree.size if size is None else size
        root = self.tree.root() if size == self.tree.size else _root_at(self.tree, size)
        return sign_checkpoint(Checkpoint(self.signer.name, size, root), self.signer)

    def request(self, old: int, size: int | None = None, proof: list[bytes] | None = None) -> bytes:
        size = self.tree.size if size is None else size
        if proof is None:
            proof = consistency_proof(self.tree, old, size) if 0 < old < size else []
        lines = "".join(base64.b64encode(node).decode() + "\n" for node in proof)
        return f"old {old}\n{lines}\n".encode() + self.note(size)


def _root_at(tree: MemoryTree, size: int) -> bytes:
    from candor.tlog.merkle import tree_hash

    return tree_hash(tree, size)


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness(WITNESS_KEY, [WitnessedLog(ORIGIN, (LOG_KEY.verifier(),))], WitnessState(tmp_path / "w.sqlite3"))


def refusal(witness: Witness, body: bytes) -> WitnessRefusalError:
    with pytest.raises(WitnessRefusalError) as caught:
        witness.add_checkpoint(body)
    return caught.value


def test_first_checkpoint_is_cosigned_and_verifies_with_an_independent_verifier(witness: Witness) -> None:
    log = Log()
    log.grow(5)
    line = witness.add_checkpoint(log.request(0))
    cosigned = log.note() + line
    assert check_cosignatures(cosigned, [WITNESS_KEY.verifier()], quorum=1) == 1
    # tlog-scales, from PyPI, checks our cosignature/v1 bytes as its own.
    ScalesCheckpoint.from_text(cosigned.decode()).verify(Vkey.from_string(WITNESS_KEY.vkey()))
    # The monitoring endpoint serves the checkpoint with the log's signature and the cosignature.
    served = witness.checkpoint_for(origin_hash(ORIGIN))
    assert served is not None
    open_checkpoint(served, LOG_KEY.verifier())
    assert check_cosignatures(served, [WITNESS_KEY.verifier()], quorum=1) == 1


def test_growth_with_a_consistency_proof_is_cosigned_and_a_stale_old_size_gets_409(witness: Witness) -> None:
    log = Log()
    log.grow(5)
    witness.add_checkpoint(log.request(0))
    log.grow(300)
    stale = refusal(witness, log.request(0))
    assert (stale.status, stale.body, stale.media_type) == (409, b"5\n", SIZE_MEDIA_TYPE)
    witness.add_checkpoint(log.request(5))
    assert witness.state.latest(ORIGIN)[0] == 305  # type: ignore[index]
    # Resubmitting the same checkpoint is consistent with itself.
    witness.add_checkpoint(log.request(305))


def test_a_fork_of_the_same_size_is_refused_and_kept_as_evidence(witness: Witness) -> None:
    honest, forked = Log(), Log(prefix=b"forged")
    honest.grow(8)
    forked.grow(8)
    witness.add_checkpoint(honest.request(0))
    refused = refusal(witness, forked.request(8))
    assert refused.status == 422
    assert [reason for reason, _ in witness.state.evidence(ORIGIN)] == [refused.message]
    # Whatever old size comes with it, two roots for one size are evidence.
    assert refusal(witness, forked.request(0)).status == 422
    assert len(witness.state.evidence(ORIGIN)) == 2
    # Control: the honest log's own checkpoint goes on being accepted.
    witness.add_checkpoint(honest.request(8))


def test_a_fork_that_grew_is_refused_because_its_proof_does_not_verify(witness: Witness) -> None:
    honest, forked = Log(), Log(prefix=b"forged")
    honest.grow(8)
    witness.add_checkpoint(honest.request(0))
    forked.grow(20)
    refused = refusal(witness, forked.request(8))
    assert refused.status == 422
    assert witness.state.latest(ORIGIN)[0] == 8  # type: ignore[index]
    assert len(witness.state.evidence(ORIGIN)) == 1
    honest.grow(12)
    witness.add_checkpoint(honest.request(8))


def test_a_rollback_is_refused(witness: Witness) -> None:
    log = Log()
    log.grow(20)
    witness.add_checkpoint(log.request(0))
    assert refusal(witness, log.request(20, size=10, proof=[])).status == 400
    assert refusal(witness, log.request(10, size=10)).status == 409
    assert witness.state.latest(ORIGIN)[0] == 20  # type: ignore[index]


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("unknown origin", 404),
        ("signed by another key only", 403),
        ("trusted key's signature is bad", 403),
        ("no empty line", 400),
        ("no old line", 400),
        ("old size with a leading zero", 400),
        ("old size above the checkpoint's", 400),
        ("64 proof lines", 400),
        ("proof line not base64", 400),
        ("proof with old size 0", 422),
        ("size 0 with another root", 422),
        ("checkpoint with an extension line", 400),
        ("body over the limit", 413),
    ],
)
def test_malformed_and_untrusted_requests_get_the_specs_status(witness: Witness, case: str, status: int) -> None:
    log = Log()
    log.grow(4)
    note = log.note()
    stranger = Signer("elsewhere.example/log", Ed25519PrivateKey.generate())
    impostor = Signer(ORIGIN, Ed25519PrivateKey.generate())
    bad_signature = note[:-10] + (b"A" if note[-10:-9] != b"A" else b"B") + note[-9:]
    proof_line = base64.b64encode(bytes(32)).decode() + "\n"
    bodies = {
        "unknown origin": b"old 0\n\n" + sign_checkpoint(Checkpoint(stranger.name, 4, log.tree.root()), stranger),
        "signed by another key only": b"old 0\n\n" + sign_checkpoint(Checkpoint(ORIGIN, 4, log.tree.root()), impostor),
        "trusted key's signature is bad": b"old 0\n\n" + bad_signature,
        "no empty line": b"old 0\n" + note.split(b"\n\n")[0],
        "no old line": b"new 0\n\n" + note,
        "old size with a leading zero": b"old 01\n\n" + note,
        "old size above the checkpoint's": b"old 5\n\n" + note,
        "64 proof lines": b"old 0\n" + (proof_line * 64).encode() + b"\n" + note,
        "proof line not base64": b"old 0\nnot base64!\n\n" + note,
        "proof with old size 0": b"old 0\n" + proof_line.encode() + b"\n" + note,
        "size 0 with another root": b"old 0\n\n" + sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), LOG_KEY),
        "checkpoint with an extension line": b"old 0\n\n"
        + _sign_text(f"{ORIGIN}\n4\n{base64.b64encode(log.tree.root()).decode()}\nextension\n"),
        "body over the limit": b"old 0\n" + (proof_line * 2000).encode() + b"\n" + note,
    }
    assert refusal(witness, bodies[case]).status == status
    assert witness.state.latest(ORIGIN) is None
    # Control: the well-formed request for the same tree is cosigned.
    witness.add_checkpoint(log.request(0))


def _sign_text(text: str) -> bytes:
    from candor.tlog.note import sign_note

    return sign_note(text, LOG_KEY)


def test_an_empty_log_is_cosigned_with_the_empty_root(witness: Witness) -> None:
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_TREE_HASH), LOG_KEY)
    witness.add_checkpoint(b"old 0\n\n" + empty)


def test_a_clock_that_went_backwards_gets_503_not_an_earlier_cosignature(tmp_path: Path) -> None:
    now = [1_900_000_000.0]
    witness = Witness(
        WITNESS_KEY,
        [WitnessedLog(ORIGIN, (LOG_KEY.verifier(),))],
        WitnessState(tmp_path / "w.sqlite3"),
        clock=lambda: now[0],
    )
    log = Log()
    log.grow(3)
    witness.add_checkpoint(log.request(0))
    log.grow(3)
    now[0] -= 60
    assert refusal(witness, log.request(3)).status == 503
    now[0] += 61
    witness.add_checkpoint(log.request(3))


def test_two_racing_requests_from_the_same_old_size_get_one_cosignature(tmp_path: Path) -> None:
    """The spec's race: both requests pass the check against size 5 unless check and update are one step."""
    log = Log()
    log.grow(15)
    for round_ in range(10):
        state = tmp_path / f"w{round_}.sqlite3"
        Witness(WITNESS_KEY, [WitnessedLog(ORIGIN, (LOG_KEY.verifier(),))], WitnessState(state)).add_checkpoint(
            log.request(0, size=5)
        )
        outcomes: list[int] = []

        def submit(body: bytes, state: Path = state, outcomes: list[int] = outcomes) -> None:
            witness = Witness(WITNESS_KEY, [WitnessedLog(ORIGIN, (LOG_KEY.verifier(),))], WitnessState(state))
            try:
                witness.add_checkpoint(body)
                outcomes.append(200)
            except WitnessRefusalError as error:
                outcomes.append(error.status)

        threads = [threading.Thread(target=submit, args=(body,)) for body in (log.request(5), log.request(5, size=10))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == [200, 409]
        assert WitnessState(state).latest(ORIGIN)[0] in (10, 15)  # type: ignore[index]


def _submit_in_process(state: str, body: bytes, results: multiprocessing.Queue[int]) -> None:
    witness = Witness(WITNESS_KEY, [WitnessedLog(ORIGIN, (LOG_KEY.verifier(),))], WitnessState(Path(state)))
    try:
        witness.add_checkpoint(body)
        results.put(200)
    except WitnessRefusalError as error:
        results.put(error.status)


def test_two_processes_racing_from_one_old_size_cannot_both_be_cosigned(tmp_path: Path) -> None:
    state = tmp_path / "w.sqlite3"
    log = Log()
    log.grow(5)
    Witness(WITNESS_KEY, [WitnessedLog(ORIGIN, (LOG_KEY.verifier(),))], WitnessState(state)).add_checkpoint(
        log.request(0)
    )
    log.grow(10)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[int] = context.Queue()
    processes = [
        context.Process(target=_submit_in_process, args=(str(state), body, results))
        for body in (log.request(5), log.request(5, size=10))
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    statuses = sorted(results.get(timeout=5) for _ in processes)
    assert statuses == [200, 409]
