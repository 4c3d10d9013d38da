"""Adding people to an organisation: one by email, or a roster file.

A roster is a CSV file with the columns of OneRoster's ``users.csv`` (``givenName``,
``familyName``, ``email``, ``role``; other OneRoster columns such as ``sourcedId`` or
``status`` may be present and are read where they matter). Every row is checked first; if
any row is wrong, nothing is imported and each problem is reported with its row number.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lyceum.accounts.models import User
from lyceum.accounts.services import account_provision, welcome_token
from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add

MAX_ROSTER_BYTES = 2 * 1024 * 1024
MAX_ROSTER_ROWS = 5_000
REQUIRED_COLUMNS = ("givenName", "familyName", "email")
# OneRoster roles and what they become here; guardians are not members of a client.
ROLES = {
    "student": Membership.Role.MEMBER,
    "teacher": Membership.Role.MEMBER,
    "aide": Membership.Role.MEMBER,
    "proctor": Membership.Role.MEMBER,
    "administrator": Membership.Role.ADMIN,
}


@dataclass
class RosterRow:
    number: int  # the line in the file, counting the header as line 1
    email: str
    name: str
    role: Membership.Role
    errors: list[str] = field(default_factory=list)


@dataclass
class RosterReport:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the whole file
    created: int = 0
    invited: int = 0
    already: int = 0

    @property
    def bad_rows(self) -> list[RosterRow]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.bad_rows


def roster_read(data: bytes, *, administrators: bool = False) -> RosterReport:
    """Parse and check a roster; nothing is written. Rows with the role ``administrator``
    become client administrators only when ``administrators`` is asked for."""
    report = RosterReport()
    if len(data) > MAX_ROSTER_BYTES:
        report.problems.append(
            _("The file is too large: %(size)d MB at most.")
            % {"size": MAX_ROSTER_BYTES // (1024 * 1024)}
        )
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problems.append(_("The file is not text in UTF-8. Export it as “CSV UTF-8”."))
        return report
    # Old Macintosh files end lines with a carriage return alone.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        columns = [c.strip() for c in (reader.fieldnames or [])]
    except csv.Error as error:
        report.problems.append(_("The file is not valid CSV: %(error)s") % {"error": error})
        return report
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        report.problems.append(
            _("Missing columns: %(missing)s. A roster needs %(required)s (as in OneRoster).")
            % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)}
        )
        return report
    seen: dict[str, int] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            values = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
            if not any(values.values()):
                continue  # a blank line
            if values.get("status", "").lower() == "tobedeleted":
                continue  # OneRoster: a row being removed from the source system
            if len(report.rows) >= MAX_ROSTER_ROWS:
                report.problems.append(
                    _("The file has more than %(max)d people; split it.") % {"max": MAX_ROSTER_ROWS}
                )
                return report
            row = _row(number, values, seen)
            if row.role == Membership.Role.ADMIN and not administrators:
                row.role = Membership.Role.MEMBER
            report.rows.append(row)
    except csv.Error as error:
        report.problems.append(_("The file is not valid CSV: %(error)s") % {"error": error})
    if not report.rows and not report.problems:
        report.problems.append(_("The file holds no one."))
    return report


def _row(number: int, values: dict[str, str], seen: dict[str, int]) -> RosterRow:
    email = values.get("email", "").lower()
    given, family = values.get("givenName", ""), values.get("familyName", "")
    name = " ".join(p for p in (given, values.get("middleName", ""), family) if p)
    role_name = (values.get("role") or "student").lower()
    row = RosterRow(number=number, email=email, name=name, role=Membership.Role.MEMBER)
    if not email:
        row.errors.append(_("The email address is missing."))
    else:
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(_("“%(email)s” is not an email address.") % {"email": email})
        if email in seen:
            row.errors.append(
                _("The same address is on line %(line)d already.") % {"line": seen[email]}
            )
        else:
            seen[email] = number
    if not given and not family:
        row.errors.append(_("The name is missing (givenName, familyName)."))
    if len(name) > 150:
        row.errors.append(_("The name is longer than 150 characters."))
    if len(email) > 254:
        row.errors.append(_("The email address is longer than 254 characters."))
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name + email):
        row.errors.append(_("The row holds control characters; save the file as plain text."))
    if role_name in ROLES:
        row.role = ROLES[role_name]
    else:
        row.errors.append(
            _("The role “%(role)s” cannot belong to an organisation; use one of: %(roles)s.")
            % {"role": role_name, "roles": ", ".join(ROLES)}
        )
    if values.get("enabledUser", "true").lower() == "false":
        row.errors.append(_("The account is disabled in the file (enabledUser is false)."))
    return row


@transaction.atomic
def roster_import(
    *, actor: User, organisation: Organisation, report: RosterReport, base_url: str
) -> RosterReport:
    """Import a checked roster: every row or none."""
    if not report.ok:
        raise ValueError("a roster with problems is never imported")
    for row in report.rows:
        outcome = member_invite(
            actor=actor,
            organisation=organisation,
            email=row.email,
            name=row.name,
            role=row.role,
            base_url=base_url,
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


@transaction.atomic
def member_invite(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    name: str,
    role: Membership.Role = Membership.Role.MEMBER,
    base_url: str,
) -> str:
    """Make the person a member and tell them. Someone without an account gets one, made for
    this organisation, and a welcome link; someone who has an account is invited and becomes
    a member only once they accept: until then the organisation sees nothing of them.
    Returns ``created``, ``invited`` or ``already``."""
    user, created = account_provision(actor=actor, email=email, name=name)
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        return "already"
    membership = membership_add(
        actor=actor, organisation=organisation, user=user, role=role, pending=not created
    )
    _tell_new_member(membership=membership, base_url=base_url)
    return "created" if created else "invited"


def _tell_new_member(*, membership: Membership, base_url: str) -> None:
    from allauth.account.utils import user_pk_to_url_str

    user, organisation = membership.user, membership.organisation
    if membership.accepted_at is None:
        link = base_url.rstrip("/") + reverse("orgs:accept", args=[membership.token])
        template = "orgs/member_invited_email.txt"
    else:
        args = [user_pk_to_url_str(user), welcome_token(user)]
        link = base_url.rstrip("/") + reverse("accounts:welcome", args=args)
        template = "orgs/member_welcome_email.txt"
    with translation.override(user.language):
        subject = _("%(organisation)s gave you access to %(school)s") % {
            "organisation": organisation.name,
            "school": settings.LYCEUM_SCHOOL["name"],
        }
        body = render_to_string(
            template,
            {
                "user": user,
                "organisation": organisation,
                "role": membership.get_role_display(),
                "link": link,
                "school": settings.LYCEUM_SCHOOL,
            },
        )
    email = user.email or ""  # provisioned accounts always have one
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
