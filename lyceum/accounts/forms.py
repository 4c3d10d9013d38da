from __future__ import annotations

import zoneinfo
from typing import Any

from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lyceum.accounts.models import User
from lyceum.core.forms import HONEYPOT_FIELD, honeypot_field


class SignupForm(AllauthSignupForm):
    """Name, email and password: nothing else is asked at sign-up (P04)."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Used on your certificates and invoices."),
    )
    field_order = ["name", "email", "password1"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth adds the honeypot (ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD) with an inline style,
        # which the Content-Security-Policy blocks: use the site's own hidden field instead.
        self.fields[HONEYPOT_FIELD] = honeypot_field()


class ResetPasswordForm(AllauthResetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD] = honeypot_field()

    def save(self, request: HttpRequest, **kwargs: Any) -> str:
        if self.cleaned_data.get(HONEYPOT_FIELD):
            return str(self.cleaned_data["email"])  # a bot: told the usual, sent nothing
        return super().save(request, **kwargs)


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class ProfileForm(forms.ModelForm):
    time_zone = forms.TypedChoiceField(
        label=_("Time zone"),
        choices=_time_zone_choices,
        help_text=User._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = User
        fields = ["name", "display_name", "pronouns", "language", "time_zone"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
        }


class AttachAccountForm(forms.Form):
    """An email address and a password for a pseudonymous student's account (P29)."""

    email = forms.EmailField(label=_("Email address"))
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        from allauth.account.models import EmailAddress

        email = str(self.cleaned_data["email"]).lower()
        taken = EmailAddress.objects.filter(email__iexact=email, verified=True).exists()
        if taken or User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("This address belongs to another account. Use another address.")
            )
        return email

    def clean_password1(self) -> str:
        from django.contrib.auth.password_validation import validate_password

        password = str(self.cleaned_data["password1"])
        validate_password(password, self.user)
        return password
