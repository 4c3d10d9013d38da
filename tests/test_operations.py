"""The command-line contracts and the production safeguards, as an operator meets them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from lyceum.accounts.models import User
from lyceum.orgs.models import Membership, Organisation

LYCEUM = [sys.executable, "-m", "lyceum.cli"]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LYCEUM_", "DJANGO_"))}
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "SECRET_KEY",
        "LYCEUM_FIELD_KEYS",
        "LYCEUM_BACKUP_KEY",
    ):
        base.pop(name, None)  # each test states the environment it runs the command in
    base.update({"LYCEUM_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    base.update(env)
    return subprocess.run(
        LYCEUM + args, capture_output=True, text=True, env=base, timeout=120, check=False
    )


PRODUCTION = {
    "LYCEUM_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "school.example",
    "LYCEUM_FIELD_KEYS": Fernet.generate_key().decode(),
    "LYCEUM_BACKUP_KEY": Fernet.generate_key().decode(),
}


def test_help_lists_every_command(tmp_path):
    result = _run(["--help"], tmp_path)
    assert result.returncode == 0
    listed = {line.strip() for line in result.stdout.splitlines()}
    for command in ("serve", "demo", "audit", "privacy", "migrate", "createsuperuser", "run_huey"):
        assert command in listed


def test_production_settings_pass_check_deploy(tmp_path):
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    ["", "dev-" + "x1y2z3" * 10, "django-insecure-" + secrets.token_urlsafe(50), "short-key"],
)
def test_production_refuses_to_start_with_a_development_secret(tmp_path, secret_key):
    result = _run(["check"], tmp_path, **{**PRODUCTION, "SECRET_KEY": secret_key})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("missing", ["LYCEUM_FIELD_KEYS", "LYCEUM_BACKUP_KEY"])
def test_p14_p51_production_refuses_to_start_without_encryption_keys(tmp_path, missing):
    result = _run(["check"], tmp_path, **{**PRODUCTION, missing: ""})
    assert result.returncode != 0
    assert missing in result.stderr
    assert not (tmp_path / "dev-field-key").exists()


@pytest.mark.parametrize("days", ["184", "-1"])
def test_p43_the_grace_period_can_never_exceed_six_months(tmp_path, days):
    result = _run(["check"], tmp_path, LYCEUM_ERASURE_GRACE_DAYS=days)
    assert result.returncode != 0
    assert "LYCEUM_ERASURE_GRACE_DAYS must be between 0 and 183" in result.stderr


def test_production_needs_allowed_hosts(tmp_path):
    result = _run(["check"], tmp_path, **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_demo_is_refused_in_production(tmp_path):
    result = _run(["demo"], tmp_path, **PRODUCTION)
    assert result.returncode != 0
    assert "refused in production" in result.stderr


def test_demo_is_idempotent_and_prints_how_to_sign_in(db, capsys):
    call_command("demo")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    call_command("demo")
    assert (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
    ) == counts
    assert "learner@lyceum.example" in first
    assert "Password for every demo account" in first
    roles = {u.email: u for u in User.objects.all()}
    assert roles["dpo@lyceum.example"].is_dpo
    assert roles["instructor@lyceum.example"].is_instructor
    assert Membership.objects.filter(
        user__email="clientadmin@acme.example", role=Membership.Role.ADMIN
    ).exists()
    assert Organisation.objects.filter(kind=Organisation.Kind.INSTITUTION).exists()


def test_demo_covers_learning(db, capsys):
    from lyceum.learning.models import Attendance, Class, Enrolment
    from lyceum.learning.reports import client_report
    from lyceum.orgs.models import Contract

    call_command("demo")
    out = capsys.readouterr().out
    enrolments = Enrolment.objects.count()
    call_command("demo")
    assert Enrolment.objects.count() == enrolments  # idempotent
    acme = Contract.objects.get(organisation__slug="acme")
    assert acme.enrolments.filter(status="active").count() == 4
    institution = Contract.objects.get(organisation__slug="lycee-hugo")
    assert institution.controller == Contract.Controller.ORGANISATION
    pupils = Class.objects.get(organisation__slug="lycee-hugo", allows_pseudonyms=True)
    assert pupils.enrolments.filter(user__is_pseudonymous=True, user__email=None).count() == 3
    assert pupils.code in out and "signs in at /join/ with" in out
    assert Attendance.objects.filter(lesson__klass=pupils).exists()
    report = client_report(Organisation.objects.get(slug="acme"))
    assert len(report.lines) == 4 and all(line.rate is not None for line in report.lines)


def test_audit_verify_command_reports_a_broken_chain(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _run(["migrate", "-v0"], tmp_path, **env).returncode == 0
    assert _run(["demo"], tmp_path, **env).returncode == 0
    ok = _run(["audit", "verify"], tmp_path, **env)
    assert ok.returncode == 0
    assert "intact" in ok.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute("UPDATE privacy_auditevent SET action = 'nothing' WHERE id = 3")
    broken = _run(["audit", "verify"], tmp_path, **env)
    assert broken.returncode == 1
    assert "event 3" in broken.stderr


def test_p14_production_sends_cookies_over_tls_only_with_hsts(tmp_path):
    probe = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    result = _run(["shell", "-c", probe], tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True"] * 6


def test_several_web_processes_are_refused_without_redis(tmp_path):
    result = _run(["serve", "--workers", "2", "--no-jobs"], tmp_path)
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
