"""The right of access and portability (P41, P46): everything the register holds about a
person, with why it is held, as a readable report, JSON and CSV in one archive."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.db import models
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lyceum.core.spreadsheet import cell
from lyceum.privacy.audit import audit_record
from lyceum.privacy.register import Entry, Register, register

FORMAT = "lyceum-personal-data/1"


@dataclass(frozen=True)
class Section:
    entry: Entry
    rows: list[dict[str, Any]]

    @property
    def key(self) -> str:
        return self.entry.model._meta.label_lower

    @property
    def title(self) -> str:
        return str(self.entry.model._meta.verbose_name_plural).capitalize()

    def field_label(self, name: str) -> str:
        field = self.entry.model._meta.get_field(name)
        return str(getattr(field, "verbose_name", name)).capitalize()

    @property
    def columns(self) -> list[str]:
        return [self.field_label(name) for name in self.entry.fields]

    @property
    def table(self) -> list[tuple[list[Any], Any]]:
        """Each row's values in column order, and its retention date."""
        return [([row[n] for n in self.entry.fields], row.get("kept_until")) for row in self.rows]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _row(entry: Entry, obj: models.Model, user_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in entry.fields:
        if name in entry.redacted:
            row[name] = f"({entry.redacted[name]})"
        elif name in entry.owned_by and getattr(obj, entry.owned_by[name]) != user_id:
            row[name] = "({})".format(_("another person’s data, withheld"))
        else:
            row[name] = _plain(getattr(obj, name))
    anchor, period = entry.retention.anchor_field, entry.retention.period
    if anchor and period is not None and getattr(obj, anchor, None):
        row["kept_until"] = (getattr(obj, anchor) + period).isoformat()
    return row


def personal_data_of(user_id: int, reg: Register = register) -> list[Section]:
    """One section per register entry, with this person's rows (possibly none)."""
    sections = []
    for label in sorted(reg.entries):
        entry = reg.entries[label]
        rows = [_row(entry, obj, user_id) for obj in entry.rows_of(user_id).order_by("pk")]
        sections.append(Section(entry=entry, rows=rows))
    return sections


def _section_json(section: Section) -> dict[str, Any]:
    entry = section.entry
    return {
        "id": section.key,
        "title": section.title,
        "purpose": str(entry.purpose),
        "legal_basis": {"code": entry.legal_basis.value, "label": str(entry.legal_basis.label)},
        "retention": str(entry.retention.description),
        "recipients": [
            {"name": r.name, "fields": list(r.fields), "purpose": str(r.purpose)}
            for r in entry.recipients
        ],
        "fields": {
            name: {"label": section.field_label(name), "category": category.value}
            for name, category in entry.fields.items()
        },
        "found_by": str(entry.linked_by) if entry.subject is None else "",
        "rows": section.rows,
    }


def _csv(section: Section) -> str:
    out = io.StringIO()
    columns = [*section.entry.fields, "kept_until"]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in section.rows:
        writer.writerow(
            {k: cell(json.dumps(v) if isinstance(v, dict | list) else v) for k, v in row.items()}
        )
    return out.getvalue()


def _files(section: Section) -> list[tuple[str, str]]:
    """(path in the archive, storage name) of the files the person's rows hold: the files
    themselves belong in a copy of one's data, not only their names."""
    found = []
    for name in section.entry.file_fields:
        if name in section.entry.redacted:
            continue
        for number, row in enumerate(section.rows, start=1):
            stored = row.get(name)
            if isinstance(stored, str) and stored and default_storage.exists(stored):
                base = stored.rsplit("/", 1)[-1]
                found.append((f"files/{section.key}/{number}-{base}", stored))
    return found


def export_archive(*, user: Any, actor: Any, language: str | None = None) -> bytes:
    """The archive a person downloads: report.html, data.json, one CSV per entry, README.txt.

    Written in the person's language; audit-logged (P41)."""
    with translation.override(language or getattr(user, "language", None) or "en"):
        sections = personal_data_of(user.pk)
        generated = timezone.now()
        document = {
            "format": FORMAT,
            "generated_at": generated.isoformat(),
            "person": {"id": user.pk, "email": user.email},
            "sections": [_section_json(s) for s in sections],
        }
        report = render_to_string(
            "privacy/export_report.html",
            {"sections": sections, "person": user, "generated": generated},
        )
        readme = render_to_string("privacy/export_readme.txt", {"format": FORMAT})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", readme)
            archive.writestr("report.html", report)
            archive.writestr(
                "data.json", json.dumps(document, ensure_ascii=False, indent=2, default=str)
            )
            for section in sections:
                archive.writestr(f"csv/{section.key}.csv", _csv(section))
                for path, name in _files(section):
                    with default_storage.open(name, "rb") as stored:
                        archive.writestr(path, stored.read())
    audit_record(action="privacy.exported", actor=actor, target=user, subject=user)
    return buffer.getvalue()


def archive_name() -> str:
    return f"personal-data-{timezone.now():%Y-%m-%d}.zip"
