"""Forms of the request desk (P47, P30): the public request form, staff entering a request
that came by email or letter, and the steps of working one."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.core.forms import HONEYPOT_FIELD, honeypot_field
from lyceum.privacy.desk import ANSWER, CARRY_OUT, EXTENSION_MONTHS, REFUSE
from lyceum.privacy.models import RightsRequest
from lyceum.privacy.register import OBJECTABLE

Kind = RightsRequest.Kind

KIND_CHOICES = [
    (Kind.ACCESS.value, _("Access: a copy of the personal data you hold, and how you use it")),
    (Kind.RECTIFICATION.value, _("Rectification: correct personal data that is wrong")),
    (Kind.ERASURE.value, _("Erasure: delete the personal data")),
    (Kind.RESTRICTION.value, _("Restriction: keep the data but stop using it for now")),
    (
        Kind.OBJECTION.value,
        _("Objection: stop using the data for analytics, marketing or profiling"),
    ),
    (Kind.PORTABILITY.value, _("Portability: the data in a machine-readable format")),
]
# Kinds whose answer depends on what the requester tells us.
NEEDS_DETAILS = (Kind.RECTIFICATION, Kind.OBJECTION)


class RequestForm(forms.Form):
    """The public form: no account needed (P47)."""

    kind = forms.ChoiceField(
        label=_("What do you ask for?"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    requester_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send a link to this address: the request goes ahead once you follow it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    on_behalf = forms.TypedChoiceField(
        label=_("Whose data is it?"),
        choices=[("no", _("Mine")), ("yes", _("Someone else’s: I represent them"))],
        coerce=lambda value: value == "yes",
        initial="no",
        widget=forms.RadioSelect,
    )
    representative_of = forms.CharField(
        label=_("The company or organisation you act for"),
        max_length=200,
        required=False,
        help_text=_("If you act for a company, a law firm or another organisation."),
    )
    # Required when asking for someone else: said next to the label, instead of "optional".
    subject_name = forms.CharField(
        label=_("Name of the person concerned"), max_length=200, required=False
    )
    subject_email = forms.EmailField(
        label=_("Their email address with us"),
        max_length=254,
        required=False,
        help_text=_(
            "We will ask you for their signed authorisation before we answer; we never send "
            "their data to anyone without it."
        ),
    )
    # Fields that only matter when someone asks for another person.
    FOR_SOMEONE_ELSE = ("representative_of", "subject_name", "subject_email")
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For a correction: what is wrong and what it should say. For an objection: what "
            "you object to. Otherwise anything that helps us find the data."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD] = honeypot_field()
        for name in ("subject_name", "subject_email"):
            # Shown instead of "(optional)" (see privacy/desk/field.html).
            self.fields[name].required_when = _(  # type: ignore[attr-defined]
                "required if you ask for someone else"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("on_behalf"):
            if not data.get("subject_name", "").strip():
                self.add_error(
                    "subject_name",
                    _("You ask for someone else: give the name of the person whose data it is."),
                )
            if not data.get("subject_email") and "subject_email" not in self.errors:
                self.add_error(
                    "subject_email",
                    _(
                        "You ask for someone else: give their email address with us, it is "
                        "how we find their data."
                    ),
                )
        elif data.get("on_behalf") is False and any(
            str(data.get(name) or "").strip() for name in self.FOR_SOMEONE_ELSE
        ):
            self.add_error(
                "on_behalf",
                _(
                    "Details about someone else are filled in: choose “Someone else’s”, or "
                    "leave those fields empty."
                ),
            )
        if data.get("kind") in NEEDS_DETAILS and len(data.get("details", "").strip()) < 10:
            self.add_error("details", _("Tell us in a few words what should change."))
        return data

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, in the order of the form, with the id of the field it belongs to
        (the first choice, for radio buttons): listed at the top of the page, each a link."""
        found = [{"id": "", "message": str(e)} for e in self.non_field_errors()]
        for bound in self:
            if not bound.errors:
                continue
            target = bound.auto_id
            if isinstance(bound.field.widget, forms.RadioSelect):  # checkboxes too
                target = f"{bound.auto_id}_0"
            for error in bound.errors:
                found.append({"id": target, "message": f"{bound.label}: {error}"})
        return found

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))


class EnterRequestForm(RequestForm):
    """Staff enter a request that came by email or letter; the deadline counts from the day
    it arrived."""

    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The deadline is 30 days from this day."),
    )
    language = forms.ChoiceField(
        label=_("Language of the answer"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields[HONEYPOT_FIELD]
        self.fields["requester_name"].label = _("Requester’s name")
        self.fields["requester_email"].label = _("Requester’s email address")
        self.fields["requester_email"].help_text = _(
            "They are sent a link to confirm it, with the due date."
        )
        cast(forms.ChoiceField, self.fields["on_behalf"]).choices = [
            ("no", _("Their own")),
            ("yes", _("Someone else’s: they represent them")),
        ]
        self.fields["representative_of"].label = _("The company or organisation they act for")
        self.fields["subject_email"].help_text = _(
            "Record their authorisation when you verify the request."
        )
        for name in ("subject_name", "subject_email"):
            self.fields[name].required_when = _(  # type: ignore[attr-defined]
                "required if they ask for someone else"
            )
        self.initial.setdefault("received_on", timezone.localdate())

    def clean_received_on(self) -> Any:
        received = self.cleaned_data["received_on"]
        if received > timezone.localdate():
            raise forms.ValidationError(_("The request cannot arrive in the future."))
        return received

    @property
    def is_bot(self) -> bool:
        return False


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How was the identity checked?"),
        choices=[("", "—"), *RightsRequest.Verification.choices],
    )

    def __init__(self, *args: Any, methods: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if methods is not None:
            labels = dict(RightsRequest.Verification.choices)
            cast(forms.ChoiceField, self.fields["method"]).choices = [
                ("", "—"),
                *[(m, labels[m]) for m in methods],
            ]

    note = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What you saw, e.g. “passport seen on a video call, 12 March”. Never attach or "
            "copy a document."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needs_note = data.get("method") not in (
            None,
            "",
            RightsRequest.Verification.ACCOUNT,
            RightsRequest.Verification.EMAIL,
        )
        if needs_note and len(data.get("note", "").strip()) < 5:
            self.add_error("note", _("Say what evidence you saw."))
        return data


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        choices=list(zip(EXTENSION_MONTHS, [_("One month"), _("Two months")], strict=True)),
        coerce=int,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why more time is needed"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the requester (GDPR Art. 12(3): complex or numerous requests)."),
    )


DECISION_LABELS = {
    CARRY_OUT: _("Carry it out now"),
    ANSWER: _("Answer it as done by hand"),
    REFUSE: _("Refuse it"),
}
CARRY_OUT_HELP = {
    Kind.ACCESS: _("The platform prepares the copy of the data and sends a link valid 7 days."),
    Kind.PORTABILITY: _(
        "The platform prepares the copy of the data (JSON and CSV) and sends a link valid 7 days."
    ),
    Kind.ERASURE: _(
        "The account goes out of use at once and is erased when the grace period ends; the "
        "person can keep it until then."
    ),
    Kind.RESTRICTION: _("The person's data is kept but used for nothing else, from now on."),
    Kind.OBJECTION: _("The objection takes effect at once for the purposes ticked below."),
}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    purposes = forms.MultipleChoiceField(
        label=_("Objects to"),
        choices=[(p.value, p.label) for p in OBJECTABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    outcome = forms.CharField(
        label=_("Answer to the requester"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Sent by email. Say what was done, or why the request is refused; they are told "
            "how to complain."
        ),
    )

    def __init__(
        self, *args: Any, request: RightsRequest, choices: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["decision"]).choices = [
            (c, DECISION_LABELS[c]) for c in choices
        ]
        if CARRY_OUT in choices and request.kind in CARRY_OUT_HELP:
            self.fields["decision"].help_text = CARRY_OUT_HELP[Kind(request.kind)]
        if request.kind != Kind.OBJECTION or CARRY_OUT not in choices:
            del self.fields["purposes"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        carry_out = data.get("decision") == CARRY_OUT
        if carry_out and "purposes" in self.fields and not data.get("purposes"):
            self.add_error("purposes", _("Tick what the person objects to."))
        return data


class LinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the account"),
        max_length=254,
        help_text=_("When the requester wrote from another address than their account’s."),
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("open", _("Open")),
            ("all", _("All")),
            *RightsRequest.Status.choices,
        ],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Kind.choices]
    )
    controller = forms.ChoiceField(label=_("Decided by"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, controllers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["controller"]).choices = [
            ("", _("Everyone")),
            ("school", _("The school")),
            ("organisations", _("Any organisation")),
            *controllers,
        ]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"status": "open"}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "open",
            "kind": data.get("kind") or "",
            "controller": data.get("controller") or "",
            "overdue": bool(data.get("overdue")),
        }
