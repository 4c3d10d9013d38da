"""Writes of the privacy engine: each atomic, audit-logged, with its jobs queued on commit."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lyceum.privacy.audit import audit_record
from lyceum.privacy.erasure import erase, plan, report_json
from lyceum.privacy.export import archive_name, export_archive
from lyceum.privacy.models import DataExport, ProcessingLimit, RightsRequest
from lyceum.privacy.register import OBJECTABLE
from lyceum.privacy.signals import account_suspended

logger = logging.getLogger(__name__)

EXPORT_LIFETIME = timedelta(days=7)
# A copy still "being prepared" after this long has failed; the person may ask again.
EXPORT_STUCK_AFTER = timedelta(hours=1)


def _lock_person(user: Any) -> None:
    """Serialise a person's own requests (a double click, two tabs): the second waits for the
    first and then sees what it did. SQLite's IMMEDIATE transactions serialise already."""
    get_user_model()._base_manager.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def data_export_request(*, user: Any, base_url: str) -> DataExport:
    """Ask for a copy of one's data (P41): no staff involved; a job builds it at once and the
    person is emailed when it is ready. A request already being prepared is reused."""
    from lyceum.privacy.tasks import build_data_export

    _lock_person(user)
    pending = DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).first()
    if pending is not None:
        if pending.requested_at > timezone.now() - EXPORT_STUCK_AFTER:
            return pending
        data_export_failed(export_id=pending.pk)
    export = DataExport.objects.create(user=user)
    audit_record(action="privacy.export.requested", actor=user, target=export, subject=user)
    transaction.on_commit(lambda: build_data_export(export.pk, base_url))
    return export


@transaction.atomic
def data_export_build(*, export_id: int, base_url: str) -> DataExport | None:
    export = (
        DataExport.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=export_id)
        .first()
    )
    if export is None or export.status != DataExport.Status.PENDING:
        return export  # erased meanwhile, or the job ran already (jobs may run twice)
    user = export.user
    data_export_fill(export=export, actor=user)
    link = base_url.rstrip("/") + reverse("privacy:data")
    with translation.override(user.language):
        subject = _("Your data is ready to download")
        body = render_to_string(
            "privacy/export_ready_email.txt",
            {"user": user, "link": link, "expires_at": export.expires_at},
        )
    if email := user.email:
        transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return export


def data_export_fill(*, export: DataExport, actor: Any, language: str | None = None) -> None:
    """Write the archive of ``export`` now and make it downloadable for 7 days (P41, P46):
    for the person themselves, or for the request desk answering an access request."""
    archive = export_archive(user=export.user, actor=actor, language=language)
    export.archive.save(archive_name(), ContentFile(archive), save=False)
    export.status = DataExport.Status.READY
    export.ready_at = timezone.now()
    export.expires_at = export.ready_at + EXPORT_LIFETIME
    export.save(update_fields=["archive", "status", "ready_at", "expires_at"])


@transaction.atomic
def data_export_failed(*, export_id: int) -> None:
    """The job gave up: the copy is marked failed (the person sees it and may ask again), and
    its row goes with the next retention sweep."""
    export = DataExport.objects.select_for_update().filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return
    export.status = DataExport.Status.FAILED
    export.expires_at = timezone.now() + EXPORT_LIFETIME
    export.save(update_fields=["status", "expires_at"])


@transaction.atomic
def data_export_download(*, export: DataExport, user: Any) -> None:
    audit_record(action="privacy.export.downloaded", actor=user, target=export, subject=user)


# --- Erasure (P43) -------------------------------------------------------------------------

CANCEL_SALT = "lyceum.privacy.erasure.keep"
ANSWER_WITHIN = timedelta(days=30)  # GDPR Art. 12(3): one month


def grace_period() -> timedelta:
    return timedelta(days=settings.LYCEUM_ERASURE_GRACE_DAYS)


def erasure_keep_token(request: RightsRequest) -> str:
    return signing.dumps(str(request.public_id), salt=CANCEL_SALT)


def erasure_from_keep_token(token: str) -> RightsRequest | None:
    """The open erasure request a 'keep my account' link stands for, or None."""
    try:
        public_id = signing.loads(
            token, salt=CANCEL_SALT, max_age=grace_period() + timedelta(days=1)
        )
    except signing.BadSignature:
        return None
    return RightsRequest.objects.filter(
        public_id=public_id,
        kind=RightsRequest.Kind.ERASURE,
        status=RightsRequest.Status.IN_PROGRESS,
    ).first()


def _mail(user: Any, subject: str, template: str, context: dict[str, Any]) -> None:
    """Queue a message to ``user`` in their language, after the transaction commits."""
    email, language = user.email, getattr(user, "language", None) or "en"
    if not email:  # a pseudonymous student has no address to write to
        return
    with translation.override(language):
        text_subject = _(subject)
        body = render_to_string(
            template, {"user": user, "school": settings.LYCEUM_SCHOOL, **context}
        )
    transaction.on_commit(lambda: send_mail(text_subject, body, None, [email]))


@transaction.atomic
def erasure_request(
    *,
    user: Any,
    actor: Any,
    base_url: str,
    now: bool = False,
    rights_request: RightsRequest | None = None,
) -> RightsRequest:
    """Delete an account (P43): out of use at once, erased when the grace period ends (or at
    once with ``now``, or when the grace period is 0).

    The person is emailed what will be erased and what kept, and a link that keeps the
    account until then. ``rights_request``: a request from the request desk that was decided
    (P47, P30), which becomes the record of this erasure."""
    _lock_person(user)
    existing = RightsRequest.objects.filter(
        user=user,
        kind=RightsRequest.Kind.ERASURE,
        status=RightsRequest.Status.IN_PROGRESS,
        scheduled_for__isnull=False,  # a desk request being worked on is not scheduled yet
    ).first()
    if existing is not None:
        return existing
    asked = timezone.now()
    scheduled_for = asked if now else asked + grace_period()
    if rights_request is None:
        request = RightsRequest.objects.create(
            kind=RightsRequest.Kind.ERASURE,
            status=RightsRequest.Status.IN_PROGRESS,
            user=user,
            created_at=asked,
            due_at=asked + ANSWER_WITHIN,
            scheduled_for=scheduled_for,
        )
    else:
        request = rights_request
        request.status = RightsRequest.Status.IN_PROGRESS
        request.scheduled_for = scheduled_for
        request.save(update_fields=["status", "scheduled_for"])
    user.is_active = False
    user.save(update_fields=["is_active"])
    account_suspended.send(sender=type(user), user=user)
    with translation.override(getattr(user, "language", None) or "en"):
        request.report = report_json(plan(user.pk, now=request.scheduled_for), request, done=False)
    request.save(update_fields=["report"])
    audit_record(action="privacy.erasure.requested", actor=actor, target=request, subject=user)
    if not now and grace_period():
        keep = base_url.rstrip("/") + reverse(
            "privacy:erasure_keep", args=[erasure_keep_token(request)]
        )
        _mail(
            user,
            gettext_noop("Your account will be deleted"),
            "privacy/erasure_scheduled_email.txt",
            {"request": request, "report": request.report, "keep_link": keep},
        )
    else:
        erasure_carry_out(request_id=request.pk)
        request.refresh_from_db()
    return request


@transaction.atomic
def erasure_cancel(*, request: RightsRequest, actor: Any) -> RightsRequest:
    """Keep the account after all (during the grace period), by its owner or by staff.

    Whoever asked for the erasure at the request desk (a representative, say) is told how it
    ended: the person kept their account (P47)."""
    request = (
        RightsRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=request.pk)
    )
    if request.status != RightsRequest.Status.IN_PROGRESS or request.user is None:
        return request
    user = request.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    withdrawn = RightsRequest.objects.filter(
        user=user, kind=RightsRequest.Kind.ERASURE, status=RightsRequest.Status.IN_PROGRESS
    )
    asked_by_others = [r for r in withdrawn if r.requester_email]
    withdrawn.update(status=RightsRequest.Status.WITHDRAWN, completed_at=timezone.now())
    request.refresh_from_db()
    audit_record(action="privacy.erasure.withdrawn", actor=actor, target=request, subject=user)
    _mail(
        user,
        gettext_noop("Your account will not be deleted"),
        "privacy/erasure_withdrawn_email.txt",
        {"request": request},
    )
    told = {(user.email or "").lower()}
    for other in asked_by_others:
        if other.requester_email.lower() in told:
            continue
        told.add(other.requester_email.lower())
        other.refresh_from_db()
        _mail(
            SimpleNamespace(
                email=other.requester_email, name=other.requester_name, language=other.language
            ),
            gettext_noop("Your request has been answered"),
            "privacy/desk/erasure_withdrawn_requester_email.txt",
            {"request": other},
        )
    return request


@transaction.atomic
def erasure_carry_out(*, request_id: int) -> dict[str, Any]:
    """Erase now; the person receives the erasure report. Returns the report."""
    request = (
        RightsRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=request_id)
    )
    if request.status != RightsRequest.Status.IN_PROGRESS:
        return request.report  # carried out already: jobs may be delivered twice
    user = request.user
    if user is None:  # the account went some other way meanwhile: nothing left to erase
        request.status = RightsRequest.Status.DONE
        request.completed_at = timezone.now()
        request.save(update_fields=["status", "completed_at"])
        return request.report
    recipient = SimpleNamespace(email=user.email, name=user.name, language=user.language)
    # Whoever asked at the request desk (a representative, say) hears how it ended (P47); read
    # now, since erasing blanks it.
    requester = SimpleNamespace(
        email=request.requester_email, name=request.requester_name, language=request.language
    )
    request.scheduled_for = timezone.now()  # the day it was actually carried out
    # Other open requests of the person end with them (kept as records, see the register).
    RightsRequest.objects.filter(user=user, status__in=RightsRequest.OPEN).exclude(
        pk=request.pk
    ).update(status=RightsRequest.Status.WITHDRAWN, completed_at=timezone.now())
    with translation.override(user.language or "en"):
        items = erase(user.pk, request=request)
        request.report = report_json(items, request, done=True)
    request.user = None
    request.status = RightsRequest.Status.DONE
    request.completed_at = timezone.now()
    request.save(update_fields=["user", "status", "completed_at", "scheduled_for", "report"])
    _mail(
        recipient,
        gettext_noop("Your account has been deleted"),
        "privacy/erasure_done_email.txt",
        {"request": request, "report": request.report},
    )
    if requester.email and requester.email.lower() != (recipient.email or "").lower():
        _mail(
            requester,
            gettext_noop("Your request has been answered"),
            "privacy/desk/erasure_done_requester_email.txt",
            {"request": request, "report": request.report},
        )
    return request.report


def erasures_due() -> int:
    """Carry out every erasure whose grace period has ended; returns how many."""
    due = RightsRequest.objects.filter(
        kind=RightsRequest.Kind.ERASURE,
        status=RightsRequest.Status.IN_PROGRESS,
        scheduled_for__lte=timezone.now(),
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        try:
            erasure_carry_out(request_id=pk)
        except Exception:
            # One failing erasure must not hold up everyone else's; it is retried next time
            # and staff see it overdue in the back office.
            logger.exception("Erasure request %s failed", pk)
            continue
        count += 1
    return count


# --- Rectification (P42) -------------------------------------------------------------------


@transaction.atomic
def rectification_request(*, user: Any, details: str, base_url: str) -> RightsRequest:
    """Ask staff to correct data the person cannot edit themselves."""
    now = timezone.now()
    request = RightsRequest.objects.create(
        kind=RightsRequest.Kind.RECTIFICATION,
        status=RightsRequest.Status.VERIFIED,  # signed in: identity is known
        user=user,
        details=details,
        created_at=now,
        due_at=now + ANSWER_WITHIN,
    )
    audit_record(action="privacy.rectification.requested", actor=user, target=request, subject=user)
    staff_link = base_url.rstrip("/") + reverse(
        "admin:privacy_rightsrequest_change", args=[request.pk]
    )
    staff = settings.LYCEUM_SCHOOL["dpo_email"]
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A request to correct personal data is waiting")
        body = render_to_string(
            "privacy/rectification_staff_email.txt", {"request": request, "link": staff_link}
        )
    transaction.on_commit(lambda: send_mail(subject, body, None, [staff]))
    _mail(
        user,
        gettext_noop("We have received your request"),
        "privacy/request_received_email.txt",
        {"request": request},
    )
    return request


@transaction.atomic
def rights_request_answer(
    *, request: RightsRequest, actor: Any, status: str, outcome: str
) -> RightsRequest:
    """Staff close a request, done or refused, with the answer the person receives."""
    if status not in (RightsRequest.Status.DONE, RightsRequest.Status.REFUSED):
        raise ValueError("A request is answered as done or refused.")
    request.status = status
    request.outcome = outcome
    request.handled_by = actor
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "outcome", "handled_by", "completed_at"])
    audit_record(
        action=f"privacy.{request.kind}.{status}",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["status", "outcome"],
    )
    if request.user is not None:
        _mail(
            request.user,
            gettext_noop("Your request has been answered"),
            "privacy/request_answered_email.txt",
            {"request": request},
        )
    return request


# --- Restriction and objection (P44, P45) --------------------------------------------------


@transaction.atomic
def processing_limit_set(
    *,
    user: Any,
    actor: Any,
    kind: str,
    on: bool,
    purpose: str = "",
    reason: str = "",
    notify: bool = True,
) -> bool:
    """Turn a restriction, or an objection to one purpose, on or off; returns whether
    anything changed. Takes effect at once: ``privacy.allows`` reads these rows. When
    someone else acted, the person is told by email, unless ``notify`` is off because the
    one who asked is told instead (a parent, for their child)."""
    if kind == ProcessingLimit.Kind.OBJECTION and purpose not in OBJECTABLE:
        raise ValueError(f"{purpose!r} is not a purpose one can object to.")
    if kind == ProcessingLimit.Kind.RESTRICTION:
        purpose = ""
    _lock_person(user)
    active = ProcessingLimit.objects.select_for_update().filter(
        user=user, kind=kind, purpose=purpose, lifted_at=None
    )
    if on == active.exists():
        return False
    if on:
        ProcessingLimit.objects.create(user=user, kind=kind, purpose=purpose, reason=reason)
    else:
        active.update(lifted_at=timezone.now())
    audit_record(
        action=f"privacy.{kind}.{'added' if on else 'lifted'}",
        actor=actor,
        target=user,
        subject=user,
        changed_fields=[purpose] if purpose else [],
    )
    if notify and getattr(actor, "pk", None) != user.pk:  # the person is told (Art. 18(3))
        _mail(
            user,
            gettext_noop("The use of your data has changed"),
            "privacy/limit_changed_email.txt",
            {"kind": kind, "on": on, "purpose": purpose},
        )
    return True
