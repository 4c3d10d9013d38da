"""Reads of the request desk (P47, P30): who decides a request, who works the desk, queues.

The privacy core knows no app above it, so it learns who else controls a person's data (an
organisation that has made the school its processor) from a directory an app registers at
start-up (``route_with``), as apps declare their models in the register."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from lyceum.privacy.models import AuditEvent, RightsRequest

PERMISSION = "privacy.work_request_desk"
# Open requests due within this long are highlighted in the queues.
DUE_SOON = timedelta(days=7)


@dataclass(frozen=True)
class Controller:
    """Another controller of a person's data, the school being its processor (P30): its
    administrators decide the person's requests, and the platform carries them out."""

    organisation: models.Model
    administrators: tuple[Any, ...]
    # The organisation wants its members' own downloads and deletions to wait for it too.
    holds_self_service: bool
    # Where its administrators answer one request (a path, without the host).
    request_path: Callable[[RightsRequest], str]

    @property
    def name(self) -> str:
        return str(self.organisation)


class ControllerDirectory(Protocol):
    def of_person(self, user_id: int) -> Controller | None:
        """The controller of this person's data, when it is not the school and it has an
        administrator to decide."""

    def of_organisation(self, organisation: models.Model) -> Controller:
        """The controller a request was routed to."""

    def controls(self, organisation: models.Model, user_id: int) -> bool:
        """Is the person still a member whose data the organisation controls (today)?"""

    def organisations_of(self, user_id: int) -> Sequence[models.Model]:
        """The organisations the person is an accepted member of."""

    def administered_by(self, addresses: set[str]) -> Sequence[models.Model]:
        """The organisations administered by the accounts with these addresses."""


_directories: list[ControllerDirectory] = []


def route_with(directory: ControllerDirectory) -> None:
    """Called once at start-up by the app that knows organisations (``orgs/privacy.py``)."""
    if directory not in _directories:
        _directories.append(directory)


def controller_of_person(user_id: int | None) -> Controller | None:
    if user_id is None:
        return None
    for directory in _directories:
        found = directory.of_person(user_id)
        if found is not None:
            return found
    return None


def controller_of_request(request: RightsRequest) -> Controller | None:
    organisation = routed_organisation(request)
    if organisation is None or not _directories:
        return None
    return _directories[0].of_organisation(organisation)


def still_controls(organisation: models.Model, user_id: int | None) -> bool:
    """Does the organisation a request was routed to still control the subject's data: an
    accepted member, under a current contract that makes it the controller (P30)?"""
    if user_id is None:
        return False
    return any(d.controls(organisation, user_id) for d in _directories)


def requester_administers_subject(request: RightsRequest) -> bool:
    """Is whoever asked an administrator of the organisation the request was routed to, or
    of one the subject belongs to? Such a person cannot vouch for the request as "the
    person's organisation" (P30)."""
    address = (request.requester_email or "").strip().lower()
    if not address or not _directories:
        return False
    theirs: list[models.Model] = []
    if (routed := routed_organisation(request)) is not None:
        theirs.append(routed)
    for directory in _directories:
        if request.user_id is not None:
            theirs += list(directory.organisations_of(request.user_id))
        if any(o in theirs for o in directory.administered_by({address})):
            return True
    return False


def addresses_of(user: Any, *, confirmed_only: bool = True) -> set[str]:
    """The addresses of an account, lower-case: its own, and the other addresses it has
    confirmed (all of them, confirmed or not, with ``confirmed_only=False``)."""
    from allauth.account.models import EmailAddress

    if user is None:
        return set()
    found = {(user.email or "").lower()} - {""}
    rows = EmailAddress.objects.filter(user_id=user.pk)
    if confirmed_only:
        rows = rows.filter(verified=True)
    return found | {e.lower() for e in rows.values_list("email", flat=True)}


def confirmed_address(user: Any) -> str:
    """The account's address when its owner has confirmed it, else ""."""
    from allauth.account.models import EmailAddress

    email = (getattr(user, "email", None) or "").lower()
    if not email:
        return ""
    confirmed = EmailAddress.objects.filter(
        user_id=user.pk, email__iexact=email, verified=True
    ).exists()
    return email if confirmed else ""


def routed_organisation(request: RightsRequest) -> models.Model | None:
    if request.controller_type_id is None or request.controller_id is None:
        return None
    model = ContentType.objects.get_for_id(request.controller_type_id).model_class()
    if model is None:
        return None
    return model._base_manager.filter(pk=request.controller_id).first()


# A request by the public form whose requester has not confirmed their address yet: nobody
# but the desk sees it, and it is closed after a week (P47).
UNCONFIRMED_FORM = Q(channel=RightsRequest.Channel.FORM, email_confirmed_at=None)


def requests_routed_to(organisation: models.Model) -> QuerySet[RightsRequest]:
    """The requests an organisation's administrators decide (P30); a form request reaches
    them once its requester has confirmed their address."""
    return (
        RightsRequest.objects.filter(
            controller_type=ContentType.objects.get_for_model(organisation),
            controller_id=organisation.pk,
        )
        .exclude(UNCONFIRMED_FORM)
        .select_related("user")
    )


# --- Who works the desk ----------------------------------------------------------------------


def can_work_desk(user: Any) -> bool:
    """Staff who answer requests: the DPO, and staff given the permission (P15)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (getattr(user, "is_dpo", False) or user.has_perm(PERMISSION))
    )


def desk_workers() -> QuerySet[Any]:
    """Everyone who works the desk, for reminders: the DPO, staff with the permission (in
    person or through a group) and superusers."""
    permission = Permission.objects.filter(
        codename="work_request_desk", content_type__app_label="privacy"
    ).first()
    who = Q(is_dpo=True) | Q(is_superuser=True)
    if permission is not None:
        who |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    return (
        get_user_model()
        ._default_manager.filter(who, is_active=True, is_staff=True)
        .exclude(email=None)
        .distinct()
    )


# --- Queues ----------------------------------------------------------------------------------


def desk_queue(
    *,
    status: str = "open",
    kind: str = "",
    overdue: bool = False,
    controller: str = "",
    now: datetime | None = None,
) -> QuerySet[RightsRequest]:
    """The staff queue, soonest due first. ``status``: "open", "all" or one status;
    ``controller``: "" (everyone), "school", "organisations" or "<content type>:<id>"."""
    now = now or timezone.now()
    requests = RightsRequest.objects.select_related("user", "handled_by")
    return _filtered(requests, status=status, kind=kind, overdue=overdue, now=now).filter(
        _controller_condition(controller)
    )


def organisation_queue(
    organisation: models.Model, *, status: str = "open", kind: str = "", overdue: bool = False
) -> QuerySet[RightsRequest]:
    return _filtered(
        requests_routed_to(organisation),
        status=status,
        kind=kind,
        overdue=overdue,
        now=timezone.now(),
    )


def _filtered(
    requests: QuerySet[RightsRequest], *, status: str, kind: str, overdue: bool, now: datetime
) -> QuerySet[RightsRequest]:
    if status == "open" or overdue:
        requests = requests.filter(status__in=RightsRequest.OPEN)
    if status not in ("open", "all", ""):
        requests = requests.filter(status=status)
    if kind:
        requests = requests.filter(kind=kind)
    if overdue:
        requests = requests.filter(due_at__lt=now)
    return requests.order_by("due_at", "pk")


def _controller_condition(controller: str) -> Q:
    if controller == "school":
        return Q(controller_id=None)
    if controller == "organisations":
        return Q(controller_id__isnull=False)
    if ":" in controller:
        type_id, _, object_id = controller.partition(":")
        if type_id.isdigit() and object_id.isdigit():
            return Q(controller_type_id=int(type_id), controller_id=int(object_id))
        return Q(pk__in=[])
    return Q()


def routed_controllers() -> list[tuple[str, str]]:
    """(filter value, name) of every organisation that has had requests routed to it."""
    pairs = (
        RightsRequest.objects.filter(controller_id__isnull=False)
        .values_list("controller_type_id", "controller_id")
        .distinct()
    )
    found = []
    for type_id, object_id in pairs:
        model = ContentType.objects.get_for_id(type_id).model_class()
        obj = model._base_manager.filter(pk=object_id).first() if model else None
        found.append((f"{type_id}:{object_id}", str(obj) if obj else f"#{object_id}"))
    return sorted(found, key=lambda pair: pair[1].lower())


def mark_deadlines(requests: list[RightsRequest], now: datetime | None = None) -> None:
    """Set ``overdue`` and ``due_soon`` on each request, for the queues' highlighting."""
    now = now or timezone.now()
    for request in requests:
        request.overdue = request.is_open and request.due_at < now  # type: ignore[attr-defined]
        request.due_soon = (  # type: ignore[attr-defined]
            request.is_open and now <= request.due_at < now + DUE_SOON
        )


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    action: str
    actor: str


def request_history(request: RightsRequest) -> list[HistoryLine]:
    """What happened to a request, from the audit log (P15, P16): who did what, when."""
    events = AuditEvent.objects.filter(
        target_type=RightsRequest._meta.label_lower, target_id=str(request.pk)
    ).order_by("id")
    actor_ids = {e.actor_id for e in events if e.actor_id}
    names = dict(get_user_model()._base_manager.filter(pk__in=actor_ids).values_list("pk", "name"))
    return [
        HistoryLine(at=e.created_at, action=e.action, actor=names.get(e.actor_id or 0, ""))
        for e in events
    ]
