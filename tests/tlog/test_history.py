"""The checkpoint history: what the log remembers signing, and the proof it gives itself before signing again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.history import HISTORY_FILE, CheckpointHistory, HistoryError, RefusedToSignError, prove_extends
from candor.tlog.local_log import SEQUENCER_FILE, LocalLog
from candor.tlog.merkle import MemoryTree, leaf_hash
from candor.tlog.note import Signer, generate_key, parse_signer_key

ORIGIN = "example.com/history"


def _signer(origin: str = ORIGIN) -> Signer:
    return parse_signer_key(generate_key(origin)[0])


def _tree(entries: list[bytes]) -> MemoryTree:
    return MemoryTree(leaf_hash(entry) for entry in entries)


def _note(signer: Signer, tree: MemoryTree) -> bytes:
    return sign_checkpoint(Checkpoint(signer.name, tree.size, tree.root()), signer)


def test_control_every_appended_checkpoint_is_remembered_in_order(tmp_path: Path) -> None:
    signer = _signer()
    history = CheckpointHistory(tmp_path / "checkpoint-history", signer.verifier())
    assert history.latest() is None
    entries = [f"entry {index}".encode() for index in range(300)]
    for size in range(0, 300, 7):  # a file far larger than the tail read at a time
        history.append(_note(signer, _tree(entries[:size])))
    latest = history.latest()
    assert latest is not None
    assert latest.size == 294
    assert latest.root == _tree(entries[:294]).root()
    assert [head.size for head in history.heads()] == list(range(0, 300, 7))


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path: Path) -> None:
    signer = _signer()
    path = tmp_path / "checkpoint-history"
    history = CheckpointHistory(path, signer.verifier())
    history.append(_note(signer, _tree([b"a"])))
    with path.open("ab") as handle:
        handle.write(b'"example.com/history\\n2\\n')  # a kill -9 in the middle of the next append
    latest = history.latest()
    assert latest is not None
    assert latest.size == 1
    history.append(_note(signer, _tree([b"a", b"b", b"c"])))
    assert [head.size for head in history.heads()] == [1, 3]


def test_a_history_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    ours, theirs = _signer(), _signer()
    path = tmp_path / "checkpoint-history"
    CheckpointHistory(path, theirs.verifier()).append(_note(theirs, _tree([b"a"])))
    with pytest.raises(HistoryError, match="not a checkpoint signed by this log's key"):
        CheckpointHistory(path, ours.verifier()).latest()
    with pytest.raises(HistoryError, match="not a checkpoint signed"):
        CheckpointHistory(path, ours.verifier()).append(_note(theirs, _tree([b"b"])))


def test_a_line_that_is_not_a_quoted_note_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint-history"
    path.write_bytes(b"{not json\n")
    with pytest.raises(HistoryError, match="not a JSON-quoted checkpoint note"):
        CheckpointHistory(path, _signer().verifier()).latest()


def test_prove_extends_accepts_a_tree_that_extends_the_remembered_one(tmp_path: Path) -> None:
    signer = _signer()
    history = CheckpointHistory(tmp_path / "checkpoint-history", signer.verifier())
    entries = [f"entry {index}".encode() for index in range(10)]
    remembered = history.append(_note(signer, _tree(entries[:3])))
    for size in (3, 4, 10):
        tree = _tree(entries[:size])
        prove_extends(remembered, "the history", Checkpoint(ORIGIN, size, tree.root()), "the new tree", tree)


def test_prove_extends_refuses_a_smaller_tree_or_another_history_naming_both_heads(tmp_path: Path) -> None:
    signer = _signer()
    history = CheckpointHistory(tmp_path / "checkpoint-history", signer.verifier())
    remembered = history.append(_note(signer, _tree([b"x1", b"x2", b"x3"])))
    smaller = _tree([b"x1", b"y1"])
    with pytest.raises(RefusedToSignError, match="which is smaller") as refusal:
        prove_extends(remembered, "the history", Checkpoint(ORIGIN, 2, smaller.root()), "the new tree", smaller)
    assert f"the history holds {ORIGIN} size 3 root " in refusal.value.message
    assert f"the new tree is {ORIGIN} size 2 root " in refusal.value.message
    forked = _tree([b"x1", b"y1", b"y2", b"y3"])
    with pytest.raises(RefusedToSignError, match="does not extend it"):
        prove_extends(remembered, "the history", Checkpoint(ORIGIN, 4, forked.root()), "the new tree", forked)


# -- the standalone log keeps the same memory ------------------------------------------------------------------------


def _sqlite_copy(source: Path, target: Path) -> None:
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()


def test_a_local_log_whose_sequencer_is_restored_from_an_old_backup_refuses_to_append_or_sign(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    with LocalLog.create(directory, ORIGIN) as log:
        log.append(b"x1")
        log.publish()
    _sqlite_copy(directory / SEQUENCER_FILE, tmp_path / "sequencer-backup.db")
    with LocalLog.open(directory) as log:
        log.append_many([b"x2", b"x3"])
        log.publish()
    bundle = directory / "log" / "tile" / "entries" / "000.p" / "3"
    served = bundle.read_bytes()
    _sqlite_copy(tmp_path / "sequencer-backup.db", directory / SEQUENCER_FILE)
    with LocalLog.open(directory) as log:
        with pytest.raises(RefusedToSignError, match="rolled back") as refusal:
            log.append(b"y1")
        assert f"{ORIGIN} size 3 root" in refusal.value.message
        assert f"{ORIGIN} size 1 root" in refusal.value.message
        with pytest.raises(RefusedToSignError):
            log.append_many([b"y1"])
        with pytest.raises(RefusedToSignError):
            log.publish()
        assert log.size() == 1
    assert bundle.read_bytes() == served


def test_control_a_local_log_without_a_restore_goes_on(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    with LocalLog.create(directory, ORIGIN) as log:
        log.append(b"x1")
        log.publish()
    with LocalLog.open(directory) as log:
        assert log.append(b"x2") == 1
        assert log.publish().size == 2
    verifier = parse_signer_key((directory / "log.key").read_text()).verifier()
    sizes = [head.size for head in CheckpointHistory(directory / HISTORY_FILE, verifier).heads()]
    assert sizes == [0, 1, 2]


KILLED_AFTER_THE_HISTORY = """
import os, signal, sys
from pathlib import Path
from candor.tlog.history import CheckpointHistory
from candor.tlog.local_log import LocalLog

synced = CheckpointHistory.append

def append_then_die(self, note):
    head = synced(self, note)
    os.kill(os.getpid(), signal.SIGKILL)
    return head

log = LocalLog.open(Path(sys.argv[1]))
log.append(b"x2")
CheckpointHistory.append = append_then_die
log.publish()
"""


def test_kill_9_between_the_history_and_the_sequencer_neither_forks_nor_wedges_a_local_log(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    with LocalLog.create(directory, ORIGIN) as log:
        log.append(b"x1")
        log.publish()
    script = tmp_path / "child.py"
    script.write_text(KILLED_AFTER_THE_HISTORY)
    child = subprocess.run([sys.executable, str(script), str(directory)], env=os.environ, check=False)
    assert child.returncode == -signal.SIGKILL
    verifier = parse_signer_key((directory / "log.key").read_text()).verifier()
    remembered = CheckpointHistory(directory / HISTORY_FILE, verifier).latest()
    assert remembered is not None
    assert remembered.size == 2
    with LocalLog.open(directory) as log:
        assert log.size() == 1  # the sequencer never recorded size 2
        assert log.publish().size == 2
        assert log.checkpoint_note() == remembered.note.encode()
        assert log.append(b"x3") == 2
        assert log.publish().size == 3
