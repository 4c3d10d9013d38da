from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _die_with_parent() -> None:
    """In the worker: on Linux, the kernel stops it when `lyceum serve` ends, however it ends."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Migrate, then serve the site, websockets, background jobs and schedules "
        "in one process tree."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-jobs",
            action="store_true",
            help="Do not start a job worker here (separate workers run 'lyceum run_huey').",
        )
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="Do not migrate first (at scale, run 'lyceum migrate' once per release).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Web processes. More than one needs REDIS_URL (a shared channel layer).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] > 1 and not settings.REDIS_URL:
            raise CommandError(
                "Several web processes need REDIS_URL: without it, a live message sent by one "
                "process never reaches people connected to another."
            )
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable", verbosity=0)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not options["no_jobs"]:
            worker = subprocess.Popen(
                [sys.executable, "-m", "lyceum.cli", "run_huey"], preexec_fn=_die_with_parent
            )
        self.stdout.write(f"Lyceum is serving on http://{options['host']}:{options['port']}/")
        try:
            uvicorn.run(
                "config.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                lifespan="off",
                proxy_headers=settings.LYCEUM_BEHIND_PROXY,
                forwarded_allow_ips=settings.LYCEUM_TRUSTED_PROXIES,
                log_level="warning" if not settings.DEBUG else "info",
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
