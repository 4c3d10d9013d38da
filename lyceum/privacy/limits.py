"""Restriction (P44), objection (P45) and consent (P06): the one question every feature asks.

``allows(subject, purpose)`` is no for a restricted person, except for storage and legal
claims; no for a purpose the person objected to; for a purpose that needs consent, no unless
the choice in force in the consent ledger is a yes; yes otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from lyceum.privacy.models import ProcessingLimit
from lyceum.privacy.register import (
    ALLOWED_WHEN_RESTRICTED,
    CONSENT_PURPOSES,
    OBJECTABLE,
    Purpose,
)


def _user_id(subject: Any) -> int | None:
    if subject is None:
        return None
    if isinstance(subject, int):
        return subject
    return getattr(subject, "pk", None)


def _blocked(user_ids: Iterable[int], purpose: Purpose) -> set[int]:
    user_ids = list(user_ids)
    # An account being deleted is out of use (P43): as restricted as can be.
    closed = set(
        get_user_model()
        ._base_manager.filter(pk__in=user_ids, is_active=False)
        .values_list("pk", flat=True)
    )
    active = ProcessingLimit.objects.filter(user_id__in=user_ids, lifted_at=None)
    restricted = set(
        active.filter(kind=ProcessingLimit.Kind.RESTRICTION).values_list("user_id", flat=True)
    )
    refused: set[int] = set()
    if purpose in CONSENT_PURPOSES:  # consent needed: no record in force, no (P06)
        from lyceum.privacy.consent import consented

        refused = set(user_ids) - consented(user_ids, purpose)
    objected: set[int] = set()
    if purpose in OBJECTABLE:
        objected = set(
            active.filter(kind=ProcessingLimit.Kind.OBJECTION, purpose=purpose).values_list(
                "user_id", flat=True
            )
        )
    return closed | restricted | objected | refused


def allows(subject: Any, purpose: Purpose | str) -> bool:
    """May this person's data be used for this purpose now?"""
    purpose = Purpose(purpose)
    if purpose in ALLOWED_WHEN_RESTRICTED:
        return True
    user_id = _user_id(subject)
    if user_id is None:
        return True  # no person: nothing to restrict
    return user_id not in _blocked([user_id], purpose)


def allowed(subjects: Iterable[Any], purpose: Purpose | str) -> set[int]:
    """The ids among ``subjects`` whose data may be used for this purpose (one query)."""
    purpose = Purpose(purpose)
    ids = {i for i in (_user_id(s) for s in subjects) if i is not None}
    if purpose in ALLOWED_WHEN_RESTRICTED:
        return ids
    return ids - _blocked(ids, purpose)


def active_limits(user: Any) -> tuple[bool, set[str]]:
    """(is restricted, purposes objected to)."""
    rows = ProcessingLimit.objects.filter(user=user, lifted_at=None).values_list("kind", "purpose")
    restricted = any(kind == ProcessingLimit.Kind.RESTRICTION for kind, _ in rows)
    return restricted, {p for kind, p in rows if kind == ProcessingLimit.Kind.OBJECTION}
