"""The cookie banner and the cookie settings page (P06, P07), for visitors and members alike.

A plain form: it works without JavaScript, and accepting, refusing and choosing are each one
button of the same weight.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lyceum.privacy.consent import (
    SIGNAL_REFUSES,
    browser_signal,
    consent_record,
    current,
    honour_signal,
    new_visitor_id,
)
from lyceum.privacy.forms import ConsentForm
from lyceum.privacy.middleware import remember_visitor, visitor_id
from lyceum.privacy.models import ConsentRecord, PolicyVersion
from lyceum.privacy.policy import policy_accept, policy_current, policy_document, policy_latest
from lyceum.privacy.register import CONSENT_PURPOSES


def _next_url(request: HttpRequest, *, default: str = "") -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("notice:choices")


def _subject(request: HttpRequest) -> tuple[Any, str, str]:
    """(person, visitor id, a visitor id to set in a cookie now)."""
    if request.user.is_authenticated:
        return request.user, "", ""
    known = visitor_id(request)
    if known:
        return None, known, ""
    fresh = new_visitor_id()
    return None, fresh, fresh


@require_http_methods(["GET", "POST"])
def choices(request: HttpRequest) -> HttpResponse:
    """Record what the banner or the settings page was told; show the settings page."""
    user, visitor, fresh = _subject(request)
    in_force = (
        {}
        if fresh
        else {
            p: r.given
            for p, r in current(user_id=getattr(user, "pk", None), visitor_id=visitor).items()
        }
    )
    if request.method == "GET":
        form = ConsentForm(current=in_force)
        return render(
            request,
            "privacy/cookie_settings.html",
            {"form": form, "signal": browser_signal(request)},
        )
    action = request.POST.get("action", "save")
    if action in ("accept", "refuse"):
        chosen = {p.value: action == "accept" for p in CONSENT_PURPOSES}
        if browser_signal(request):
            # The browser asks not to be tracked: "Accept all" does not outweigh it; only
            # ticking analytics or marketing, one by one, is a yes to them (P07).
            chosen.update({p.value: False for p in SIGNAL_REFUSES})
    elif action == "allow" and request.POST.get("purpose") in {p.value for p in CONSENT_PURPOSES}:
        # One category from where its content would be (a video's "Allow" button).
        chosen = {request.POST["purpose"]: True}
    else:
        form = ConsentForm(request.POST, current=in_force)
        form.full_clean()  # unticked boxes are a no; nothing else can be wrong here
        chosen = {p.value: bool(form.cleaned_data.get(p.value)) for p in CONSENT_PURPOSES}
    banner = request.POST.get("source") == "banner"
    consent_record(
        choices=chosen,
        method=ConsentRecord.Method.BANNER if banner else ConsentRecord.Method.FORM,
        user=user,
        visitor_id=visitor,
        user_agent=request.headers.get("User-Agent", ""),
    )
    messages.success(request, _("Your cookie choices are saved. You can change them at any time."))
    response = HttpResponseRedirect(_next_url(request))
    remember_visitor(response, fresh)
    return response


@require_POST
def signal(request: HttpRequest) -> JsonResponse:
    """The page saw ``navigator.globalPrivacyControl`` that the request headers did not carry
    (P07, in the page): record the refusal, as if the header had been sent."""
    user, visitor, fresh = _subject(request)
    added = honour_signal(
        user=user, visitor_id=visitor, user_agent=request.headers.get("User-Agent", "")
    )
    response = JsonResponse({"recorded": len(added)})
    remember_visitor(response, fresh)
    return response


def versions(request: HttpRequest) -> HttpResponse:
    """Every published version of the policies, newest first (P02)."""
    policy_current()
    return render(
        request,
        "privacy/policy/versions.html",
        {"versions": PolicyVersion.objects.order_by("-published_at", "-pk")},
    )


def version(request: HttpRequest, number: str) -> HttpResponse:
    """One version, both policies, as published in this language."""
    shown = get_object_or_404(PolicyVersion, version=number)
    language = translation.get_language()
    return render(
        request,
        "privacy/policy/version.html",
        {
            "version": shown,
            "privacy": policy_document(shown, "privacy", language),
            "cookies": policy_document(shown, "cookies", language),
            "in_force": shown == policy_latest(),
        },
    )


@login_required
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    """The person read the notice of a material change (P03): recorded in the ledger."""
    policy_accept(
        user=request.user,
        method=ConsentRecord.Method.NOTICE,
        user_agent=request.headers.get("User-Agent", ""),
    )
    messages.success(request, _("Thank you: we have recorded that you read the new policy."))
    return HttpResponseRedirect(_next_url(request, default=reverse("web:privacy")))
