"""Pages of children waiting for consent and of their parents (P31, P32).

Parents have no account: each of their pages is reached through a signed, time-limited link
that stands for one child only. A child never opens them, even with the link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from lyceum.accounts.children import (
    MAX_REQUESTS,
    SECOND,
    ChildConsentError,
    child_age,
    child_consent_confirm,
    child_consent_request,
    consent_for_parent,
    consent_from_token,
    consent_window,
    forget_waiting,
    parent_consent_refuse,
    parent_consent_renew,
    parent_erase,
    parent_export,
    parent_link_lifetime,
    parent_links_send,
    parent_pause,
    parent_report_viewed,
    parent_withdraw,
    second_confirmation_delay,
    waiting_consent,
    waiting_next,
)
from lyceum.accounts.forms import ParentConsentForm, ParentEmailForm, ParentLinkForm
from lyceum.accounts.models import ChildConsent


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# The child ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def child_waiting(request: HttpRequest) -> HttpResponse:
    """What a child sees instead of their account until consent is in force (P31)."""
    consent = waiting_consent(request)
    if consent is None:
        forget_waiting(request)
        return redirect("account_login")
    if request.method == "POST" and request.POST.get("action") == "leave":
        forget_waiting(request)
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(back)
        return redirect("web:home")
    form = ParentEmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            child_consent_request(
                consent=consent,
                parent_email=form.cleaned_data["email"],
                base_url=_base_url(request),
            )
        except ChildConsentError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, _("We have emailed your parent."))
            return redirect("accounts:child_waiting")
    next_url = waiting_next(request)
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return render(
        request,
        "accounts/child_waiting.html",
        {
            "consent": consent,
            "child": consent.user,
            "form": form,
            "next_url": next_url,
            "age": child_age(),
            "requests_left": max(MAX_REQUESTS - consent.requests_sent, 0),
        },
    )


# The parent --------------------------------------------------------------------------------


def _is_the_child(request: HttpRequest, consent: ChildConsent) -> bool:
    """Is the child themselves at the keyboard (signed in, or waiting in this browser)?"""
    signed_in = getattr(request.user, "pk", None)
    waiting = waiting_consent(request)
    return consent.user_id in (signed_in, waiting.user_id if waiting else None)


def _for_parents_only(request: HttpRequest) -> HttpResponse:
    """The child is refused; a parent on the family's shared computer is shown the way: leave
    the child's account in this browser first."""
    return render(
        request,
        "accounts/parent_only.html",
        {"waiting": waiting_consent(request) is not None},
        status=403,
    )


def _link_invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/parent_link_invalid.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def parent_consent(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a consent request: what the school would hold, and the parent's answer.
    A button, not the GET, answers, so mail scanners that follow links change nothing."""
    found = consent_from_token(token)
    if found is None:
        return _link_invalid(request)
    consent, step = found
    if _is_the_child(request, consent):
        return _for_parents_only(request)
    agreeing = request.method == "POST" and request.POST.get("action") == "agree"
    form = ParentConsentForm(request.POST if agreeing else None)
    if request.method == "POST" and request.POST.get("action") == "refuse":
        name = consent.user.name
        try:
            parent_consent_refuse(consent=consent)
        except ChildConsentError:
            return _link_invalid(request)
        return render(request, "accounts/parent_refused.html", {"child_name": name})
    if agreeing and form.is_valid():
        try:
            consent = child_consent_confirm(consent=consent, step=step, base_url=_base_url(request))
        except ChildConsentError:
            return _link_invalid(request)
        return render(request, "accounts/parent_confirmed.html", {"consent": consent, "step": step})
    return render(
        request,
        "accounts/parent_consent.html",
        {
            "consent": consent,
            "child": consent.user,
            "step": step,
            "second": step == SECOND,
            "form": form,
            "age": child_age(),
            "delay_hours": int(second_confirmation_delay().total_seconds() // 3600),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def parent_request(request: HttpRequest) -> HttpResponse:
    """A parent asks for a new link to their child's page. The answer is the same whether
    or not the address is a parent's, so nobody learns whose parent anyone is."""
    from allauth.core import ratelimit

    form = ParentLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        # The limits of password reset links: the same kind of message to a typed address.
        if not ratelimit.consume(request, action="reset_password", key=email):
            return render(request, "429.html", status=429)
        parent_links_send(email=email, base_url=_base_url(request))
        messages.success(
            request,
            _(
                "If this address gave consent for a child's account, we have emailed it a "
                "link to the child's page."
            ),
        )
        return redirect("accounts:parent_request")
    return render(
        request,
        "accounts/parent_request.html",
        {"form": form, "link_days": parent_link_lifetime().days},
    )


def _parent_page(request: HttpRequest, token: str) -> ChildConsent | HttpResponse:
    consent = consent_for_parent(token)
    if consent is None:
        return _link_invalid(request)
    if _is_the_child(request, consent):
        return _for_parents_only(request)
    return consent


@never_cache
def parent_home(request: HttpRequest, token: str) -> HttpResponse:
    """The parent's page (P32): the child's data, the same report as the export, and what
    the parent can do with it."""
    from lyceum.privacy.export import personal_data_of

    consent = _parent_page(request, token)
    if isinstance(consent, HttpResponse):
        return consent
    parent_report_viewed(consent=consent)
    sections = [s for s in personal_data_of(consent.user_id) if s.rows]
    return render(
        request,
        "accounts/parent_home.html",
        {
            "consent": consent,
            "child": consent.user,
            "token": token,
            "sections": sections,
            "window_days": consent_window().days,
        },
    )


@never_cache
def parent_download(request: HttpRequest, token: str) -> HttpResponse:
    consent = _parent_page(request, token)
    if isinstance(consent, HttpResponse):
        return consent
    from lyceum.privacy.export import archive_name

    archive = parent_export(consent=consent)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive_name()}"'
    return response


@require_POST
def parent_stop(request: HttpRequest, token: str) -> HttpResponse:
    consent = _parent_page(request, token)
    if isinstance(consent, HttpResponse):
        return consent
    on = request.POST.get("on") == "1"
    if parent_pause(consent=consent, on=on):
        messages.success(
            request,
            _("Nothing more is collected, and the account cannot be used until you resume it.")
            if on
            else _("The account can be used again."),
        )
    return redirect("accounts:parent_home", token=token)


@require_POST
def parent_withdraw_consent(request: HttpRequest, token: str) -> HttpResponse:
    consent = _parent_page(request, token)
    if isinstance(consent, HttpResponse):
        return consent
    parent_withdraw(consent=consent, base_url=_base_url(request))
    messages.success(request, _("Your consent is withdrawn."))
    return redirect("accounts:parent_home", token=token)


@require_POST
def parent_renew(request: HttpRequest, token: str) -> HttpResponse:
    consent = _parent_page(request, token)
    if isinstance(consent, HttpResponse):
        return consent
    parent_consent_renew(consent=consent)
    messages.success(request, _("Your consent is given again."))
    return redirect("accounts:parent_home", token=token)


@never_cache
@require_http_methods(["GET", "POST"])
def parent_delete(request: HttpRequest, token: str) -> HttpResponse:
    """Have the child's account deleted (P32): what goes, what the law keeps, then at once."""
    from lyceum.privacy.erasure import preview
    from lyceum.privacy.register import ErasureAction

    consent = _parent_page(request, token)
    if isinstance(consent, HttpResponse):
        return consent
    if request.method == "POST":
        name = consent.user.name
        parent_erase(consent=consent)
        return render(request, "accounts/parent_deleted.html", {"child_name": name})
    items = preview(consent.user_id)
    return render(
        request,
        "accounts/parent_delete.html",
        {
            "consent": consent,
            "child": consent.user,
            "token": token,
            "erased": [i for i in items if i.action != ErasureAction.HOLD],
            "kept": [i for i in items if i.action == ErasureAction.HOLD],
        },
    )
