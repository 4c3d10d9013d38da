from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyceum.privacy.backup import (
    BackupError,
    UnpackedBackup,
    backup_create,
    backup_restore,
    backup_unpacked,
)


class Command(BaseCommand):
    help = (
        "Encrypted backups (P51): 'create' one, or 'restore' one and erase again everyone "
        "erased since."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="Write the database and the media folder, encrypted, to FILE."
        )
        create.add_argument("file", type=Path)
        create.add_argument("--force", action="store_true", help="Replace FILE if it exists.")
        restore = sub.add_parser(
            "restore",
            help="Replace the database and the media folder with FILE's (stop the server "
            "first), then erase again everyone the erasure ledger names.",
        )
        restore.add_argument("file", type=Path)
        restore.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (needed in production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self.create(options["file"], force=options["force"])
        elif options["action"] == "restore":
            self.restore(options["file"], yes=options["yes"])

    def create(self, path: Path, *, force: bool) -> None:
        try:
            report = backup_create(path=path, force=force)
        except BackupError as error:
            raise CommandError(f"{error} No backup was written.") from error
        counts = report.manifest["counts"]
        people, files = counts["people"], counts["media_files"]
        self.stdout.write(
            f"Backup written: {report.path} ({_size(report.size)}; "
            f"{people} {'person' if people == 1 else 'people'}, "
            f"{files} media {'file' if files == 1 else 'files'})."
        )

    def restore(self, path: Path, *, yes: bool) -> None:
        try:
            with backup_unpacked(path=path) as backup:
                if not yes:
                    self.confirm(backup)
                try:
                    report = backup_restore(backup=backup)
                except BackupError as error:
                    raise CommandError(f"The restore failed: {error}") from error
        except BackupError as error:  # found while checking the backup, before any change
            raise CommandError(f"{error} Nothing was changed.") from error
        self.stdout.write(json.dumps(report.as_json()))

    def confirm(self, backup: UnpackedBackup) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "A restore replaces the whole database and media folder: in production, "
                "pass --yes to confirm. Nothing was changed."
            )
        if not sys.stdin.isatty():
            raise CommandError("Pass --yes to restore without a terminal. Nothing was changed.")
        answer = input(
            f"Replace the database and the media folder with the backup made at "
            f"{backup.created_at}? Type 'yes' to go on: "
        )
        if answer.strip().lower() != "yes":
            raise CommandError("Restore cancelled. Nothing was changed.")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
