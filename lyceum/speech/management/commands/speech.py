from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyceum.speech.engine.batch import assess_many, read_manifest


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Pronunciation assessment. 'lyceum speech assess AUDIO --text T [--language en]' "
        "prints one assessment as JSON; 'lyceum speech assess --manifest FILE.jsonl' "
        "assesses every line (audio, text, language) on every core and prints one JSON "
        "result per line, in input order."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        assess = sub.add_parser("assess", help="Assess one recording or a manifest of many.")
        assess.add_argument("audio", nargs="?", help="WAV, FLAC, OGG/Opus, WebM/Opus, MP3...")
        assess.add_argument("--text", help="the reference text that was read")
        assess.add_argument("--language", default="en", help="default: en")
        assess.add_argument("--manifest", type=Path, help="a JSON Lines file")
        assess.add_argument("--workers", type=_positive, default=None, help="default: every core")

    def handle(self, *args: Any, **options: Any) -> None:
        manifest: Path | None = options["manifest"]
        if manifest is not None:
            if options["audio"] or options["text"]:
                raise CommandError("Give either AUDIO --text T, or --manifest FILE, not both.")
            if not manifest.is_file():
                raise CommandError(f"No manifest at {manifest}.")
            for result in assess_many(read_manifest(manifest), options["workers"]):
                self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        if not options["audio"] or options["text"] is None:
            raise CommandError("Give AUDIO and --text T (or --manifest FILE).")
        from lyceum.speech.engine.batch import assess_item

        result = assess_item(
            {"audio": options["audio"], "text": options["text"], "language": options["language"]}
        )
        if "error" in result:
            error = result["error"]
            raise CommandError(f"{error['message']} ({error['code']})")
        result.pop("audio")
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
