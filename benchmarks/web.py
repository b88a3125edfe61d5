"""Benchmark reading the registry over HTTP: each page and API answer against nginx on the same machine.

Prints figures; asserts nothing. Usage:

    .venv/bin/python benchmarks/web.py [--statements 16 10000] [--workers 2] [--connections 50] [--seconds 10]
                                       [--runs 1] [--threads 1]

For each registry size in ``--statements``:

1. A fresh data directory and SQLite database, filled through the real store and the registry log's real
   integration (candor.testing.registry): ``statements // 100`` developers (at least 3), each registered through
   the registration use case (its key event in the log) with a framework in many versions and one system card.
   The framework is redacted, parsed and checked against the standard once; each version is derived from it (its
   version line and ``supersedes``), signed with the developer's Ed25519 key and stored with its document, sealed
   original, findings and search index, one transaction each, as a publication is. One integration then tiles
   the log and signs its checkpoint. (Publishing over HTTP is measured by benchmarks/publish.py.)
2. ``candor serve --workers W`` (the real command: uvicorn, with uvloop and httptools where installed) serves it,
   and nginx (Debian's package) serves a saved copy of the document page's HTML with ``W`` worker processes:
   the most this machine gives for those bytes over HTTP, the *ceiling*.
3. Each target is loaded CLOSED-LOOP by wrk (``--threads`` threads, ``--connections`` keep-alive connections,
   ``--seconds`` seconds; benchmarks/loadgen.py, an h11 client, when wrk is not installed): each connection sends
   its next request as soon as the last is answered, so req/s is the most the server gave; by Little's law the
   mean latency is then connections / throughput, and the p99 shows the tail under saturation. Each target is
   fetched once first (the page cache fills as readers fill it). With ``--runs N`` every figure is the median
   of N runs.

Each line gives req/s, p50 and p99, the share of the nginx ceiling, and the server's CPU time per request (its
processes' user + system time, from /proc), which does not depend on what else the shared machine is doing.
The load generator shares the machine's cores with the server, so the figures are a lower bound.

Targets (issue 10, 2 workers, 50 connections): the document page at 3,000 req/s or more; every other target at
1,000 req/s or more with p99 at most 100 ms; at 16 and at 10,000 statements.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from candor.config import load_settings
from candor.domain.parse import parse_bytes
from candor.domain.public_version import derive_public_text, new_salts
from candor.domain.regulator_keys import regulator_key_fingerprint
from candor.domain.sealing import SealedHeader, seal_original
from candor.domain.standards import run_standard
from candor.domain.statement import Statement, StatementKind
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.store.log_entries import latest_checkpoint_view
from candor.store.schema import upgrade_database

# The builders the web tests fill registries with: the real store, real signatures, the real integration.
from candor.testing.publishing import REGULATOR_KEY, framework
from candor.testing.registry import Registry, Stored, as_developer, example
from candor.tlog.tiles import TILE_WIDTH, tile_path

# A sibling module: running this script puts its folder on the path.
from loadgen import saturate

#: What each target must reach (req/s) and its p99 at most (ms), by the issue; None where only the rate counts.
DOCUMENT_TARGET = (3000.0, None)
OTHER_TARGET = (1000.0, 100.0)
NGINX = "nginx (saved document page)"
#: Below one full tile (256 entries) there is only the partial tile, which is not immutable.
PARTIAL_TILE = "partial tile"


@dataclass(frozen=True)
class Seeded:
    """A filled registry: where its data is, and the paths worth reading."""

    data_dir: Path
    statements: int
    developer: str
    document_index: int
    #: Entries in the log: the statements and each developer's key registration before them.
    log_size: int


def seed(data_dir: Path, statements: int) -> Seeded:
    """Fill a registry of about ``statements`` statements (see the module's docstring, step 1)."""
    settings = load_settings(data_dir=data_dir)
    engine = create_database_engine(settings.database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    registry = Registry(sessions, RegistryLog(sessions, data_dir, settings.log_origin), integrate_each=False)
    developers = max(3, statements // 100)
    per_developer = max(2, statements // developers)
    # Redacted, parsed and checked once: the versions differ only in their front matter (developer, version,
    # supersedes), which no redaction touches, so each version's public text is the template's with those lines
    # changed, and their findings agree. Each version's original is still sealed to the regulator on its own.
    template = framework("template", 1)
    parsed = parse_bytes("sdf.md", template)
    salts = new_salts(len(parsed.redactions))
    public = derive_public_text(parsed, salts).encode("utf-8")
    findings = run_standard(registry.standard, parse_bytes("sdf.md", public))
    regulator = regulator_key_fingerprint(REGULATOR_KEY.public_key())
    card = example("system-card-acme-3.md")
    last_framework = -1
    for number in range(developers):
        slug = f"developer-{number:03d}"
        registry.register(slug, f"Developer {number} Inc.", f"{slug}.example")
        versions: list[Stored] = []
        for version in range(1, per_developer):
            supersedes = f"{version - 1}.0" if version > 1 else None
            line = f'version: "{version}.0"' + (f'\nsupersedes: "{supersedes}"' if supersedes else "")

            def this_version(text: bytes, slug: str = slug, line: str = line) -> bytes:
                text = text.replace(b"developer: template", f"developer: {slug}".encode(), 1)
                return text.replace(b'version: "1.0"', line.encode(), 1)

            document = this_version(public)
            document_sha256 = hashlib.sha256(document).hexdigest()
            header = SealedHeader(
                developer=slug,
                kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK.value,
                version=f"{version}.0",
                public_sha256=document_sha256,
                regulator_key=regulator,
            )
            sealed = seal_original(header, this_version(template), salts, REGULATOR_KEY.public_key())
            statement = Statement(
                developer=slug,
                kind=StatementKind.SECURE_DEVELOPMENT_FRAMEWORK,
                version=f"{version}.0",
                document_sha256=document_sha256,
                supersedes=supersedes,
                issued_at=registry.tick(),
                sealed_sha256=hashlib.sha256(sealed).hexdigest(),
            )
            versions.append((statement, document, findings, sealed))
        last_framework = registry.store_all(versions)[-1].log_index  # one transaction per developer
        registry.publish(as_developer(card, slug))  # the whole publishing path, once per developer
        if (number + 1) % 20 == 0:
            print(f"  {number + 1} of {developers} developers stored", flush=True)
    registry.integrate()
    with sessions() as session:
        checkpoint = latest_checkpoint_view(session)
    engine.dispose()
    assert checkpoint is not None
    return Seeded(
        data_dir, developers * per_developer, f"developer-{developers // 2:03d}", last_framework, checkpoint.size
    )


def targets(seeded: Seeded) -> dict[str, str]:
    """The paths loaded, by name; the first is the document page, whose saved copy nginx serves."""
    size = seeded.log_size
    tile = tile_path(0, 0) if size >= TILE_WIDTH else tile_path(0, 0, size)
    return {
        "document page (with diff)": f"/statements/{seeded.document_index}",
        "developer page": f"/developers/{seeded.developer}",
        "home page": "/",
        "api statements (20)": "/api/v1/statements?per_page=20",
        ("full tile" if size >= TILE_WIDTH else PARTIAL_TILE): f"/log/{tile}",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_served(process: subprocess.Popen[bytes], url: str, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with status {process.returncode} before serving")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not serve {url} within 120 s")


@contextmanager
def candor_serve(data_dir: Path, workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``candor serve --workers W`` on a free loopback port."""
    port = free_port()
    command = [
        sys.executable, "-m", "candor", "serve", "--data-dir", str(data_dir),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_served(server, base_url + "/", "candor serve")
        yield server, base_url
    finally:
        stop(server)


NGINX_CONF = """\
{user}worker_processes {workers};
daemon off;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ root {home}/site; default_type text/html; }}
    }}
}}
"""


@contextmanager
def nginx_serving(page: bytes, workers: int, home: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """nginx with ``workers`` worker processes serving ``page`` at ``/document.html``."""
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        raise SystemExit("nginx is not installed (Debian: apt-get install -y nginx); it is the ceiling")
    (home / "site").mkdir(parents=True)
    (home / "site" / "document.html").write_bytes(page)
    port = free_port()
    # Run as root, nginx's workers would switch to an account that cannot read this private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (home / "nginx.conf").write_text(NGINX_CONF.format(user=user, workers=workers, home=home, port=port))
    server = subprocess.Popen(
        [nginx, "-p", str(home), "-c", str(home / "nginx.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_served(server, base_url + "/document.html", "nginx")
        yield server, base_url
    finally:
        stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@dataclass(frozen=True)
class Run:
    """One closed-loop run: completed requests per second, p50 and p99 in ms, failures, server CPU per request."""

    rate: float
    p50: float
    p99: float
    failures: int
    cpu_ms: float
    #: What the failures were: wrk's non-2xx/3xx answers and its socket errors, by kind.
    failed_as: str = ""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(figure: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", figure).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def with_wrk(url: str, connections: int, seconds: float, threads: int) -> tuple[float, float, float, int, int, str]:
    """wrk's req/s, p50 and p99 (ms), requests that failed (errors, non-2xx/3xx), requests made, and the kinds of
    failure (a timeout is a request unanswered after wrk's 2 s)."""
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    kinds = {"not 2xx/3xx": sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        kinds.update(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
    failed_as = ", ".join(f"{count} {kind}" for kind, count in kinds.items() if count)
    return rate, p50, p99, sum(kinds.values()), requests, failed_as


def with_loadgen(url: str, connections: int, seconds: float) -> tuple[float, float, float, int, int, str]:
    """The same figures from benchmarks/loadgen.py, when wrk is not installed (it costs the server more CPU)."""
    host, port, path = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url).groups()  # type: ignore[union-attr]
    figures = asyncio.run(saturate(host, int(port), path, connections, 10**9, seconds))
    cuts = statistics.quantiles(figures.latencies, n=100, method="inclusive")
    failed_as = f"{figures.failures} failed" if figures.failures else ""
    return figures.rate, cuts[49] * 1000, cuts[98] * 1000, figures.failures, len(figures.latencies), failed_as


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


def load(server: subprocess.Popen[bytes], url: str, args: argparse.Namespace) -> Run:
    """The median of ``args.runs`` closed-loop runs against ``url``."""
    httpx.get(url, timeout=30).raise_for_status()  # fill the page cache, as the first reader does
    runs = []
    for _ in range(args.runs):
        before = server_cpu_seconds(server)
        if shutil.which("wrk"):
            rate, p50, p99, failed, requests, failed_as = with_wrk(url, args.connections, args.seconds, args.threads)
        else:
            rate, p50, p99, failed, requests, failed_as = with_loadgen(url, args.connections, args.seconds)
        cpu_ms = (server_cpu_seconds(server) - before) / max(requests, 1) * 1000
        runs.append(Run(rate, p50, p99, failed, cpu_ms, failed_as))
    return Run(
        statistics.median(run.rate for run in runs),
        statistics.median(run.p50 for run in runs),
        statistics.median(run.p99 for run in runs),
        sum(run.failures for run in runs),
        statistics.median(run.cpu_ms for run in runs),
        "; ".join(run.failed_as for run in runs if run.failed_as),
    )


def verdict(name: str, run: Run, first: bool) -> str:
    if name == NGINX:
        return "ceiling"
    if name == PARTIAL_TILE:
        return "no target: short-lived, served by its route each time"
    rate, p99 = DOCUMENT_TARGET if first else OTHER_TARGET
    met = run.rate >= rate and (p99 is None or run.p99 <= p99) and run.failures == 0
    wanted = f">= {rate:,.0f}/s" + ("" if p99 is None else f", p99 <= {p99:.0f} ms")
    return f"{'met' if met else 'MISSED'} ({wanted})"


def measure(seeded: Seeded, args: argparse.Namespace, home: Path) -> None:
    paths = targets(seeded)
    results: dict[str, Run] = {}
    with candor_serve(seeded.data_dir, args.workers) as (server, base_url):
        page = httpx.get(base_url + next(iter(paths.values())), timeout=30)
        page.raise_for_status()
        with nginx_serving(page.content, args.workers, home) as (nginx, nginx_url):
            results[NGINX] = load(nginx, nginx_url + "/document.html", args)
        for name, path in paths.items():
            results[name] = load(server, base_url + path, args)
    ceiling = results[NGINX].rate
    tool = f"wrk -t{args.threads}" if shutil.which("wrk") else "loadgen.py (h11)"
    runs = f", median of {args.runs} runs" if args.runs > 1 else ""
    print(
        f"{seeded.statements:,} statements: candor serve --workers {args.workers}, nginx with {args.workers} "
        f"workers; {tool}, {args.connections} connections, {args.seconds:g} s each{runs}"
    )
    print(f"{'':>28} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'of nginx':>8} {'CPU/req':>9}  target")
    for number, (name, run) in enumerate(results.items()):
        failures = f"  FAILED: {run.failed_as}" if run.failures else ""
        print(
            f"{name:>28} {run.rate:8,.0f} {run.p50:7.2f} {run.p99:7.1f} {run.rate / ceiling:8.1%} "
            f"{run.cpu_ms:6.3f} ms  {verdict(name, run, number == 1)}{failures}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--statements", type=int, nargs="+", default=[16, 10_000], help="registry sizes to measure")
    parser.add_argument("--workers", type=int, default=2, help="candor serve's (and nginx's) worker processes")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10, help="seconds per target and run")
    parser.add_argument("--runs", type=int, default=1, help="runs per target; each figure is their median")
    parser.add_argument("--threads", type=int, default=1, help="wrk's threads")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}, {os.cpu_count()} CPUs")
    for statements in args.statements:
        with tempfile.TemporaryDirectory(prefix="candor-web-bench-") as directory:
            started = time.perf_counter()
            seeded = seed(Path(directory) / "registry", statements)
            print(f"seeded {seeded.statements:,} statements in {time.perf_counter() - started:.1f} s", flush=True)
            measure(seeded, args, Path(directory) / "nginx")
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
