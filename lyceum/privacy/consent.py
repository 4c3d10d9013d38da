"""The consent ledger (P06, P07): who consented to what, how, under which notice, and when.

Rows are only ever added; the newest row per subject and purpose is the choice in force.
A subject is a person (``user``) or a visitor without an account, known only by a random
first-party id kept in a necessary cookie. ``privacy.allows`` reads the ledger for the
purposes that need consent (``CONSENT_PURPOSES``): with no record, the answer is no.

Browser signals (``Sec-GPC: 1``, ``DNT: 1``) are a refusal of analytics and marketing,
recorded once with the method "browser signal". A consent given explicitly *after* such a
refusal, on that same subject, stands: the person was asked and said yes; it is never
assumed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from lyceum.privacy.audit import audit_record
from lyceum.privacy.models import ConsentRecord
from lyceum.privacy.register import CONSENT_PURPOSES, Purpose

SIGNAL_REFUSES = (Purpose.ANALYTICS, Purpose.MARKETING)
VISITOR_COOKIE = "lyceum_visitor"


def notice_version() -> str:
    """The version of the privacy notice in force: the newest published, else the setting."""
    from lyceum.privacy.models import PolicyVersion

    latest = PolicyVersion.objects.order_by("-published_at", "-pk").values_list(
        "version", flat=True
    )
    return latest.first() or str(settings.LYCEUM_PRIVACY_NOTICE_VERSION)


def new_visitor_id() -> str:
    return secrets.token_hex(16)


def browser_signal(request: HttpRequest) -> bool:
    """Global Privacy Control or Do Not Track: the browser asks not to be tracked."""
    return request.headers.get("Sec-GPC", "").strip() == "1" or (
        request.headers.get("DNT", "").strip() == "1"
    )


def _subject(*, user_id: int | None, visitor_id: str) -> dict[str, Any]:
    if user_id is not None:
        return {"user_id": user_id}
    if visitor_id:
        return {"user": None, "visitor_id": visitor_id}
    raise ValueError("a consent record needs a person or a visitor id")


def history(*, user_id: int | None = None, visitor_id: str = "") -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(**_subject(user_id=user_id, visitor_id=visitor_id)))


def current(*, user_id: int | None = None, visitor_id: str = "") -> dict[str, ConsentRecord]:
    """The record in force per purpose (purposes never chosen are absent)."""
    found: dict[str, ConsentRecord] = {}
    rows = ConsentRecord.objects.filter(**_subject(user_id=user_id, visitor_id=visitor_id))
    for row in rows.order_by("-created_at", "-pk"):
        found.setdefault(row.purpose, row)
    return found


def consented(user_ids: Iterable[int], purpose: Purpose) -> set[int]:
    """Those among ``user_ids`` whose choice in force for ``purpose`` is a yes."""
    latest: dict[int, bool] = {}
    rows = ConsentRecord.objects.filter(user_id__in=list(user_ids), purpose=purpose)
    for user_id, given in rows.order_by("user_id", "-created_at", "-pk").values_list(
        "user_id", "given"
    ):
        latest.setdefault(user_id, given)
    return {user_id for user_id, given in latest.items() if given}


@transaction.atomic
def consent_record(
    *,
    choices: Mapping[str, bool],
    method: ConsentRecord.Method,
    user: Any = None,
    visitor_id: str = "",
    user_agent: str = "",
) -> list[ConsentRecord]:
    """Record the choices that differ from those in force (or were never made)."""
    user_id = getattr(user, "pk", None)
    if unknown := set(choices) - {p.value for p in CONSENT_PURPOSES}:
        raise ValueError(f"not a purpose that needs consent: {sorted(unknown)}")
    in_force = current(user_id=user_id, visitor_id=visitor_id)
    version = notice_version()
    added = [
        ConsentRecord.objects.create(
            **_subject(user_id=user_id, visitor_id=visitor_id),
            purpose=purpose,
            given=given,
            method=method,
            notice_version=version,
            user_agent=user_agent[:300],
        )
        for purpose, given in choices.items()
        if purpose not in in_force or in_force[purpose].given != given
    ]
    if added and user_id is not None:
        audit_record(
            action="privacy.consent.recorded",
            actor=user,
            subject=user_id,
            changed_fields=sorted(r.purpose for r in added),
        )
    return added


def honour_signal(
    *, user: Any = None, visitor_id: str = "", user_agent: str = ""
) -> list[ConsentRecord]:
    """The browser sent a privacy signal: refuse analytics and marketing, unless the subject
    said yes explicitly after an earlier signal (they were asked: that answer stands)."""
    user_id = getattr(user, "pk", None)
    in_force = current(user_id=user_id, visitor_id=visitor_id)
    earlier_signal = ConsentRecord.objects.filter(
        **_subject(user_id=user_id, visitor_id=visitor_id),
        method=ConsentRecord.Method.BROWSER_SIGNAL,
    )
    refuse = {}
    for purpose in SIGNAL_REFUSES:
        record = in_force.get(purpose)
        if record is None or not record.given:
            if record is None:
                refuse[purpose.value] = False
            continue
        asked_after_signal = earlier_signal.filter(
            purpose=purpose, created_at__lte=record.created_at
        ).exists()
        if not asked_after_signal:
            refuse[purpose.value] = False
    if not refuse:
        return []
    return consent_record(
        choices=refuse,
        method=ConsentRecord.Method.BROWSER_SIGNAL,
        user=user,
        visitor_id=visitor_id,
        user_agent=user_agent,
    )


@dataclass(frozen=True)
class Choices:
    """The choices in force for one person or browser, as pages and views need them."""

    preferences: bool = False
    analytics: bool = False
    marketing: bool = False
    chosen: bool = False  # has this subject answered the banner (or a signal) at all?

    def allows(self, purpose: Purpose | str) -> bool:
        return bool(getattr(self, Purpose(purpose).value, False))


def choices_for(*, user: Any = None, visitor_id: str = "") -> Choices:
    """Consent in force; a person who restricted processing or objected is refused as well."""
    user_id = getattr(user, "pk", None)
    if user_id is None and not visitor_id:
        return Choices()
    in_force = current(user_id=user_id, visitor_id=visitor_id)
    given = {p: bool(in_force.get(p.value) and in_force[p.value].given) for p in CONSENT_PURPOSES}
    if user_id is not None:
        from lyceum.privacy.limits import allows

        given = {p: ok and allows(user_id, p) for p, ok in given.items()}
    return Choices(
        **{p.value: ok for p, ok in given.items()},
        chosen=all(p.value in in_force for p in CONSENT_PURPOSES),
    )


@transaction.atomic
def consent_adopt(*, user: Any, visitor_id: str, user_agent: str = "") -> list[ConsentRecord]:
    """A visitor signs in: the refusals made on this browser become their account's, for
    every purpose the account has no choice for yet. A yes is never carried over: on a
    shared computer it may have been someone else's, so the account is asked for its own."""
    if not visitor_id:
        return []
    mine = current(user_id=user.pk)
    adopted = [
        ConsentRecord.objects.create(
            user=user,
            purpose=purpose,
            given=False,
            method=ConsentRecord.Method.CARRIED_OVER,
            notice_version=record.notice_version,
            user_agent=(user_agent or record.user_agent)[:300],
        )
        for purpose, record in current(visitor_id=visitor_id).items()
        if purpose not in mine and not record.given
    ]
    if adopted:
        audit_record(
            action="privacy.consent.recorded",
            actor=user,
            subject=user.pk,
            changed_fields=sorted(r.purpose for r in adopted),
        )
    return adopted
