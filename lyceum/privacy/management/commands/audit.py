from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from lyceum.privacy.audit import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. 'lyceum audit verify' checks the hash chain (exit 1 if broken)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check that no audit event was edited, inserted or removed.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("Audit chain broken: %(n)d problem(s) in %(c)d events.")
                % {"n": len(report.problems), "c": report.checked}
            )
        self.stdout.write(_("Audit chain intact: %(c)d events.") % {"c": report.checked})
