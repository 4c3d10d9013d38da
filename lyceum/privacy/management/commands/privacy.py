from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyceum.privacy.checks import register_problems
from lyceum.privacy.export import export_archive
from lyceum.privacy.register import register


class Command(BaseCommand):
    help = "The privacy engine: 'check' the register (P01), 'export' a person's data (P41)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "check", help="Exit 1, listing what is missing, unless the register covers every model."
        )
        export = sub.add_parser("export", help="Write the archive a person downloads.")
        export.add_argument("email")
        export.add_argument("--out", required=True, type=Path, help="FILE.zip")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self.check_register()
        elif options["action"] == "export":
            self.export(options["email"], options["out"])

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

    def export(self, email: str, out: Path) -> None:
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the email address {email}.")
        out.write_bytes(export_archive(user=user, actor=None))
        self.stdout.write(f"Wrote {out}")
