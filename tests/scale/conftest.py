"""A small Lyceum cluster for the scale-out tests: real processes, shared PostgreSQL and Redis.

``cluster`` starts web processes (``lyceum serve --no-jobs``) and job workers
(``lyceum run_huey``) as subprocesses of the test, all pointed at the test database
(committed data, through ``transactional_db``), one Redis under a prefix of their
own, and an SMTP server (aiosmtpd) running inside the test process. Every process
writes its output to a file; when a test fails, those files are added to its report.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import os
import queue
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LYCEUM = [sys.executable, "-m", "lyceum.cli"]
# Every wait is bounded, and all of a test's waits together stay within TEST_BUDGET.
TEST_BUDGET = 55.0
STARTUP_TIMEOUT = 40.0
STOP_TIMEOUT = 10.0
LOG_TAIL = 6_000

_cluster_key = pytest.StashKey["Cluster"]()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- SMTP server


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        assert part is not None, self.message.as_string()
        return str(part.get_content())


class _Inbox:
    """aiosmtpd handler: every accepted message lands in a thread-safe queue."""

    def __init__(self) -> None:
        self.messages: queue.Queue[ReceivedMail] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.put(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    inbox: _Inbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received_so_far(self) -> list[ReceivedMail]:
        found = []
        with contextlib.suppress(queue.Empty):
            while True:
                found.append(self.inbox.messages.get_nowait())
        return found

    def wait_for_message(self, timeout: float) -> ReceivedMail | None:
        try:
            return self.inbox.messages.get(timeout=timeout)
        except queue.Empty:
            return None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield SmtpServer(port=port, inbox=inbox)
    finally:
        controller.stop()


# ---------------------------------------------------------------- processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return text if len(text) <= LOG_TAIL else "[...]\n" + text[-LOG_TAIL:]

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=STOP_TIMEOUT)


@dataclass
class Web(Process):
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    env: dict[str, str]
    log_dir: Path
    redis_url: str
    prefix: str
    deadline: float
    processes: list[Process] = field(default_factory=list)

    def remaining(self, at_most: float) -> float:
        """A timeout of ``at_most`` seconds, cut short so that the test ends within budget."""
        return max(0.1, min(at_most, self.deadline - time.monotonic()))

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [*LYCEUM, *args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return popen, log

    def start_webs(self, *names: str) -> list[Web]:
        """Start web processes side by side, then wait until each one answers."""
        webs = []
        for name in names:
            port = free_port()
            popen, log = self._spawn(
                name, ["serve", "--no-jobs", "--host", "127.0.0.1", "--port", str(port)]
            )
            web = Web(name=name, popen=popen, log=log, port=port)
            self.processes.append(web)
            webs.append(web)
        started = time.monotonic()
        deadline = started + self.remaining(STARTUP_TIMEOUT)
        for web in webs:
            self._wait_until_serving(web, deadline)
        print(f"{', '.join(names)} serving after {time.monotonic() - started:.1f} s")
        return webs

    def start_worker(self, name: str = "worker") -> Process:
        popen, log = self._spawn(name, ["run_huey"])
        worker = Process(name=name, popen=popen, log=log)
        self.processes.append(worker)
        return worker

    def _wait_until_serving(self, web: Web, deadline: float) -> None:
        last_error = "no attempt"
        with httpx.Client(timeout=2, trust_env=False) as client:
            while time.monotonic() < deadline:
                if not web.running():
                    pytest.fail(
                        f"{web.name} exited with code {web.popen.returncode} before serving:\n"
                        + web.output()
                    )
                try:
                    if client.get(f"{web.base_url}/health/").status_code == 200:
                        return
                    last_error = "health check did not answer 200"
                except httpx.HTTPError as error:
                    last_error = repr(error)
                time.sleep(0.2)
        pytest.fail(
            f"{web.name} did not serve on port {web.port} in time ({last_error}):\n{web.output()}"
        )

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(Exception):
                process.stop()

    def huey_pending(self) -> int:
        """Jobs waiting in the cluster's Redis queue, read directly from Redis."""
        from huey import RedisHuey

        jobs = RedisHuey(self.prefix, url=self.redis_url)
        try:
            return int(jobs.pending_count())
        finally:
            jobs.storage.pool.disconnect()

    def forget_redis_keys(self) -> None:
        import redis

        connection = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(connection.scan_iter(match=f"*{self.prefix}*", count=500))
            if keys:
                connection.delete(*keys)
        finally:
            connection.close()


def backends_available() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
        os.environ.get("REDIS_URL")
    )


def _database_url() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail(f"the scale-out test needs PostgreSQL, not {connection.vendor}")
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def cluster(
    request: pytest.FixtureRequest,
    transactional_db: None,
    smtp_server: SmtpServer,
    tmp_path: Path,
    bytecode_cache: Path,
) -> Iterator[Cluster]:
    """Processes started through it share the test database, one Redis and the SMTP server.

    Depends on ``transactional_db`` so that the processes are stopped before the
    database is flushed, and so that what the test writes is committed and visible.
    """
    from lyceum.privacy.models import AuditHead

    # A data migration seeds the audit chain's head; an earlier transactional test's
    # flush deletes it, and every sign-in in the subprocesses appends to the chain.
    AuditHead.objects.get_or_create(id=1)
    redis_url = os.environ["REDIS_URL"]
    prefix = f"lyceum_scale_{uuid.uuid4().hex[:12]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LYCEUM_", "DJANGO_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LYCEUM_ENV": "development",
            "LYCEUM_VAR_DIR": str(tmp_path / "var"),
            "LYCEUM_CACHE_PREFIX": prefix,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis_url,
            "EMAIL_URL": smtp_server.url,
            # One key for all processes: sessions signed by one are read by the others.
            "SECRET_KEY": "scale-" + uuid.uuid4().hex + uuid.uuid4().hex,
            # And the test's own field keys: what a web process encrypts, the test reads.
            "LYCEUM_FIELD_KEYS": ",".join(settings.LYCEUM_FIELD_KEYS),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # Without bytecode every process compiles Django anew, seconds of CPU each; keep
        # it out of the source tree, in a cache the test session's processes share.
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    group = Cluster(
        env=env,
        log_dir=log_dir,
        redis_url=redis_url,
        prefix=prefix,
        deadline=time.monotonic() + TEST_BUDGET,
    )
    request.node.stash[_cluster_key] = group
    try:
        yield group
    finally:
        group.stop()
        group.forget_redis_keys()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    group = item.stash.get(_cluster_key, None)
    if report.failed and group is not None and call.when == "call":
        for process in group.processes:
            report.sections.append(
                (f"Output of {process.name} (exit code {process.popen.poll()})", process.output())
            )
    return report
