"""The checkpoint history: what the log remembers signing, and the proof it gives itself before signing again."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.history import CheckpointHistory, HistoryError, RefusedToSignError, prove_extends
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
