"""Form pieces shared by the site's public forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

HONEYPOT_FIELD = "website"


def honeypot_field() -> forms.CharField:
    """A field people never see (hidden by the stylesheet, out of the tab order and of the
    accessibility tree) and bots fill in (P13). A form that finds it filled pretends to
    succeed and does nothing."""
    return forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "visually-hidden-field",
                "tabindex": "-1",
                "autocomplete": "off",
                "aria-hidden": "true",
            }
        ),
    )
