from django import forms
from django.utils.translation import gettext_lazy as _

from lyceum.orgs.models import Membership


class InviteForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )


class RosterForm(forms.Form):
    roster = forms.FileField(
        label=_("Roster file (CSV)"),
        help_text=_(
            "Columns as in OneRoster’s users.csv: givenName, familyName, email, and optionally "
            "role (student, teacher, administrator). Nothing is imported unless every row is right."
        ),
    )
    administrators = forms.BooleanField(
        label=_("Rows with the role “administrator” become client administrators"),
        help_text=_("Otherwise they become members like everyone else."),
        required=False,
    )
