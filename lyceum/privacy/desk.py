"""The request desk (P47, P30): requests from people without an account, from a company's
representative, or routed to an organisation that controls its members' data.

Each write is one atomic service that checks the request's state, changes it, writes the
audit event in the same transaction and queues its emails on commit. The state machine:
received → verified (identity, and a representative's authority) → in progress → done or
refused, due 30 days after receipt, extended at most once by up to two months with the
reason told (GDPR Art. 12(3)); reminders at day 20 and 27, escalation when overdue.

Who may do what: a verification holds only for the account the request is linked to now
(an address confirmed proves identity only when it is one of that account's); nobody verifies
or decides a request they made themselves; a copy of someone's data goes only to that person
at their account's address, or to a representative whose authority was verified with recorded
evidence; and the person concerned is told when someone else's request about them is verified
and when it is carried out."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lyceum.privacy.audit import audit_record
from lyceum.privacy.desk_mail import (
    absolute,
    confirm_token,
    file_token,
    requester_of,
    send,
    tell_deciders,
    tell_requester,
)
from lyceum.privacy.desk_selectors import (
    Controller,
    addresses_of,
    confirmed_address,
    controller_of_person,
    controller_of_request,
    requester_administers_subject,
    routed_organisation,
    still_controls,
)
from lyceum.privacy.models import DataExport, ProcessingLimit, RightsRequest
from lyceum.privacy.register import OBJECTABLE
from lyceum.privacy.services import (
    ANSWER_WITHIN,
    data_export_fill,
    erasure_request,
    processing_limit_set,
)

Kind, Status = RightsRequest.Kind, RightsRequest.Status
Channel, Verification = RightsRequest.Channel, RightsRequest.Verification

EXTENSION_MONTHS = (1, 2)

CARRY_OUT, ANSWER, REFUSE = "carry_out", "answer", "refuse"
# What the platform can carry out by itself, given the subject's account.
CARRIED_OUT = (Kind.ACCESS, Kind.PORTABILITY, Kind.ERASURE, Kind.RESTRICTION, Kind.OBJECTION)
COPIES = (Kind.ACCESS, Kind.PORTABILITY)
# Evidence shorter than this says nothing ("ok").
MIN_EVIDENCE = 5
# A form request whose requester has not confirmed their address within this is closed.
UNCONFIRMED_AFTER = timedelta(days=7)


class DeskError(Exception):
    """A step the request's state does not allow; the message is shown to the person acting."""


# --- Helpers -----------------------------------------------------------------------------------


def _account_with(email: str) -> Any:
    """The account whose address this is, if any (addresses are stored lower-case)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return get_user_model()._base_manager.filter(email=email).first()


def _route(request: RightsRequest, controller: Controller | None) -> None:
    """Point the request at the organisation that decides it, or at the school."""
    if controller is None:
        request.controller_type = None
        request.controller_id = None
    else:
        request.controller_type = ContentType.objects.get_for_model(controller.organisation)
        request.controller_id = controller.organisation.pk


def _locked(request: RightsRequest) -> RightsRequest:
    return (
        RightsRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=request.pk)
    )


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _self_service(request: RightsRequest) -> bool:
    """Asked by the person themselves, signed in to their account."""
    return request.channel == Channel.SELF_SERVICE and not request.requester_email


def _address_is_accounts(request: RightsRequest) -> bool:
    """Is the requester's address one of the linked account's (or is no account linked)?"""
    if request.user is None:
        return True
    return (request.requester_email or "").lower() in addresses_of(request.user)


def requester_is_subject(request: RightsRequest) -> bool:
    """Did the person concerned ask themselves: signed in, or from their account's address?"""
    if request.user is None:
        return False
    if _self_service(request):
        return True
    return not request.on_behalf and _address_is_accounts(request)


def made_by(request: RightsRequest, actor: Any) -> bool:
    """Is ``actor`` who asked for this request (signed in, or from one of their addresses)?"""
    if actor is None or getattr(actor, "pk", None) is None:
        return False
    if not request.requester_email:
        return request.user_id == actor.pk
    return request.requester_email.lower() in addresses_of(actor, confirmed_only=False)


def verification_problem(request: RightsRequest) -> str | None:
    """Why what was recorded does not establish who asked, for the request as it stands now
    (its account, its requester); None when it does."""
    if _self_service(request):
        return None if request.user_id is not None else _("The account no longer exists.")
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS) or request.verified_at is None:
        return _("The requester’s identity is not verified yet.")
    if request.channel == Channel.FORM and request.email_confirmed_at is None:
        return _("The requester has not confirmed their email address yet.")
    method = request.verification_method
    if method == Verification.EMAIL:
        if request.on_behalf:
            return _(
                "A confirmed address does not show a representative’s authority: record the "
                "evidence of it."
            )
        if request.email_confirmed_at is None or not _address_is_accounts(request):
            return _(
                "The address the requester confirmed is not the account’s: check their "
                "identity another way and record the evidence."
            )
        return None
    if method == Verification.ACCOUNT:
        return _("Only a request made while signed in is verified by the account.")
    if len((request.verification_note or "").strip()) < MIN_EVIDENCE:
        return _("No evidence was recorded when the request was verified.")
    if method == Verification.ORGANISATION and requester_administers_subject(request):
        return _(
            "The requester administers the person’s organisation: the organisation cannot "
            "vouch for its own request."
        )
    return None


def carry_out_problem(request: RightsRequest) -> str | None:
    """Why the platform may not carry the request out now; None when it may."""
    if request.user is None:
        return _("No account is linked: whatever we hold must be found and answered by hand.")
    if problem := verification_problem(request):
        return problem
    to_someone_else = not _self_service(request) and not request.on_behalf
    if request.kind in COPIES and to_someone_else and not _address_is_accounts(request):
        return _(
            "A copy of the data goes only to the account’s own address, or to a "
            "representative whose authority was verified: answer this request by hand."
        )
    return None


def verification_methods(request: RightsRequest) -> list[str]:
    """How staff or an organisation may record the requester as verified: never "signed in"
    (only self-service requests are) nor "confirmed address" (only the requester's link does
    that), and not "by the organisation" when the requester administers it."""
    methods = [
        m for m in Verification.values if m not in (Verification.ACCOUNT, Verification.EMAIL)
    ]
    if requester_administers_subject(request):
        methods.remove(Verification.ORGANISATION)
    return methods


def verify_problem(request: RightsRequest, actor: Any) -> str | None:
    """Why ``actor`` cannot record the request as verified now; None when they can."""
    if request.status != Status.RECEIVED:
        return _("This request is not waiting for verification.")
    if made_by(request, actor):
        return _("You made this request yourself: someone else must verify and decide it.")
    if request.channel == Channel.FORM and request.email_confirmed_at is None:
        return _(
            "The requester has not confirmed their email address yet: the request can be "
            "verified once they have."
        )
    return None


def _routing_lapsed(request: RightsRequest) -> bool:
    """Routed to an organisation that no longer controls the person's data (P30)."""
    if request.controller_id is None:
        return False
    organisation = routed_organisation(request)
    return organisation is None or not still_controls(organisation, request.user_id)


def _check_actor(request: RightsRequest, actor: Any) -> None:
    if made_by(request, actor):
        raise DeskError(
            _("You made this request yourself: someone else must verify and decide it.")
        )
    if _routing_lapsed(request):
        raise DeskError(
            _(
                "The person is no longer a member whose data this organisation controls: the "
                "request has gone back to the school."
            )
        )


def decisions_for(request: RightsRequest) -> list[str]:
    """What whoever decides may do with the request now."""
    if not request.is_open:
        return []
    if request.status == Status.RECEIVED:
        return [REFUSE]  # identity first; refusing (it could not be verified) is always open
    if request.kind == Kind.ERASURE and request.scheduled_for is not None:
        return []  # being erased: runs by itself when the grace period ends
    if verification_problem(request) is not None:
        return [REFUSE]
    choices = [ANSWER, REFUSE]
    if request.kind in CARRIED_OUT and carry_out_problem(request) is None:
        choices.insert(0, CARRY_OUT)
    return choices


def _tell_subject(request: RightsRequest, event: str) -> None:
    """Someone else's request about a person was verified, or carried out: the person is
    told what was asked and by whom, and how to object (P47, P30). Only at an address they
    confirmed, and not when they asked themselves."""
    user = request.user
    if user is None or requester_is_subject(request):
        return
    address = confirmed_address(user)
    if not address:
        return
    subjects = {
        "verified": gettext_noop("A request about your data"),
        "done": gettext_noop("A request about your data was carried out"),
    }
    send(
        address,
        user.language,
        subjects[event],
        "privacy/desk/subject_notice_email.txt",
        {
            "request": request,
            "event": event,
            "name": user.name,
            "controller": controller_of_request(request),
        },
    )


# --- Receiving -----------------------------------------------------------------------------


@transaction.atomic
def desk_request_submit(
    *,
    kind: str,
    requester_name: str,
    requester_email: str,
    language: str,
    base_url: str,
    on_behalf: bool = False,
    representative_of: str = "",
    subject_name: str = "",
    subject_email: str = "",
    details: str = "",
    channel: str = RightsRequest.Channel.FORM,
    actor: Any = None,
    received_at: datetime | None = None,
) -> RightsRequest:
    """A request by form, or by email or letter entered by staff (P47): due 30 days after
    receipt. The requester is asked to confirm their address; when the person concerned is
    a member of an organisation that controls their data, the request goes to its
    administrators (P30)."""
    received = received_at or timezone.now()
    requester_email = requester_email.strip().lower()
    subject_email = subject_email.strip().lower() if on_behalf else ""
    user = _account_with(subject_email if on_behalf else requester_email)
    request = RightsRequest(
        kind=kind,
        status=Status.RECEIVED,
        channel=channel,
        user=user,
        requester_name=requester_name.strip(),
        requester_email=requester_email,
        on_behalf=on_behalf,
        representative_of=representative_of.strip() if on_behalf else "",
        subject_name=subject_name.strip() if on_behalf else "",
        subject_email=subject_email,
        language=language,
        details=details.strip(),
        created_at=received,
        due_at=received + ANSWER_WITHIN,
    )
    _route(request, controller_of_person(user.pk if user else None))
    request.save()
    audit_record(
        action="privacy.desk.received",
        actor=actor,
        target=request,
        subject=user,
        changed_fields=["kind", "channel", "requester_email", "user"],
    )
    link = absolute(base_url, reverse("desk:confirm", args=[confirm_token(request)]))
    tell_requester(
        request,
        gettext_noop("Please confirm your data protection request"),
        "privacy/desk/confirm_email.txt",
        {"link": link},
    )
    if channel == RightsRequest.Channel.STAFF and request.controller_id is not None:
        tell_deciders(request, base_url)  # staff know; the organisation must hear of it
    return request


@transaction.atomic
def desk_email_confirm(*, request: RightsRequest, base_url: str) -> RightsRequest:
    """The requester followed the link: their address is theirs. For a person asking about
    themselves that verifies them when the address is the account's, or no account is linked
    (the address is what identifies them to us; linking an account later starts the check
    again unless it is that account's). A representative's authority still needs staff
    (P47). The requester is sent a neutral acknowledgement with the due date (nothing about
    an account or an organisation), and the deciders hear of the request."""
    request = _locked(request)
    if request.email_confirmed_at is not None or not request.is_open:
        return request
    request.email_confirmed_at = timezone.now()
    changed = ["email_confirmed_at"]
    asked_for_themselves = not request.on_behalf and _address_is_accounts(request)
    if request.status == Status.RECEIVED and asked_for_themselves:
        request.status = Status.VERIFIED
        request.verified_at = request.email_confirmed_at
        request.verification_method = RightsRequest.Verification.EMAIL
        changed += ["status", "verified_at", "verification_method"]
    request.save(update_fields=changed)
    audit_record(
        action="privacy.desk.address_confirmed",
        target=request,
        subject=request.user,
        changed_fields=changed,
    )
    if _routing_lapsed(request):  # the person left the organisation since (P30)
        _return_to_school(request, None)
    tell_requester(
        request,
        gettext_noop("We have received your request"),
        "privacy/desk/acknowledged_email.txt",
    )
    if request.channel == RightsRequest.Channel.FORM:
        tell_deciders(request, base_url)
    return request


@transaction.atomic
def desk_self_service_route(
    *, user: Any, kind: str, controller: Controller, base_url: str, details: str = ""
) -> RightsRequest:
    """A member of an organisation that controls their data asked for a copy, a deletion or
    a correction: the organisation's administrators decide (P30). The person is signed in,
    so verified; asking twice gives the same request."""
    get_user_model()._base_manager.select_for_update().filter(pk=user.pk).first()
    organisation = controller.organisation
    existing = RightsRequest.objects.filter(
        user=user,
        kind=kind,
        status__in=RightsRequest.OPEN,
        controller_type=ContentType.objects.get_for_model(organisation),
        controller_id=organisation.pk,
    ).first()
    if existing is not None and kind != Kind.RECTIFICATION:
        return existing
    now = timezone.now()
    request = RightsRequest(
        kind=kind,
        status=Status.VERIFIED,
        channel=RightsRequest.Channel.SELF_SERVICE,
        user=user,
        language=user.language,
        details=details,
        created_at=now,
        due_at=now + ANSWER_WITHIN,
        verified_at=now,
        verification_method=RightsRequest.Verification.ACCOUNT,
    )
    _route(request, controller)
    request.save()
    audit_record(
        action="privacy.desk.received",
        actor=user,
        target=request,
        subject=user,
        changed_fields=["kind", "channel"],
    )
    tell_requester(
        request,
        gettext_noop("We have received your request"),
        "privacy/desk/acknowledged_email.txt",
    )
    tell_deciders(request, base_url)
    return request


# --- Working it ------------------------------------------------------------------------------


@transaction.atomic
def desk_verify(
    *, request: RightsRequest, actor: Any, method: str, note: str = ""
) -> RightsRequest:
    """Record how the requester's identity (and a representative's authority) was checked.
    The note says what was seen, never a copy of a document; it is required. Nobody verifies
    their own request, and a form request only once its requester confirmed their address.
    The person concerned, when someone else asked, is told (P47, P30)."""
    request = _locked(request)
    if method not in Verification.values:
        raise ValueError(f"unknown verification method {method!r}")
    if problem := verify_problem(request, actor):
        raise DeskError(problem)
    _check_actor(request, actor)
    if method not in verification_methods(request):
        raise DeskError(_("This way of checking is not available for this request."))
    if len(note.strip()) < MIN_EVIDENCE:
        raise DeskError(_("Say what evidence you saw."))
    request.status = Status.VERIFIED
    request.verified_at = timezone.now()
    request.verification_method = method
    request.verification_note = note.strip()
    request.save(
        update_fields=["status", "verified_at", "verification_method", "verification_note"]
    )
    audit_record(
        action="privacy.desk.verified",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["status", "verification_method", "verification_note"],
    )
    _tell_subject(request, "verified")
    return request


@transaction.atomic
def desk_extend(*, request: RightsRequest, actor: Any, months: int, reason: str) -> RightsRequest:
    """Extend the deadline once, by one or two months, before it passes, telling the
    requester why (GDPR Art. 12(3)). The reminders start again before the new date."""
    request = _locked(request)
    if months not in EXTENSION_MONTHS:
        raise ValueError("An extension is one or two months.")
    if not request.is_open:
        raise DeskError(_("Only an open request can be extended."))
    if request.extended_at is not None:
        raise DeskError(_("This request was extended already; the law allows it once."))
    now = timezone.now()
    if request.due_at < now:
        raise DeskError(_("The deadline has passed: a request can only be extended before it."))
    request.due_at = add_months(request.due_at, months)
    request.extended_at = now
    request.extension_reason = reason.strip()
    request.first_reminder_at = request.second_reminder_at = request.escalated_at = None
    request.save(
        update_fields=[
            "due_at",
            "extended_at",
            "extension_reason",
            "first_reminder_at",
            "second_reminder_at",
            "escalated_at",
        ]
    )
    audit_record(
        action="privacy.desk.extended",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["due_at", "extension_reason"],
    )
    tell_requester(
        request,
        gettext_noop("We need more time to answer your request"),
        "privacy/desk/extended_email.txt",
    )
    return request


@transaction.atomic
def desk_start(*, request: RightsRequest, actor: Any) -> RightsRequest:
    """Someone takes the verified request on."""
    request = _locked(request)
    if request.status != Status.VERIFIED:
        raise DeskError(_("Only a verified request can be started."))
    request.status = Status.IN_PROGRESS
    request.handled_by = actor
    request.save(update_fields=["status", "handled_by"])
    audit_record(
        action="privacy.desk.started",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["status", "handled_by"],
    )
    return request


@transaction.atomic
def desk_subject_link(
    *, request: RightsRequest, actor: Any, email: str, base_url: str
) -> RightsRequest:
    """Staff find the account the request is about (the requester wrote from another
    address). A verification made before holds for the new account only when the requester
    confirmed one of its addresses, asking for themselves; otherwise the identity check
    starts again. A member of a controlling organisation sends the request there (P30)."""
    request = _locked(request)
    if not request.is_open or request.scheduled_for is not None:
        raise DeskError(_("Only an open request can be linked to an account."))
    user = _account_with(email)
    if user is None:
        raise DeskError(_("No account has this email address."))
    relinked = request.user_id != user.pk
    request.user = user
    changed = ["user"]
    proven = (
        not request.on_behalf
        and request.email_confirmed_at is not None
        and _address_is_accounts(request)
    )
    if (
        relinked
        and request.status != Status.RECEIVED
        and not (proven and request.verification_method == Verification.EMAIL)
    ):
        request.status = Status.RECEIVED
        request.verified_at = None
        request.verification_method = ""
        request.verification_note = ""
        changed += ["status", "verified_at", "verification_method", "verification_note"]
    if request.status == Status.RECEIVED and proven:
        request.status = Status.VERIFIED
        request.verified_at = timezone.now()
        request.verification_method = Verification.EMAIL
        changed = list(dict.fromkeys([*changed, "status", "verified_at", "verification_method"]))
    was_routed = request.controller_id
    _route(request, controller_of_person(user.pk))
    changed += ["controller_type", "controller_id"]
    request.save(update_fields=changed)
    audit_record(
        action="privacy.desk.subject_linked",
        actor=actor,
        target=request,
        subject=user,
        changed_fields=changed,
    )
    waiting = request.channel == Channel.FORM and request.email_confirmed_at is None
    if request.controller_id is not None and request.controller_id != was_routed and not waiting:
        tell_deciders(request, base_url)  # an unconfirmed one: when the requester confirms
    return request


def _return_to_school(request: RightsRequest, actor: Any) -> None:
    _route(request, None)
    request.save(update_fields=["controller_type", "controller_id"])
    audit_record(
        action="privacy.desk.returned_to_school",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["controller_type", "controller_id"],
    )


@transaction.atomic
def desk_route_check(*, request: RightsRequest, actor: Any, base_url: str) -> RightsRequest:
    """Routing was decided at receipt; before anyone acts it is checked again (P30). When the
    person is no longer an accepted member under a contract that makes the organisation the
    controller, the request goes back to the school's queue (audit-logged), and the
    organisation can no longer act on it."""
    request = _locked(request)
    if not request.is_open or request.scheduled_for is not None:
        return request
    if not _routing_lapsed(request):
        return request
    _return_to_school(request, actor)
    if not (request.channel == Channel.FORM and request.email_confirmed_at is None):
        tell_deciders(request, base_url)
    return request


TAKEN_OVER_NO_ADMINISTRATOR = "no_administrator"
TAKEN_OVER_OVERDUE = "overdue"


def take_over_reason(request: RightsRequest, actor: Any, now: datetime | None = None) -> str:
    """Why the school's DPO may take a routed request over, or "": its organisation has no
    accepted administrator to answer, or it is overdue (P30, P47)."""
    if not getattr(actor, "is_dpo", False) or not request.is_open:
        return ""
    if request.controller_id is None or request.scheduled_for is not None:
        return ""
    controller = controller_of_request(request)
    if controller is None or not controller.administrators:
        return TAKEN_OVER_NO_ADMINISTRATOR
    if request.due_at < (now or timezone.now()):
        return TAKEN_OVER_OVERDUE
    return ""


@transaction.atomic
def desk_take_over(*, request: RightsRequest, actor: Any, base_url: str) -> RightsRequest:
    """The DPO answers a routed request the organisation cannot or did not: it comes back to
    the school's queue, with the reason in the audit log, and the organisation's
    administrators (if any) are told."""
    request = _locked(request)
    reason = take_over_reason(request, actor)
    if not reason:
        raise DeskError(
            _("The organisation decides this request: it has administrators and is not overdue.")
        )
    controller = controller_of_request(request)
    _route(request, None)
    request.save(update_fields=["controller_type", "controller_id"])
    audit_record(
        action=f"privacy.desk.taken_over_{reason}",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["controller_type", "controller_id"],
    )
    for person in controller.administrators if controller is not None else ():
        send(
            person.email,
            person.language,
            gettext_noop("The school's data protection officer took over a request"),
            "privacy/desk/taken_over_email.txt",
            {"request": request, "controller": controller, "reason": reason},
        )
    return request


@transaction.atomic
def desk_decide(
    *,
    request: RightsRequest,
    actor: Any,
    decision: str,
    outcome: str,
    base_url: str,
    purposes: list[str] | None = None,
) -> RightsRequest:
    """Answer a request: carry it out (the platform does it, with the existing services),
    answer it as done by hand, or refuse it with the reason. The requester receives the
    answer, with the complaint they may make (GDPR Art. 12(4)). Nobody decides a request they
    made; carrying out needs a verification that holds for the account linked now; the
    person concerned, when someone else asked, is told it was done."""
    request = _locked(request)
    _check_actor(request, actor)
    worked_on = request.status != Status.RECEIVED and request.is_open
    if decision == CARRY_OUT and worked_on and (problem := carry_out_problem(request)):
        raise DeskError(problem)
    if decision not in decisions_for(request):
        raise DeskError(_("This request cannot be answered that way now."))
    request.outcome = outcome.strip()
    request.handled_by = actor
    if decision != CARRY_OUT:
        closed = _close(request, actor, Status.DONE if decision == ANSWER else Status.REFUSED)
        if decision == ANSWER:
            _tell_subject(closed, "done")
        return closed
    if request.kind in COPIES:
        from lyceum.privacy.tasks import build_request_archive

        request.status = Status.IN_PROGRESS
        request.save(update_fields=["status", "outcome", "handled_by"])
        _audit_decision(request, actor)
        transaction.on_commit(lambda: build_request_archive(request.pk, base_url))
        return request
    if request.kind == Kind.ERASURE:
        erased = _erase(request, actor, base_url)
        _tell_subject(erased, "done")
        return erased
    user = request.user
    if request.kind == Kind.RESTRICTION:
        processing_limit_set(
            user=user,
            actor=actor,
            kind=ProcessingLimit.Kind.RESTRICTION,
            on=True,
            reason=request.details,
        )
    else:
        chosen = [p for p in (purposes or []) if p in OBJECTABLE]
        if not chosen:
            raise DeskError(_("Choose what the person objects to."))
        for purpose in chosen:
            processing_limit_set(
                user=user,
                actor=actor,
                kind=ProcessingLimit.Kind.OBJECTION,
                purpose=purpose,
                on=True,
                reason=request.details,
            )
    closed = _close(request, actor, Status.DONE)
    _tell_subject(closed, "done")
    return closed


def _audit_decision(request: RightsRequest, actor: Any) -> None:
    audit_record(
        action="privacy.desk.carried_out",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["status", "outcome", "handled_by"],
    )


def _close(request: RightsRequest, actor: Any, status: str) -> RightsRequest:
    request.status = status
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "outcome", "handled_by", "completed_at"])
    audit_record(
        action=f"privacy.desk.{status}",
        actor=actor,
        target=request,
        subject=request.user,
        changed_fields=["status", "outcome"],
    )
    tell_requester(
        request, gettext_noop("Your request has been answered"), "privacy/desk/answered_email.txt"
    )
    return request


def _erase(request: RightsRequest, actor: Any, base_url: str) -> RightsRequest:
    """Through the erasure service: the account is out of use at once and erased when the
    grace period ends; the person can keep it until then (P43). The requester hears when it
    is done."""
    user = request.user
    already = RightsRequest.objects.filter(
        user=user, kind=Kind.ERASURE, status=Status.IN_PROGRESS, scheduled_for__isnull=False
    ).first()
    if already is not None:
        raise DeskError(
            _("This account is being deleted already: answer the request as done instead.")
        )
    request.save(update_fields=["outcome", "handled_by"])
    _audit_decision(request, actor)
    erasure_request(user=user, actor=actor, base_url=base_url, rights_request=request)
    request.refresh_from_db()
    address, _name, _language = requester_of(request)
    subject_address = (user.email or "").lower() if user is not None else ""
    if request.status == Status.IN_PROGRESS and address.lower() != subject_address:
        tell_requester(
            request,
            gettext_noop("Your request is being carried out"),
            "privacy/desk/erasure_scheduled_requester_email.txt",
        )
    return request


# --- Files sent --------------------------------------------------------------------------------


@transaction.atomic
def desk_archive_build(*, request_id: int, base_url: str) -> RightsRequest | None:
    """Build the copy of the subject's data with the export engine (P41, P46), keep it for 7
    days, and send the requester a link to it (a job; it may run twice)."""
    request = (
        RightsRequest.objects.select_for_update(of=("self",))
        .select_related("user", "handled_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.status != Status.IN_PROGRESS or request.user is None:
        return request
    if request.kind not in COPIES:
        return request
    if carry_out_problem(request) is not None:
        # The account linked or the verification changed since the decision: nothing is
        # sent; staff see it in the request's history.
        audit_record(action="privacy.desk.file_refused", target=request, subject=request.user)
        return request
    user = request.user
    export = DataExport.objects.create(user=user)
    data_export_fill(export=export, actor=request.handled_by, language=request.language or None)
    request.export = export
    request.files_sent = [
        *request.files_sent,
        {
            "name": (export.archive.name or "").rsplit("/", 1)[-1],
            "size": export.archive.size,
            "sent_at": timezone.now().isoformat(),
            "expires_at": export.expires_at.isoformat() if export.expires_at else None,
            "downloaded_at": None,
        },
    ]
    request.status = Status.DONE
    request.completed_at = timezone.now()
    request.save(update_fields=["export", "files_sent", "status", "completed_at"])
    audit_record(
        action="privacy.desk.file_sent",
        actor=request.handled_by,
        target=request,
        subject=user,
        changed_fields=["export", "files_sent", "status"],
    )
    link = absolute(base_url, reverse("desk:file", args=[file_token(request)]))
    tell_requester(
        request,
        gettext_noop("Your request has been answered"),
        "privacy/desk/answered_email.txt",
        {"link": link, "expires_at": export.expires_at},
    )
    _tell_subject(request, "done")
    return request


@transaction.atomic
def desk_archive_failed(*, request_id: int) -> None:
    """Every try to build the copy failed: written in the request's history; it stays in
    progress, and carrying it out again tries again."""
    request = RightsRequest.objects.filter(pk=request_id, status=Status.IN_PROGRESS).first()
    if request is not None:
        audit_record(action="privacy.desk.file_failed", target=request, subject=request.user)


@transaction.atomic
def desk_file_downloaded(*, request: RightsRequest) -> None:
    """The requester downloaded the file sent to them: recorded with the files sent."""
    request = _locked(request)
    now = timezone.now().isoformat()
    files = [dict(f) for f in request.files_sent]
    if files and not files[-1].get("downloaded_at"):
        files[-1]["downloaded_at"] = now
        request.files_sent = files
        request.save(update_fields=["files_sent"])
    audit_record(
        action="privacy.desk.file_downloaded",
        target=request,
        subject=request.user,
        changed_fields=["files_sent"],
    )


# --- Housekeeping ------------------------------------------------------------------------------


def desk_unconfirmed_close(*, now: datetime | None = None) -> int:
    """Close the form requests whose requester has not confirmed their address within 7 days
    (refused, "not confirmed"), each audit-logged; nobody is emailed, since the address was
    never shown to be the requester's. Idempotent; returns how many were closed. Run by the
    hourly job of the desk (``desk_reminders_send``)."""
    now = now or timezone.now()
    stale = RightsRequest.objects.filter(
        channel=Channel.FORM,
        status=Status.RECEIVED,
        email_confirmed_at=None,
        created_at__lt=now - UNCONFIRMED_AFTER,
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(stale):
        with transaction.atomic():
            request = (
                RightsRequest.objects.select_for_update()
                .filter(pk=pk, status=Status.RECEIVED, email_confirmed_at=None)
                .first()
            )
            if request is None:
                continue
            with translation.override(request.language or settings.LANGUAGE_CODE):
                request.outcome = _(
                    "Closed: the requester did not confirm their email address within 7 days."
                )
            request.status = Status.REFUSED
            request.completed_at = now
            request.save(update_fields=["status", "outcome", "completed_at"])
            audit_record(
                action="privacy.desk.not_confirmed",
                target=request,
                subject=request.user_id,
                changed_fields=["status", "outcome"],
            )
        closed += 1
    return closed
