"""Every cookie the site may set, with its category (P06).

The cookie policy is generated from this list, and ``CookieConsentMiddleware`` enforces it:
a cookie whose category the visitor has not allowed never leaves the server, and a cookie
nobody declared never leaves it either. Apps declare theirs with ``declare_cookie``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lyceum.privacy.register import CONSENT_PURPOSES, Purpose

logger = logging.getLogger(__name__)

NECESSARY = "necessary"
CATEGORIES = (NECESSARY, *(p.value for p in CONSENT_PURPOSES))


@dataclass(frozen=True)
class Cookie:
    name: str
    category: str  # NECESSARY or a purpose that needs consent
    purpose: str | Promise
    lifetime: str | Promise

    @property
    def category_label(self) -> str:
        if self.category == NECESSARY:
            return str(_("Necessary"))
        return str(Purpose(self.category).label)


_declared: dict[str, Cookie] = {}
_core_declared = False


def declare_cookie(cookie: Cookie) -> None:
    if cookie.category not in CATEGORIES:
        raise ValueError(f"{cookie.name}: unknown cookie category {cookie.category!r}")
    _declared[cookie.name] = cookie


def declared() -> list[Cookie]:
    _ensure_core()
    order = {category: i for i, category in enumerate(CATEGORIES)}
    return sorted(_declared.values(), key=lambda c: (order[c.category], c.name))


def category_allowed(request: HttpRequest, category: str) -> bool:
    if category == NECESSARY:
        return True
    consent = getattr(request, "consent", None)
    return bool(consent is not None and consent.allows(category))


def _ensure_core() -> None:
    """The platform's own cookies (declared late: their names come from the settings)."""
    global _core_declared
    if _core_declared:
        return
    _core_declared = True
    from lyceum.privacy.consent import VISITOR_COOKIE

    for cookie in (
        Cookie(
            settings.SESSION_COOKIE_NAME,
            NECESSARY,
            _("Keeps you signed in, and what you put in forms between two pages."),
            _("until you sign out or close the browser, at most two weeks"),
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            NECESSARY,
            _("Protects forms against cross-site request forgery."),
            _("one year"),
        ),
        Cookie(
            settings.LANGUAGE_COOKIE_NAME,
            NECESSARY,
            _(
                "Remembers the language you chose: until you close the browser, or for a "
                "year if you allow preferences."
            ),
            _("until you close the browser; a year with preferences allowed"),
        ),
        Cookie(
            "messages",
            NECESSARY,
            _("Carries a short message, such as “Your choices are saved”, to the next page."),
            _("until the next page"),
        ),
        Cookie(
            VISITOR_COOKIE,
            NECESSARY,
            _(
                "Remembers your cookie choices (a random number, linked to nothing else), so "
                "that we do not ask again on every page."
            ),
            _("13 months"),
        ),
    ):
        declare_cookie(cookie)


class CookieConsentMiddleware:
    """The server's own guarantee: undeclared cookies, and cookies of a category the visitor
    has not allowed, are taken out of every response (deleting a cookie is always allowed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        _ensure_core()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name in list(response.cookies):
            morsel = response.cookies[name]
            if morsel["max-age"] == 0 or morsel.value == "":
                continue  # a deletion
            cookie = _declared.get(name)
            if cookie is None:
                logger.error("cookie %s is not declared in lyceum.privacy.cookies: withheld", name)
                del response.cookies[name]
            elif not category_allowed(request, cookie.category):
                del response.cookies[name]
        return response
