from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lyceum.privacy.register import CONSENT_PURPOSES, OBJECTABLE, Purpose


class RectificationForm(forms.Form):
    details = forms.CharField(
        label=_("What is wrong, and what should it say?"),
        help_text=_(
            "You can change your name, email address, language and time zone yourself on your "
            "profile. For anything else, tell us what to correct; our staff answer within 30 days."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=10,
        max_length=5000,
    )


class ProcessingLimitsForm(forms.Form):
    restrict = forms.BooleanField(
        label=_("Restrict the use of my data"),
        help_text=_(
            "We keep your data but use it for nothing else, except to establish, exercise or "
            "defend legal claims, until you lift the restriction. While it lasts, courses and "
            "services that need your data are unavailable and other members do not see you."
        ),
        required=False,
    )
    objections = forms.MultipleChoiceField(
        label=_("I object to the use of my data for"),
        help_text=_("Takes effect at once. You can change your mind at any time."),
        choices=[(p.value, p.label) for p in OBJECTABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class AccountDeletionForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and my data will be deleted as described above."),
        required=True,
        error_messages={
            "required": _("Tick the box to confirm that you want to delete your account.")
        },
    )


class ConsentForm(forms.Form):
    """One unticked box per purpose that needs consent: ticking is the yes (P06)."""

    def __init__(self, *args: Any, current: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_texts = {
            Purpose.PREFERENCES: _("Remembering choices such as how you like pages shown."),
            Purpose.ANALYTICS: _(
                "Counting visits to improve the site: first-party, never joined to who you are."
            ),
            Purpose.MARKETING: _(
                "Content from other sites (such as videos), and measuring whether our emails "
                "are opened and their links followed."
            ),
        }
        for purpose in CONSENT_PURPOSES:
            self.fields[purpose.value] = forms.BooleanField(
                label=purpose.label,
                help_text=help_texts[purpose],
                required=False,
                initial=current.get(purpose.value, False),
            )
