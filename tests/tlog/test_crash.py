"""kill -9 a real process in the middle of appending and publishing; every acknowledged entry survives.

The child appends single entries and bursts as fast as it can, with the background integrator publishing
every 256 entries or 250 ms and the child publishing on its own now and then, and prints each index only
after its append returned. The parent kills it with SIGKILL at a random moment, several rounds over.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.fsck import fsck
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import tree_hash
from candor.tlog.note import parse_verifier_key

CHILD = """
import random, sys
from pathlib import Path
from candor.tlog.local_log import LocalLog

log = LocalLog.open(Path(sys.argv[1]))
log.start_integrator()
rng = random.Random(int(sys.argv[2]))
tag = sys.argv[2]
out = sys.stdout
out.write("ready\\n")
out.flush()
count = 0
while True:
    roll = rng.random()
    if roll < 0.05:
        batch = [f"{tag}-{count + k}".encode() for k in range(rng.randint(1, 600))]
        indexes = log.append_many(batch)
        out.write("".join(f"{index} {entry.decode()}\\n" for index, entry in zip(indexes, batch)))
        count += len(batch)
    else:
        entry = f"{tag}-{count}".encode() * rng.randint(1, 20)
        out.write(f"{log.append(entry)} {entry.decode()}\\n")
        count += 1
    out.flush()
    if roll > 0.995:
        log.publish()
"""


def acknowledged(output: bytes) -> dict[int, bytes]:
    """The entries the child saw appended: only whole lines count (a kill can cut the last one)."""
    found: dict[int, bytes] = {}
    for line in output.split(b"\n")[:-1]:
        if line == b"ready":
            continue
        index, entry = line.split(b" ", 1)
        found[int(index)] = entry
    return found


@pytest.mark.slow
def test_kill_9_while_appending_loses_nothing_acknowledged(tmp_path: Path) -> None:
    directory = tmp_path / "log"
    LocalLog.create(directory, "example.com/crash").close()
    verifier = parse_verifier_key((directory / "log.vkey").read_text())
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = random.Random(20261127)
    promised: dict[int, bytes] = {}
    checkpoints = []
    for round_ in range(6):
        child = subprocess.Popen(
            [sys.executable, str(script), str(directory), str(round_)], stdout=subprocess.PIPE, env=os.environ
        )
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 0.8))
        child.send_signal(signal.SIGKILL)
        output = child.stdout.read()
        child.wait()
        assert child.returncode == -signal.SIGKILL
        round_entries = acknowledged(output)
        assert round_entries, "the child acknowledged nothing before it was killed"
        assert not set(round_entries) & set(promised), "an index was handed out twice"
        promised.update(round_entries)
        # Even before any restart, what the log serves verifies: the checkpoint is written last.
        fsck(directory / "log", verifier)
        checkpoints.append(open_checkpoint((directory / "log" / "checkpoint").read_bytes(), verifier))

    with LocalLog.open(directory) as log:
        log.publish()
        report = fsck(log.public, verifier)
        reader = log.reader()
        for index, entry in promised.items():
            assert reader.entry(index) == entry
    assert report.entries >= len(promised)
    assert max(checkpoint.size for checkpoint in checkpoints) > 0, "nothing was published while appending"
    # Every checkpoint ever served is a prefix of the final tree: no two inconsistent checkpoints.
    for checkpoint in checkpoints:
        assert tree_hash(reader, checkpoint.size) == checkpoint.root
