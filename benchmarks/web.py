"""Benchmark the registry end to end: signed publication over HTTP, then page and tile reads under load.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/web.py [--developers 100] [--versions 20] [--requests 3000] [--seconds 20]
                                       [--connections 50] [--rate 300] [--publish-rate 10] [--publishers 50]
                                       [--workers 1 2] [--wrk]

1. A fresh data directory and SQLite database; ``developers`` developers registered with real Ed25519 keys and
   publish tokens.
2. ``candor serve``'s app under uvicorn. Every developer publishes ``versions`` framework versions (each
   superseding the last) and one system card, each document generated from the examples, which mark passages
   for redaction: so each goes through the real redaction path (candor.testing.publishing), and its
   public version is signed by the developer's key and POSTed with its sealed original to ``/api/v1/statements``
   through the real client, with the background integrator running. The first half of the developers publish
   one request at a time (the bare publish latency); the other half publish OPEN-LOOP: ``publishers`` threads
   offer a fixed ``publish-rate`` statements/s between them, each developer's versions in order.
3. For each uvicorn worker count and each read target (the home page, a developer page, a framework version's
   page with its diff against the previous version, a full level-0 tile, a page of the API's statement list),
   two runs over ``connections`` keep-alive loopback connections (benchmarks/loadgen.py, h11 in this process):
   - CLOSED-LOOP saturation: each connection sends its next request as soon as the last is answered, up to
     ``requests`` requests or ``seconds`` seconds. Its req/s is the most the server gave; its latencies are
     NOT latency at a target rate: by Little's law the mean is connections / throughput, whatever the server.
   - OPEN-LOOP at ``rate`` req/s: min(``requests``, ``rate`` x ``seconds``) requests, request i due at
     start + i / rate, spread round-robin over the connections (as wrk2 does). A connection still busy when its
     next request is due sends it as soon as it is free, and every latency is measured from the INTENDED send
     time, so a stalled server cannot hide its queue (coordinated omission). The achieved rate must equal the
     offered one, or the line says the run could not keep up; the generator's own lateness (when the event
     loop, not a connection, was late) is printed beside it.
   Each line also gives the server's CPU time per request (its processes' user + system time, from /proc),
   which does not depend on what else the shared machine is doing: cores / CPU per request bounds what the
   server can do alone; and the generator's, which it takes from the server on a shared machine. ``--wrk``
   cross-checks the closed-loop runs with wrk when it is installed (wrk2, the open-loop variant, is not
   packaged in Debian).

Targets on a 2-core machine: document page p99 under 100 ms and at least 300 req/s; publish p99 under 250 ms.
The load generator shares the machine's cores with the server, so the read figures are a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from candor.config import load_settings
from candor.errors import CandorError
from candor.registry_client import RegistryClient
from candor.services.publishing import Publication
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import ORIGIN, Signer, register, signed
from candor.tlog.tiles import TILE_WIDTH, tile_path

# A sibling module: running this script puts its folder on the path.
from loadgen import Figures, completion_rate, offer, saturate, schedule

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme-ai"
#: The kit signs every statement for this origin, and a registry refuses statements signed for another log.
LOG_ORIGIN = ORIGIN


def register_all(data_dir: Path, developers: int) -> list[Signer]:
    """Register ``developers`` developers, each with a fresh key and a publish token, straight into the store."""
    settings = load_settings(data_dir=data_dir, log_origin=LOG_ORIGIN)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    signers = [register(sessions, f"developer-{number:03d}") for number in range(developers)]
    engine.dispose()
    return signers


def framework(slug: str, version: int) -> bytes:
    """Version ``version``.0 of ``slug``'s framework: the example, re-attributed, with a line of its own."""
    text = (EXAMPLES / "sdf-v2.md").read_text("utf-8").replace("developer: acme-ai", f"developer: {slug}", 1)
    supersedes = f'supersedes: "{version - 1}.0"\n' if version > 1 else ""
    text = text.replace('version: "2.0"\nsupersedes: "1.0"\n', f'version: "{version}.0"\n{supersedes}', 1)
    return f"{text}\nRevision {version} of this framework.\n".encode()


def system_card(slug: str) -> bytes:
    raw = (EXAMPLES / "system-card-acme-3.md").read_text("utf-8")
    return raw.replace("developer: acme-ai", f"developer: {slug}", 1).encode()


def publish_all(base_url: str, signers: list[Signer], versions: int) -> tuple[Figures, int]:
    """Publish every developer's documents, one request at a time; the latencies and the last framework's index.

    Each document is redacted (a public version and its sealed original) and signed before the clock starts: the
    figure is the registry's, not the client's.
    """
    latencies: list[float] = []
    last_framework = -1
    started = time.perf_counter()
    with RegistryClient(base_url) as client:
        for number, signer in enumerate(signers, start=1):
            documents = [framework(signer.slug, version) for version in range(1, versions + 1)]
            for minutes, raw in enumerate([*documents, system_card(signer.slug)]):
                publication = signed(signer, raw, minutes=minutes)
                sent = time.perf_counter()
                entry = client.publish(
                    signer.token,
                    publication.statement_bytes,
                    publication.signature,
                    publication.document,
                    publication.sealed,
                )
                latencies.append(time.perf_counter() - sent)
                if minutes < versions:
                    last_framework = entry.log_index
            if number % 10 == 0:
                print(f"  {number} developers, {len(latencies)} statements published", flush=True)
    return Figures(latencies, 0, len(latencies) / (time.perf_counter() - started)), last_framework


def publish_at_rate(base_url: str, signers: list[Signer], versions: int, rate: float, publishers: int) -> Figures:
    """Publish every developer's documents OPEN-LOOP: ``rate`` statements/s offered in all, by ``publishers``
    threads; each latency runs from the statement's intended send time.

    Round k publishes every developer's k-th document, so a developer's versions are ``len(signers) / rate``
    seconds apart and each supersedes one already answered; a publisher owns whole developers, so it sends a
    developer's versions in order. Everything is redacted and signed before the clock starts.
    """
    publications: list[tuple[str, Publication]] = []
    for minutes in range(versions + 1):
        for signer in signers:
            raw = framework(signer.slug, minutes + 1) if minutes < versions else system_card(signer.slug)
            publications.append((signer.token, signed(signer, raw, minutes=minutes)))
    latencies: list[float] = []
    lags: list[float] = []
    completions: list[float] = []
    failures = 0
    lock = threading.Lock()
    lanes = min(publishers, len(signers))
    started = time.perf_counter() + 0.1  # every publisher's client is open before the first statement is due

    def publish_lane(indices: list[int]) -> None:
        nonlocal failures
        with RegistryClient(base_url) as client:
            for index in indices:
                intended = started + index / rate
                free = time.perf_counter() <= intended
                time.sleep(max(0.0, intended - time.perf_counter()))
                sent = time.perf_counter()
                token, publication = publications[index]
                try:
                    client.publish(
                        token,
                        publication.statement_bytes,
                        publication.signature,
                        publication.document,
                        publication.sealed,
                    )
                except (CandorError, httpx.HTTPError):
                    with lock:
                        failures += 1
                    continue
                done = time.perf_counter()
                with lock:
                    latencies.append(done - intended)
                    completions.append(done)
                    if free:
                        lags.append(sent - intended)

    # Developer d's documents are d, d + len(signers), ...: one lane per developer keeps each one's order.
    by_developer = schedule(len(publications), len(signers))
    lane_indices = [
        sorted(i for d in range(lane, len(signers), lanes) for i in by_developer[d]) for lane in range(lanes)
    ]
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        list(pool.map(publish_lane, lane_indices))
    return Figures(latencies, failures, completion_rate(completions, started), rate, lags)


def wait_for_checkpoint(base_url: str, size: int) -> float:
    """Wait until the served checkpoint covers ``size`` entries; how long that took after the last publish."""
    started = time.perf_counter()
    while True:
        note = httpx.get(f"{base_url}/log/checkpoint", timeout=30)
        if note.status_code == 200 and int(note.text.splitlines()[1]) >= size:
            return time.perf_counter() - started
        if time.perf_counter() - started > 120:
            raise SystemExit(f"the log did not integrate {size} entries within 120 s")
        time.sleep(0.05)


def with_wrk(url: str, connections: int, seconds: float) -> tuple[str, int]:
    """The same load from wrk, a C load generator (it needs far less CPU than the httpx client it cross-checks):
    its figures, and how many requests it made."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", output)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures = (
        f"{float(rate.group(1)) if rate else 0:7.0f} req/s  p50 {p50.group(1) if p50 else '?':>9}  "
        f"p99 {p99.group(1) if p99 else '?':>9}  (wrk, {errors.group(1) if errors else 0} not 2xx)"
    )
    return figures, int(requests.group(1)) if requests else 0


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) used so far by the server and its worker processes, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if server.pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def cpu_snapshot(server: subprocess.Popen[bytes]) -> tuple[float, float]:
    """CPU seconds used so far by the server, and by this process (the httpx load generator)."""
    return server_cpu_seconds(server), time.process_time()


def cpu_per_request(
    server: subprocess.Popen[bytes], before: tuple[float, float], requests: int, *, generator: bool = True
) -> str:
    """The server's CPU per request and, when this process generated the load, the generator's: on a shared
    2-core machine the generator's share is taken from the server."""
    server_cpu, generator_cpu = cpu_snapshot(server)
    figures = f"server CPU {(server_cpu - before[0]) / max(requests, 1) * 1000:.2f} ms/request"
    if generator:
        figures += f", generator {(generator_cpu - before[1]) / max(requests, 1) * 1000:.2f}"
    return figures


def serve(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving the registry app with ``workers`` processes, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "candor.web.app:app_from_environment",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    env = {**os.environ, "CANDOR_DATA_DIR": str(data_dir), "CANDOR_LOG_ORIGIN": LOG_ORIGIN}
    server = subprocess.Popen(command, env=env)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + "/", timeout=5).status_code == 200:
                return server, base_url
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("uvicorn did not start within 60 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=60)


def read_targets(developers: int, last_framework: int, size: int) -> dict[str, str]:
    full_tile = tile_path(0, 0) if size >= TILE_WIDTH else tile_path(0, 0, size)
    return {
        "home": "/",
        "developer": f"/developers/developer-{developers // 2:03d}",
        "document (with diff)": f"/statements/{last_framework}",
        "tile": f"/log/{full_tile}",
        "api statements": "/api/v1/statements?per_page=20",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--developers", type=int, default=100)
    parser.add_argument("--versions", type=int, default=20, help="framework versions per developer")
    parser.add_argument("--requests", type=int, default=3000, help="most requests per read target and run")
    parser.add_argument("--seconds", type=float, default=20, help="most seconds per read target and run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rate", type=float, default=300, help="req/s offered by the open-loop read runs")
    parser.add_argument("--publish-rate", type=float, default=10, help="statements/s offered by open-loop publishing")
    parser.add_argument("--publishers", type=int, default=50, help="concurrent open-loop publishers")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="uvicorn worker counts to measure")
    parser.add_argument(
        "--wrk", action="store_true", help="also load each target with wrk (if installed), to cross-check the client"
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="candor-web-bench-") as directory:
        data_dir = Path(directory)
        signers = register_all(data_dir, args.developers)
        size = args.developers * (args.versions + 1)
        one_at_a_time, at_rate = (
            signers[: len(signers) - len(signers) // 2],
            signers[len(signers) - len(signers) // 2 :],
        )
        server, base_url = serve(data_dir, 1)
        try:
            print(f"publishing {size} signed statements over HTTP (1 uvicorn worker): {len(one_at_a_time)} developers")
            print(
                f"one statement at a time, then {len(at_rate)} at {args.publish_rate:g}/s offered by {args.publishers}"
            )
            published, last_framework = publish_all(base_url, one_at_a_time, args.versions)
            print(f"{'publish, one at a time':>22}: {published.line()}", flush=True)
            if at_rate:
                print(f"{'publish, open-loop':>22}: ", end="", flush=True)
                publishing = publish_at_rate(base_url, at_rate, args.versions, args.publish_rate, args.publishers)
                print(publishing.line(), flush=True)
            integrated = wait_for_checkpoint(base_url, size)
        finally:
            stop(server)
        print(f"{'':>22}  checkpoint covered all {size} entries {integrated * 1000:.0f} ms after the last publish")
        targets = read_targets(args.developers, last_framework, size)
        for workers in args.workers:
            server, base_url = serve(data_dir, workers)
            host, port = urlsplit(base_url).hostname or "127.0.0.1", urlsplit(base_url).port or 80
            print(f"reads: {args.connections} connections, {workers} uvicorn worker(s), h11 load generator;")
            print(f"{'':>22}  closed-loop saturation, then open-loop at {args.rate:g} req/s offered")
            open_count = min(args.requests, round(args.rate * args.seconds))
            try:
                for name, path in targets.items():
                    httpx.get(base_url + path, timeout=30).raise_for_status()  # warm the caches once
                    cpu_before = cpu_snapshot(server)
                    figures = asyncio.run(
                        asyncio.wait_for(
                            saturate(host, port, path, args.connections, args.requests, args.seconds),
                            timeout=args.seconds + 60,  # the run, plus room for the last answers
                        )
                    )
                    cpu = cpu_per_request(server, cpu_before, len(figures.latencies))
                    print(f"{name:>22}: {figures.line()}  {cpu}", flush=True)
                    cpu_before = cpu_snapshot(server)
                    figures = asyncio.run(
                        asyncio.wait_for(
                            offer(host, port, path, args.connections, args.rate, open_count),
                            timeout=open_count / args.rate + 60,  # the schedule, plus room to drain a backlog
                        )
                    )
                    cpu = cpu_per_request(server, cpu_before, len(figures.latencies))
                    print(f"{'':>22}  {figures.line()}  {cpu}", flush=True)
                    if args.wrk and shutil.which("wrk"):
                        cpu_before = cpu_snapshot(server)
                        wrk_figures, wrk_requests = with_wrk(base_url + path, args.connections, args.seconds)
                        cpu = cpu_per_request(server, cpu_before, wrk_requests, generator=False)
                        print(f"{'':>22}  {wrk_figures}  {cpu}", flush=True)
            finally:
                stop(server)
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
