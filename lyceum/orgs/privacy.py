"""Organisations in the register."""

from django.utils.translation import gettext_lazy as _

from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.orgs.requests import OrganisationDirectory
from lyceum.privacy.desk_selectors import route_with
from lyceum.privacy.register import (
    Category,
    Entry,
    LegalBasis,
    Retention,
    register,
)

register.declare(
    Entry(
        model=Membership,
        subject="user",
        fields={
            "organisation": Category.MEMBERSHIP,
            "role": Category.MEMBERSHIP,
            "created_at": Category.MEMBERSHIP,
        },
        purpose=_(
            "The access your company or institution gives you, and whether you administer it "
            "for them."
        ),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=None,
            description=_("as long as you belong to the organisation"),
        ),
    )
)

register.declare_not_personal([Organisation], _("a company or an institution, not a person"))
register.declare_not_personal([Contract], _("an agreement between the school and a client"))

# Processor mode (P30): members' data protection requests go to their organisation.
route_with(OrganisationDirectory())
