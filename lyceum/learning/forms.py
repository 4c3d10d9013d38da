from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from lyceum.learning.models import Class, Lesson


def _check_day(day: Any) -> None:
    """Lessons are scheduled from a year back (to record past ones) to three years ahead."""
    today = timezone.localdate()
    if day < today - timedelta(days=366) or day > today + timedelta(days=3 * 366):
        raise forms.ValidationError(
            _("Choose a date between %(start)s and %(end)s.")
            % {
                "start": date_format(today - timedelta(days=366)),
                "end": date_format(today + timedelta(days=3 * 366)),
            }
        )


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

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        _check_day(day)
        return day


class LessonEditForm(forms.Form):
    """Move, rename or cancel a lesson; its time is typed in the class's time zone."""

    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=600)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    homework = forms.CharField(label=_("Homework"), required=False, widget=forms.Textarea)
    is_cancelled = forms.BooleanField(label=_("Cancelled"), required=False)

    def __init__(self, *args: Any, lesson: Lesson, **kwargs: Any) -> None:
        local = lesson.starts_at.astimezone(zoneinfo.ZoneInfo(lesson.klass.time_zone))
        kwargs.setdefault(
            "initial",
            {
                "day": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration": lesson.duration,
                "topic": lesson.topic,
                "homework": lesson.homework,
                "is_cancelled": lesson.is_cancelled,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = _("In the class's time zone, %(tz)s.") % {
            "tz": lesson.klass.time_zone
        }

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        _check_day(day)
        return day


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

    def clean_capacity(self) -> int:
        capacity = int(self.cleaned_data["capacity"])
        enrolled = self.instance.enrolments.filter(status="active").count()
        if capacity < max(enrolled, 1):
            raise forms.ValidationError(
                _("The class has %(count)d learners: its capacity cannot be lower.")
                % {"count": enrolled}
                if enrolled
                else _("A class takes at least one learner.")
            )
        return capacity

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The class cannot end before it starts."))
        return data


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
    file = forms.FileField(label=_("File"), allow_empty_file=True)


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


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    file = forms.FileField(label=_("Or a file"), required=False, allow_empty_file=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("url")) == bool(data.get("file")):
            raise forms.ValidationError(_("Give either a link or a file."))
        return data
