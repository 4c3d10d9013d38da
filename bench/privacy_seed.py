"""Seed a scratch database for the privacy benchmark (``bench/privacy.py``).

``seed_people(n)`` writes n people with realistic related rows, as a school that has run
for two years and sweeps its retention rules every day would hold them:

- the person (one password hash, computed once, shared by all);
- 1 verified email address, and a second one for a quarter of them;
- 1-3 unexpired sign-in sessions;
- ~20 audit events, in one time-ordered, valid hash chain (``lyceum audit verify``
  passes): sign-up, sign-ins and sign-outs, failed sign-ins, password and email changes,
  staff looking at their account; organisation admins are also the actor of events about
  their members. Events younger than 89 days carry an IP address and a user agent; older
  ones were already anonymised by earlier sweeps (what the daily sweep leaves behind);
- a membership of one of 100 organisations for 30% (one admin per organisation);
- 0-3 back-office (admin) log entries about them, made by one of 10 staff members, all
  within the last year;
- for a few: a copy of their data (ready, not expired), a rights request (3%),
  an objection to marketing (2%), a second factor (5%), a Google sign-in (8%).

Nothing seeded by ``seed_people`` is expired, with a margin of a day, so a retention sweep
finds exactly what ``seed_expired(rows)`` adds: half expired sign-in sessions (the sweep
deletes them) and half audit events 91-180 days old that still carry an IP address and a
user agent (the sweep anonymises them), appended to the same chain.

Everything is written with ``bulk_create`` in batches, in a few transactions, and is
deterministic for a given ``seed``. Run in the benchmark's environment (scratch database):
``python -m bench.privacy_seed --users 1000 --sweep-rows 10000``.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

EMAIL_DOMAIN = "privacy-bench.example"
STAFF_DOMAIN = "staff.privacy-bench.example"
BATCH = 2000
EVENT_BATCH = 5000
DAY = 86_400
HISTORY_DAYS = 730  # how long the school has been running
ANONYMISED_AFTER_DAYS = 89  # the rule is 90 days: one day of margin for a cached database

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
]
FIRST_NAMES = [
    "Amélie", "Bohdan", "Chloé", "Daria", "Élise", "Farid", "Gaspard", "Hanna", "Inès",
    "Jules", "Kateryna", "Léo", "Maya", "Nathan", "Olena", "Paul", "Quentin", "Rosa",
    "Sofia", "Taras", "Ulysse", "Vera", "William", "Yana", "Zoé",
]  # fmt: skip
LAST_NAMES = [
    "Bernard", "Bondarenko", "Dubois", "Durand", "Fontaine", "Garcia", "Kovalenko",
    "Lefebvre", "Leroy", "Martin", "Melnyk", "Moreau", "Petit", "Richard", "Roux",
    "Shevchenko", "Smith", "Tkachenko", "Girard", "Morel",
]  # fmt: skip
TIME_ZONES = ["Europe/Paris", "Europe/Kyiv", "Europe/London", "UTC", "America/Montreal"]
LANGUAGES = ["en"] * 6 + ["fr"] * 3 + ["uk"] * 2

# Audit event kinds for one person, by weight (as subject; "staff.viewed" has a staff actor).
EVENT_KINDS = [
    ("signin", 45),
    ("signout", 15),
    ("signin.failed", 10),
    ("password.changed", 4),
    ("email.added", 3),
    ("staff.viewed", 5),
    ("privacy.export.requested", 1),
]
KIND_SIGNUP, KIND_CONFIRMED, KIND_MEMBERSHIP, KIND_MEMBERS_VIEWED = 60, 61, 62, 63


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ip(n: int) -> str:
    """A person's usual address (documentation ranges: nobody's real address), written as
    the database gives it back."""
    if n % 7 == 0:
        return str(ipaddress.IPv6Address(f"2001:db8:{n % 65536:x}::{(n * 7919) % 65536:x}"))
    block = ("192.0.2", "198.51.100", "203.0.113")[n % 3]
    return f"{block}.{n % 250 + 1}"


def _pick(n: int, j: int, count: int) -> int:
    """A cheap deterministic choice among ``count`` for event ``j`` of person ``n``."""
    return ((n * 2_654_435_761) ^ (j * 40_503)) % count


@contextmanager
def _big_cache() -> Iterator[None]:
    """SQLite: a 256 MB page cache while seeding (random inserts into the unique indexes
    thrash the default 2 MB one); the default again afterwards, for the measurements."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _batches(total: int, size: int) -> Iterator[range]:
    for first in range(0, total, size):
        yield range(first, min(first + size, total))


class _Event:
    """What ``_event_hash`` reads of an event (cheaper than a model instance)."""

    __slots__ = (
        "action",
        "actor_id",
        "changed_fields",
        "created_at",
        "id",
        "origin_digest",
        "subject_id",
        "target_id",
        "target_type",
    )

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


class Chain:
    """Appends audit events to the real hash chain (``lyceum audit verify`` passes), in bulk:
    plain ``executemany`` of the values the ORM would write (one writer: a scratch database)."""

    def __init__(self) -> None:
        from django.db import connection

        from lyceum.privacy.models import AuditEvent, AuditHead

        head, _ = AuditHead.objects.get_or_create(id=1)
        self.head = head
        self.last_id, self.last_hash, self.count = head.last_id, head.last_hash, head.count
        self.pending: list[tuple[Any, ...]] = []
        self.written = 0
        self.connection = connection
        fields = AuditEvent._meta.concrete_fields
        self.columns = [f.attname for f in fields]
        # Fields the generator does not set take their default, prepared once.
        self.defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
        quote = connection.ops.quote_name
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(str(AuditEvent._meta.db_table)),
            ", ".join(quote(str(f.column)) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )

    def add(
        self,
        *,
        created_at: datetime,
        action: str,
        actor: int | None,
        subject: int | None,
        target_type: str,
        target_id: str,
        ip: str | None,
        agent: str,
        anonymised: bool,
    ) -> None:
        from lyceum.privacy.audit import _event_hash, _origin_digest

        salt = os.urandom(16).hex() if (ip or agent) else ""
        digest = _origin_digest(salt, ip, agent) if salt else ""
        if anonymised:  # what the sweep does: the three blanked together, the digest kept
            ip, agent, salt = None, "", ""
        event_id = self.last_id + 1
        event = _Event(
            id=event_id,
            created_at=created_at,
            actor_id=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            subject_id=subject,
            changed_fields=[],
            origin_digest=digest,
        )
        event_hash = _event_hash(self.last_hash, event)  # type: ignore[arg-type]
        values = {
            **self.defaults,
            "id": event_id,
            "created_at": self.connection.ops.adapt_datetimefield_value(created_at),
            "actor_id": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "subject_id": subject,
            "ip": ip,
            "user_agent": agent,
            "origin_salt": salt,
            "origin_digest": digest,
            "prev_hash": self.last_hash,
            "hash": event_hash,
        }
        self.pending.append(tuple(values[c] for c in self.columns))
        self.last_id, self.last_hash = event_id, event_hash
        self.count += 1
        if len(self.pending) >= EVENT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.pending)
            self.written += len(self.pending)
            self.pending = []

    def close(self) -> None:
        self.flush()
        self.head.last_id, self.head.last_hash, self.head.count = (
            self.last_id,
            self.last_hash,
            self.count,
        )
        self.head.save(update_fields=["last_id", "last_hash", "count"])


def seed_people(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Write ``users`` people (plus ``staff`` staff members) and their related rows."""
    with _big_cache():
        return _seed_people(*args, **kwargs)


def seed_expired(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Add ``rows`` rows that a retention sweep must handle, belonging to seeded people:
    half expired sign-in sessions, half audit events 91-180 days old with IP and user agent."""
    with _big_cache():
        return _seed_expired(*args, **kwargs)


def _seed_people(
    users: int,
    *,
    staff: int = 10,
    organisations: int = 100,
    seed: int = 1,
    now: datetime | None = None,
    log: Callable[[str], None] = _log,
) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from lyceum.accounts.models import User, UserSession
    from lyceum.accounts.sessions import SessionStore
    from lyceum.orgs.models import Membership, Organisation
    from lyceum.privacy.models import DataExport, ProcessingLimit, RightsRequest

    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or timezone.now()
    start = now - timedelta(days=HISTORY_DAYS)
    password = make_password("privacy-bench-" + os.urandom(8).hex())
    session_data = SessionStore().encode(
        {"_auth_user_id": "1", "_auth_user_backend": "x" * 60, "_auth_user_hash": "0" * 64}
    )
    counts: dict[str, int] = {}

    def count(label: str, n: int) -> None:
        counts[label] = counts.get(label, 0) + n

    with transaction.atomic():
        staff_users = User.objects.bulk_create(
            User(
                email=f"staff{i}@{STAFF_DOMAIN}",
                name=f"Staff Member {i}",
                password=password,
                is_staff=True,
                date_joined=start,
            )
            for i in range(staff)
        )
        staff_ids = [u.pk for u in staff_users]
        orgs = Organisation.objects.bulk_create(
            Organisation(
                name=f"Bench Organisation {i}",
                slug=f"bench-org-{i}",
                kind=Organisation.Kind.COMPANY if i % 3 else Organisation.Kind.INSTITUTION,
            )
            for i in range(organisations)
        )
        count("accounts.User", staff)
    user_ct = ContentType.objects.get_for_model(User)

    ids = array("q")  # person n's user id
    joined = array("d")  # person n's sign-up, in seconds after ``start``
    org_admin: dict[int, int] = {}  # organisation index -> person n of its admin
    member_org: dict[int, int] = {}  # person n -> organisation index
    for numbers in _batches(users, BATCH):
        with transaction.atomic():
            people = []
            for n in numbers:
                since = rng.uniform(0, HISTORY_DAYS * DAY - DAY)
                joined.append(since)
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                people.append(
                    User(
                        email=f"person{n}@{EMAIL_DOMAIN}",
                        name=f"{first} {last}",
                        display_name=first if rng.random() < 0.3 else "",
                        pronouns=rng.choice(["", "", "", "she/her", "he/him", "they/them"]),
                        language=rng.choice(LANGUAGES),
                        time_zone=rng.choice(TIME_ZONES),
                        password=password,
                        date_joined=start + timedelta(seconds=since),
                        last_login=now - timedelta(seconds=rng.uniform(0, 60 * DAY)),
                    )
                )
            people = User.objects.bulk_create(people)
            ids.extend(p.pk for p in people)

            addresses, sessions, memberships, logs = [], [], [], []
            exports, requests, limits, factors, socials = [], [], [], [], []
            for n, person in zip(numbers, people, strict=True):
                addresses.append(
                    EmailAddress(user=person, email=person.email, verified=True, primary=True)
                )
                if rng.random() < 0.25:
                    addresses.append(
                        EmailAddress(
                            user=person,
                            email=f"person{n}.alt@{EMAIL_DOMAIN}",
                            verified=rng.random() < 0.5,
                            primary=False,
                        )
                    )
                for _ in range(rng.randint(1, 3)):
                    sessions.append(
                        UserSession(
                            session_key=os.urandom(16).hex(),
                            session_data=session_data,
                            # A day of margin: still unexpired if the database is reused today.
                            expire_date=now + timedelta(seconds=rng.uniform(1.05 * DAY, 14 * DAY)),
                            user=person,
                        )
                    )
                if rng.random() < 0.3:
                    org = rng.randrange(organisations)
                    admin = org not in org_admin
                    if admin:
                        org_admin[org] = n
                    member_org[n] = org
                    memberships.append(
                        Membership(
                            organisation=orgs[org],
                            user=person,
                            role=Membership.Role.ADMIN if admin else Membership.Role.MEMBER,
                        )
                    )
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    age = rng.uniform(0, 360 * DAY)  # the rule is one year
                    logs.append(
                        LogEntry(
                            action_time=now - timedelta(seconds=age),
                            user_id=rng.choice(staff_ids),
                            content_type_id=user_ct.pk,
                            object_id=str(person.pk),
                            object_repr=person.name[:200],
                            action_flag=CHANGE,
                            change_message=json.dumps(
                                [{"changed": {"fields": ["Display name", "Instructor"]}}]
                            ),
                        )
                    )
                if rng.random() < 0.02:
                    exports.append(
                        DataExport(
                            user=person,
                            status=DataExport.Status.READY,
                            ready_at=now - timedelta(hours=2),
                            expires_at=now + timedelta(seconds=rng.uniform(1.05 * DAY, 7 * DAY)),
                            archive=f"private/exports/{os.urandom(8).hex()}.zip",
                        )
                    )
                if rng.random() < 0.03:
                    asked = now - timedelta(seconds=rng.uniform(10 * DAY, 3 * 365 * DAY - 10 * DAY))
                    requests.append(
                        RightsRequest(
                            kind=RightsRequest.Kind.ACCESS,
                            status=RightsRequest.Status.DONE,
                            user=person,
                            details="Please send me everything you hold about me.",
                            outcome="Sent by email as an archive.",
                            created_at=asked,
                            due_at=asked + timedelta(days=30),
                            completed_at=asked + timedelta(days=2),
                            handled_by_id=rng.choice(staff_ids),
                        )
                    )
                if rng.random() < 0.02:
                    limits.append(
                        ProcessingLimit(
                            user=person,
                            kind=ProcessingLimit.Kind.OBJECTION,
                            purpose="marketing",
                            reason="I do not want offers.",
                        )
                    )
                if rng.random() < 0.05:
                    factors.append(
                        Authenticator(
                            user=person,
                            type=Authenticator.Type.TOTP,
                            data={"secret": os.urandom(20).hex()},
                        )
                    )
                if rng.random() < 0.08:
                    socials.append(
                        SocialAccount(
                            user=person,
                            provider="google",
                            uid=str(rng.getrandbits(64)),
                            extra_data={"email": person.email, "name": person.name},
                        )
                    )
            batches: list[tuple[Any, list[Any]]] = [
                (EmailAddress, addresses),
                (UserSession, sessions),
                (Membership, memberships),
                (LogEntry, logs),
                (DataExport, exports),
                (RightsRequest, requests),
                (ProcessingLimit, limits),
                (Authenticator, factors),
                (SocialAccount, socials),
            ]
            for model, rows in batches:
                model.objects.bulk_create(rows, batch_size=BATCH)
                count(model._meta.label, len(rows))
            count("accounts.User", len(people))
        if numbers.stop % (BATCH * 10) == 0 or numbers.stop == users:
            log(f"  people: {numbers.stop:,}/{users:,} ({time.perf_counter() - started:.0f}s)")

    # Audit events in time order, so ids grow with time as in a real log.
    kinds = [k for k, _ in EVENT_KINDS]
    weights = [w for _, w in EVENT_KINDS]
    horizon = HISTORY_DAYS * DAY
    admins = set(org_admin.values())
    keys: list[int] = []
    for n in range(users):
        since = joined[n]
        keys.append((int(since) << 40) | (n << 16) | (KIND_SIGNUP << 8))
        keys.append((int(since + 90) << 40) | (n << 16) | (KIND_CONFIRMED << 8) | 1)
        j = 2
        if n in member_org and org_admin[member_org[n]] != n:
            added = int(rng.uniform(since, horizon))
            keys.append((added << 40) | (n << 16) | (KIND_MEMBERSHIP << 8) | j)
            j += 1
        if n in admins:
            for _ in range(rng.randint(5, 15)):
                at = int(rng.uniform(since, horizon))
                keys.append((at << 40) | (n << 16) | (KIND_MEMBERS_VIEWED << 8) | j)
                j += 1
        for kind in rng.choices(range(len(kinds)), weights, k=rng.randint(14, 22)):
            at = int(rng.uniform(since, horizon))
            keys.append((at << 40) | (n << 16) | (kind << 8) | min(j, 255))
            j += 1
    keys.sort()
    log(f"  audit events: {len(keys):,} to write ({time.perf_counter() - started:.0f}s)")
    user_label = User._meta.label_lower
    fresh_after = horizon - ANONYMISED_AFTER_DAYS * DAY
    done = 0
    chain = Chain()
    for keys_batch in _batches(len(keys), 50_000):
        with transaction.atomic():
            for key in keys[keys_batch.start : keys_batch.stop]:
                at, n, kind, j = key >> 40, (key >> 16) & 0xFFFFFF, (key >> 8) & 0xFF, key & 0xFF
                uid = ids[n]
                actor: int | None = uid
                subject: int | None = uid
                target_type, target_id = user_label, str(uid)
                ip, agent = _ip(n), USER_AGENTS[n % len(USER_AGENTS)]
                if kind == KIND_SIGNUP:
                    action = "signup"
                elif kind == KIND_CONFIRMED:
                    action = "email.confirmed"
                elif kind == KIND_MEMBERSHIP:
                    action = "membership.added"
                    by = org_admin[member_org[n]]
                    actor = ids[by]
                    ip, agent = _ip(by), USER_AGENTS[by % len(USER_AGENTS)]
                    target_type, target_id = "orgs.membership", ""
                elif kind == KIND_MEMBERS_VIEWED:
                    action, subject = "organisation.members.viewed", None
                    target_type, target_id = "orgs.organisation", str(orgs[member_org[n]].pk)
                else:
                    action = kinds[kind]
                    if action == "signin.failed":
                        actor = None
                        ip = _ip(n + 1 + _pick(n, j, 1000))
                    elif action == "staff.viewed":
                        member = _pick(n, j, len(staff_ids))
                        actor = staff_ids[member]
                        ip, agent = _ip(10_000_000 + member), USER_AGENTS[0]
                chain.add(
                    created_at=start + timedelta(seconds=at),
                    action=action,
                    actor=actor,
                    subject=subject,
                    target_type=target_type,
                    target_id=target_id,
                    ip=ip,
                    agent=agent,
                    anonymised=at < fresh_after,
                )
            chain.close()
        done = keys_batch.stop
        if done % 500_000 == 0 or done == len(keys):
            log(f"  audit events: {done:,}/{len(keys):,} ({time.perf_counter() - started:.0f}s)")
    count("privacy.AuditEvent", chain.written)
    return {
        "users": users,
        "staff_ids": staff_ids,
        "organisations": organisations,
        "rows": counts,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _seed_expired(
    rows: int,
    *,
    seed: int = 2,
    now: datetime | None = None,
    log: Callable[[str], None] = _log,
) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from lyceum.accounts.models import User, UserSession

    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or timezone.now()
    people = list(
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not people:
        raise RuntimeError("seed people first")
    sessions, events = rows // 2, rows - rows // 2
    for numbers in _batches(sessions, 10_000):
        with transaction.atomic():
            UserSession.objects.bulk_create(
                (
                    UserSession(
                        session_key=os.urandom(16).hex(),
                        session_data="e30:bench:expired",
                        expire_date=now - timedelta(seconds=rng.uniform(3600, 60 * DAY)),
                        user_id=rng.choice(people),
                    )
                    for _ in numbers
                ),
                batch_size=BATCH,
            )
    log(f"  expired sessions: {sessions:,} ({time.perf_counter() - started:.0f}s)")
    ages = sorted((rng.uniform(91 * DAY, 180 * DAY) for _ in range(events)), reverse=True)
    label = User._meta.label_lower
    chain = Chain()
    for numbers in _batches(events, 50_000):
        with transaction.atomic():
            for i in numbers:
                uid = people[_pick(i, 7, len(people))]
                chain.add(
                    created_at=now - timedelta(seconds=ages[i]),
                    action="signin",
                    actor=uid,
                    subject=uid,
                    target_type=label,
                    target_id=str(uid),
                    ip=_ip(uid),
                    agent=USER_AGENTS[uid % len(USER_AGENTS)],
                    anonymised=False,
                )
            chain.close()
    log(f"  expired audit events: {events:,} ({time.perf_counter() - started:.0f}s)")
    return {
        "rows": {"accounts.UserSession": sessions, "privacy.AuditEvent": events},
        "seconds": round(time.perf_counter() - started, 2),
    }


def fingerprint() -> str:
    """Changes when the generator or the schema changes: the key of cached databases."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(root.glob("lyceum/*/migrations/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.privacy_seed", description=__doc__)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--sweep-rows", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    report = {"people": seed_people(args.users)}
    if args.sweep_rows:
        report["expired"] = seed_expired(args.sweep_rows)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
