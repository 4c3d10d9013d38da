"""A closed-loop HTTP/1.1 load generator, run as its own process.

``python -m bench.load --port P --target health=/health/ --target home=/ ...``
opens ``--concurrency`` keep-alive connections to 127.0.0.1, each sending the next
GET as soon as the previous answer has been read (no cookies are kept, so every
request is a first visit). The targets take turns: ``--rounds`` rounds, each
giving every target a window of ``--seconds / --rounds``. Taking turns in short
windows, rather than one long run per target, means that a change in the
machine's background load hits the baseline and the pages alike, so their ratio
holds even when the absolute figures drift.

When the target changes, measuring waits until every connection has finished its
request to the previous target (so that none is still queued in the server), then
a short settling time. A response counts for a window when it completes inside
it; throughput is completions per second. Latency runs from the first byte
written to the last byte of the body read. The server's CPU time and the
machine's other CPU use are sampled from /proc at each window's edges. One JSON
object is printed on stdout.

It is a separate process so that it does not share the server's GIL, and it uses
raw asyncio streams (uvloop when installed) rather than an HTTP client library,
so that as little as possible of the machine's CPU goes to generating load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
SETTLE = 0.25  # seconds after a switch of target before measuring


class ClosedByServer(Exception):
    pass


def build_request(host: str, port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "User-Agent: lyceum-bench/1\r\n"
        "Accept: text/html,*/*\r\n"
        "Accept-Encoding: identity\r\n"
        "\r\n"
    ).encode("ascii")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one response; return (status, body length, server wants to close)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise ClosedByServer from exc
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = False
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        size = 0
        while True:
            chunk_head = await reader.readuntil(b"\r\n")
            chunk_len = int(chunk_head.split(b";", 1)[0].strip(), 16)
            await reader.readexactly(chunk_len + 2)
            size += chunk_len
            if chunk_len == 0:
                return status, size, close
    if length is None:
        # No framing: the body runs to the end of the connection.
        body = await reader.read()
        return status, len(body), True
    await reader.readexactly(length)
    return status, length, close


@dataclass
class Record:
    phase: int
    end: float
    latency: float
    status: int  # 0 for a connection error
    size: int = 0
    error: str = ""


@dataclass
class Shared:
    """What the conductor tells the connections, and what they report back."""

    concurrency: int
    request: bytes = b""
    phase: int = -1
    switched: int = 0
    all_switched: asyncio.Event = field(default_factory=asyncio.Event)
    done: bool = False
    records: list[Record] = field(default_factory=list)

    def switch(self, phase: int, request: bytes) -> None:
        self.phase, self.request, self.switched = phase, request, 0
        self.all_switched.clear()

    def started(self, phase: int, previous: int) -> None:
        if phase != previous and phase == self.phase:
            self.switched += 1
            if self.switched >= self.concurrency:
                self.all_switched.set()


async def connection_loop(host: str, port: int, shared: Shared, timeout: float) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    clock = time.perf_counter
    last_phase = -2
    try:
        while not shared.done:
            phase, request = shared.phase, shared.request
            shared.started(phase, last_phase)
            last_phase = phase
            start = clock()
            try:
                if connection is None:
                    connection = await asyncio.wait_for(
                        asyncio.open_connection(host, port), timeout
                    )
                connection[1].write(request)
                status, size, close = await asyncio.wait_for(read_response(connection[0]), timeout)
            except (OSError, ClosedByServer, asyncio.IncompleteReadError, TimeoutError) as exc:
                if connection is not None:
                    connection[1].close()
                connection = None
                end = clock()
                shared.records.append(Record(phase, end, end - start, 0, error=type(exc).__name__))
                await asyncio.sleep(0.01)
                continue
            end = clock()
            shared.records.append(Record(phase, end, end - start, status, size))
            if close:
                connection[1].close()
                connection = None
    finally:
        if connection is not None:
            connection[1].close()


def _proc_cpu_ticks(pid: int | str) -> int | None:
    """User + system CPU ticks of a process (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def _machine_busy_ticks() -> int | None:
    """Ticks all CPUs together spent busy (not idle, not waiting on I/O) since boot."""
    try:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    return sum(values[:8]) - values[3] - values[4]


@dataclass
class CpuSample:
    server: int | None
    own: int | None
    machine: int | None

    @classmethod
    def take(cls, server_pid: int | None) -> CpuSample:
        return cls(
            server=_proc_cpu_ticks(server_pid) if server_pid else None,
            own=_proc_cpu_ticks("self"),
            machine=_machine_busy_ticks(),
        )


@dataclass
class Window:
    target: str
    phase: int
    start: float
    end: float
    before: CpuSample
    after: CpuSample

    def ticks(self, which: str) -> int | None:
        first, last = getattr(self.before, which), getattr(self.after, which)
        return None if first is None or last is None else last - first


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return sorted_values[int(rank) - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _sum(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v or 0 for v in values)


def summarise(target: str, windows: list[Window], records: list[Record]) -> dict[str, Any]:
    mine = [w for w in windows if w.target == target]
    seconds = sum(w.end - w.start for w in mine)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    body_bytes = 0
    per_round = []
    for window in mine:
        ok = 0
        for record in records:
            if record.phase != window.phase or not window.start <= record.end <= window.end:
                continue
            if record.error:
                errors[record.error] += 1
                continue
            statuses[record.status] += 1
            if record.status == 200:
                ok += 1
                latencies.append(record.latency)
                body_bytes += record.size
        per_round.append(ok / (window.end - window.start))
    latencies.sort()
    ok = len(latencies)
    server = _sum([w.ticks("server") for w in mine])
    own = _sum([w.ticks("own") for w in mine])
    machine = _sum([w.ticks("machine") for w in mine])
    window_ticks = CLK_TCK * seconds
    other = None
    if server is not None and own is not None and machine is not None:
        other = max(0.0, (machine - server - own) / window_ticks)
    return {
        "seconds": round(seconds, 3),
        "ok": ok,
        "rps": ok / seconds if seconds else 0.0,
        "rps_per_round": [round(r, 2) for r in per_round],
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p90_ms": _ms(percentile(latencies, 0.90)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(latencies[-1] if latencies else None),
        "mean_body_bytes": round(body_bytes / ok) if ok else None,
        "non_200": {str(k): v for k, v in sorted(statuses.items()) if k != 200},
        "errors": dict(errors),
        "server_cpu_ms_per_request": server * 1000 / CLK_TCK / ok if server and ok else None,
        "server_cpu_cores": server / window_ticks if server is not None else None,
        "loadgen_cpu_cores": own / window_ticks if own is not None else None,
        "other_cpu_cores": other,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    targets: list[tuple[str, bytes]] = [
        (name, build_request(args.host, args.port, path)) for name, path in args.target
    ]
    shared = Shared(concurrency=args.concurrency)
    shared.switch(0, targets[0][1])
    connections = [
        asyncio.create_task(connection_loop(args.host, args.port, shared, args.timeout))
        for _ in range(args.concurrency)
    ]
    windows: list[Window] = []
    phase = 0
    drain_timeout = args.timeout + 1
    switch_waits: list[float] = []

    async def switch_to(request: bytes) -> None:
        nonlocal phase
        phase += 1
        began = time.perf_counter()
        shared.switch(phase, request)
        # A connection stuck past the timeout is not waited for; its error is counted.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(shared.all_switched.wait(), drain_timeout)
        switch_waits.append(time.perf_counter() - began)
        await asyncio.sleep(SETTLE)

    # Warm-up: every target in turn, nothing measured.
    for _, request in targets:
        await switch_to(request)
        await asyncio.sleep(args.warmup / len(targets))
    slice_seconds = args.seconds / args.rounds
    for _ in range(args.rounds):
        for name, request in targets:
            await switch_to(request)
            before = CpuSample.take(args.server_pid)
            start = time.perf_counter()
            await asyncio.sleep(slice_seconds)
            after = CpuSample.take(args.server_pid)
            windows.append(Window(name, phase, start, time.perf_counter(), before, after))
    shared.done = True
    await asyncio.wait(connections, timeout=drain_timeout)
    for task in connections:
        task.cancel()

    return {
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_target": args.seconds,
        "warmup": args.warmup,
        "switch_wait_max_s": round(max(switch_waits), 3),
        "targets": {
            name: {"path": path, **summarise(name, windows, shared.records)}
            for name, path in args.target
        },
    }


def _target(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected name=/path, got {text!r}")
    return name, path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--target", type=_target, action="append", required=True, help="name=/path, repeatable"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=6.0, help="measured, per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0, help="in all, before measuring")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--server-pid", type=int, default=None, help="to sample its CPU time")
    args = parser.parse_args(argv)
    if args.host not in {"127.0.0.1", "::1", "localhost"}:
        parser.error("the load generator only talks to loopback addresses")
    if args.rounds < 1 or args.seconds <= 0 or args.concurrency < 1:
        parser.error("--rounds, --seconds and --concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
