from __future__ import annotations

import zoneinfo
from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lyceum.accounts.models import User


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
        honeypot = settings.ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD
        # A field people never see (hidden by the stylesheet, skipped by keyboard and
        # screen readers); bots fill it in and are quietly turned away (P13).
        self.fields[honeypot].label = _("Leave this field empty")
        self.fields[honeypot].widget.attrs = {
            "class": "visually-hidden-field",
            "tabindex": "-1",
            "autocomplete": "off",
            "aria-hidden": "true",
        }


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
