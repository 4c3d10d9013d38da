"""Learning pages against the data: the timetable and a client's usage report.

``python -m bench.learning`` seeds a scratch database per size (enrolments of one client's
members in classes with a term of lessons and attendance), then serves pages in this
process through Django's full request stack (middleware, sessions, templates; no socket)
and measures, per page: latency (p50, p99), the number of SQL queries, and the same for
``/health/``, the baseline, in turns with the pages. A page whose query count grows with
the data fails the run (exit 1).

Each size runs in its own process so nothing is shared between them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGES = (
    "health",
    "timetable",
    "client_report",
    "client_report_cold",
    "client_report_csv_first_kb",
)
CLASS_SIZE = 25
LESSONS_PER_CLASS = 10
HELD_PER_CLASS = 5


def _key(name: str) -> str:
    return base64.urlsafe_b64encode(
        hashlib.sha256(f"lyceum-bench-{name}".encode()).digest()
    ).decode()


def _env(work: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LYCEUM_", "DATABASE_", "REDIS_", "EMAIL_URL", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        LYCEUM_VAR_DIR=str(work),
        LYCEUM_ENV="development",
        LYCEUM_DEBUG="false",
        LYCEUM_JOBS_IMMEDIATE="true",
        LYCEUM_FIELD_KEYS=_key("field"),
        LYCEUM_BACKUP_KEY=_key("backup"),
        SECRET_KEY="bench-" + hashlib.sha256(b"lyceum-bench-secret").hexdigest(),
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        ALLOWED_HOSTS="testserver,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


# ----------------------------------------------------------------------------- child


def _seed(enrolments: int) -> dict[str, Any]:
    """One client with ``enrolments`` members, each in one class of 25 under its contract;
    10 lessons per class, 5 held with attendance; one learner in 3 classes for the
    timetable. Batched inserts; returns what the measurement needs."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from lyceum.accounts.models import User
    from lyceum.learning.models import Attendance, Class, Course, Enrolment, Lesson
    from lyceum.orgs.models import Contract, Membership, Organisation

    rng = random.Random(4)
    started = time.perf_counter()
    password = make_password("bench-password")
    now = timezone.now()
    org = Organisation.objects.create(name="Acme", slug="acme", kind="company")
    today = timezone.localdate()
    contract = Contract.objects.create(
        organisation=org,
        reference="BENCH",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=300),
        seats=enrolments + 10,
    )
    course = Course.objects.create(title="English", slug="english", level="B1")
    course.contracts.add(contract)
    admin = User.objects.create(email="admin@acme.example", name="Admin", password=password)
    Membership.objects.create(organisation=org, user=admin, role="admin", accepted_at=now)
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(admin, generate_totp_secret())  # client reports need a second factor
    users = User.objects.bulk_create(
        [
            User(email=f"m{i}@acme.example", name=f"Member {i:06}", password=password)
            for i in range(enrolments)
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(organisation=org, user=u, accepted_at=now) for u in users], batch_size=2000
    )
    n_classes = max(1, enrolments // CLASS_SIZE)
    classes = Class.objects.bulk_create(
        [
            Class(course=course, title=f"Group {c}", code=f"B{c:07}", capacity=CLASS_SIZE + 5)
            for c in range(n_classes)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    lessons = Lesson.objects.bulk_create(
        [
            Lesson(
                klass=k,
                starts_at=now + timedelta(days=7 * (n - HELD_PER_CLASS), hours=rng.randint(0, 8)),
                duration=60,
                topic=f"Lesson {n}",
            )
            for k in classes
            for n in range(LESSONS_PER_CLASS)
        ],
        batch_size=5000,
    )
    by_class: dict[int, list[Any]] = {}
    for lesson in lessons:
        by_class.setdefault(lesson.klass_id, []).append(lesson)
    rows, attendance = [], []
    statuses = ["present"] * 6 + ["late", "absent", "excused"]
    for i, user in enumerate(users):
        klass = classes[i // CLASS_SIZE % n_classes]
        rows.append(Enrolment(klass=klass, user=user, source="contract", contract=contract))
        for lesson in by_class[klass.pk][:HELD_PER_CLASS]:
            attendance.append(Attendance(lesson=lesson, user=user, status=rng.choice(statuses)))
        if len(attendance) >= 20000:
            Attendance.objects.bulk_create(attendance, batch_size=5000)
            attendance = []
    Enrolment.objects.bulk_create(rows, batch_size=5000)
    Attendance.objects.bulk_create(attendance, batch_size=5000)
    learner = users[0]
    for klass in classes[1:3]:
        Enrolment.objects.create(klass=klass, user=learner, source="self")
    return {
        "admin": admin.pk,
        "learner": learner.pk,
        "seed_s": round(time.perf_counter() - started, 1),
        "rows": {
            "enrolments": Enrolment.objects.count(),
            "lessons": Lesson.objects.count(),
            "attendance": Attendance.objects.count(),
        },
    }


def _measure(seeded: dict[str, Any], requests: int, warmup: int) -> dict[str, Any]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lyceum.accounts.models import User

    learner = Client()
    learner.force_login(User.objects.get(pk=seeded["learner"]))
    admin = Client()
    admin.force_login(User.objects.get(pk=seeded["admin"]))

    def health() -> Any:
        return learner.get("/health/")

    def timetable() -> Any:
        return learner.get("/timetable/")

    def client_report() -> Any:
        return admin.get("/organisations/acme/report/")

    def client_report_cold() -> Any:
        # The organisation's totals are cached a minute: this is the page when they are not.
        cache.clear()
        return admin.get("/organisations/acme/report/")

    def client_report_csv_first_kb() -> Any:
        # The CSV streams every member; time to its first kilobyte is what a person waits.
        response = admin.get("/organisations/acme/report.csv")
        received = 0
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            received += len(chunk)
            if received >= 1024:
                break
        response.close()
        return response

    pages = {
        "health": health,
        "timetable": timetable,
        "client_report": client_report,
        "client_report_cold": client_report_cold,
        "client_report_csv_first_kb": client_report_csv_first_kb,
    }
    for fn in pages.values():
        for _ in range(warmup):
            assert fn().status_code == 200
    times: dict[str, list[float]] = {p: [] for p in pages}
    queries: dict[str, int] = {}
    for name, fn in pages.items():
        with CaptureQueriesContext(connection) as captured:
            fn()
        queries[name] = len(captured)
    for _ in range(requests):  # in turns, so background load hits every page alike
        for name, fn in pages.items():
            start = time.perf_counter()
            response = fn()
            times[name].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, name
    result = {}
    for name, values in times.items():
        values.sort()
        result[name] = {
            "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 2),
            "queries": queries[name],
        }
    return result


def child(args: argparse.Namespace) -> int:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)  # the embedded default's cache, as serve does
    seeded = _seed(args.enrolments)
    measured = _measure(seeded, args.requests, args.warmup)
    Path(args.out).write_text(json.dumps({"seeded": seeded, "pages": measured}))
    return 0


# ---------------------------------------------------------------------------- parent


def _table(results: dict[int, dict[str, Any]]) -> str:
    head = f"{'enrolments':>10}  {'page':<28}{'p50 ms':>9}{'p99 ms':>9}"
    lines = [head + f"{'p99/health':>11}{'queries':>9}"]
    for size, result in results.items():
        base = result["pages"]["health"]["p99_ms"] or 1
        for page, figures in result["pages"].items():
            lines.append(
                f"{size:>10,}  {page:<28}{figures['p50_ms']:>9.1f}{figures['p99_ms']:>9.1f}"
                f"{figures['p99_ms'] / base:>11.1f}{figures['queries']:>9}"
            )
    sizes = sorted(results)
    if len(sizes) > 1:
        small, large = results[sizes[0]]["pages"], results[sizes[-1]]["pages"]
        lines.append("")
        lines.append(f"growth from {sizes[0]:,} to {sizes[-1]:,} enrolments (1.00 is flat):")
        for page in PAGES:
            p99 = large[page]["p99_ms"] / max(small[page]["p99_ms"], 0.01)
            lines.append(
                f"  {page:<28} p99 ×{p99:.2f}   queries {small[page]['queries']} → "
                f"{large[page]['queries']}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.learning", description=__doc__)
    parser.add_argument("--sizes", default="5000,50000", help="enrolments, comma-separated")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--enrolments", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    results: dict[int, dict[str, Any]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="lyceum-bench-learning-") as tmp:
            work = Path(tmp)
            out = work / "result.json"
            command = [
                sys.executable,
                "-m",
                "bench.learning",
                "--child",
                f"--enrolments={size}",
                f"--requests={args.requests}",
                f"--warmup={args.warmup}",
                f"--out={out}",
            ]
            print(f"seeding and measuring {size:,} enrolments...", flush=True)
            subprocess.run(command, cwd=ROOT, env=_env(work), check=True)
            results[size] = json.loads(out.read_text())
            seeded = results[size]["seeded"]
            print(f"  seeded {seeded['rows']} in {seeded['seed_s']} s")
    print(_table(results))
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (folder / f"learning-{stamp}.json").write_text(json.dumps(results, indent=2))
    sizes = sorted(results)
    grew = [
        page
        for page in PAGES
        if results[sizes[-1]]["pages"][page]["queries"]
        > results[sizes[0]]["pages"][page]["queries"]
    ]
    if grew:
        print(f"FAILED: the number of queries grew with the data on {', '.join(grew)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
