from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.http import HttpRequest
from django.utils import translation

from lyceum.accounts.models import User

# The only claims kept from an identity provider (P12): who they are, name and email.
KEPT_CLAIMS = ("sub", "email", "email_verified", "name")


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        user.name = form.cleaned_data["name"].strip()
        user.language = translation.get_language() or user.language
        return super().save_user(request, user, form, commit=commit)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        extra = sociallogin.account.extra_data or {}
        sociallogin.account.extra_data = {k: extra[k] for k in KEPT_CLAIMS if k in extra}

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> User:
        user = super().populate_user(request, sociallogin, data)
        full = data.get("name") or " ".join(
            p for p in (data.get("first_name"), data.get("last_name")) if p
        )
        user.name = full.strip() or (user.email or "").split("@")[0]
        user.language = translation.get_language() or user.language
        return user
