from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lyceum.accounts.forms import AttachAccountForm, ProfileForm
from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.models import ChildConsent, User
from lyceum.accounts.selectors import user_has_second_factor, user_platform_roles
from lyceum.accounts.services import (
    account_welcome_complete,
    pseudonym_attach_account,
    user_profile_update,
    welcome_user,
)
from lyceum.core.language import remember_language


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    # Bind to a copy so a rejected form never leaves half-applied values on request.user.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        changed = user_profile_update(actor=user, user=user, data=form.cleaned_data)
        if "language" in changed:
            translation.activate(form.cleaned_data["language"])
        messages.success(
            request, _("Your profile has been saved.") if changed else _("Nothing changed.")
        )
        response = redirect("accounts:profile")
        if "language" in changed:
            remember_language(response, form.cleaned_data["language"])
        return response
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "roles": sorted(user_platform_roles(user), key=lambda r: r.label),
            "has_second_factor": user_has_second_factor(user),
            "child_consent": ChildConsent.objects.filter(
                user=user, status=ChildConsent.Status.GIVEN
            ).first(),
        },
    )


@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, uidb36: str, token: str) -> HttpResponse:
    """The link in the email of an account someone else created (an organisation's roster):
    the person chooses their password, which proves the address is theirs."""
    from django.contrib.auth.forms import SetPasswordForm

    user = welcome_user(uidb36, token)
    if user is None:
        return render(request, "accounts/welcome_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_welcome_complete(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("learning:timetable")
    return render(request, "accounts/welcome.html", {"form": form, "welcomed": user})


@login_required
@require_http_methods(["GET", "POST"])
def attach_account(request: AuthenticatedRequest) -> HttpResponse:
    """A pseudonymous student adds an email address and a password to their account (P29)."""
    from allauth.account.models import EmailAddress

    if not request.user.is_pseudonymous:
        return redirect("accounts:profile")
    form = AttachAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = pseudonym_attach_account(
            user=request.user,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        address = EmailAddress.objects.get(user=user, email=form.cleaned_data["email"])
        address.send_confirmation(request)
        messages.success(
            request,
            _(
                "Confirm your address with the link we sent you: it becomes your account's then. "
                "Until then, sign in with your personal code."
            ),
        )
        return redirect("accounts:profile")
    return render(request, "accounts/attach_account.html", {"form": form})
