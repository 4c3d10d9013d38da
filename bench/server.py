"""Start and stop the real server the way users run it, on a throw-away install."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def lyceum_command() -> list[str]:
    script = BIN / "lyceum"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "lyceum.cli"]


class BenchServer:
    """``lyceum serve --no-jobs`` on a free loopback port, over a fresh embedded install.

    The embedded default: SQLite and the in-memory channel layer under a new
    ``LYCEUM_VAR_DIR``, development settings with debug off (so that nothing is
    logged per request). Used as a context manager; the server is always stopped
    and the directory removed on the way out.
    """

    def __init__(self, *, startup_timeout: float = 90.0) -> None:
        self.startup_timeout = startup_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="lyceum-bench-")
        self.var_dir = Path(self._tmp.name)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.var_dir / "serve.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            # Nothing from the caller's install may leak in: embedded default only.
            if not key.startswith(("LYCEUM_", "DATABASE_", "REDIS_", "EMAIL_URL", "DJANGO_"))
        }
        self.env.update(
            LYCEUM_VAR_DIR=str(self.var_dir),
            LYCEUM_ENV="development",
            LYCEUM_DEBUG="false",
            PYTHONUNBUFFERED="1",
        )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def manage(self, *args: str, timeout: float = 300.0) -> str:
        """Run a ``lyceum`` command against this install; return its output."""
        done = subprocess.run(
            [*lyceum_command(), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"lyceum {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def python(self, *args: str, timeout: float = 300.0) -> str:
        """Run ``python <args>`` in this install's environment; return its stdout."""
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"python {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def prepare(self) -> None:
        """What ``make run`` does before serving: migrate, cache table, demo school."""
        self.manage("migrate", "--no-input", "-v0")
        self.manage("createcachetable")
        self.manage("demo")

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                *lyceum_command(),
                "serve",
                "--no-jobs",
                "--host",
                LOOPBACK,
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that we stop all of it
        )
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up:\n{self.log()}")
            if self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"the server did not answer within {self.startup_timeout}s:\n{self.log()}"
        )

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=2)
        try:
            connection.request("GET", "/health/")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> BenchServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        finally:
            self._tmp.cleanup()
