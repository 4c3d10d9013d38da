"""Encryption at rest (P14): sensitive free text is unreadable in the database; keys rotate."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from lyceum.privacy.models import RightsRequest
from lyceum.privacy.services import rectification_request

SECRET_TEXT = "My new address is 12 Rue Secrète, Lyon; phone 06 12 34 56 78"


def _raw(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM privacy_rightsrequest WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_p14_free_text_is_stored_encrypted(make_user):
    request = rectification_request(user=make_user(), details=SECRET_TEXT, base_url="/")
    raw = _raw(request.pk)
    assert "Secrète" not in raw and "06 12" not in raw
    assert raw.startswith("fernet:")
    assert RightsRequest.objects.get(pk=request.pk).details == SECRET_TEXT


def test_p14_keys_rotate_and_old_values_stay_readable(make_user, settings):
    old_key = settings.LYCEUM_FIELD_KEYS[0]
    request = rectification_request(user=make_user(), details=SECRET_TEXT, base_url="/")
    before = _raw(request.pk)
    new_key = Fernet.generate_key().decode()
    settings.LYCEUM_FIELD_KEYS = [new_key, old_key]
    assert RightsRequest.objects.get(pk=request.pk).details == SECRET_TEXT
    out = io.StringIO()
    call_command("privacy", "rekey", stdout=out)
    assert "Re-encrypted 1 row" in out.getvalue()
    assert _raw(request.pk) != before
    settings.LYCEUM_FIELD_KEYS = [new_key]  # the old key can now be thrown away
    assert RightsRequest.objects.get(pk=request.pk).details == SECRET_TEXT
    settings.LYCEUM_FIELD_KEYS = [old_key]
    with pytest.raises(ImproperlyConfigured):
        RightsRequest.objects.get(pk=request.pk)


def test_p14_encrypted_text_cannot_be_searched_by_mistake(make_user):
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(RightsRequest.objects.filter(details__icontains="Secrète"))
