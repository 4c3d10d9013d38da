"""The privacy engine at scale: export and erasure of one person, and a retention sweep.

For each number of people (``--users``), a scratch database is seeded by
``bench/privacy_seed.py`` (people with realistic related rows, plus ``--sweep-rows``
expired rows), then:

- export: ``export_archive(user=..., actor=None)`` for ``--sample`` people, each beside
  the raw SQL (``connection.cursor()``) that reads the same rows (``entry.rows_of`` of
  every register entry);
- erasure: ``erase(user_id)`` for ``--sample`` people, beside raw SQL DELETE/UPDATE/INSERT
  statements that do the same to the same kind of rows (the register's rules, the
  cascades of the deleted rows), in one committed transaction, for another ``--sample``
  people; both are checked to leave nothing behind;
- retention: ``sweep()`` over the expired rows, beside one raw DELETE or UPDATE per kind
  of row over an identical copy of the same rows.

Median and p95 per operation, the ratio to the baseline, and how both grow from the
smallest number of people to the largest. Written to ``var/bench/privacy-<time>.json``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "var" / "bench"
CACHE = RESULTS / "cache"
SAVED_PREFIX = "bench_saved_"


def _bench_key(name: str) -> str:
    """A fixed Fernet key for the scratch database (so that a cached database decrypts)."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(f"lyceum-bench-{name}".encode()).digest()
    ).decode()


# ---------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    users: list[int]
    sample: int
    sweep_rows: int
    warmup: int
    database_url: str
    cache: bool
    seed: int
    output: Path | None
    max_ratio: float | None
    max_growth: float | None


def _positive(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a non-negative integer: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.privacy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--users",
        type=_positive,
        nargs="+",
        default=[10_000, 100_000],
        help="numbers of people, one scratch database each (default 10000 100000)",
    )
    parser.add_argument(
        "--sample",
        type=_positive,
        default=50,
        help="people exported, and erased, per size (default 50)",
    )
    parser.add_argument(
        "--sweep-rows",
        type=_positive,
        default=1_000_000,
        help="expired rows for the retention sweep, per size; 0: no sweep "
        "(default 1000000: half sessions, half audit events)",
    )
    parser.add_argument(
        "--warmup",
        type=_positive,
        default=3,
        help="unmeasured people before each operation (default 3)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL scratch database, e.g. "
        "postgres://postgres@127.0.0.1:5432/lyceum_bench; its name must contain "
        "'bench': it is dropped and created again. Default: a temporary SQLite file",
    )
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="always seed (default: reuse a database seeded today by the same "
        "generator and migrations, from var/bench/cache/ or a template database)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON results (default var/bench/privacy-<UTC time>.json)",
    )
    parser.add_argument(
        "--max-ratio",
        type=float,
        default=None,
        help="exit with status 3 if an engine/baseline median ratio exceeds this",
    )
    parser.add_argument(
        "--max-growth",
        type=float,
        default=None,
        help="exit with status 3 if export or erasure grows more than this from "
        "the smallest size to the largest",
    )
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-output", type=Path, default=None, help=argparse.SUPPRESS)
    return parser


def _options(args: argparse.Namespace) -> Options:
    return Options(
        users=sorted(set(args.users)),
        sample=args.sample,
        sweep_rows=args.sweep_rows,
        warmup=args.warmup,
        database_url=args.database_url,
        cache=args.cache,
        seed=args.seed,
        output=args.output,
        max_ratio=args.max_ratio,
        max_growth=args.max_growth,
    )


# ----------------------------------------------------------------- statistics, profile


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values) if values else float("nan"),
        "p95": _percentile(values, 0.95),
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
    }


_IN_LIST = re.compile(r"%s(, %s)+")


class StatementProfile:
    """Where an operation's time goes, by SQL statement shape.

    ``execute``: time inside ``cursor.execute`` (on SQLite a SELECT runs lazily, in the
    fetch, so for SELECTs this is only a start). ``span``: from the statement's start to the
    next statement's (or the operation's end): its fetch and whatever Python does with its
    rows before the next query."""

    def __init__(self) -> None:
        self.shapes: dict[str, dict[str, float]] = {}
        self._open: tuple[str, float] | None = None
        self.total = 0.0

    def _close(self, at: float) -> None:
        if self._open is not None:
            shape, started = self._open
            self.shapes[shape]["span"] += at - started
            self._open = None

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        self._close(started)
        shape = _IN_LIST.sub("%s, ...", sql)
        entry = self.shapes.setdefault(shape, {"count": 0, "execute": 0.0, "span": 0.0})
        try:
            return execute(sql, params, many, context)
        finally:
            entry["count"] += 1
            entry["execute"] += time.perf_counter() - started
            self._open = (shape, started)

    @contextmanager
    def measure(self) -> Iterator[None]:
        from django.db import connection

        started = time.perf_counter()
        with connection.execute_wrapper(self):
            try:
                yield
            finally:
                ended = time.perf_counter()
                self._close(ended)
                self.total += ended - started

    def top(self, n: int = 5) -> list[dict[str, Any]]:
        ranked = sorted(self.shapes.items(), key=lambda kv: -kv[1]["span"])[:n]
        return [
            {
                "sql": shape[:400],
                "count": int(v["count"]),
                "execute_s": round(v["execute"], 4),
                "span_s": round(v["span"], 4),
                "share_of_time": round(v["span"] / self.total, 3) if self.total else None,
            }
            for shape, v in ranked
        ]


def _cpu() -> float:
    return time.process_time()


# ------------------------------------------------------------------- raw SQL baselines


def _compile_delete(qs: Any) -> tuple[str, tuple[Any, ...]]:
    from django.db.models import sql

    query = qs.query.clone()
    query.__class__ = sql.DeleteQuery
    sql_text, params = query.get_compiler(qs.db).as_sql()
    return sql_text, tuple(params)


def _compile_update(qs: Any, values: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    from django.db.models import sql

    query = qs.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    compiler = query.get_compiler(qs.db)
    compiler.pre_sql_setup()  # several tables: a pk IN (subquery) condition, as the ORM does
    sql_text, params = compiler.as_sql()
    return sql_text, tuple(params)


def _compile_select(qs: Any) -> tuple[str, tuple[Any, ...]]:
    sql_text, params = qs.query.sql_with_params()
    return sql_text, tuple(params)


@dataclass(frozen=True)
class Hold:
    """An entry's legal hold, for the baseline: until a fixed day, or ``hold_for`` after each
    row's own date in ``hold_from`` (rows whose hold has already ended are deleted)."""

    label: str
    now: datetime
    hold_for: timedelta
    hold_from: str | None
    table: str
    pk_column: str


@dataclass
class Statement:
    """One raw statement of a baseline; ``hold`` ones select keys (and dates), then insert
    legal holds."""

    sql: str
    params: tuple[Any, ...]
    hold: Hold | None = None

    def run(self, cursor: Any) -> int:
        cursor.execute(self.sql, self.params)
        if self.hold is None:
            if cursor.description is not None:
                return len(cursor.fetchall())
            return max(cursor.rowcount, 0)
        return self._hold(cursor, self.hold)

    @staticmethod
    def _hold(cursor: Any, hold: Hold) -> int:
        from django.db import connection

        from lyceum.privacy.models import LegalHold

        ops, quote = connection.ops, connection.ops.quote_name
        held: list[tuple[str, datetime]] = []
        past: list[Any] = []
        for row in cursor.fetchall():
            if hold.hold_from is None:
                held.append((str(row[0]), hold.now + hold.hold_for))
                continue
            date = row[1]
            if isinstance(date, str):
                date = datetime.fromisoformat(date)
            if date is not None and date.tzinfo is None:
                date = date.replace(tzinfo=UTC)
            if date is not None and date + hold.hold_for > hold.now:
                held.append((str(row[0]), date + hold.hold_for))
            else:
                past.append(row[0])
        touched = 0
        if past:
            marks = ", ".join(["%s"] * len(past))
            cursor.execute(
                f"DELETE FROM {quote(hold.table)} WHERE {quote(hold.pk_column)} IN ({marks})",  # noqa: S608
                past,
            )
            touched += max(cursor.rowcount, 0)
        if not held:
            return touched
        meta = LegalHold._meta
        names = ("entry", "object_id", "until", "created_at", "request")
        columns = [str(meta.get_field(n).column) for n in names]  # type: ignore[union-attr]
        values = ", ".join(["(%s, %s, %s, %s, NULL)"] * len(held))
        params: list[Any] = []
        created = ops.adapt_datetimefield_value(hold.now)
        for key, until in held:
            params += [hold.label, key, ops.adapt_datetimefield_value(until), created]
        cursor.execute(
            f"INSERT INTO {quote(str(meta.db_table))} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
            f"VALUES {values} ON CONFLICT DO NOTHING",
            params,
        )
        return touched + len(held) + max(cursor.rowcount, 0)


def _statements(compile_sql: Callable[[], tuple[str, tuple[Any, ...]]]) -> list[Statement]:
    """The compiled statement, or none when no row can match (Django raises EmptyResultSet
    for a condition such as ``pk IN ()``; the ORM then runs nothing either)."""
    from django.core.exceptions import EmptyResultSet

    try:
        return [Statement(*compile_sql())]
    except EmptyResultSet:
        return []


def export_statements(user_id: int) -> list[Statement]:
    """The SELECTs of one person's rows in every register entry, as the export reads them."""
    from lyceum.privacy.register import register

    out = []
    for label in sorted(register.entries):
        entry = register.entries[label]
        if entry.subject is None and entry.also is None:
            continue  # rows no person leads to (processor notices after an erasure)
        out += _statements(partial(_compile_select, entry.rows_of(user_id).order_by("pk")))
    return out


def _reverse_relations(model: Any) -> Iterator[Any]:
    """Relations pointing at ``model`` that a delete must follow (as Django's collector)."""
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_one or rel.one_to_many):
            yield rel


def _delete_statements(
    qs: Any, depth: int = 0, done: frozenset[tuple[str, str]] = frozenset()
) -> list[Statement]:
    """DELETE the rows of ``qs``, after what refers to them: cascades deleted first, SET_NULL
    columns emptied: what ``Model.delete()`` does, in plain SQL. ``done``: (model label, foreign
    key) pairs whose rows were already deleted."""
    from django.db import models

    if depth > 6:
        raise RuntimeError("cascade too deep")
    out: list[Statement] = []
    for rel in _reverse_relations(qs.model):
        if (rel.related_model._meta.label, rel.field.name) in done:
            continue
        related = rel.related_model._base_manager.filter(
            **{f"{rel.field.name}__in": qs.values("pk")}
        )
        if rel.on_delete is models.CASCADE:
            out += _delete_statements(related, depth + 1)
        elif rel.on_delete is models.SET_NULL:
            out += _statements(partial(_compile_update, related, {rel.field.name: None}))
    out += _statements(partial(_compile_delete, qs))
    return out


def erasure_statements(user_id: int, now: datetime) -> list[Statement]:
    """Raw statements that erase one person by the register's rules: held rows get a legal
    hold, anonymised and held rows their replacement values, deleted rows (and their
    cascades) are deleted, the person last. Not included: the erasure ledger line and the
    audit event the engine writes (one row each)."""
    from lyceum.privacy.register import ErasureAction, register

    rank = {ErasureAction.HOLD: 0, ErasureAction.ANONYMISE: 1, ErasureAction.DELETE: 2}
    entries = sorted(
        register.entries.values(),
        key=lambda e: (e.subject == "pk", rank[e.erasure.action], e.label),
    )
    out: list[Statement] = []
    # Entries deleted before the person, by the foreign key that leads to them: the person's
    # own delete need not look there again.
    done = frozenset(
        (e.label, e.subject.split("__")[0])
        for e in entries
        if e.erasure.action == ErasureAction.DELETE and e.subject and e.subject != "pk"
    )
    for entry in entries:
        if entry.subject is None and entry.also is None:
            continue  # rows no person leads to (processor notices after an erasure)
        rows = entry.rows_of(user_id)
        action = entry.erasure.action
        if action == ErasureAction.DELETE:
            out += _delete_statements(rows, done=done if entry.subject == "pk" else frozenset())
            continue
        if action == ErasureAction.HOLD and entry.erasure.hold_for:
            anchor = entry.erasure.hold_from
            keys = rows.order_by().values_list("pk", *([anchor] if anchor else []))
            meta = entry.model._meta
            hold = Hold(
                label=entry.label,
                now=now,
                hold_for=entry.erasure.hold_for,
                hold_from=anchor,
                table=str(meta.db_table),
                pk_column=str(meta.pk.column),
            )
            out += [
                Statement(s.sql, s.params, hold=hold)
                for s in _statements(partial(_compile_select, keys))
            ]
        if entry.erasure.replacements:
            replacements = dict(entry.erasure.replacements)
            out += _statements(partial(_compile_update, rows, replacements))
    return out


def run_statements(statements: list[Statement]) -> int:
    from django.db import connection, transaction

    touched = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            touched += statement.run(cursor)
    return touched


# ------------------------------------------------------------------ checks of erasure


def snapshot(user_id: int) -> dict[str, list[Any]]:
    """The keys of one person's rows, entry by entry (to check afterwards what became of them)."""
    from lyceum.privacy.register import register

    return {
        label: list(entry.rows_of(user_id).order_by().values_list("pk", flat=True))
        for label, entry in register.entries.items()
    }


def leftovers(before: dict[str, list[Any]]) -> dict[str, int]:
    """What an erasure failed to do: rows still there, values not replaced, holds missing."""
    from django.db.models import Q

    from lyceum.privacy.models import LegalHold
    from lyceum.privacy.register import ErasureAction, register

    problems: dict[str, int] = {}
    for label, keys in before.items():
        if not keys:
            continue
        entry = register.entries[label]
        rows = entry.model._base_manager.filter(pk__in=keys)
        if entry.erasure.action == ErasureAction.DELETE:
            left = rows.count()
        else:
            left = (
                rows.exclude(Q(**entry.erasure.replacements)).count()
                if (entry.erasure.replacements)
                else 0
            )
            if entry.erasure.action == ErasureAction.HOLD and entry.erasure.hold_for:
                # Every row still there is held (rows whose hold had already ended are gone).
                held = LegalHold.objects.filter(
                    entry=label, object_id__in=[str(k) for k in keys]
                ).count()
                left += max(0, rows.count() - held)
        if left:
            problems[label] = left
    return problems


# --------------------------------------------------------------------------- phases


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


@dataclass
class Series:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def add(self, wall: float, cpu: float, rows: int) -> None:
        self.wall.append(wall * 1000)
        self.cpu.append(cpu * 1000)
        self.rows.append(rows)

    def as_json(self) -> dict[str, Any]:
        return {
            "ms": _summary(self.wall),
            "cpu_ms": _summary(self.cpu),
            "rows_median": statistics.median(self.rows) if self.rows else None,
            "rows_max": max(self.rows) if self.rows else None,
            "runs_ms": [round(v, 3) for v in self.wall],
        }


def _timed(action: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = action()
    return result, time.perf_counter() - wall, _cpu() - cpu


def _export_rows(archive: bytes) -> int:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        document = json.loads(z.read("data.json"))
    return sum(len(s["rows"]) for s in document["sections"])


def phase_export(people: list[int], warm: list[int]) -> dict[str, Any]:
    from lyceum.accounts.models import User
    from lyceum.privacy.export import export_archive
    from lyceum.privacy.models import AuditEvent
    from lyceum.privacy.register import register

    engine, baseline, profile = Series(), Series(), StatementProfile()
    mismatches: list[dict[str, Any]] = []
    sizes: list[int] = []
    audit = register.entries[AuditEvent._meta.label]
    for i, uid in enumerate(warm + people):
        measured = i >= len(warm)
        user = User.objects.get(pk=uid)
        statements = export_statements(uid)
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        def run_engine(user: Any = user, measured: bool = measured) -> bytes:
            if not measured:
                return export_archive(user=user, actor=None)
            with profile.measure():
                return export_archive(user=user, actor=None)

        def run_baseline(statements: list[Statement] = statements) -> int:
            from django.db import connection

            with connection.cursor() as cursor:
                return sum(s.run(cursor) for s in statements)

        turns: list[tuple[str, Callable[[], Any]]] = [
            ("engine", run_engine),
            ("baseline", run_baseline),
        ]
        if i % 2:
            turns.reverse()  # take turns at going first: neither always gets the warm cache
        results = {name: _timed(action) for name, action in turns}
        if not measured:
            continue
        archive, wall, cpu = results["engine"]
        rows = _export_rows(archive)
        engine.add(wall, cpu, rows)
        sizes.append(len(archive))
        read, wall, cpu = results["baseline"]
        baseline.add(wall, cpu, read)
        # The export logs itself in the audit log: a baseline that ran after it reads that too.
        logged = (
            audit.rows_of(uid).filter(pk__gt=last_event).count() if turns[0][0] == "engine" else 0
        )
        if read != rows + logged:
            mismatches.append({"user": uid, "export_rows": rows, "baseline_rows": read})
    return {
        "engine": engine.as_json(),
        "baseline": baseline.as_json(),
        "archive_bytes_median": statistics.median(sizes) if sizes else None,
        "profile": profile.top(),
        "check_failures": mismatches,
    }


def phase_erasure(
    engine_people: list[int], baseline_people: list[int], warm: int
) -> dict[str, Any]:
    from django.utils import timezone

    from lyceum.privacy.erasure import erase

    engine, baseline, profile = Series(), Series(), StatementProfile()
    failures: list[dict[str, Any]] = []
    for i, (a, b) in enumerate(zip(engine_people, baseline_people, strict=True)):
        measured = i >= warm
        before_a, before_b = snapshot(a), snapshot(b)
        statements = erasure_statements(b, timezone.now())

        def run_engine(a: int = a, measured: bool = measured) -> int:
            if not measured:
                return sum(item.count for item in erase(a))
            with profile.measure():
                return sum(item.count for item in erase(a))

        turns: list[tuple[str, Callable[[], Any]]] = [
            ("engine", run_engine),
            ("baseline", lambda s=statements: run_statements(s)),  # type: ignore[misc]
        ]
        if i % 2:
            turns.reverse()
        results = {name: _timed(action) for name, action in turns}
        for who, before in (("engine", before_a), ("baseline", before_b)):
            left = leftovers(before)
            if left:
                failures.append({"by": who, "user": a if who == "engine" else b, "left": left})
        if measured:
            engine.add(results["engine"][1], results["engine"][2], results["engine"][0])
            baseline.add(results["baseline"][1], results["baseline"][2], results["baseline"][0])
    return {
        "engine": engine.as_json(),
        "baseline": baseline.as_json(),
        "profile": profile.top(),
        "check_failures": failures,
    }


def _expired_rows(entry: Any, now: datetime) -> Any:
    """The rows past an entry's retention rule, by the rules the sweep applies: rows already
    anonymised are done, and a restricted person's rows are kept (legal holds aside: none
    in this data)."""
    from django.db.models import Q

    from lyceum.privacy.models import ProcessingLimit

    rule = entry.retention
    rows = entry.model._base_manager.filter(**{f"{rule.anchor_field}__lt": now - rule.period})
    if rule.anonymise:
        rows = rows.exclude(Q(**rule.anonymise))
    if entry.subject is not None:
        restricted = ProcessingLimit.objects.filter(
            kind=ProcessingLimit.Kind.RESTRICTION, lifted_at=None
        ).values("user_id")
        rows = rows.exclude(**{f"{entry.subject}__in": restricted})
    return rows


def _settle(tables: list[str]) -> None:
    """The same starting state before each measured sweep: SQLite's write-ahead log folded
    into the database; PostgreSQL's dead rows vacuumed and statistics fresh."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def _counts(results: list[dict[str, Any]]) -> dict[str, int]:
    return {r["entry"]: r["count"] for r in results if r["action"] != "hold_ended"}


def phase_sweep(expected: dict[str, int]) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from lyceum.privacy.register import Register, register
    from lyceum.privacy.retention import sweep

    quote = connection.ops.quote_name
    now = timezone.now()
    dry, dry_wall, _ = _timed(lambda: sweep(dry_run=True, now=now))
    found = _counts(dry.results)
    failures: list[str] = []
    if found != {k: v for k, v in expected.items() if v}:
        failures.append(f"dry run found {found}, seeded {expected}")
    labels = sorted(found)
    entries = [register.entries[label] for label in labels]
    tables = [e.model._meta.db_table for e in entries]

    # An identical copy of the expired rows, to put back between the baseline and the engine.
    saved = []
    with transaction.atomic(), connection.cursor() as cursor:
        for i, entry in enumerate(entries):
            columns = [str(f.column) for f in entry.model._meta.concrete_fields]
            name = f"{SAVED_PREFIX}{i}"
            cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")
            sql_text, params = _compile_select(
                _expired_rows(entry, now)
                .order_by()
                .values_list(*[f.attname for f in entry.model._meta.concrete_fields])
            )
            cursor.execute(f"CREATE TABLE {quote(name)} AS {sql_text}", params)
            saved.append((entry, name, columns))

    rows: list[dict[str, Any]] = []
    _settle(tables)
    load_before = _load()
    for entry in entries:
        rule = entry.retention
        qs = _expired_rows(entry, now)
        if rule.anonymise:
            statement = Statement(*_compile_update(qs, dict(rule.anonymise)))
        else:
            statement = Statement(*_compile_delete(qs))
        touched, wall, cpu = _timed(partial(run_statements, [statement]))
        rows.append(
            {
                "entry": entry.label,
                "action": "anonymised" if rule.anonymise else "deleted",
                "baseline_rows": touched,
                "baseline_s": wall,
                "baseline_cpu_s": cpu,
                "baseline_sql": statement.sql[:300],
            }
        )
    left = _counts(sweep(dry_run=True, now=now).results)
    if left:
        failures.append(f"the baseline left expired rows: {left}")

    # Put the same rows back, as they were.
    with transaction.atomic(), connection.cursor() as cursor:
        for entry, name, columns in saved:
            meta = entry.model._meta
            table, pk = str(meta.db_table), str(meta.pk.column)
            if entry.retention.anonymise:
                fields = [str(meta.get_field(f).column) for f in entry.retention.anonymise]  # type: ignore[union-attr]
                sets = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in fields)
                cursor.execute(
                    f"UPDATE {quote(table)} SET {sets} FROM {quote(name)} AS s "  # noqa: S608
                    f"WHERE {quote(table)}.{quote(pk)} = s.{quote(pk)}"
                )
            else:
                cols = ", ".join(quote(c) for c in columns)
                cursor.execute(
                    f"INSERT INTO {quote(table)} ({cols}) SELECT {cols} FROM {quote(name)}"  # noqa: S608
                )
    again = _counts(sweep(dry_run=True, now=now).results)
    if again != found:
        failures.append(f"restoring the copy gave {again}, not {found}")

    _settle(tables)
    profile = StatementProfile()
    for row, entry in zip(rows, entries, strict=True):
        only = Register(entries={entry.label: entry})
        with profile.measure():
            run, wall, cpu = _timed(partial(sweep, now=now, reg=only))
        row.update(
            rows=_counts(run.results).get(entry.label, 0),
            engine_s=wall,
            engine_cpu_s=cpu,
        )
    # Every other entry: nothing expired, but each is still looked at.
    with profile.measure():
        run, rest_wall, rest_cpu = _timed(lambda: sweep(now=now))
    left = _counts(run.results)
    if left:
        failures.append(f"the sweep left expired rows: {left}")
    for row in rows:
        if row["rows"] != row["baseline_rows"]:
            failures.append(f"{row['entry']}: sweep {row['rows']}, baseline {row['baseline_rows']}")
    with connection.cursor() as cursor:
        for _, name, _ in saved:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")
    return {
        "now": now.isoformat(),
        "dry_run_s": dry_wall,
        "entries": rows,
        "other_entries_s": rest_wall,
        "other_entries_cpu_s": rest_cpu,
        "total_rows": sum(r["rows"] for r in rows),
        "engine_s": sum(r["engine_s"] for r in rows) + rest_wall,
        "baseline_s": sum(r["baseline_s"] for r in rows),
        "load_average": [load_before, _load()],
        "profile": profile.top(6),
        "check_failures": failures,
    }


# ------------------------------------------------------------------ databases, cache


def _cache_key(size: int, options: Options) -> str:
    from bench.privacy_seed import fingerprint

    day = datetime.now(UTC).strftime("%Y%m%d")  # seeded times are relative to the day
    return f"{size}_{options.seed}_{day}_{fingerprint()}"


def _pg_admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True)


def _pg_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(
            f"--database-url: the database name must contain 'bench' ({name!r}): "
            "it is dropped and created again"
        )
    return name


def _pg_template(name: str, key: str) -> str:
    """The cached seeded database of one size: named after the scratch database, so that
    runs on different scratch databases do not share (or drop) each other's."""
    return f"{name}_c{key}"[:63]


def _pg_exists(cur: Any, name: str) -> bool:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cur.fetchone() is not None


def prepare_database(size: int, options: Options, env: dict[str, str]) -> str | None:
    """Before Django starts: an empty scratch database, or a copy of a cached seeded one.
    Returns the cache's name when one was used."""
    key = _cache_key(size, options)
    if not options.database_url:
        path = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
        cached = CACHE / f"privacy-{key}.sqlite3"
        if options.cache and cached.exists():
            shutil.copyfile(cached, path)
            return str(cached.relative_to(ROOT))
        return None
    name = _pg_name(options.database_url)
    template = _pg_template(name, key)
    from psycopg import sql

    with _pg_admin(options.database_url) as admin, admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if options.cache and _pg_exists(cur, template):
            cur.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
            return template
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return None


def store_cache(size: int, options: Options, env: dict[str, str]) -> str | None:
    """After seeding: keep a copy for the next run today (older copies of this size go)."""
    from django.db import connection, connections

    if not options.cache:
        return None
    key = _cache_key(size, options)
    if not options.database_url:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connections.close_all()
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"privacy-{size}_*.sqlite3"):
            old.unlink()
        path = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
        target = CACHE / f"privacy-{key}.sqlite3"
        partial_copy = target.with_suffix(f".{os.getpid()}.part")
        shutil.copyfile(path, partial_copy)
        os.replace(partial_copy, target)  # a run reading the cache sees a whole file or none
        return str(target.relative_to(ROOT))
    from psycopg import sql

    connections.close_all()
    name = _pg_name(options.database_url)
    template = _pg_template(name, key)
    with _pg_admin(options.database_url) as admin, admin.cursor() as cur:
        cur.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [_pg_template(name, f"{size}").replace("_", "\\_") + "\\_%"],
        )
        for (old,) in cur.fetchall():
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))
        cur.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(template), sql.Identifier(name)
            )
        )
    return template


# --------------------------------------------------------------------------- worker


def worker(size: int, options: Options, out: Path) -> None:
    """One number of people, in its own process (Django is set up once per database)."""
    env = dict(os.environ)
    cached = prepare_database(size, options, env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.privacy_seed import EMAIL_DOMAIN, seed_expired, seed_people
    from lyceum.accounts.models import User

    report: dict[str, Any] = {"users": size, "vendor": connection.vendor}
    started = time.perf_counter()
    if cached:
        _log(f"[{size:,} people] using the database seeded earlier today: {cached}")
        call_command("migrate", verbosity=0, interactive=False)  # a no-op, as a check
        report["seed"] = {"cached": cached}
    else:
        _log(f"[{size:,} people] migrating and seeding a scratch database")
        call_command("migrate", verbosity=0, interactive=False)
        people = seed_people(size, seed=options.seed)
        _analyze()
        report["seed"] = {"people": people, "seconds": round(time.perf_counter() - started, 1)}
        report["seed"]["stored_as"] = store_cache(size, options, env)
    report["seed"]["ready_s"] = round(time.perf_counter() - started, 1)
    report["rows"] = _table_counts()

    ids = list(
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    wanted = 3 * (options.sample + options.warmup)
    if len(ids) < wanted:
        raise SystemExit(f"{size} people are too few for --sample {options.sample}")
    chosen = random.Random(options.seed * 1_000_003 + size).sample(ids, wanted)
    w, s = options.warmup, options.sample
    export_people = chosen[: w + s]
    erased = chosen[w + s : 2 * (w + s)]
    erased_by_sql = chosen[2 * (w + s) :]

    _log(f"[{size:,} people] export: {s} people (and {w} to warm up)")
    report["load_average"] = {"start": _load()}
    report["export"] = phase_export(export_people[w:], export_people[:w])
    _log(f"[{size:,} people] erasure: {s} + {s} people (and {w} + {w} to warm up)")
    report["erasure"] = phase_erasure(erased, erased_by_sql, w)
    report["load_average"]["after_erasure"] = _load()
    if options.sweep_rows:
        # Seeded only now, so that the people measured above have rows in proportion to them
        # whatever the number of people (a fixed million rows would not be).
        _log(f"[{size:,} people] seeding {options.sweep_rows:,} expired rows")
        expired = seed_expired(options.sweep_rows, seed=options.seed + 1)
        _analyze()
        report["seed"]["expired"] = expired
        report["rows_at_sweep"] = _table_counts()
        _log(f"[{size:,} people] retention sweep of {options.sweep_rows:,} expired rows")
        report["sweep"] = phase_sweep(expired["rows"])
    report["load_average"]["end"] = _load()
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    out.write_text(json.dumps(report, indent=1, default=str))


def _analyze() -> None:
    """PostgreSQL: fresh statistics after bulk loading, as autovacuum would soon give them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _table_counts() -> dict[str, int]:
    from lyceum.privacy.register import register

    return {
        label: entry.model._base_manager.count()
        for label, entry in sorted(register.entries.items())
    }


# --------------------------------------------------------------------------- parent


def _worker_env(work: Path, options: Options) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing from the caller's install may leak in: a scratch database only.
        if not key.startswith(("LYCEUM_", "DATABASE_", "REDIS_", "EMAIL_URL", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        LYCEUM_VAR_DIR=str(work),
        LYCEUM_ENV="development",
        LYCEUM_DEBUG="false",  # no query log kept in memory
        LYCEUM_JOBS_IMMEDIATE="true",  # queued jobs (mail) run inline
        LYCEUM_FIELD_KEYS=_bench_key("field"),
        LYCEUM_BACKUP_KEY=_bench_key("backup"),
        SECRET_KEY="bench-" + hashlib.sha256(b"lyceum-bench-secret").hexdigest(),
        DATABASE_URL=options.database_url or f"sqlite:///{work / 'bench.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _code_version() -> str:
    """The commit measured, and whether the engine had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "lyceum", "config"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return commit + (" (with uncommitted changes to lyceum/ or config/)" if dirty else "")


def _machine(options: Options) -> dict[str, Any]:
    import django

    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "load_average_at_start": _load(),
        "code": _code_version(),
    }
    if options.database_url:
        try:
            with _pg_admin(options.database_url) as admin, admin.cursor() as cur:
                cur.execute("SHOW server_version")
                info["database"] = "PostgreSQL " + cur.fetchone()[0]
        except Exception as error:  # only a description
            info["database"] = f"PostgreSQL (version unknown: {error})"
    else:
        import sqlite3

        info["database"] = f"SQLite {sqlite3.sqlite_version} (temporary file, WAL)"
    return info


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or a != a or b != b:
        return None
    return a / b


def print_tables(report: dict[str, Any]) -> None:
    sizes = report["sizes"]
    print(
        "\nExport and erasure of one person: median and p95 over "
        f"{report['settings']['sample']} people; baseline: raw SQL on the same rows, same run"
    )
    head = (
        f"{'people':>9}  {'operation':<9}  {'median ms':>9}  {'p95 ms':>8}  "
        f"{'base med ms':>11}  {'base p95 ms':>11}  {'ratio':>6}  {'CPU ratio':>9}  "
        f"{'rows':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in sizes:
        for op in ("export", "erasure"):
            e, b = r[op]["engine"], r[op]["baseline"]
            print(
                f"{r['users']:>9,}  {op:<9}  {_fmt(e['ms']['median']):>9}  "
                f"{_fmt(e['ms']['p95']):>8}  "
                f"{_fmt(b['ms']['median'], 2):>11}  {_fmt(b['ms']['p95'], 2):>11}  "
                f"{_fmt(r[op]['ratio'], 1):>6}  {_fmt(r[op]['cpu_ratio'], 1):>9}  "
                f"{_fmt(e['rows_median'], 0):>5}"
            )
    growth = report["growth"]
    if growth:
        print(
            f"\nGrowth from {growth['from_users']:,} to {growth['to_users']:,} people "
            "(median at the largest size over the smallest; 1.00 is flat):"
        )
        print(f"{'operation':<9}  {'engine x':>8}  {'baseline x':>10}  {'p95 x':>6}")
        for op in ("export", "erasure"):
            g = growth[op]
            print(
                f"{op:<9}  {_fmt(g['engine'], 2):>8}  {_fmt(g['baseline'], 2):>10}  "
                f"{_fmt(g['engine_p95'], 2):>6}"
            )
    sweeps = [r for r in sizes if r.get("sweep")]
    if sweeps:
        print(
            "\nRetention sweep: sweep() per kind of row, beside one raw DELETE or UPDATE of an "
            "identical copy of the same rows"
        )
        head = (
            f"{'people':>9}  {'entry':<21}  {'action':<10}  {'rows':>9}  {'seconds':>8}  "
            f"{'rows/s':>9}  {'base s':>7}  {'ratio':>6}"
        )
        print(head)
        print("-" * len(head))
        for r in sweeps:
            s = r["sweep"]
            for e in s["entries"]:
                print(
                    f"{r['users']:>9,}  {e['entry']:<21}  {e['action']:<10}  {e['rows']:>9,}  "
                    f"{e['engine_s']:>8.2f}  {_fmt(_ratio(e['rows'], e['engine_s']), 0):>9}  "
                    f"{e['baseline_s']:>7.2f}  {_fmt(_ratio(e['engine_s'], e['baseline_s']), 1):>6}"
                )
            print(
                f"{r['users']:>9,}  {'(every other entry)':<21}  {'-':<10}  {0:>9,}  "
                f"{s['other_entries_s']:>8.2f}"
            )
            print(
                f"{r['users']:>9,}  {'total':<21}  {'':<10}  {s['total_rows']:>9,}  "
                f"{s['engine_s']:>8.2f}  {_fmt(_ratio(s['total_rows'], s['engine_s']), 0):>9}  "
                f"{s['baseline_s']:>7.2f}  {_fmt(_ratio(s['engine_s'], s['baseline_s']), 1):>6}"
            )
        if growth and growth.get("sweep"):
            g = growth["sweep"]
            print(
                f"Growth of the sweep from {growth['from_users']:,} to {growth['to_users']:,} "
                f"people, same expired rows: engine x{_fmt(g['engine'], 2)}, "
                f"baseline x{_fmt(g['baseline'], 2)}"
            )
    print("\nSeeding (the people and their rows; the expired rows after export and erasure):")
    for r in sizes:
        seed = r["seed"]
        how = (
            f"copied from the cache ({seed['cached']})"
            if seed.get("cached")
            else f"seeded in {seed['seconds']:.0f}s"
        )
        rows = r["rows"]
        expired = seed.get("expired")
        print(
            f"  {r['users']:>9,} people: {how}, ready in {seed['ready_s']:.0f}s: "
            f"{rows.get('accounts.User', 0):,} users, "
            f"{rows.get('privacy.AuditEvent', 0):,} audit events, "
            f"{rows.get('accounts.UserSession', 0):,} sessions, "
            f"{rows.get('account.EmailAddress', 0):,} email addresses, "
            f"{rows.get('admin.LogEntry', 0):,} admin log entries"
            + (
                f"; {sum(expired['rows'].values()):,} expired rows seeded in "
                f"{expired['seconds']:.0f}s"
                if expired
                else ""
            )
        )
    last = sizes[-1]
    print(
        f"\nWhere the engine's time goes at {last['users']:,} people, by SQL statement: share "
        "of the time from each statement's start to the next one's (its fetch, and the Python "
        "in between, e.g. an export's rendering and zipping after its last SELECT), and the "
        "time inside execute per call:"
    )
    for op in ("export", "erasure", "sweep"):
        if not last.get(op):
            continue
        for p in last[op]["profile"][:3]:
            share = p["share_of_time"] or 0
            per_call = p["execute_s"] / p["count"] * 1000 if p["count"] else 0
            sql = re.sub(r'"[a-z_]+"\."', '"', p["sql"])[:120]
            print(f"  {op:<7} {share * 100:5.1f}%  {per_call:8.2f} ms x{p['count']:<5} {sql}")


def summarise(size_reports: list[dict[str, Any]]) -> dict[str, Any]:
    for r in size_reports:
        for op in ("export", "erasure"):
            e, b = r[op]["engine"], r[op]["baseline"]
            r[op]["ratio"] = _ratio(e["ms"]["median"], b["ms"]["median"])
            r[op]["cpu_ratio"] = _ratio(e["cpu_ms"]["median"], b["cpu_ms"]["median"])
    growth: dict[str, Any] = {}
    if len(size_reports) > 1:
        first, last = size_reports[0], size_reports[-1]
        growth = {"from_users": first["users"], "to_users": last["users"]}
        for op in ("export", "erasure"):
            growth[op] = {
                "engine": _ratio(
                    last[op]["engine"]["ms"]["median"], first[op]["engine"]["ms"]["median"]
                ),
                "baseline": _ratio(
                    last[op]["baseline"]["ms"]["median"], first[op]["baseline"]["ms"]["median"]
                ),
                "engine_p95": _ratio(
                    last[op]["engine"]["ms"]["p95"], first[op]["engine"]["ms"]["p95"]
                ),
                "engine_cpu": _ratio(
                    last[op]["engine"]["cpu_ms"]["median"], first[op]["engine"]["cpu_ms"]["median"]
                ),
            }
        if first.get("sweep") and last.get("sweep"):
            growth["sweep"] = {
                "engine": _ratio(last["sweep"]["engine_s"], first["sweep"]["engine_s"]),
                "baseline": _ratio(last["sweep"]["baseline_s"], first["sweep"]["baseline_s"]),
            }
    return growth


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    options = _options(args)
    if args.worker is not None:
        if args.worker_output is None:
            parser.error("--worker needs --worker-output")
        worker(args.worker, options, args.worker_output)
        return 0
    if options.sample < 1:
        parser.error("--sample must be at least 1")
    if options.database_url:
        _pg_name(options.database_url)

    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        if child is not None and child.poll() is None:
            child.terminate()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    machine = _machine(options)
    started = time.monotonic()
    print(
        "Privacy engine: export and erasure of one person, retention sweep; each beside "
        "raw SQL on the same rows"
    )
    print(
        f"Machine: {machine['cpus']} CPUs, Python {machine['python']}, Django "
        f"{machine['django']}, {machine['database']}; commit {machine['code']}; load average "
        + ", ".join(f"{v:.2f}" for v in machine["load_average_at_start"])
    )
    print(
        f"People: {', '.join(f'{n:,}' for n in options.users)}; sample {options.sample} per "
        f"operation (+{options.warmup} to warm up); sweep of {options.sweep_rows:,} expired "
        "rows per size. Progress on stderr.",
        flush=True,
    )
    reports: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lyceum-privacy-bench-") as tmp:
        for size in options.users:
            work = Path(tmp) / str(size)
            work.mkdir()
            out = work / "result.json"
            command = [
                sys.executable,
                "-m",
                "bench.privacy",
                "--worker",
                str(size),
                "--worker-output",
                str(out),
                *(argv if argv is not None else sys.argv[1:]),
            ]
            child = subprocess.Popen(command, cwd=ROOT, env=_worker_env(work, options))
            code = child.wait()
            if code:
                print(f"The benchmark at {size:,} people failed (exit status {code}).")
                return 1
            reports.append(json.loads(out.read_text()))
    growth = summarise(reports)
    failures = [
        f"{r['users']} people, {op}: {failure}"
        for r in reports
        for op in ("export", "erasure", "sweep")
        if r.get(op)
        for failure in r[op]["check_failures"]
    ]
    report = {
        "benchmark": "privacy",
        "description": __doc__,
        "machine": machine,
        "settings": {
            "users": options.users,
            "sample": options.sample,
            "warmup": options.warmup,
            "sweep_rows": options.sweep_rows,
            "database": "postgresql" if options.database_url else "sqlite",
            "seed": options.seed,
        },
        "sizes": reports,
        "growth": growth,
        "check_failures": failures,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    print_tables(report)
    output = options.output or RESULTS / f"privacy-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"\nWrote {output} ({report['elapsed_s']:.0f}s in all).")
    if failures:
        print(f"CHECKS FAILED ({len(failures)}): the engine and its baseline did not do the same:")
        for failure in failures[:20]:
            print("  " + failure)
        return 1
    over = _over_limits(report, options)
    if over:
        print("OVER THE LIMITS: " + "; ".join(over))
        return 3
    return 0


def _over_limits(report: dict[str, Any], options: Options) -> list[str]:
    over = []
    if options.max_ratio is not None:
        for r in report["sizes"]:
            for op in ("export", "erasure"):
                ratio = r[op]["ratio"]
                if ratio is not None and ratio > options.max_ratio:
                    over.append(f"{op} at {r['users']:,} people: ratio {ratio:.1f}")
    growth = report["growth"]
    if options.max_growth is not None and growth:
        for op in ("export", "erasure"):
            factor = growth[op]["engine"]
            if factor is not None and factor > options.max_growth:
                over.append(f"{op} grows x{factor:.2f}")
    return over


if __name__ == "__main__":
    sys.exit(main())
