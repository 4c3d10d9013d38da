"""Many recordings at once: one process per core, one decoder per process, input order kept."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lyceum.speech.engine.assess import assess

logger = logging.getLogger(__name__)

# Every error the engine raises on bad input has a ``code``; anything else is a bug and
# is reported as ``internal_error`` for that line, without stopping the others.
_INPUT_ERRORS = (ValueError, LookupError, OSError)


def assess_item(item: dict[str, Any]) -> dict[str, Any]:
    """One manifest line's result: the assessment, or ``{"error": {code, message}}``."""
    audio = item.get("audio")
    try:
        if not isinstance(audio, str) or not isinstance(item.get("text"), str):
            raise ValueError('Each line needs "audio" (a path) and "text" (a string).')
        result = assess(audio, item["text"], item.get("language") or "en").to_dict()
    except Exception as error:  # one line's failure never stops the others
        code = getattr(error, "code", None)
        if not isinstance(code, str):
            code = "invalid_input" if isinstance(error, _INPUT_ERRORS) else "internal_error"
        if code == "internal_error":
            logger.exception("Assessing %s failed", audio)
        message = str(error) or type(error).__name__
        return {"audio": audio, "error": {"code": code, "message": message}}
    return {"audio": audio, **result}


def read_manifest(path: Path) -> Iterator[dict[str, Any]]:
    """The manifest's objects; relative ``audio`` paths are relative to the manifest."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                item = {"error": f"line {number} is not JSON: {error.msg}"}
            if not isinstance(item, dict):
                item = {"error": f"line {number} is not a JSON object"}
            audio = item.get("audio")
            if isinstance(audio, str) and not os.path.isabs(audio):
                item["audio"] = str(path.parent / audio)
            yield item


def _assess_or_report(item: dict[str, Any]) -> dict[str, Any]:
    if "error" in item and "audio" not in item:
        return {"audio": None, "error": {"code": "invalid_input", "message": item["error"]}}
    return assess_item(item)


def assess_many(items: Iterable[dict[str, Any]], workers: int | None = None) -> Iterator[dict]:
    """Results in input order, computed on ``workers`` processes (default: every core)."""
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield from map(_assess_or_report, items)
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(_assess_or_report, items, chunksize=1)
