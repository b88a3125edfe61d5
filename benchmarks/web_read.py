"""Measure the registry's read side over real HTTP: home, developer and document pages, a tile, an API list.

Besides requests/s and latency it prints the server's CPU time per request, which does not depend on what else
the (shared) machine is doing: 2 cores / CPU per request bounds what the server can do alone.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/web_read.py [--developers 100] [--versions 20] [--workers 2]
                                            [--connections 50] [--seconds 10]

A registry of ``developers`` x ``versions`` signed framework versions (plus one system card each) is filled
through the real store and tile log, served by uvicorn with ``workers`` processes, and loaded with wrk when it
is installed (``apt-get install wrk``), else with an httpx client at the same concurrency. The document page
measured is a framework version with a previous version, so it includes the diff.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.web.registry import Registry, as_developer, example  # noqa: E402

from candor.config import load_settings  # noqa: E402
from candor.services.integration import RegistryLog  # noqa: E402
from candor.store.database import create_database_engine, session_factory  # noqa: E402
from candor.store.schema import upgrade_database  # noqa: E402
from candor.tlog.tiles import TILE_WIDTH, tile_path  # noqa: E402


def fill(data_dir: Path, developers: int, versions: int) -> dict[str, str]:
    """Fill the registry; return the paths to measure."""
    settings = load_settings(data_dir=data_dir)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, data_dir, settings.log_origin), integrate_each=False)
    framework = example("sdf-v2.md")
    card = example("system-card-acme-3.md")
    started = time.perf_counter()
    last_index = 0
    for number in range(developers):
        slug = f"developer-{number:03d}"
        registry.register(slug, f"Developer {number} Ltd", f"developer-{number}.example")
        previous = None
        for version in range(1, versions + 1):
            text = as_developer(framework, slug).replace(b'version: "2.0"', f'version: "{version}.0"'.encode(), 1)
            supersedes = f'supersedes: "{previous}"' if previous else ""
            text = text.replace(b'supersedes: "1.0"', supersedes.encode(), 1)
            text += f"\n\nRevision {version} of this framework.\n".encode()
            last_index = registry.publish(text).log_index
            previous = f"{version}.0"
        registry.publish(as_developer(card, slug))
    registry.integrate()
    engine.dispose()
    total = developers * (versions + 1)
    print(f"filled {total} statements in {time.perf_counter() - started:.1f} s")
    middle = f"developer-{developers // 2:03d}"
    return {
        "home": "/",
        "developer": f"/developers/{middle}",
        "document (with diff)": f"/statements/{last_index}",
        "tile": "/log/" + (tile_path(0, 0) if total >= TILE_WIDTH else tile_path(0, 0, total)),
        "api statements": "/api/v1/statements?per_page=20",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "candor.web.app:app_from_environment",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env={**os.environ, "CANDOR_DATA_DIR": str(data_dir)})
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/log/checkpoint", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start")


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


def with_wrk(url: str, connections: int, seconds: int) -> tuple[str, int]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", output)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        f"{float(rate.group(1)) if rate else 0:8.0f} req/s  p50 {p50.group(1) if p50 else '?':>8}  "
        f"p99 {p99.group(1) if p99 else '?':>8}  non-2xx {errors.group(1) if errors else 0}",
        int(requests.group(1)) if requests else 0,
    )


async def _load(url: str, connections: int, seconds: int) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 200

        await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies), latencies, failures


def with_httpx(url: str, connections: int, seconds: int) -> tuple[str, int]:
    count, latencies, failures = asyncio.run(_load(url, connections, seconds))
    cuts = statistics.quantiles(latencies, n=100)
    figures = f"{count / seconds:8.0f} req/s  p50 {cuts[49] * 1000:6.1f}ms  p99 {cuts[98] * 1000:6.1f}ms"
    return f"{figures}  non-200 {failures}", count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developers", type=int, default=100)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="candor-web-bench-") as directory:
        data_dir = Path(directory)
        paths = fill(data_dir, args.developers, args.versions)
        server, base = serve(data_dir, args.workers)
        tool = "wrk" if shutil.which("wrk") else "httpx"
        print(f"{tool}, {args.connections} connections, {args.seconds} s each, {args.workers} uvicorn workers")
        try:
            for name, path in paths.items():
                httpx.get(base + path, timeout=30).raise_for_status()  # warm the caches once
                measure = with_wrk if tool == "wrk" else with_httpx
                cpu_before = server_cpu_seconds(server)
                figures, count = measure(base + path, args.connections, args.seconds)
                cpu = (server_cpu_seconds(server) - cpu_before) / max(count, 1) * 1000
                # Server CPU per request does not depend on how busy the (shared) machine is.
                print(f"{name:>22}: {figures}  server CPU {cpu:.2f} ms/request")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
