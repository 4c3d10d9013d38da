"""CSV cells that spreadsheet programs read as text, never as formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
full-width forms) is run as a formula by Excel, LibreOffice and Google Sheets: a name a
person chose, like ``=HYPERLINK(...)``, would run on the computer of whoever opens the
report. Such cells are prefixed with an apostrophe, which the programs hide (OWASP's
advice for CSV injection)."""

from __future__ import annotations

from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def cell(value: Any) -> Any:
    """The value to write: text that would start a formula is made plain text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
