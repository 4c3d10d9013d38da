"""How values read in the export's HTML report: dates in the reader's language, yes and no
for true and false (data.json keeps the exact values)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django import template
from django.template.defaultfilters import yesno
from django.utils.formats import date_format

register = template.Library()


@register.filter
def readable(value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return yesno(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:
            return date_format(date.fromisoformat(value), "DATE_FORMAT")
        return date_format(parsed, "DATETIME_FORMAT")
    return value
