from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from lyceum.accounts.models import User

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
        user.name = form.cleaned_data["name"].strip()
        user.language = translation.get_language() or user.language
        return super().save_user(request, user, form, commit=commit)


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
