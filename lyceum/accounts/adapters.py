from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from lyceum.accounts.models import User

logger = logging.getLogger(__name__)

# The only claims kept from an identity provider (P12): who they are, name and email.
KEPT_CLAIMS = ("sub", "email", "email_verified", "name")


def kept_claims(extra_data: dict[str, Any]) -> dict[str, Any]:
    """The kept claims, flat.  allauth's OpenID Connect provider nests what it received
    as ``{"userinfo": {...}, "id_token": {...}}``; userinfo wins, as it does in allauth."""
    if "userinfo" in extra_data or "id_token" in extra_data:
        sources = [extra_data.get("id_token"), extra_data.get("userinfo")]
    else:
        sources = [extra_data]
    kept: dict[str, Any] = {}
    for source in sources:
        if isinstance(source, dict):
            kept.update((k, source[k]) for k in KEPT_CLAIMS if k in source)
    return kept


@dataclass(frozen=True)
class SchoolSite:
    """What allauth's email templates call the site: the school, at the address in use."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Mail speaks the person's language (their profile's, or the page's for a stranger)
        and signs as the school."""
        user = context.get("user") or User.objects.filter(email__iexact=email).first()
        language = getattr(user, "language", None) or translation.get_language()
        request = allauth_context.request
        site = SchoolSite(
            name=settings.LYCEUM_SCHOOL["name"], domain=request.get_host() if request else ""
        )
        with translation.override(language):
            super().send_mail(template_prefix, email, {**context, "current_site": site})

    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        from lyceum.accounts.children import child_account_hold, is_child

        user.name = form.cleaned_data["name"].strip()
        user.language = translation.get_language() or user.language
        born = form.cleaned_data.get("date_of_birth")
        user.date_of_birth = born
        with transaction.atomic():  # a child's account never exists without its hold (P31)
            user = super().save_user(request, user, form, commit=commit)
            if commit and is_child(born):
                child_account_hold(user=user)
        return user

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        """A child's account without consent in force (P31) cannot be used: the child sees
        the waiting page instead, before any other step of signing in."""
        from allauth.account.internal.stagekit import clear_login

        from lyceum.accounts.children import consent_holding, forget_waiting, remember_waiting

        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        consent = consent_holding(user)
        if consent is None:
            forget_waiting(request)
            return None
        clear_login(request)
        remember_waiting(request, consent, kwargs.get("redirect_url"))
        return redirect("accounts:child_waiting")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        sociallogin.account.extra_data = kept_claims(sociallogin.account.extra_data or {})

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> User:
        # The first hook after allauth builds the account from the provider's answer, and
        # before it looks up a returning person's account and saves the answer over it.
        sociallogin.account.extra_data = kept_claims(sociallogin.account.extra_data or {})
        user = super().populate_user(request, sociallogin, data)
        full = data.get("name") or " ".join(
            p for p in (data.get("first_name"), data.get("last_name")) if p
        )
        user.name = full.strip() or (user.email or "").split("@")[0]
        user.language = translation.get_language() or user.language
        return user

    # Signing up (P31): a new person is asked their date of birth, as on the sign-up form.
    # Someone whose account exists (the same provider account, or a verified address of
    # theirs) signs in without a form: allauth asks neither this adapter nor the form.

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Never: an account made from the provider's answer alone would not know the
        person's age. The sign-up form asks it, whatever SOCIALACCOUNT_AUTO_SIGNUP says.

        allauth's own check of the address comes first, as it would without the form: an
        address already taken (enumeration prevented) gets the "account already exists"
        email at once, instead of a form that could only end the same way."""
        from allauth.socialaccount.internal.flows.signup import process_auto_signup_email

        _, response = process_auto_signup_email(request, sociallogin)
        if response is not None:
            raise ImmediateHttpResponse(response)
        return False

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Closed to new people while the sign-up form in use does not ask the date of birth
        (SOCIALACCOUNT_FORMS left out): better no sign-up than a child's account unheld."""
        if not signup_form_asks_age():
            logger.error(
                "Single sign-on sign-up is closed: SOCIALACCOUNT_FORMS['signup'] must be "
                "lyceum.accounts.forms.SocialSignupForm (or a subclass), which asks the date "
                "of birth (P31)."
            )
            return False
        return bool(super().is_open_for_signup(request, sociallogin))

    def get_signup_form_initial_data(self, sociallogin: SocialLogin) -> dict[str, Any]:
        initial = super().get_signup_form_initial_data(sociallogin)
        initial["name"] = getattr(sociallogin.user, "name", "")
        return initial

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        """The account, its link to the provider, its addresses and, for a child, the hold
        (P31): all or nothing. Only ever from a form that asked the date of birth."""
        if form is None or "date_of_birth" not in getattr(form, "cleaned_data", {}):
            raise ImproperlyConfigured(
                "A single sign-on account must be made by lyceum.accounts.forms."
                "SocialSignupForm, which asks the date of birth (P31)."
            )
        with transaction.atomic():
            return super().save_user(request, sociallogin, form=form)


def signup_form_asks_age() -> bool:
    """Whether the sign-up form allauth shows after single sign-on asks the date of birth."""
    from allauth.socialaccount import app_settings
    from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm
    from allauth.utils import get_form_class

    from lyceum.accounts.forms import SocialSignupForm

    form_class = get_form_class(app_settings.FORMS, "signup", AllauthSocialSignupForm)
    return isinstance(form_class, type) and issubclass(form_class, SocialSignupForm)
