"""A lean HTTP/1.1 load generator for the web benchmark: keep-alive loopback connections driven by h11.

httpx's async client spends 2-6 ms of CPU per request, more than the registry it measures, so on a shared 2-core
machine it starved the server and could not even offer 300 req/s. h11 (the parser under httpx) over asyncio
streams costs a fraction of that. Two ways to load one path:

- ``saturate``: CLOSED-LOOP, each connection sends its next request as soon as the last is answered: the most
  the server gives. Its latencies are not latency at a target rate: by Little's law the mean is
  connections / throughput, whatever the server.
- ``offer``: OPEN-LOOP, request i due at start + i / rate, round-robin over the connections (as wrk2 does). A
  connection still busy when its next request is due sends it as soon as it is free, and every latency runs from
  the INTENDED send time, so a stalled server cannot hide its queue (coordinated omission).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import h11

# An open-loop run keeps up when it achieves at least this share of the offered rate.
KEPT_UP = 0.95
READ_SIZE = 1 << 16


@dataclass(frozen=True)
class Figures:
    """Latencies (seconds) of completed requests, failures, and the rate (req/s) at which requests completed.

    An open-loop run also has the rate it offered, and how late the generator itself sent requests that were due
    on a free connection (a busy connection's lateness is the server's, and is in the latency).
    """

    latencies: list[float]
    failures: int
    rate: float
    offered_rate: float | None = None
    send_lags: list[float] = field(default_factory=list)

    def line(self) -> str:
        count = len(self.latencies)
        if count < 2:
            return f"{count} requests, {self.failures} failed"
        # Inclusive: a percentile of a small run stays within its observed latencies.
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        spread = (
            f"p50 {cuts[49] * 1000:6.1f}  p90 {cuts[89] * 1000:6.1f}  p99 {cuts[98] * 1000:6.1f}  "
            f"max {max(self.latencies) * 1000:6.1f} ms  ({count} requests, {self.failures} failed)"
        )
        if self.offered_rate is None:
            return f"{self.rate:7.0f} req/s  {spread}"
        verdict = "kept up" if self.rate >= KEPT_UP * self.offered_rate else "COULD NOT KEEP UP"
        lags = self.send_lags
        lag = statistics.quantiles(lags, n=100, method="inclusive")[98] if len(lags) >= 2 else 0.0
        return (
            f"{self.rate:7.1f} of {self.offered_rate:g}/s offered, {verdict}  {spread}  "
            f"generator late p99 {lag * 1000:.1f} ms"
        )


def schedule(count: int, lanes: int) -> list[list[int]]:
    """Request i is due i / rate seconds after the start; lane k (a connection, a publisher) sends every
    lanes-th one, from the k-th."""
    return [list(range(lane, count, lanes)) for lane in range(min(lanes, count))]


def completion_rate(completions: list[float], started: float) -> float:
    """Requests completed per second, from the first one's intended send time to the last completion. The last
    request cannot complete before it is due, so this never exceeds the offered rate; it equals it when the
    server keeps pace, and falls below it when a backlog stretches the run."""
    span = max(completions) - started if completions else 0.0
    return (len(completions) - 1) / span if span > 0 else 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection to a loopback server."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._protocol = h11.Connection(our_role=h11.CLIENT)

    async def get(self, target: str) -> int:
        """GET ``target``, reading the whole response; its status. A broken connection is reopened next time."""
        try:
            return await self._exchange(target)
        except (OSError, h11.ProtocolError):
            self.close()
            raise

    async def _exchange(self, target: str) -> int:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
            self._protocol = h11.Connection(our_role=h11.CLIENT)
        reader, writer = self._streams
        if self._protocol.our_state is h11.DONE:
            self._protocol.start_next_cycle()
        request = h11.Request(method="GET", target=target, headers=[("Host", f"{self._host}:{self._port}")])
        writer.write((self._protocol.send(request) or b"") + (self._protocol.send(h11.EndOfMessage()) or b""))
        status = 0
        while True:
            event = self._protocol.next_event()
            if event is h11.NEED_DATA:
                self._protocol.receive_data(await reader.read(READ_SIZE))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("the server closed the connection")

    async def open(self) -> None:
        """Connect now, so that the first measured request does not pay for it."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def saturate(host: str, port: int, target: str, connections: int, requests: int, seconds: float) -> Figures:
    """CLOSED-LOOP: ``connections`` connections GET ``target`` back to back, up to ``requests`` requests or
    ``seconds`` seconds in all."""
    latencies: list[float] = []
    failures = 0
    remaining = requests
    lanes = [Connection(host, port) for _ in range(connections)]
    await asyncio.gather(*(lane.open() for lane in lanes))
    started = time.perf_counter()
    deadline = started + seconds

    async def drive(lane: Connection) -> None:
        nonlocal failures, remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            sent = time.perf_counter()
            try:
                status = await lane.get(target)
            except (OSError, h11.ProtocolError):
                failures += 1
                continue
            latencies.append(time.perf_counter() - sent)
            failures += not 200 <= status < 300

    try:
        await asyncio.gather(*(drive(lane) for lane in lanes))
    finally:
        for lane in lanes:
            lane.close()
    return Figures(latencies, failures, len(latencies) / (time.perf_counter() - started))


async def offer(host: str, port: int, target: str, connections: int, rate: float, count: int) -> Figures:
    """OPEN-LOOP: ``count`` GETs of ``target`` offered at ``rate`` req/s over ``connections`` connections; each
    latency runs from the request's intended send time."""
    latencies: list[float] = []
    lags: list[float] = []
    completions: list[float] = []
    failures = 0
    plan = schedule(count, connections)
    lanes = [Connection(host, port) for _ in plan]
    await asyncio.gather(*(lane.open() for lane in lanes))
    started = time.perf_counter()

    async def drive(lane: Connection, indices: list[int]) -> None:
        nonlocal failures
        for index in indices:
            intended = started + index / rate
            free = time.perf_counter() <= intended
            await asyncio.sleep(max(0.0, intended - time.perf_counter()))
            if free:
                lags.append(time.perf_counter() - intended)
            try:
                status = await lane.get(target)
            except (OSError, h11.ProtocolError):
                failures += 1
                continue
            done = time.perf_counter()
            latencies.append(done - intended)
            completions.append(done)
            failures += not 200 <= status < 300

    try:
        await asyncio.gather(*(drive(lane, indices) for lane, indices in zip(lanes, plan, strict=True)))
    finally:
        for lane in lanes:
            lane.close()
    return Figures(latencies, failures, completion_rate(completions, started), rate, lags)
