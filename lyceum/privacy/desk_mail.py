"""Links and messages of the request desk (P47, P30): the requester's signed links, and
emails to the requester and to whoever decides (each queued after its transaction commits)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lyceum.privacy.desk_selectors import controller_of_request, desk_workers
from lyceum.privacy.models import RightsRequest
from lyceum.privacy.services import ANSWER_WITHIN, EXPORT_LIFETIME

CONFIRM_SALT = "lyceum.privacy.desk.confirm"
FILE_SALT = "lyceum.privacy.desk.file"


# --- Links in emails -------------------------------------------------------------------------


def confirm_token(request: RightsRequest) -> str:
    return signing.dumps(str(request.public_id), salt=CONFIRM_SALT)


def request_from_confirm_token(token: str) -> RightsRequest | None:
    """The request a confirmation link stands for; links work until the request is due."""
    return _from_token(token, CONFIRM_SALT, ANSWER_WITHIN)


def file_token(request: RightsRequest) -> str:
    return signing.dumps(str(request.public_id), salt=FILE_SALT)


def request_from_file_token(token: str) -> RightsRequest | None:
    return _from_token(token, FILE_SALT, EXPORT_LIFETIME + timedelta(days=1))


def _from_token(token: str, salt: str, max_age: timedelta) -> RightsRequest | None:
    try:
        public_id = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return (
        RightsRequest.objects.select_related("user", "export").filter(public_id=public_id).first()
    )


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


# --- Mail --------------------------------------------------------------------------------------


def send(to: str, language: str, subject: str, template: str, context: dict[str, Any]) -> None:
    """Queue one message in ``language``, sent after the transaction commits."""
    if not to:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        text_subject = _(subject)
        body = render_to_string(template, {"school": settings.LYCEUM_SCHOOL, **context})
    transaction.on_commit(lambda: send_mail(text_subject, body, None, [to]))


def requester_of(request: RightsRequest) -> tuple[str, str, str]:
    """(address, name, language) to answer: whoever asked, or the signed-in person."""
    if request.requester_email:
        return request.requester_email, request.requester_name, request.language
    user = request.user
    if user is None:
        return "", "", ""
    return user.email or "", user.name, request.language or user.language


def tell_requester(
    request: RightsRequest, subject: str, template: str, context: dict[str, Any] | None = None
) -> None:
    address, name, language = requester_of(request)
    # Which organisation decides tells whether the person concerned has an account and
    # belongs to it: only a verified requester learns it.
    controller = controller_of_request(request) if request.verified_at is not None else None
    send(
        address,
        language,
        subject,
        template,
        {"request": request, "name": name, "controller": controller, **(context or {})},
    )


def deciders_of(request: RightsRequest, base_url: str) -> list[tuple[str, str, str]]:
    """(address, language, link) of everyone who decides the request: the organisation's
    administrators when it was routed to one (P30), otherwise the desk's staff and the DPO."""
    controller = controller_of_request(request)
    desk_link = absolute(base_url, request.get_absolute_url())
    if controller is not None:
        link = absolute(base_url, controller.request_path(request))
        people = [(u.email, u.language, link) for u in controller.administrators if u.email]
    else:
        people = [(u.email, u.language, desk_link) for u in desk_workers()]
    return with_dpo(people, desk_link)


def with_dpo(people: list[tuple[str, str, str]], link: str) -> list[tuple[str, str, str]]:
    """The DPO's address hears of every request, routed or not, with a link to the desk: the
    school stays accountable as processor. One message per address."""
    dpo = settings.LYCEUM_SCHOOL["dpo_email"]
    seen: dict[str, tuple[str, str, str]] = {}
    for address, language, url in people:
        seen.setdefault(address.lower(), (address, language, url))
    if dpo and dpo.lower() not in seen:
        seen[dpo.lower()] = (dpo, settings.LANGUAGE_CODE, link)
    return list(seen.values())


def tell_deciders(request: RightsRequest, base_url: str) -> None:
    controller = controller_of_request(request)
    for address, language, link in deciders_of(request, base_url):
        send(
            address,
            language,
            gettext_noop("A data protection request is waiting"),
            "privacy/desk/new_request_email.txt",
            {"request": request, "link": link, "controller": controller},
        )
