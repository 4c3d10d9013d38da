"""Requests per second and latency of the home and sign-in pages, against /health/.

For each database size (extra people beyond the demo school) and each number of
concurrent connections, the load generator drives /health/ (a plain HttpResponse:
the framework's ceiling on this machine), / and /accounts/login/ in turns against
the same running server. Each page's figures are printed beside /health/'s as
ratios, and the figures at each size beside those at the smallest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from bench.server import ROOT, BenchServer

RESULTS = Path(__file__).resolve().parent / "results"

TARGETS = [
    # (name, path): the baseline first.
    ("health", "/health/"),
    ("home", "/"),
    ("sign-in", "/accounts/login/"),
]
BASELINE = "health"
NOISY_OTHER_CPU = 0.25  # cores used by other processes during a run


@dataclass(frozen=True)
class Options:
    seconds: float
    rounds: int
    warmup: float
    concurrency: list[int]
    sizes: list[int]
    output: Path


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text}") from exc
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"need one or more non-negative integers: {text}")
    return values


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--seconds",
        type=float,
        default=6.0,
        help="measured seconds per target, per concurrency and size (default 6)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="the targets take turns this many times, sharing --seconds (default 4)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="unmeasured seconds, in all, before each concurrency and size (default 2)",
    )
    parser.add_argument(
        "--concurrency",
        type=_int_list,
        default=[16, 64],
        help="concurrent keep-alive connections, comma-separated (default 16,64)",
    )
    parser.add_argument(
        "--sizes",
        type=_int_list,
        default=[0, 10_000, 50_000],
        help="extra people (and audit events) in the database, comma-separated "
        "(default 0,10000,50000)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "http.json",
        help="where to write the JSON results (default bench/results/http.json)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.rounds < 1:
        parser.error("--seconds and --rounds must be positive, --warmup not negative")
    if any(c < 1 for c in args.concurrency):
        parser.error("--concurrency must be at least 1")
    return Options(
        seconds=args.seconds,
        rounds=args.rounds,
        warmup=args.warmup,
        concurrency=sorted(set(args.concurrency)),
        sizes=sorted(set(args.sizes)),
        output=args.output,
    )


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _machine() -> dict[str, Any]:
    import django

    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "load_average_at_start": load,
    }


def load_run(server: BenchServer, concurrency: int, options: Options) -> dict[str, Any]:
    """Every target, taking turns, at one concurrency: the load generator's JSON."""
    timeout = 10.0
    switches = len(TARGETS) * (options.rounds + 1)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--port",
            str(server.port),
            *(f"--target={name}={path}" for name, path in TARGETS),
            "--concurrency",
            str(concurrency),
            "--seconds",
            str(options.seconds),
            "--rounds",
            str(options.rounds),
            "--warmup",
            str(options.warmup),
            "--timeout",
            str(timeout),
            *(["--server-pid", str(server.pid)] if server.pid else []),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # Bounded: each switch of target waits at most timeout + 1 for requests to drain.
        timeout=options.warmup + len(TARGETS) * options.seconds + switches * (timeout + 2) + 30,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the load generator failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def check_targets(server: BenchServer) -> dict[str, dict[str, Any]]:
    """One plain request to each target first: it must answer 200."""
    seen: dict[str, dict[str, Any]] = {}
    for name, path in TARGETS:
        status, headers, body = server.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}, not 200:\n{body[:500]!r}")
        cookies = [
            value.split("=", 1)[0] for key, value in headers.items() if key.lower() == "set-cookie"
        ]
        seen[name] = {"path": path, "bytes": len(body), "sets_cookies": cookies}
    return seen


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return value / base


COLUMNS = [
    ("target", "<", 8),
    ("conc", ">", 4),
    ("extra users", ">", 11),
    ("rps", ">", 8),
    ("p50 ms", ">", 7),
    ("p99 ms", ">", 7),
    ("rps/health", ">", 10),
    ("per round", "<", 9),
    ("CPU ratio", ">", 9),
    ("p99/health", ">", 10),
    ("srv CPU ms/req", ">", 14),
    ("other CPU", ">", 9),
    ("errors", ">", 6),
]


def _row(cells: list[str]) -> str:
    return "  ".join(
        f"{cell:{align}{width}}" for cell, (_, align, width) in zip(cells, COLUMNS, strict=True)
    )


def _spread(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    return f"{min(known):.2f}-{max(known):.2f}"


def header() -> str:
    line = _row([name for name, _, _ in COLUMNS])
    return line + "\n" + "-" * len(line)


def format_row(row: dict[str, Any]) -> str:
    failures = row["errors_total"] + row["non_200_total"]
    return _row(
        [
            row["target"],
            str(row["concurrency"]),
            f"{row['extra_users']:,}",
            _fmt(row["rps"]),
            _fmt(row["p50_ms"], 2),
            _fmt(row["p99_ms"], 2),
            _fmt(row["rps_ratio_to_health"], 3),
            _spread(row["rps_ratio_per_round"]),
            _fmt(row["cpu_ratio_to_health"], 3),
            _fmt(row["p99_ratio_to_health"], 2),
            _fmt(row["server_cpu_ms_per_request"], 2),
            _fmt(row["other_cpu_cores"], 2),
            str(failures),
        ]
    )


def growth(rows: list[dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    """How each figure at the largest size compares with the smallest (1.0 is flat)."""
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    by_key = {(r["target"], r["concurrency"], r["extra_users"]): r for r in rows}
    out = []
    for (target, concurrency, size), first in by_key.items():
        if size != small or (target, concurrency, large) not in by_key:
            continue
        last = by_key[(target, concurrency, large)]
        out.append(
            {
                "target": target,
                "concurrency": concurrency,
                "from_extra_users": small,
                "to_extra_users": large,
                "rps_factor": _ratio(last["rps"], first["rps"]),
                "p99_factor": _ratio(last["p99_ms"], first["p99_ms"]),
                "cpu_per_request_factor": _ratio(
                    last["server_cpu_ms_per_request"], first["server_cpu_ms_per_request"]
                ),
                "rps_ratio_to_health_from": first["rps_ratio_to_health"],
                "rps_ratio_to_health_to": last["rps_ratio_to_health"],
                "cpu_ratio_to_health_from": first["cpu_ratio_to_health"],
                "cpu_ratio_to_health_to": last["cpu_ratio_to_health"],
                "series": [
                    {
                        "extra_users": s,
                        "rps": by_key[(target, concurrency, s)]["rps"],
                        "p99_ms": by_key[(target, concurrency, s)]["p99_ms"],
                        "server_cpu_ms_per_request": by_key[(target, concurrency, s)][
                            "server_cpu_ms_per_request"
                        ],
                    }
                    for s in sizes
                    if (target, concurrency, s) in by_key
                ],
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    _stop_on_sigterm()
    machine = _machine()
    runs = len(options.sizes) * len(options.concurrency)
    per_run = options.warmup + len(TARGETS) * (options.seconds + (options.rounds + 1) * 0.5)
    estimate = runs * per_run
    print("HTTP throughput and latency: / and /accounts/login/ against /health/")
    print(
        f"Machine: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"Django {machine['django']}; load average "
        + ", ".join(f"{v:.2f}" for v in machine["load_average_at_start"])
    )
    print(
        "Server: 'lyceum serve --no-jobs' (uvicorn, one process) over the embedded default "
        "(SQLite, in-memory channel layer), debug off."
    )
    print(
        f"The load generator runs on the same {machine['cpus']} CPUs as the server, so absolute "
        "figures understate a real host; the ratios to /health/ are what to compare."
    )
    print(
        f"Each of {runs} runs (a concurrency at a data size): {options.warmup:g}s warm-up, then "
        f"{options.rounds} rounds in which the targets take turns, {options.seconds:g}s measured "
        f"per target in all; about {estimate / 60:.1f} minutes plus set-up and data loading.\n"
    )

    rows: list[dict[str, Any]] = []
    seeds: list[dict[str, Any]] = []
    started = time.monotonic()
    with BenchServer() as server:
        t0 = time.perf_counter()
        server.prepare()
        prepared = time.perf_counter() - t0
        t0 = time.perf_counter()
        server.start()
        print(
            f"Prepared a fresh install (migrate, cache table, demo) in {prepared:.1f}s; "
            f"server up on 127.0.0.1:{server.port} in {time.perf_counter() - t0:.1f}s."
        )
        targets = check_targets(server)
        for name, info in targets.items():
            cookies = ", ".join(info["sets_cookies"]) or "none"
            print(
                f"  {name:<8} {info['path']:<18} {info['bytes']:>6} bytes, sets cookies: {cookies}"
            )
        print()
        print(header())
        for size in options.sizes:
            seed = json.loads(server.python("-m", "bench.seed", "--users", str(size), "--verify"))
            seeds.append(seed)
            if seed["inserted"]:
                print(
                    f"(inserted {seed['inserted']:,} people and audit events in "
                    f"{seed['seconds']:.1f}s: {seed['users']:,} users, "
                    f"{seed['audit_events']:,} audit events, chain "
                    f"{'verified' if seed.get('audit_chain_ok') else 'BROKEN'})"
                )
            for concurrency in options.concurrency:
                run = load_run(server, concurrency, options)
                if not server.alive():
                    raise RuntimeError(f"the server died under load:\n{server.log()}")
                base = run["targets"][BASELINE]
                for name, _ in TARGETS:
                    result = run["targets"][name]
                    row = {
                        "target": name,
                        "concurrency": concurrency,
                        "extra_users": size,
                        **result,
                        "errors_total": sum(result["errors"].values()),
                        "non_200_total": sum(result["non_200"].values()),
                        "rps_ratio_to_health": _ratio(result["rps"], base["rps"]),
                        "p99_ratio_to_health": _ratio(result["p99_ms"], base["p99_ms"]),
                        # /health/'s server CPU per request over the page's: the rps ratio a
                        # CPU-bound server would show, and much steadier on a shared machine.
                        "cpu_ratio_to_health": _ratio(
                            base["server_cpu_ms_per_request"], result["server_cpu_ms_per_request"]
                        ),
                        "rps_ratio_per_round": [
                            _ratio(mine, theirs)
                            for mine, theirs in zip(
                                result["rps_per_round"], base["rps_per_round"], strict=True
                            )
                        ],
                        "switch_wait_max_s": run["switch_wait_max_s"],
                    }
                    rows.append(row)
                    print(format_row(row), flush=True)
        log = server.log()
        server.stop()

    elapsed = time.monotonic() - started
    changes = growth(rows, options.sizes)
    if changes:
        print(
            f"\nGrowth from {options.sizes[0]:,} to {options.sizes[-1]:,} extra people "
            "(factor at the largest size over the smallest; 1.00 is flat; /health/ reads no data, "
            "so its factors show the machine's drift):"
        )
        print(
            f"{'target':<8}  {'conc':>4}  {'rps x':>6}  {'p99 x':>6}  {'CPU/req x':>9}  "
            f"{'rps/health':>16}  {'CPU ratio':>16}"
        )
        for change in changes:
            print(
                f"{change['target']:<8}  {change['concurrency']:>4}  "
                f"{_fmt(change['rps_factor'], 2):>6}  {_fmt(change['p99_factor'], 2):>6}  "
                f"{_fmt(change['cpu_per_request_factor'], 2):>9}  "
                f"{_fmt(change['rps_ratio_to_health_from'], 3):>6} -> "
                f"{_fmt(change['rps_ratio_to_health_to'], 3):<6}  "
                f"{_fmt(change['cpu_ratio_to_health_from'], 3):>6} -> "
                f"{_fmt(change['cpu_ratio_to_health_to'], 3):<6}"
            )

    noisy = [r for r in rows if (r["other_cpu_cores"] or 0) > NOISY_OTHER_CPU]
    failed = [r for r in rows if r["errors_total"] or r["non_200_total"]]
    print(
        "\nrps/health: the page's requests per second over /health/'s, in the same run; per "
        "round: its lowest and highest over the rounds. p99/health: the same for p99 latency.\n"
        "srv CPU ms/req: the server's CPU time per successful request. CPU ratio: /health/'s "
        "srv CPU ms/req over the page's, the rps ratio of a CPU-bound server, steadier than rps "
        "on a shared machine.\nother CPU: cores busy with processes other than the server and "
        "the load generator during the measured windows."
    )
    if noisy:
        print(
            f"WARNING: {len(noisy)} of {len(rows)} runs shared the machine with other work "
            f"(> {NOISY_OTHER_CPU} cores): their figures are noisy; re-run on a quiet machine."
        )
    if failed:
        print(f"WARNING: {len(failed)} runs saw errors or non-200 answers:")
        for r in failed:
            print(f"  {r['target']} c={r['concurrency']}: {r['errors']} {r['non_200']}")
    extra_log = [
        line for line in log.splitlines() if line.strip() and "Lyceum is serving" not in line
    ]
    if extra_log:
        print(f"The server logged {len(extra_log)} lines; the first ones:")
        for line in extra_log[:20]:
            print("  " + line)

    report = {
        "benchmark": "http",
        "description": __doc__,
        "machine": machine,
        "settings": {
            "seconds_per_target": options.seconds,
            "rounds": options.rounds,
            "warmup": options.warmup,
            "concurrency": options.concurrency,
            "sizes": options.sizes,
            "server": "lyceum serve --no-jobs (embedded default, LYCEUM_DEBUG=false)",
            "load_generator": "bench.load: asyncio streams, HTTP/1.1 keep-alive, closed loop, "
            "targets take turns in rounds, no cookies kept (every request is a first visit)",
        },
        "targets": targets,
        "seeds": seeds,
        "results": rows,
        "growth": changes,
        "noisy_runs": len(noisy),
        "server_log": extra_log,
        "elapsed_seconds": round(elapsed, 1),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {options.output} ({elapsed:.0f}s in all).")
    return 0
