"""Measure the confidential channel under a burst: concurrent form submissions, each paying one Argon2id.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/reports.py [--submissions 50] [--concurrency 50]

A registry on SQLite with the channel open is served by uvicorn on loopback; ``concurrency`` clients post
``submissions`` reports through the no-JavaScript form at once. Each submission stretches its receipt with
Argon2id (64 MiB, t=3, p=4) under a semaphore of two, so the burst queues instead of exhausting memory. The
ceiling printed beside the figures is the same number of bare Argon2id derivations run two at a time in this
process: the cost no implementation of the channel can avoid. The ratio is the wall time of the burst to that
ceiling.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from candor.config import load_settings  # noqa: E402
from candor.domain.receipts import new_receipt, read_receipt, stretch  # noqa: E402
from candor.domain.regulator_keys import generate_regulator_key, regulator_public_pem  # noqa: E402
from candor.store.database import create_database_engine  # noqa: E402
from candor.store.schema import upgrade_database  # noqa: E402
from candor.web.app import create_app  # noqa: E402


def _serve(data_dir: Path, home: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    reviewer = generate_regulator_key()
    (home / "reviewer.pub").write_bytes(regulator_public_pem(reviewer.public_key()))
    (home / "pepper").write_text(bytes(range(32)).hex())
    settings = load_settings(
        data_dir=data_dir,
        report_pepper_file=home / "pepper",
        report_reviewer_keys=[home / "reviewer.pub"],
        report_posts_per_day=1_000_000,
        audit_interval=0,
    )
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    engine.dispose()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def _submit(base_url: str, number: int) -> float:
    started = time.perf_counter()
    answer = httpx.post(
        base_url + "/report",
        files={"body": (None, f"Report number {number}: statement 3 is false."), "statements": (None, "3")},
        timeout=600,
    )
    if answer.status_code != 201:
        raise SystemExit(f"submission {number} answered {answer.status_code}: {answer.text[:200]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        home = Path(temporary)
        server, thread, base_url = _serve(home / "data", home)
        try:
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                latencies = sorted(pool.map(lambda n: _submit(base_url, n), range(args.submissions)))
            burst = time.perf_counter() - started
        finally:
            server.should_exit = True
            thread.join()
    receipts = [read_receipt(new_receipt()) for _ in range(args.submissions)]
    gate = threading.BoundedSemaphore(2)

    def derive(receipt: bytes) -> None:
        with gate:
            stretch(receipt, bytes(range(32)))

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(derive, receipts))
    ceiling = time.perf_counter() - started
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    print(f"{args.submissions} form submissions, {args.concurrency} at once, Argon2id semaphore of 2")
    print(f"  burst wall time        {burst:8.2f} s   ({args.submissions / burst:.1f} submissions/s)")
    print(f"  latency median         {statistics.median(latencies):8.2f} s")
    print(f"  latency p99            {p99:8.2f} s")
    print(f"  ceiling: {args.submissions} bare Argon2id, 2 at a time   {ceiling:8.2f} s")
    print(f"  burst / ceiling        {burst / ceiling:8.2f}x")


if __name__ == "__main__":
    main()
