"""Measure what the watcher costs: text extraction per media type, and a round over unchanged and changed pages.

Prints medians and each figure's ratio to this machine's SHA-256 throughput measured in the same run (the
ceiling: every fetched byte is hashed once); asserts nothing. Usage:

    .venv/bin/python benchmarks/watcher.py [--pages 50]

1. Text extraction of an HTML page and a PDF of growing size (inscriptis, pypdf), in MiB/s.
2. A watcher round over ``pages`` URLs of a loopback site: the first (every page archived and logged), an
   unchanged one (every page a 304, nothing logged), and one where every page changed.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

from tests.sites import Page, Site, pdf_bytes

from candor.config import sqlite_url
from candor.domain.extraction import extract_text
from candor.services.integration import RegistryLog
from candor.services.watch_fetch import WatchLimits
from candor.services.watcher import Watcher
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import ORIGIN, register

MIB = 1024 * 1024


def median_seconds(action: object, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ceiling() -> float:
    """SHA-256 MiB/s of this machine now."""
    data = b"x" * (16 * MIB)
    return 16 / median_seconds(lambda: hashlib.sha256(data).digest())


def extraction(sha_rate: float) -> None:
    for paragraphs in (100, 1000, 10_000):
        html = ("<html><body>" + "<p>We will pause training above the threshold.</p>" * paragraphs).encode()
        seconds = median_seconds(lambda html=html: extract_text(html, "text/html"))
        rate = len(html) / MIB / seconds
        print(
            f"HTML {len(html) / 1024:8.0f} KiB: {seconds * 1000:8.1f} ms median, {rate:6.1f} MiB/s "
            f"({rate / sha_rate:.4f} of SHA-256)"
        )
    for words in (100, 1000):
        pdf = pdf_bytes(" ".join(["pause"] * words))
        seconds = median_seconds(lambda pdf=pdf: extract_text(pdf, "application/pdf"))
        print(f"PDF  {len(pdf) / 1024:8.1f} KiB: {seconds * 1000:8.1f} ms median")


def rounds(pages: int) -> None:
    with tempfile.TemporaryDirectory() as folder, Site() as site:
        engine = create_database_engine(sqlite_url(Path(folder) / "candor.sqlite3"))
        upgrade_database(engine)
        sessions = session_factory(engine)
        register(sessions, "lab-x")
        log = RegistryLog(sessions, Path(folder) / "data", ORIGIN)
        watcher = Watcher(sessions, log, WatchLimits(allow_hosts=("127.0.0.1",), host_interval=0.0))
        for number in range(pages):
            site.pages[f"/p{number}"] = Page(f"<p>Page {number}, version 1.</p>".encode())
            watcher.add("lab-x", site.url(f"/p{number}"))
        for name, change in (("first round", False), ("unchanged (304s)", False), ("every page changed", True)):
            if change:
                for number in range(pages):
                    site.pages[f"/p{number}"] = Page(f"<p>Page {number}, version 2.</p>".encode())
            started = time.perf_counter()
            report = watcher.run_once(force=True)
            seconds = time.perf_counter() - started
            print(
                f"{name:20}: {seconds:6.2f} s for {pages} URLs, {seconds / pages * 1000:6.1f} ms per URL; "
                f"{report.summary()}"
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    arguments = parser.parse_args()
    sha_rate = ceiling()
    print(f"SHA-256 on this machine now: {sha_rate:.0f} MiB/s (the ceiling)")
    extraction(sha_rate)
    rounds(arguments.pages)


if __name__ == "__main__":
    main()
