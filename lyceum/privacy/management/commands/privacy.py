from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyceum.privacy.checks import register_problems
from lyceum.privacy.register import register


class Command(BaseCommand):
    help = "The privacy engine. 'lyceum privacy check': is every model in the register? (P01)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "check", help="Exit 1, listing what is missing, unless the register covers every model."
        )

    def handle(self, *args: Any, **options: Any) -> None:
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
