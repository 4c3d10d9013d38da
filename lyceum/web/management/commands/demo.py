from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lyceum.accounts.models import User
from lyceum.accounts.services import user_roles_set
from lyceum.core.roles import Role
from lyceum.learning import demo as learning_demo
from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create
from lyceum.privacy.models import RightsRequest
from lyceum.privacy.services import rectification_request

DEMO_PASSWORD = "lyceum-demo-2026"  # noqa: S105 - printed on purpose; demo refuses production

DEMO_PEOPLE = [
    ("learner@lyceum.example", "Léa Martin", {Role.LEARNER}, "learner"),
    ("instructor@lyceum.example", "Oksana Kovalenko", {Role.INSTRUCTOR}, "instructor"),
    ("clientadmin@acme.example", "Chris Admin", set(), "client administrator, Acme Corporation"),
    ("employee@acme.example", "Sam Employee", set(), "learner, employee of Acme Corporation"),
    (
        "teacher@lycee.example",
        "Jeanne Prof",
        {Role.INSTRUCTOR},
        "instructor and client administrator, Lycée Victor Hugo",
    ),
    ("staff@lyceum.example", "Stefan Staff", {Role.STAFF}, "staff"),
    ("dpo@lyceum.example", "Dana Protection", {Role.DPO}, "data protection officer"),
    ("admin@lyceum.example", "Ada Superuser", {Role.SUPERUSER}, "superuser"),
]

DEMO_ORGANISATIONS = [
    (
        "acme",
        "Acme Corporation",
        Organisation.Kind.COMPANY,
        [
            ("clientadmin@acme.example", Membership.Role.ADMIN),
            ("employee@acme.example", Membership.Role.MEMBER),
        ],
    ),
    (
        "lycee-hugo",
        "Lycée Victor Hugo",
        Organisation.Kind.INSTITUTION,
        [("teacher@lycee.example", Membership.Role.ADMIN)],
    ),
]


class Command(BaseCommand):
    help = "Load the demo school (idempotent) and print how to sign in as each role."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data has a public password and is refused in production.")
        call_command("migrate", interactive=False, verbosity=0)
        self.load()

    @transaction.atomic
    def load(self) -> None:
        people: dict[str, User] = {}
        for email, name, roles, _ in DEMO_PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            user_roles_set(actor=None, user=user, roles=roles)
            people[email] = user
        for slug, name, kind, members in DEMO_ORGANISATIONS:
            organisation = Organisation.objects.filter(slug=slug).first() or organisation_create(
                actor=None, name=name, kind=kind, slug=slug
            )
            for email, role in members:
                membership_add(actor=None, organisation=organisation, user=people[email], role=role)
        learner = people["learner@lyceum.example"]
        if not RightsRequest.objects.filter(user=learner).exists():
            # Something for the DPO to answer in the back office (Privacy › Rights requests).
            rectification_request(
                user=learner,
                details="My certificate spells my name “Lea Martin”; it should be “Léa Martin”.",
                base_url="http://127.0.0.1:8000/",
            )
        learning_lines: list[str] = []
        learning_demo.load(people, learning_lines)
        self.stdout.write(self.style.SUCCESS("Demo school ready. Sign in at /accounts/login/ as:"))
        for email, name, _, description in DEMO_PEOPLE:
            self.stdout.write(f"  {email:<27} {name:<17} {description}")
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        for line in learning_lines:
            self.stdout.write(line)
        self.stdout.write(
            "Staff, the DPO and client administrators are asked to turn on two-factor "
            "authentication before they see other people's data."
        )
