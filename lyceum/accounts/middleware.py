from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.selectors import user_has_second_factor

# Back-office pages show other people's data to whoever reaches them.
PRIVILEGED_PREFIXES = ("/admin/", "/privacy/requests/queue/")


class UserPreferencesMiddleware:
    """A signed-in person sees the site in their language and their time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


def second_factor_missing(request: AuthenticatedRequest) -> HttpResponse | None:
    """For views that show other people's data (P11): the way to set up a second factor,
    or None when the person already has one. Call it after the view's own access check,
    so that people who may not see the page at all are not told to set one up."""
    if user_has_second_factor(request.user):
        return None
    messages.warning(
        request,
        _(
            "Pages that show other people's data need two-factor authentication. "
            "Turn it on below, then try again."
        ),
    )
    return redirect("mfa_index")


class SecondFactorNeeded(Exception):
    """A view found that this page shows other people's data to someone without a second
    factor; ``SecondFactorRequiredMiddleware`` sends them to set one up."""


class SecondFactorRequiredMiddleware:
    """Staff reach the back office, which shows everyone's data, only with a second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.path.startswith(PRIVILEGED_PREFIXES) and request.user.is_staff:
            return second_factor_missing(cast(AuthenticatedRequest, request))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SecondFactorNeeded):
            return second_factor_missing(cast(AuthenticatedRequest, request))
        return None
