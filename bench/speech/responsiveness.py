"""Does the web process stay responsive while the speech API assesses recordings?

pocketsphinx holds Python's interpreter lock while it decodes (ADR 0011). This starts the
real server (``lyceum serve``, embedded default), sends 1, 2 and 4 concurrent streams of
12-second readings to ``POST /api/speech/v1/assessments`` and meanwhile times ``GET
/health/``. Each figure is beside the idle latency measured in the same run (the baseline),
once with the engine processes (the default) and once assessing in the web process
(``LYCEUM_SPEECH_PROCESSES=0``, as before ADR 0011)::

    .venv/bin/python -m bench.speech.responsiveness            # ~3 minutes
    .venv/bin/python -m bench.speech.responsiveness --streams 1,2
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import threading
import time

import requests

from bench.server import BenchServer

SENTENCE = "The children played in the park all day and walked home along the river."
KEY_SCRIPT = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from lyceum.orgs.models import Organisation
from lyceum.orgs.services import organisation_create
from lyceum.speech import services
for n in range({count}):
    org = organisation_create(actor=None, name=f"Bench {{n}}", kind=Organisation.Kind.COMPANY)
    client = services.api_client_create(actor=None, organisation=org, name="bench")
    key = services.api_key_create(actor=None, client=client, label="bench", scopes=["assess"])
    print(key.plaintext)
"""


def reading() -> bytes:
    """About 12 s of speech: the sentence three times over, by espeak-ng."""
    text = " ".join([SENTENCE] * 3)
    return subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout


def health_latencies(server: BenchServer, stop: threading.Event, count: int) -> list[float]:
    session = requests.Session()
    out: list[float] = []
    while len(out) < count and not stop.is_set():
        clock = time.perf_counter()
        session.get(server.url("/health/"), timeout=60).raise_for_status()
        out.append(time.perf_counter() - clock)
        time.sleep(0.02)
    return out


def stream(server: BenchServer, key: str, audio: bytes, until: float, done: list[int]) -> None:
    session = requests.Session()
    while time.monotonic() < until:
        response = session.post(
            server.url("/api/speech/v1/assessments"),
            headers={"X-Api-Key": key},
            files={"audio": ("reading.wav", audio, "audio/wav")},
            data={"text": " ".join([SENTENCE] * 3), "language": "en"},
            timeout=120,
        )
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
        done.append(1)


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms"


def measure(processes: str, streams: list[int], seconds: float, audio: bytes) -> list[str]:
    lines = []
    with BenchServer() as server:
        server.env["LYCEUM_SPEECH_PROCESSES"] = processes
        server.manage("migrate", "--no-input", "-v0")
        server.manage("createcachetable")
        keys = server.python("-c", KEY_SCRIPT.format(count=max(streams))).split()
        server.start()
        # Warm up: every engine process loads its model once.
        warm: list[int] = []
        for key in keys[: max(streams)]:
            stream(server, key, audio, time.monotonic() + 0.1, warm)
        idle = health_latencies(server, threading.Event(), 100)
        lines.append(f"  idle (baseline)        {summary(idle)}")
        for count in streams:
            done: list[int] = []
            until = time.monotonic() + seconds
            threads = [
                threading.Thread(target=stream, args=(server, key, audio, until, done))
                for key in keys[:count]
            ]
            for thread in threads:
                thread.start()
            stop = threading.Event()
            during = []
            while time.monotonic() < until:
                during += health_latencies(server, stop, 10)
            for thread in threads:
                thread.join()
            ratio = statistics.median(during) / statistics.median(idle)
            lines.append(
                f"  {count} stream(s), {len(done):2d} done  {summary(during)}"
                f"  p50 x{ratio:.1f} idle"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,2,4", help="concurrent assessment streams")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level of streams")
    args = parser.parse_args(argv)
    streams = [int(n) for n in args.streams.split(",")]
    audio = reading()
    cores = str(os.cpu_count() or 1)
    for label, processes in (("engine processes (default)", cores), ("in the web process", "0")):
        print(f"{label}, LYCEUM_SPEECH_PROCESSES={processes}: GET /health/ latency")
        print("\n".join(measure(processes, streams, args.seconds, audio)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
