from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm
from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.accounts.models import User
from lyceum.core.forms import HONEYPOT_FIELD, honeypot_field


class DateOfBirthInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"autocomplete": "bday"})


class AsksNameAndDateOfBirth(forms.Form):
    """The name, and the date of birth the law makes us ask (P31), saying why: the same on
    every way of signing up."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Used on your certificates and invoices."),
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateOfBirthInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from lyceum.accounts.children import child_age

        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].help_text = _(
            "Why we ask: children under %(age)d need a parent's consent before they can use "
            "an account. We keep it encrypted and use it for nothing else."
        ) % {"age": child_age()}

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        if born.year < today.year - 120:
            raise forms.ValidationError(_("Check the year of your date of birth."))
        return born


class SignupForm(AsksNameAndDateOfBirth, AllauthSignupForm):
    """Name, email and password (P04), and the date of birth, which the law makes us ask
    (P31), saying why."""

    field_order = ["name", "date_of_birth", "email", "password1"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth adds the honeypot (ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD) with an inline style,
        # which the Content-Security-Policy blocks: use the site's own hidden field instead.
        self.fields[HONEYPOT_FIELD] = honeypot_field()


class SocialSignupForm(AsksNameAndDateOfBirth, AllauthSocialSignupForm):
    """Signing up with Google or Microsoft (SOCIALACCOUNT_FORMS["signup"]): the date of birth,
    as on the sign-up form (P31), and the name and email address the provider gave, ready
    filled (P04). An address the provider vouches for is taken as it is, and not shown as a
    field: changing it would only add a confirmation email."""

    field_order = ["name", "date_of_birth", "email"]
    # The fields in the site's own markup, however the page renders the form: allauth's
    # page uses ``as_p``, the site's page (socialaccount/lyceum_signup.html) the form itself.
    template_name = template_name_p = "socialaccount/signup_fields.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider_name = self.sociallogin.provider.name
        self.vouched_email = self._vouched_email()
        if self.vouched_email and "email" in self.fields:
            email = self.fields["email"]
            email.disabled = True  # the posted value is ignored: the provider's stands
            email.widget = forms.HiddenInput()
            self.initial["email"] = self.vouched_email

    def _vouched_email(self) -> str:
        initial = str(self.initial.get("email") or "").lower()
        for address in self.sociallogin.email_addresses:
            if address.verified and address.email.lower() == initial:
                return address.email
        return ""

    def get_context(self) -> dict[str, Any]:
        context = super().get_context()
        context.update(provider_name=self.provider_name, vouched_email=self.vouched_email)
        return context


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


class ParentEmailForm(forms.Form):
    """A child waiting for consent gives a parent's address (P31)."""

    email = forms.EmailField(
        label=_("Your parent's or guardian's email address"),
        help_text=_(
            "We email them what the school would keep about you and ask them to agree. "
            "We use this address for nothing else."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class ParentConsentForm(forms.Form):
    """The parent's answer to a consent request."""

    guardian = forms.BooleanField(
        label=_("I am this child's parent or legal guardian, and I agree."),
        required=True,
    )


class ParentLinkForm(forms.Form):
    """A parent asks for a new link to their child's page."""

    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("The address you gave your consent from."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
