from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from lyceum.accounts.models import User
from lyceum.accounts.services import user_profile_update
from lyceum.core.language import remember_language
from lyceum.privacy.policy import policy_current, policy_document


def health(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers without touching the database or a template."""
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy policy in force, as published (P02)."""
    return _policy(request, "privacy")


def cookies(request: HttpRequest) -> HttpResponse:
    """The cookie policy in force, as published (P02)."""
    return _policy(request, "cookies")


def _policy(request: HttpRequest, name: str) -> HttpResponse:
    version = policy_current()
    return render(
        request,
        f"web/{name}.html",
        {
            "version": version,
            "document": policy_document(version, name, translation.get_language()),
        },
    )


def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "web/contact.html")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the site's language; a signed-in person's choice is saved to their profile."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    translation.activate(language)
    if isinstance(request.user, User):
        user_profile_update(actor=request.user, user=request.user, data={"language": language})
    remember_language(response, language, for_a_year=request.consent.preferences)  # type: ignore[attr-defined]
    return response
