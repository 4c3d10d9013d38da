from __future__ import annotations

import pytest

from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create


@pytest.fixture
def two_clients(make_user, with_totp):
    acme = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    globex = organisation_create(actor=None, name="Globex", kind=Organisation.Kind.COMPANY)
    acme_admin, globex_admin = make_user(name="Acme Admin"), make_user(name="Globex Admin")
    employee = make_user(name="Acme Employee", email="employee@acme.example")
    membership_add(actor=None, organisation=acme, user=acme_admin, role=Membership.Role.ADMIN)
    membership_add(actor=None, organisation=acme, user=employee)
    membership_add(actor=None, organisation=globex, user=globex_admin, role=Membership.Role.ADMIN)
    with_totp(acme_admin)
    with_totp(globex_admin)
    return acme, globex, acme_admin, globex_admin, employee
