"""Retention (P49, P50): one sweep over the register, recorded without contents."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lyceum.accounts.models import UserSession
from lyceum.privacy.audit import audit_verify
from lyceum.privacy.models import AuditEvent, RetentionRun
from lyceum.privacy.retention import sweep

IP = "198.51.100.23"


def _signed_in(client, make_user, password):
    user = make_user(email="ada@example.org")
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": password},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT="Firefox/140",
    )
    return user


def _age(days):
    old = timezone.now() - timedelta(days=days)
    AuditEvent.objects.update(created_at=old)  # breaks the chain: only where it is not checked
    UserSession.objects.update(expire_date=old)


def test_p50_ip_addresses_and_browsers_are_anonymised_after_90_days(client, make_user, password):
    _signed_in(client, make_user, password)
    assert AuditEvent.objects.filter(ip=IP, user_agent="Firefox/140").exists()
    # The events' times are part of the hash chain: the sweep runs in the future instead.
    sweep(now=timezone.now() + timedelta(days=89))
    assert AuditEvent.objects.filter(ip=IP).exists()  # not yet
    run = sweep(now=timezone.now() + timedelta(days=91))
    anonymised = next(r for r in run.results if r["entry"] == "privacy.AuditEvent")
    assert anonymised["action"] == "anonymised" and anonymised["count"] >= 1
    assert not AuditEvent.objects.exclude(ip=None).exists()
    assert not AuditEvent.objects.exclude(user_agent="").exists()
    assert AuditEvent.objects.filter(action="signin").exists()  # the event stays
    assert audit_verify().ok  # and the chain still holds


def test_p49_expired_rows_go_and_each_run_is_recorded_without_contents(client, make_user, password):
    _signed_in(client, make_user, password)
    _age(100)
    run = json.loads(_run("--dry-run"))
    assert run["dry_run"] and run["total"] >= 2
    assert UserSession.objects.exists()  # a dry run changes nothing
    result = json.loads(_run())
    assert {"entry": "accounts.UserSession", "action": "deleted", "count": 1} in result["results"]
    assert not UserSession.objects.exists()
    runs = list(RetentionRun.objects.order_by("started_at"))
    assert [r.dry_run for r in runs] == [True, False]
    recorded = json.dumps([r.results for r in runs])
    assert IP not in recorded and "ada@example.org" not in recorded
    assert set(runs[1].results[0]) == {"entry", "action", "count"}
    assert json.loads(_run())["total"] == 0  # nothing left to do


def _run(*args):
    out = io.StringIO()
    call_command("privacy", "retention", *args, stdout=out)
    return out.getvalue()


def test_p49_every_register_entry_has_a_retention_rule():
    from lyceum.privacy.register import register

    for entry in register.entries.values():
        assert entry.retention.description, entry.label
        assert (
            entry.retention.period is not None
            or "account" in str(entry.retention.description)
            or "organisation" in str(entry.retention.description)
        ), entry.label
