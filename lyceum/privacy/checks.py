"""``lyceum privacy check``: is every model that holds personal data in the register? (P01)"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import models

from lyceum.core.fields import EncryptedTextField
from lyceum.privacy.register import Entry, ErasureAction, Register, register

# Field names that usually hold personal data, whatever their type.
PERSONAL_NAME = re.compile(
    r"(^|_)(e?mail|(first|last|full|display|user)?_?name|phone|mobile|address|postal|ip|"
    r"birth|dob|user_agent|gender|nationality|pronouns)($|_)"
)


def personal_looking_fields(model: type[models.Model], reg: Register) -> dict[str, str]:
    """The fields of ``model`` that look personal, each with the reason it looks so."""
    user_label = settings.AUTH_USER_MODEL.lower()
    found: dict[str, str] = {}
    for f in model._meta.concrete_fields:
        related = f.related_model
        if f.is_relation and related is not None and not isinstance(related, str):
            if related._meta.label_lower == user_label:
                found[f.name] = "links to a person's account"
            elif related._meta.label in reg.entries:
                found[f.name] = f"links to {related._meta.label}, which holds personal data"
        elif isinstance(f, models.EmailField | models.GenericIPAddressField):
            found[f.name] = f"is an {type(f).__name__}"
        elif PERSONAL_NAME.search(f.name):
            found[f.name] = "is named like personal data"
        elif isinstance(f, models.TextField) and not f.choices:
            found[f.name] = "is free text, which people write about themselves"
        elif isinstance(f, models.JSONField):
            found[f.name] = "is structured data that may hold personal data"
    return found


def _entry_problems(entry: Entry, reg: Register) -> list[str]:
    label, model = entry.label, entry.model
    problems: list[str] = []
    field_names = {f.name for f in model._meta.concrete_fields}
    for name in (*entry.fields, *entry.not_personal):
        if name not in field_names:
            problems.append(f"{label}: declares '{name}', which the model does not have")
    for name in entry.redacted:
        if name not in entry.fields:
            problems.append(f"{label}: redacts '{name}', which is not a declared field")
    columns = field_names | {f.attname for f in model._meta.concrete_fields}
    for name in entry.also_replacements:
        if name not in columns:
            problems.append(f"{label}: 'also_replacements' names '{name}', which is no column")
    if entry.also_replacements and (entry.also is None or entry.subject is None):
        problems.append(f"{label}: 'also_replacements' needs both 'subject' and 'also'")
    for name, owner in entry.owned_by.items():
        if name not in entry.fields or owner not in columns:
            problems.append(f"{label}: '{name}' owned by '{owner}' needs both to exist")
    covered = set(entry.fields) | set(entry.not_personal)
    if entry.subject:
        covered.add(entry.subject.split("__")[0])
        try:
            str(model._default_manager.values_list(entry.subject).query)
        except (FieldError, FieldDoesNotExist):
            problems.append(f"{label}: subject path '{entry.subject}' does not resolve")
    elif not entry.linked_by:
        problems.append(
            f"{label}: no subject path, and 'linked_by' does not say how rows are found"
        )
    for name, why in sorted(personal_looking_fields(model, reg).items()):
        if name not in covered:
            problems.append(f"{label}.{name} {why} but is not declared")
    anchor = entry.retention.anchor_field
    if anchor and anchor not in field_names:
        problems.append(f"{label}: retention counts from '{anchor}', which the model does not have")
    if entry.retention.period is not None and not anchor:
        problems.append(f"{label}: a retention period needs the field it counts from")
    erasure = entry.erasure
    if erasure.action == ErasureAction.ANONYMISE:
        if not erasure.replacements:
            problems.append(f"{label}: anonymisation names no field to replace")
        for name in erasure.replacements:
            if name not in field_names:
                problems.append(f"{label}: anonymises '{name}', which the model does not have")
    if erasure.action == ErasureAction.HOLD and not (erasure.reason and erasure.hold_for):
        problems.append(f"{label}: a legal hold needs a reason and a duration")
    if erasure.hold_from and erasure.hold_from not in field_names:
        problems.append(f"{label}: a hold counts from '{erasure.hold_from}', which it lacks")
    if erasure.action != ErasureAction.DELETE and entry.subject and entry.subject != "pk":
        link = model._meta.get_field(entry.subject.split("__")[0])
        remote = getattr(link, "remote_field", None)
        if remote is not None and remote.on_delete is models.CASCADE:
            problems.append(
                f"{label}: rows that erasure keeps or anonymises would be deleted with their "
                f"person ('{link.name}' cascades); use on_delete=SET_NULL"
            )
    for name in entry.retention.anonymise:
        if name not in field_names:
            problems.append(f"{label}: retention anonymises '{name}', which the model lacks")
    anonymised = [*entry.retention.anonymise.items(), *erasure.replacements.items()]
    for name, value in anonymised:
        if name in field_names and value not in (None, ""):
            field = model._meta.get_field(name)
            if isinstance(field, EncryptedTextField):
                problems.append(
                    f"{label}: '{name}' is encrypted, so it can only be anonymised to empty"
                )
    for recipient in entry.recipients:
        for name in recipient.fields:
            if name not in entry.fields:
                problems.append(
                    f"{label}: {recipient.name} receives '{name}', which is not a declared field"
                )
    return problems


_BLOCKING: tuple[Any, ...] = (models.PROTECT, models.RESTRICT)


def register_problems(
    reg: Register = register, models_: Iterable[type[models.Model]] | None = None
) -> list[str]:
    """Everything that keeps the register from covering the database; empty when complete."""
    problems: list[str] = []
    user_label = settings.AUTH_USER_MODEL.lower()
    for model in apps.get_models() if models_ is None else models_:
        for f in model._meta.concrete_fields:
            related = f.related_model
            if (
                f.is_relation
                and related is not None
                and not isinstance(related, str)
                and related._meta.label_lower == user_label
                and getattr(f.remote_field, "on_delete", None) in _BLOCKING
            ):
                problems.append(
                    f"{model._meta.label}.{f.name} stops a person's account from being erased "
                    "(PROTECT/RESTRICT); declare what erasure does to it and use CASCADE or "
                    "SET_NULL"
                )
        label = model._meta.label
        if label in reg.entries:
            problems.extend(_entry_problems(reg.entries[label], reg))
        elif label not in reg.not_personal:
            looks = personal_looking_fields(model, reg)
            if looks:
                detail = ", ".join(f"{name} ({why})" for name, why in sorted(looks.items()))
                problems.append(f"{label} holds personal data but is not declared: {detail}")
            else:
                problems.append(
                    f"{label} is not declared (declare it, or declare that it holds no "
                    "personal data)"
                )
    return problems
