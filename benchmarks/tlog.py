"""Figures for the transparency log: bulk build, durable appends, proofs from tiles, fsck, verification.

Every rate is also given as a fraction of the raw SHA-256 call rate measured in the same run (hashlib on
64-byte inputs), which is the physical limit of a Merkle log in CPython. pymerkle (from PyPI) is measured
in the same run for appends and inclusion proofs.

    .venv/bin/python benchmarks/tlog.py                 # 1M entries (a few minutes on 2 cores)
    .venv/bin/python benchmarks/tlog.py --entries 20000 # quick
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pymerkle import InmemoryTree
from pymerkle import verify_inclusion as pymerkle_verify_inclusion

from candor.tlog.checkpoint import Checkpoint, sign_checkpoint
from candor.tlog.fsck import fsck
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from candor.tlog.note import generate_key, parse_signer_key, parse_verifier_key
from candor.tlog.sequencer import Sequencer
from candor.tlog.tiles import RightEdge, TileWriter, write_atomic

ENTRY_SIZE = 200
_SAMPLES = 500


def sha256_rate(seconds: float = 1.0) -> float:
    """Raw hashlib.sha256(64 bytes).digest() calls per second."""
    block = bytes(64)
    sha = hashlib.sha256
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10_000):
            sha(block).digest()
        count += 10_000
    return count / elapsed


def make_entries(start: int, stop: int) -> list[bytes]:
    """Entries of exactly 200 bytes, each distinct."""
    return [f"{index:020d}".encode().ljust(ENTRY_SIZE, b".") for index in range(start, stop)]


def per_call(function: Callable[[], object], repeat: int) -> float:
    """Mean seconds per call over ``repeat`` calls."""
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat


class Report:
    def __init__(self, sha_rate: float) -> None:
        self.sha_rate = sha_rate

    def rate(self, what: str, count: int, seconds: float, target: str) -> None:
        rate = count / seconds
        print(f"{what:<52} {rate:>12,.0f} /s  {rate / self.sha_rate:6.1%} of SHA-256  (target {target})")

    def latency(self, what: str, seconds: float, target: str) -> None:
        calls = 1 / seconds
        print(f"{what:<52} {seconds * 1e6:>11,.1f} µs  {calls / self.sha_rate:6.1%} of SHA-256 calls (target {target})")


def bulk_build(directory: Path, count: int, report: Report) -> LocalLog:
    log = LocalLog.create(directory, "bench.example/log")
    start, cpu_start = time.perf_counter(), time.process_time()
    for first in range(0, count, 100_000):
        log.append_many(make_entries(first, min(first + 100_000, count)))
    sequenced = time.perf_counter()
    log.publish()
    done, cpu_done = time.perf_counter(), time.process_time()
    report.rate(f"bulk build, {count:,} entries (sequence+tiles+checkpoint)", count, done - start, ">= 100k/s")
    print(
        f"{'':<6}sequencing {sequenced - start:.2f} s, tiles and checkpoint {done - sequenced:.2f} s; "
        f"CPU {cpu_done - cpu_start:.2f} s ({count / (cpu_done - cpu_start):,.0f} entries per CPU second)"
    )
    return log


def tiles_only(directory: Path, count: int, report: Report) -> None:
    """The tile writer alone: entries straight into tiles and a signed checkpoint, no sequencer."""
    skey, _ = generate_key("bench.example/tiles")
    signer = parse_signer_key(skey)
    start, cpu_start = time.perf_counter(), time.process_time()
    writer = TileWriter(directory, RightEdge())
    for first in range(0, count, 100_000):
        writer.append(make_entries(first, min(first + 100_000, count)))
    checkpoint = Checkpoint("bench.example/tiles", writer.size, writer.root())
    write_atomic(directory / "checkpoint", sign_checkpoint(checkpoint, signer))
    done, cpu = time.perf_counter(), time.process_time() - cpu_start
    report.rate(f"tiles + checkpoint only, {count:,} entries", count, done - start, ">= 100k/s")
    print(f"{'':<6}CPU {cpu:.2f} s ({count / cpu:,.0f} entries per CPU second)")


def durable_appends(directory: Path, count: int, threads: int, report: Report) -> None:
    log = LocalLog.create(directory, "bench.example/appends")
    log.start_integrator()
    per_thread = count // threads
    entries = make_entries(0, per_thread * threads)

    def worker(slot: int) -> None:
        for entry in entries[slot * per_thread : (slot + 1) * per_thread]:
            log.append(entry)

    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    start = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    log.close()
    integrated = time.perf_counter() - start
    report.rate(f"durable single appends, {threads} threads, batched", per_thread * threads, elapsed, ">= 2,000/s")
    sequencer = Sequencer(directory / "sequencer.db")
    checkpoints = len(sequencer.signed_sizes()) - 1
    sequencer.close()
    print(
        f"{'':<6}all integrated and signed after {integrated:.2f} s "
        f"({per_thread * threads / integrated:,.0f} entries/s) in {checkpoints:,} checkpoints of <= 256 entries"
    )


def tile_check(directory: Path, report: Report) -> None:
    """Opening a big log, and the check of every stored tile that precedes its first new signature."""
    start = time.perf_counter()
    log = LocalLog.open(directory)
    opened = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    log.check_tiles()
    cpu = time.process_time() - cpu_start
    size = log.size()
    report.rate(f"tile check before the first signature, {size:,}", size, time.perf_counter() - start, "-")
    print(f"{'':<6}CPU {cpu:.2f} s; opening (right edge only) took {opened * 1e3:.1f} ms")
    log.close()


def proofs(log: LocalLog, report: Report) -> None:
    reader = log.reader()
    size = reader.size
    rng = random.Random(1)
    indexes = [rng.randrange(size) for _ in range(_SAMPLES)]
    old_sizes = [rng.randrange(1, size) for _ in range(_SAMPLES)]
    cold_start = time.perf_counter()
    for index in indexes:
        inclusion_proof(reader, index, size)
    cold = (time.perf_counter() - cold_start) / _SAMPLES
    for old in old_sizes:
        consistency_proof(reader, old, size)
    position = iter(range(10**9))
    warm_inclusion = per_call(lambda: inclusion_proof(reader, indexes[next(position) % _SAMPLES], size), 5_000)
    position = iter(range(10**9))
    warm_consistency = per_call(lambda: consistency_proof(reader, old_sizes[next(position) % _SAMPLES], size), 5_000)
    report.latency(f"inclusion proof from tiles at {size:,}, cold", cold, "-")
    report.latency(f"inclusion proof from tiles at {size:,}, warm", warm_inclusion, "<= 1 ms")
    report.latency(f"consistency proof from tiles at {size:,}, warm", warm_consistency, "<= 1 ms")

    root = reader.root
    index = indexes[0]
    leaf = leaf_hash(reader.entry(index))
    proof = inclusion_proof(reader, index, size)
    report.latency(
        "inclusion proof verification",
        per_call(lambda: verify_inclusion(leaf, index, size, proof, root), 20_000),
        "<= 50 µs",
    )
    old = old_sizes[0]
    old_root = tree_hash(reader, old)
    cproof = consistency_proof(reader, old, size)
    report.latency(
        "consistency proof verification",
        per_call(lambda: verify_consistency(old, size, cproof, old_root, root), 20_000),
        "<= 50 µs",
    )


def run_fsck(log: LocalLog, report: Report) -> None:
    verifier = parse_verifier_key(log.vkey())
    start, cpu_start = time.perf_counter(), time.process_time()
    result = fsck(log.public, verifier)
    cpu = time.process_time() - cpu_start
    report.rate(
        f"fsck, {result.entries:,} entries, {result.tiles:,} tiles",
        result.entries,
        time.perf_counter() - start,
        ">= 300k/s",
    )
    print(f"{'':<6}CPU {cpu:.2f} s ({result.entries / cpu:,.0f} entries per CPU second)")


def pymerkle_comparison(count: int, log: LocalLog, report: Report) -> None:
    tree = InmemoryTree(algorithm="sha256")
    entries = make_entries(0, count)
    start = time.perf_counter()
    for entry in entries:
        tree.append_entry(entry)
    report.rate(f"pymerkle InmemoryTree appends, {count:,} (in memory)", count, time.perf_counter() - start, "compare")
    rng = random.Random(2)
    indexes = [rng.randrange(1, count + 1) for _ in range(_SAMPLES)]
    position = iter(range(10**9))
    proving = per_call(lambda: tree.prove_inclusion(indexes[next(position) % _SAMPLES], count), 2_000)
    report.latency(f"pymerkle inclusion proof at {count:,}", proving, "compare")
    proof = tree.prove_inclusion(indexes[0], count)
    base, root = tree.get_leaf(indexes[0]), tree.get_root(count)
    report.latency(
        "pymerkle inclusion proof verification",
        per_call(lambda: pymerkle_verify_inclusion(base, root, proof), 5_000),
        "compare",
    )
    # Ours for the same tree size (a prefix of the bulk-built log), for a like-for-like figure.
    reader = log.reader()
    position = iter(range(10**9))
    ours = per_call(lambda: inclusion_proof(reader, indexes[next(position) % _SAMPLES] - 1, count), 2_000)
    report.latency(f"ours: inclusion proof from tiles at {count:,}, warm", ours, "compare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the bulk-built log")
    parser.add_argument("--appends", type=int, default=20_000, help="durable single appends to time")
    parser.add_argument("--threads", type=int, default=64, help="appending threads")
    parser.add_argument("--pymerkle", type=int, default=100_000, help="entries appended to pymerkle")
    args = parser.parse_args()

    rate = sha256_rate()
    report = Report(rate)
    print(f"{'raw SHA-256 of 64 bytes (hashlib)':<52} {rate:>12,.0f} /s")
    with tempfile.TemporaryDirectory(prefix="candor-bench-") as scratch:
        root = Path(scratch)
        tiles_only(root / "tiles", args.entries, report)
        log = bulk_build(root / "bulk", args.entries, report)
        tile_check(root / "bulk", report)
        durable_appends(root / "appends", args.appends, args.threads, report)
        proofs(log, report)
        run_fsck(log, report)
        pymerkle_comparison(min(args.pymerkle, args.entries), log, report)
        samples = [per_call(lambda: leaf_hash(bytes(ENTRY_SIZE)), 10_000) for _ in range(5)]
        print(f"{'(leaf_hash of a 200-byte entry, median)':<52} {statistics.median(samples) * 1e6:>11,.2f} µs")
        log.close()


if __name__ == "__main__":
    main()
