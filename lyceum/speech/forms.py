"""Forms of the developer page: API clients, keys and the review of recordings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lyceum.speech.models import MAX_REVIEW_DAYS, ApiKey


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the program"),
        max_length=100,
        help_text=_("For your administrators, e.g. “Mobile app” or “Reading lab”."),
    )


class ApiKeyForm(forms.Form):
    label = forms.CharField(
        label=_("Label"), max_length=100, help_text=_("Where the key is used, e.g. “production”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"),
        choices=ApiKey.Scope.choices,
        initial=[ApiKey.Scope.ASSESS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give each key only what its program needs."),
    )


class ReviewForm(forms.Form):
    review_days = forms.IntegerField(
        label=_("Keep recordings for review (days)"),
        min_value=0,
        max_value=MAX_REVIEW_DAYS,
        help_text=_(
            "0: recordings are assessed and forgotten at once (the default). From 1 to 30: "
            "each recording and its scores are kept that many days, for your own review of "
            "the assessments, then deleted. Lowering the number applies to recordings already "
            "kept; 0 deletes them now. Tell your users when you keep their recordings."
        ),
    )
