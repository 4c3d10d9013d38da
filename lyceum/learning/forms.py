from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lyceum.learning.models import Class, Lesson


class LessonForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=600)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    homework = forms.CharField(label=_("Homework"), required=False, widget=forms.Textarea)
    weeks = forms.IntegerField(
        label=_("Repeat weekly for"),
        min_value=1,
        max_value=52,
        initial=1,
        help_text=_("Number of weeks: 1 schedules this lesson only."),
    )

    def __init__(self, *args: Any, klass: Class, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.klass = klass
        self.fields["time"].help_text = _("In the class's time zone, %(tz)s.") % {
            "tz": klass.time_zone
        }


class LessonEditForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Lesson
        fields = ["topic", "duration", "homework", "is_cancelled"]


class ClassForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Class
        fields = [
            "title",
            "capacity",
            "time_zone",
            "schedule",
            "starts_on",
            "ends_on",
            "allows_pseudonyms",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("This is not a known time zone."))
        return str(value)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        help_text=_("Leave empty for a link you share yourself."),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the class"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=10000, widget=forms.Textarea)


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Class code"), max_length=12)
    pseudonym = forms.CharField(
        label=_("Your pseudonym"),
        max_length=40,
        help_text=_("The name your class will see. It need not be your real name."),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper().replace(" ", "")


class PseudonymSignInForm(forms.Form):
    code = forms.CharField(
        label=_("Your personal code"),
        max_length=20,
        help_text=_("The code you were given when you joined, like ABCD-EFGH-JKLM."),
    )


class SeatsForm(forms.Form):
    klass = forms.ModelChoiceField(label=_("Class"), queryset=Class.objects.none())
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
