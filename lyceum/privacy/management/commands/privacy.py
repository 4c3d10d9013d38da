from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyceum.core.fields import rekey
from lyceum.privacy.checks import register_problems
from lyceum.privacy.export import export_archive
from lyceum.privacy.policy import policy_latest, policy_out_of_date, policy_publish
from lyceum.privacy.register import register
from lyceum.privacy.retention import sweep
from lyceum.privacy.services import erasure_request


class Command(BaseCommand):
    help = (
        "The privacy engine: 'check' the register (P01), 'export' a person's data (P41), "
        "'erase' a person (P43), run a 'retention' sweep (P49), 'rekey' encrypted fields and "
        "make a 'newkey' (P14), 'publish' the privacy and cookie policies (P02, P03)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "check", help="Exit 1, listing what is missing, unless the register covers every model."
        )
        export = sub.add_parser("export", help="Write the archive a person downloads.")
        export.add_argument("email")
        export.add_argument("--out", required=True, type=Path, help="FILE.zip")
        erase = sub.add_parser(
            "erase",
            help="Delete a person's account: out of use at once, erased after the grace period "
            "(or --now). Prints the erasure report as JSON.",
        )
        erase.add_argument("email")
        erase.add_argument("--now", action="store_true", help="skip the grace period")
        retention = sub.add_parser("retention", help="One retention sweep now; prints what it did.")
        retention.add_argument("--dry-run", action="store_true", help="count, change nothing")
        publish = sub.add_parser(
            "publish",
            help="Publish a new version of the privacy and cookie policies if the register or "
            "the settings changed since the last one.",
        )
        publish.add_argument(
            "--material",
            action="store_true",
            help="a material change: every signed-in person sees a notice until they "
            "acknowledge it",
        )
        publish.add_argument("--summary", default="", help="what changed, in a sentence")
        publish.add_argument(
            "--check",
            action="store_true",
            help="publish nothing; exit 1 if the published policies are out of date",
        )
        sub.add_parser("rekey", help="Re-encrypt every encrypted field under the newest key.")
        sub.add_parser("newkey", help="Print a new random key for LYCEUM_FIELD_KEYS/BACKUP_KEY.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self.check_register()
        elif options["action"] == "export":
            self.export(options["email"], options["out"])
        elif options["action"] == "erase":
            self.erase(options["email"], now=options["now"])
        elif options["action"] == "retention":
            self.retention(dry_run=options["dry_run"])
        elif options["action"] == "publish":
            if options["check"]:
                self.publish_check()
            else:
                self.publish(material=options["material"], summary=options["summary"])
        elif options["action"] == "rekey":
            self.stdout.write(f"Re-encrypted {rekey()} row(s) under the newest key.")
        elif options["action"] == "newkey":
            self.stdout.write(Fernet.generate_key().decode())

    def check_register(self) -> None:
        problems = register_problems()
        if problems:
            for problem in problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(
                f"The personal-data register is incomplete: {len(problems)} problem(s)."
            )
        self.stdout.write(
            f"The personal-data register covers every model: {len(register.entries)} hold "
            f"personal data, {len(register.not_personal)} hold none."
        )

    def publish_check(self) -> None:
        if policy_out_of_date():
            raise CommandError(
                "The published policies do not match the register and the settings (or none "
                "was published): run 'lyceum privacy publish' (--material if people must be "
                "told)."
            )
        self.stdout.write("The published policies are up to date.")

    def publish(self, *, material: bool, summary: str) -> None:
        version = policy_publish(material=material, summary=summary)
        if version is None:
            latest = policy_latest()
            self.stdout.write(
                f"Nothing changed since version {latest.version if latest else '?'}: "
                "nothing published."
            )
            return
        kind = "a material change: signed-in people will see a notice" if material else "minor"
        self.stdout.write(f"Published version {version.version} ({kind}).")

    def export(self, email: str, out: Path) -> None:
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the email address {email}.")
        out.write_bytes(export_archive(user=user, actor=None))
        self.stdout.write(f"Wrote {out}")

    def erase(self, email: str, *, now: bool) -> None:
        user = get_user_model()._base_manager.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the email address {email}.")
        base_url = settings.LYCEUM_SITE_URL + "/"
        request = erasure_request(user=user, actor=None, base_url=base_url, now=now)
        self.stdout.write(json.dumps(request.report, indent=2, ensure_ascii=False))

    def retention(self, *, dry_run: bool) -> None:
        run = sweep(dry_run=dry_run)
        self.stdout.write(
            json.dumps(
                {
                    "dry_run": run.dry_run,
                    "started_at": run.started_at.isoformat(),
                    "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                    "total": run.total,
                    "results": run.results,
                },
                indent=2,
            )
        )
