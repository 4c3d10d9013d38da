"""Fields encrypted at rest (P14).

Values are stored as Fernet tokens (AES-128-CBC with an HMAC, authenticated) under the
keys in ``settings.LYCEUM_FIELD_KEYS``: the first key encrypts, every key decrypts, so a
key is rotated by putting a new one first and re-encrypting (``lyceum privacy rekey``).
The database never sees the plaintext, so encrypted fields cannot be searched or sorted.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.db.models.lookups import Exact
from django.dispatch import receiver

PREFIX = "fernet:"


@cache
def _fernet() -> MultiFernet:
    keys = settings.LYCEUM_FIELD_KEYS
    if not keys:
        raise ImproperlyConfigured("LYCEUM_FIELD_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "LYCEUM_FIELD_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
        ) from error


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "LYCEUM_FIELD_KEYS":
        _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "An encrypted field cannot be read with any key in LYCEUM_FIELD_KEYS."
        ) from error


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Free text stored encrypted; empty stays empty so 'blank' keeps working."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name != "isnull":
            return None  # ciphertext cannot be compared: refuse icontains, gt, etc.
        return super().get_lookup(lookup_name)


class EmptyOnlyExact(Exact):
    """``field=""`` works (empty is stored empty). Any other value would silently match
    nothing, since each encryption of it differs, so it is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise ValueError("An encrypted field can only be compared with the empty string.")
        return super().get_prep_lookup()


class EncryptedCharField(EncryptedTextField):
    """Short encrypted text (phone numbers, postal codes): a text column, a length check."""

    def __init__(self, *args: Any, max_length: int | None = None, **kwargs: Any) -> None:
        self.plain_max_length = max_length
        super().__init__(*args, **kwargs)
        if max_length:
            from django.core.validators import MaxLengthValidator

            self.validators.append(MaxLengthValidator(max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.plain_max_length:
            kwargs["max_length"] = self.plain_max_length
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super().formfield(
            **{"max_length": self.plain_max_length, "widget": forms.TextInput, **kwargs}
        )


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and those fields' names."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def rekey() -> int:
    """Re-encrypt every encrypted value under the newest key; returns how many rows changed.

    Each value is read (any key decrypts) and written back (the newest key encrypts)."""
    from django.db import transaction

    changed = 0
    for model, names in encrypted_fields():
        manager = model._base_manager
        for pk in manager.values_list("pk", flat=True).iterator(chunk_size=500):
            with transaction.atomic():
                # Read under a lock, so an edit made meanwhile is never written over.
                values = manager.select_for_update().filter(pk=pk).values(*names).first()
                updates = {n: v for n, v in (values or {}).items() if v}
                if updates:
                    manager.filter(pk=pk).update(**updates)
                    changed += 1
    return changed
