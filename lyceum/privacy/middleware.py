"""Browser privacy signals (P07): ``Sec-GPC: 1`` and ``DNT: 1`` refuse analytics and
marketing, on the server, and the refusal is recorded in the consent ledger."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from lyceum.privacy.consent import (
    VISITOR_COOKIE,
    Choices,
    browser_signal,
    choices_for,
    honour_signal,
    new_visitor_id,
)

_VISITOR = re.compile(r"^[0-9a-f]{32}$")
VISITOR_COOKIE_AGE = timedelta(days=395)
# Requests that are no page a person looks at.
_SKIPPED = ("/health/", "/static/", "/media/", "/.well-known/", "/analytics/email/")


def visitor_id(request: HttpRequest) -> str:
    value = request.COOKIES.get(VISITOR_COOKIE, "")
    return value if _VISITOR.match(value) else ""


def remember_visitor(response: HttpResponse, visitor: str) -> None:
    """Give this browser its random visitor id (a necessary cookie: it only remembers the
    browser's privacy choices)."""
    if visitor:
        response.set_cookie(
            VISITOR_COOKIE,
            visitor,
            max_age=int(VISITOR_COOKIE_AGE.total_seconds()),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


class BrowserSignalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signal = browser_signal(request)
        request.privacy_signal = signal  # type: ignore[attr-defined]
        new_visitor = ""
        if signal and request.method == "GET" and not request.path.startswith(_SKIPPED):
            user_agent = request.headers.get("User-Agent", "")
            if request.user.is_authenticated:
                honour_signal(user=request.user, user_agent=user_agent)
            elif visitor := visitor_id(request):
                honour_signal(visitor_id=visitor, user_agent=user_agent)
            else:
                # No record is a no already. The refusal is written once the browser shows it
                # keeps the cookie (its next page), so clients that drop cookies write nothing.
                new_visitor = new_visitor_id()
        request.consent = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: _choices(request, new_visitor)
        )
        response = self.get_response(request)
        remember_visitor(response, new_visitor)
        return response


def _choices(request: HttpRequest, new_visitor: str) -> Choices:
    if request.user.is_authenticated:
        return choices_for(user=request.user)
    return choices_for(visitor_id=new_visitor or visitor_id(request))
