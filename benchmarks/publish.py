"""Measure publishing over real HTTP: POST /api/v1/statements latency, and how soon the inclusion proof follows.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/publish.py [--connections 50] [--publishes 500] [--database-url URL] [--workers 1]

A fresh registry is served by ``candor serve`` (``workers`` uvicorn processes, each with its integrator). Each of
``connections`` clients is its own registered developer and publishes increasing versions of a real framework
(about 30 KB, checked against the default standard on every publish), one after the other, all clients at once.
Then, for a few more publishes one at a time, it measures the time until the statement's tlog-proof is served.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from candor.config import load_settings
from candor.store.database import create_database_engine, normalise_database_url, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import Signer, framework, register, request_body, signed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _body(signer: Signer, version: int) -> dict[str, str | None]:
    publication = signed(signer, framework(signer.slug, version, supersedes=version - 1 if version > 1 else None))
    assert publication.document is not None
    # The example marks passages for redaction: the kit publishes its public version with the sealed original.
    return request_body(publication)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--publishes", type=int, default=500)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="candor-publish-bench-"))
    with _database(options.database_url, data_dir) as database_url:
        _run(options, data_dir, database_url)


@contextmanager
def _database(server_url: str, data_dir: Path) -> Iterator[str]:
    """SQLite in the data directory, or a fresh schema on the given PostgreSQL, dropped afterwards."""
    if not server_url:
        yield load_settings(data_dir=data_dir).database_url
        return
    admin = create_engine(normalise_database_url(server_url))
    schema = f"candor_bench_{secrets.token_hex(4)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(normalise_database_url(server_url)).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _run(options: argparse.Namespace, data_dir: Path, database_url: str) -> None:
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    signers = [register(sessions, f"developer-{number}") for number in range(options.connections + 1)]
    engine.dispose()

    port = _free_port()
    env = {**os.environ, "CANDOR_DATABASE_URL": settings.database_url}
    command = [sys.executable, "-m", "candor", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    command += ["--workers", str(options.workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(base_url + "/log/checkpoint").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        each = max(1, options.publishes // options.connections)
        # Bodies are signed before the clock starts: the figure is the server's, not the client's signing.
        bodies = [[_body(signer, version) for version in range(1, each + 1)] for signer in signers[:-1]]
        latencies: list[float] = []
        lock = threading.Lock()

        def client(signer: Signer, prepared: list[dict[str, object]]) -> None:
            headers = {"Authorization": f"Bearer {signer.token}"}
            with httpx.Client(base_url=base_url, timeout=60) as http:
                for body in prepared:
                    started = time.perf_counter()
                    response = http.post("/api/v1/statements", json=body, headers=headers)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 201:
                        raise RuntimeError(f"publish failed: {response.status_code} {response.text[:200]}")
                    with lock:
                        latencies.append(elapsed)

        threads = [threading.Thread(target=client, args=(s, b)) for s, b in zip(signers, bodies, strict=False)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started

        last = signers[-1]
        to_proof: list[float] = []
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for version in range(1, 11):
                body = _body(last, version)
                begun = time.perf_counter()
                entry = http.post("/api/v1/statements", json=body, headers={"Authorization": f"Bearer {last.token}"})
                proof_path = f"/api/v1/statements/{entry.json()['id']}/tlog-proof"
                while http.get(proof_path).status_code != 200:
                    time.sleep(0.01)
                to_proof.append(time.perf_counter() - begun)
    finally:
        server.terminate()
        server.wait(timeout=30)

    backend = "PostgreSQL" if "postgresql" in settings.database_url else "SQLite"
    print(
        f"publish over HTTP, {backend}, {options.workers} server process(es), "
        f"{len(latencies)} publishes by {len(threads)} concurrent developers"
    )
    print(f"  throughput      {len(latencies) / wall:8.1f} publishes/s")
    print(f"  latency p50     {statistics.median(latencies) * 1000:8.1f} ms")
    print(f"  latency p99     {_percentile(latencies, 0.99) * 1000:8.1f} ms")
    print(f"  publish->proof  {statistics.median(to_proof) * 1000:8.1f} ms median, {max(to_proof) * 1000:.1f} ms max")


if __name__ == "__main__":
    main()
