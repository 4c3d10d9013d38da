"""Grow the benchmark's database: ``python -m bench.seed --users N``.

Brings the number of extra (non-demo) people up to N, each with a verified
email address and one audit event, so that the tables the site reads on every
request (users, email addresses, the audit chain) hold N more rows. Runs in its
own process with the same environment as the server, so it writes to the same
database. The audit events extend the real hash chain (``lyceum audit`` still
verifies), and every person shares one password hash computed once.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import timedelta

EMAIL_DOMAIN = "bench.example"
BATCH = 2000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    parser.add_argument("--users", type=int, required=True, help="extra people wanted in all")
    parser.add_argument("--verify", action="store_true", help="walk the audit chain afterwards")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from lyceum.accounts.models import User
    from lyceum.privacy.audit import _event_hash, _origin_digest, audit_verify
    from lyceum.privacy.models import AuditEvent, AuditHead

    started = time.perf_counter()
    have = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count()
    wanted = max(0, args.users - have)
    password = make_password("bench-password-" + secrets.token_hex(8))
    now = timezone.now()
    for first in range(have, have + wanted, BATCH):
        numbers = range(first, min(first + BATCH, have + wanted))
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    email=f"person{n}@{EMAIL_DOMAIN}",
                    name=f"Bench Person {n}",
                    password=password,
                    date_joined=now - timedelta(minutes=n),
                )
                for n in numbers
            )
            if any(user.pk is None for user in users):  # every supported backend returns ids
                users = list(
                    User.objects.filter(email__in=[u.email for u in users]).order_by("email")
                )
            EmailAddress.objects.bulk_create(
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
                for user in users
            )
            head = AuditHead.objects.select_for_update().get(id=1)
            events = []
            prev_hash, last_id = head.last_hash, head.last_id
            for user in users:
                salt = secrets.token_hex(16)
                ip, agent = "192.0.2.10", "Mozilla/5.0 (bench)"
                event = AuditEvent(
                    id=last_id + 1,
                    created_at=timezone.now(),
                    actor_id=user.pk,
                    action="signup",
                    target_type=User._meta.label_lower,
                    target_id=str(user.pk),
                    subject_id=user.pk,
                    changed_fields=[],
                    ip=ip,
                    user_agent=agent,
                    origin_salt=salt,
                    origin_digest=_origin_digest(salt, ip, agent),
                    prev_hash=prev_hash,
                )
                event.hash = _event_hash(prev_hash, event)
                events.append(event)
                prev_hash, last_id = event.hash, event.id
            AuditEvent.objects.bulk_create(events)
            head.last_id, head.last_hash = last_id, prev_hash
            head.count += len(events)
            head.save(update_fields=["last_id", "last_hash", "count"])
    seeded = time.perf_counter() - started

    report: dict[str, object] = {
        "extra_users": have + wanted,
        "inserted": wanted,
        "users": User.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "seconds": round(seeded, 2),
    }
    if args.verify:
        chain = audit_verify()
        report["audit_chain_ok"] = chain.ok
        report["audit_chain_problems"] = chain.problems[:5]
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
