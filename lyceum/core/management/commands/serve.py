from __future__ import annotations

import subprocess
import sys
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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
            "--workers",
            type=int,
            default=1,
            help="Web processes. More than one needs REDIS_URL (a shared channel layer).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not options["no_jobs"]:
            worker = subprocess.Popen([sys.executable, "-m", "lyceum.cli", "run_huey"])
        self.stdout.write(f"Lyceum is serving on http://{options['host']}:{options['port']}/")
        try:
            uvicorn.run(
                "config.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                lifespan="off",
                proxy_headers=bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)),
                log_level="warning" if not settings.DEBUG else "info",
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
