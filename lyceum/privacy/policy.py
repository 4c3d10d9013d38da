"""The privacy and cookie policies, generated from the register and the settings (P02, P03).

``policy_facts()`` is everything the policies say, in plain data; a version is published when
the facts or the wording (templates, translations) changed since the last one
(``policy_publish``). Each version keeps its text as it
was published, in every language of the interface, so that old versions read as they did.
A material change shows every signed-in person a notice until they acknowledge it; the
acknowledgement, like acceptance at sign-up, is a row of the consent ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from lyceum.privacy.audit import audit_record
from lyceum.privacy.cookies import declared as declared_cookies
from lyceum.privacy.models import ConsentRecord, PolicyVersion
from lyceum.privacy.register import CONSENT_PURPOSES, Entry, register

DOCUMENTS = ("privacy", "cookies")


@dataclass(frozen=True)
class Holding:
    """One kind of personal data, as the policy tells it."""

    name: str
    categories: list[str]
    fields: list[str]
    purpose: str
    legal_basis: str
    retention: str
    erasure: str
    recipients: list[dict[str, Any]]


def _field_name(entry: Entry, name: str) -> str:
    try:
        field = entry.model._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    return str(getattr(field, "verbose_name", name.replace("_", " ")))


def _holdings() -> list[Holding]:
    holdings = []
    for entry in sorted(register.entries.values(), key=lambda e: e.label):
        categories = sorted({str(c.label) for c in entry.fields.values()})
        holdings.append(
            Holding(
                name=str(entry.model._meta.verbose_name_plural).capitalize(),
                categories=categories,
                fields=[_field_name(entry, f) for f in entry.fields],
                purpose=str(entry.purpose),
                legal_basis=str(entry.legal_basis.label),
                retention=str(entry.retention.description),
                erasure=str(entry.erasure.action.label)
                + (f": {entry.erasure.reason}" if entry.erasure.reason else ""),
                recipients=[
                    {
                        "name": r.name,
                        "purpose": str(r.purpose),
                        "fields": [_field_name(entry, f) for f in r.fields],
                    }
                    for r in entry.recipients
                ],
            )
        )
    return holdings


def _recipients(holdings: list[Holding]) -> list[dict[str, Any]]:
    """Each processor once, with every field it receives."""
    found: dict[str, dict[str, Any]] = {}
    for holding in holdings:
        for r in holding.recipients:
            row = found.setdefault(r["name"], {"name": r["name"], "purposes": [], "fields": []})
            if r["purpose"] not in row["purposes"]:
                row["purposes"].append(r["purpose"])
            row["fields"].extend(f for f in r["fields"] if f not in row["fields"])
    return sorted(found.values(), key=lambda r: r["name"])


def _settings_facts() -> dict[str, Any]:
    school = settings.LYCEUM_SCHOOL
    return {
        "controller": school["name"],
        "address": school["postal_address"],
        "contact_email": school["contact_email"],
        "dpo_email": school["dpo_email"],
        "hosting_region": school["hosting_region"],
        "transfers": settings.LYCEUM_PRIVACY_TRANSFERS,
        "authority": settings.LYCEUM_PRIVACY_AUTHORITY,
        "child_age": settings.LYCEUM_CHILD_AGE,
        "erasure_grace_days": settings.LYCEUM_ERASURE_GRACE_DAYS,
    }


def policy_facts() -> dict[str, Any]:
    """What the policies say, in the language of the register's source (English)."""
    with translation.override("en"):
        holdings = _holdings()
        return {
            "settings": _settings_facts(),
            "holdings": [h.__dict__ for h in holdings],
            "cookies": [
                {
                    "name": c.name,
                    "category": c.category,
                    "purpose": str(c.purpose),
                    "lifetime": str(c.lifetime),
                }
                for c in declared_cookies()
            ],
            "consent_purposes": [p.value for p in CONSENT_PURPOSES],
        }


def policy_digest(facts: dict[str, Any], documents: dict[str, dict[str, str]]) -> str:
    """Changes when what the policies say changes: the facts, or their wording in any
    language (a template or a translation edited)."""
    both = {"facts": facts, "documents": documents}
    return hashlib.sha256(json.dumps(both, sort_keys=True).encode()).hexdigest()


def _render() -> dict[str, dict[str, str]]:
    """Both policies in every language of the interface, as they read today."""
    documents: dict[str, dict[str, str]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            holdings = _holdings()
            context = {
                "facts": _settings_facts(),
                "school": settings.LYCEUM_SCHOOL,
                "holdings": holdings,
                "recipients": _recipients(holdings),
                "cookies": declared_cookies(),
                "consent_purposes": CONSENT_PURPOSES,
            }
            documents[language] = {
                name: render_to_string(f"privacy/policy/{name}.html", context) for name in DOCUMENTS
            }
    return documents


def _next_version(now: Any) -> str:
    day = timezone.localdate(now).isoformat()
    taken = PolicyVersion.objects.filter(version__startswith=day).count()
    return day if taken == 0 else f"{day}.{taken + 1}"


def policy_latest() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-published_at", "-pk").first()


def policy_out_of_date() -> bool:
    latest = policy_latest()
    return latest is None or latest.digest != policy_digest(policy_facts(), _render())


@transaction.atomic
def policy_publish(
    *, material: bool = False, summary: str = "", actor: Any = None
) -> PolicyVersion | None:
    """Publish a new version if the register or the settings changed since the last one
    (or none was ever published); return it, or None when nothing changed (P02).

    A material version makes every signed-in person see a notice until they acknowledge it
    (P03)."""
    facts = policy_facts()
    documents = _render()
    digest = policy_digest(facts, documents)
    latest = policy_latest()
    if latest is not None and latest.digest == digest:
        return None
    now = timezone.now()
    version = _next_version(now)
    published = PolicyVersion.objects.create(
        version=version,
        published_at=now,
        material=material,
        summary=summary,
        digest=digest,
        facts=facts,
        documents=documents,
    )
    audit_record(
        action="privacy.policy.published",
        actor=actor,
        target=published,
        changed_fields=["material"] if material else [],
    )
    return published


def policy_current() -> PolicyVersion:
    """The version in force; the first one is published on first demand."""
    latest = policy_latest()
    if latest is not None:
        return latest
    try:
        with transaction.atomic():
            first = policy_publish(summary=str(_("First version.")))
    except IntegrityError:  # published by a concurrent request
        first = None
    return first or PolicyVersion.objects.latest()


def policy_document(version: PolicyVersion, name: str, language: str) -> str:
    by_language = version.documents.get(language) or version.documents.get(
        settings.LANGUAGE_CODE, {}
    )
    return str(by_language.get(name, ""))


def policy_accept(*, user: Any, method: ConsentRecord.Method, user_agent: str = "") -> None:
    """Record that ``user`` accepted (sign-up) or acknowledged (notice) the version in force."""
    version = policy_current()
    if ConsentRecord.objects.filter(
        user=user, purpose=ConsentRecord.POLICY, notice_version=version.version
    ).exists():
        return
    ConsentRecord.objects.create(
        user=user,
        purpose=ConsentRecord.POLICY,
        given=True,
        method=method,
        notice_version=version.version,
        user_agent=user_agent[:300],
    )
    audit_record(
        action="privacy.policy.accepted", actor=user, subject=user.pk, changed_fields=[method]
    )


def policy_notice_for(user: Any) -> PolicyVersion | None:
    """The newest material version this person has not acknowledged (nor accepted a later
    one), if any: what the notice shows until they do (P03)."""
    material = PolicyVersion.objects.filter(material=True).order_by("-published_at").first()
    if material is None:
        return None
    since = PolicyVersion.objects.filter(published_at__gte=material.published_at)
    acknowledged = ConsentRecord.objects.filter(
        user=user,
        purpose=ConsentRecord.POLICY,
        notice_version__in=since.values("version"),
    ).exists()
    return None if acknowledged else material
