"""Children's accounts and their parents (P31, P32): every write atomic and audit-logged.

A child under ``LYCEUM_CHILD_AGE`` who signs up is held: the account cannot be used, and it
keeps only what asking for consent needs (name, email address, password, date of birth,
language, and the parent's address the child gives). A parent consents by "email plus": a
link in a first email, then a link in a second email sent after a delay. A school's
invitation covers the child instead (school consent). Without consent by the deadline the
account is erased by the privacy engine, as is a child's account staff find without consent.

A parent reaches their child's data from a signed, time-limited link (no account needed):
the same report as the export, the export itself, deletion, restriction ("stop further
collection") and withdrawal of consent.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lyceum.accounts.models import ChildConsent, User, UserSession
from lyceum.core.notify import disconnect_user
from lyceum.privacy.audit import audit_record

logger = logging.getLogger(__name__)

CONSENT_SALT = "lyceum.accounts.child-consent"
PARENT_SALT = "lyceum.accounts.parent"
FIRST, SECOND = "first", "second"
# Requests a child may have emailed to a parent: enough for a typo and a lost message, too
# few to use the school to write to strangers.
MAX_REQUESTS = 5
# After the first confirmation, at least this long to answer the second email.
SECOND_ANSWER_TIME = timedelta(days=2)
PARENT_REASON = "Asked by a parent (P32)."


class ChildConsentError(Exception):
    """A step that cannot be taken; the message is for the person who asked."""


# Settings ---------------------------------------------------------------------------------


def child_age() -> int:
    """Below this age an account needs a parent's or the school's consent."""
    return int(getattr(settings, "LYCEUM_CHILD_AGE", 13))


def consent_window() -> timedelta:
    """How long a child's account waits for consent before it is erased."""
    return timedelta(days=int(getattr(settings, "LYCEUM_CHILD_CONSENT_DAYS", 7)))


def second_confirmation_delay() -> timedelta:
    """How long after the parent's first confirmation the second email is sent."""
    return timedelta(hours=int(getattr(settings, "LYCEUM_PARENT_CONFIRMATION_DELAY_HOURS", 24)))


def parent_link_lifetime() -> timedelta:
    """How long a link to the parent's page works; the parent may ask for a new one."""
    return timedelta(days=int(getattr(settings, "LYCEUM_PARENT_LINK_DAYS", 7)))


def age_on(date_of_birth: date, day: date) -> int:
    years = day.year - date_of_birth.year
    return years - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def is_child(date_of_birth: date | None, day: date | None = None) -> bool:
    if date_of_birth is None:
        return False
    return age_on(date_of_birth, day or timezone.localdate()) < child_age()


def parent_email_digest(email: str) -> str:
    """A keyed hash of a parent's address: finds their children's accounts, reveals nothing."""
    normal = email.strip().lower()
    return salted_hmac("lyceum.accounts.parent-email", normal, algorithm="sha256").hexdigest()


def _nonce() -> str:
    return secrets.token_hex(16)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _locked(consent: ChildConsent) -> ChildConsent:
    return (
        ChildConsent.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=consent.pk)
    )


def _site(base_url: str | None) -> str:
    return (base_url or settings.LYCEUM_SITE_URL).rstrip("/")


def _mail_parent(
    *, email: str, language: str, subject: str, template: str, context: dict[str, Any]
) -> None:
    """Queue a message to a parent, in the language their child chose, after commit."""
    if not email:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        text_subject = _(subject) % {"name": context.get("child_name", "")}
        body = render_to_string(template, {"school": settings.LYCEUM_SCHOOL, **context})
    transaction.on_commit(lambda: send_mail(text_subject, body, None, [email]))


def user_sessions_end(user: User) -> None:
    """Every session of the person ends, and so does every live connection their pages hold."""
    UserSession.objects.filter(user=user).delete()
    user_id = user.pk
    # Robust: a channel layer out of reach must not hold back the mail queued after it.
    transaction.on_commit(lambda: disconnect_user(user_id=user_id), robust=True)


# Links ------------------------------------------------------------------------------------


def consent_token(consent: ChildConsent, step: str) -> str:
    payload = {"k": str(consent.public_id), "s": step, "n": consent.nonce}
    return signing.dumps(payload, salt=CONSENT_SALT)


def consent_link(consent: ChildConsent, step: str, base_url: str | None = None) -> str:
    path = reverse("accounts:parent_consent", args=[consent_token(consent, step)])
    return _site(base_url) + path


def consent_from_token(token: str) -> tuple[ChildConsent, str] | None:
    """The pending consent and the step (first or second) a parent's link stands for."""
    longest = consent_window() + second_confirmation_delay() + SECOND_ANSWER_TIME
    try:
        data = signing.loads(token, salt=CONSENT_SALT, max_age=longest)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") not in (FIRST, SECOND):
        return None
    consent = (
        ChildConsent.objects.select_related("user")
        .filter(public_id=str(data.get("k")), nonce=str(data.get("n")), user__is_active=True)
        .first()
    )
    if consent is None or consent.status != ChildConsent.Status.PENDING:
        return None
    if (data["s"] == SECOND) != (consent.second_sent_at is not None):
        return None  # the second step only after the delayed email, the first only before
    return consent, data["s"]


def parent_token(consent: ChildConsent) -> str:
    # Bound to the parent's address: another address, and the old links stop working.
    payload = {"k": str(consent.public_id), "d": consent.parent_email_digest[:16]}
    return signing.dumps(payload, salt=PARENT_SALT)


def parent_link(consent: ChildConsent, base_url: str | None = None) -> str:
    return _site(base_url) + reverse("accounts:parent_home", args=[parent_token(consent)])


def consent_for_parent(token: str) -> ChildConsent | None:
    """The child's consent a parent's link stands for; only ever that one child's (P32)."""
    try:
        data = signing.loads(token, salt=PARENT_SALT, max_age=parent_link_lifetime())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    consent = (
        ChildConsent.objects.select_related("user")
        .filter(
            public_id=str(data.get("k")),
            status__in=[ChildConsent.Status.GIVEN, ChildConsent.Status.WITHDRAWN],
            method=ChildConsent.Method.PARENT_EMAIL_PLUS,
            user__is_active=True,
        )
        .first()
    )
    if consent is None or not consent.parent_email_digest.startswith(str(data.get("d")) or "-"):
        return None
    return consent


# The child kept waiting ---------------------------------------------------------------------

WAITING_KEY = "lyceum_waiting_child"


def consent_holding(user: Any) -> ChildConsent | None:
    """The consent record that keeps this person out of their account, if any."""
    if getattr(user, "pk", None) is None:
        return None
    consent = ChildConsent.objects.filter(user_id=user.pk).first()
    return consent if consent is not None and consent.holds_account else None


def remember_waiting(request: Any, consent: ChildConsent, next_url: str | None) -> None:
    """The child signed in (or up) with their password but may not use the account: this
    browser may see the waiting page, and nothing else of the account."""
    request.session[WAITING_KEY] = {"user": consent.user_id, "next": next_url or ""}


def forget_waiting(request: Any) -> None:
    request.session.pop(WAITING_KEY, None)


def waiting_consent(request: Any) -> ChildConsent | None:
    """The held consent of the child waiting in this browser, if any."""
    data = request.session.get(WAITING_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    consent = (
        ChildConsent.objects.select_related("user")
        .filter(user_id=int(data["user"]), user__is_active=True)
        .first()
    )
    return consent if consent is not None and consent.holds_account else None


def waiting_next(request: Any) -> str:
    data = request.session.get(WAITING_KEY)
    return str(data.get("next") or "") if isinstance(data, dict) else ""


def waiting_child(request: Any) -> User | None:
    """For a school's invitation (P31): the child waiting in this browser for a first
    consent. Not a child whose parent withdrew consent or paused the account: the parent's
    decision stands."""
    consent = waiting_consent(request)
    if consent is None or consent.status != ChildConsent.Status.PENDING:
        return None
    return consent.user


# Holding a child's account until consent (P31) --------------------------------------------


@transaction.atomic
def child_account_hold(*, user: User, now: datetime | None = None) -> ChildConsent:
    """A child signed up: the account waits for consent and is erased without it by the
    deadline. Nothing is kept but what asking for consent needs."""
    now = _now(now)
    consent, created = ChildConsent.objects.get_or_create(
        user=user,
        defaults={"requested_at": now, "deadline": now + consent_window(), "nonce": _nonce()},
    )
    if created:
        audit_record(action="child.held", actor=user, target=consent, subject=user)
    return consent


@transaction.atomic
def child_consent_request(
    *, consent: ChildConsent, parent_email: str, base_url: str | None = None
) -> ChildConsent:
    """The child gives a parent's address; the parent is emailed what the school would hold
    and a link to consent. Another address starts again (earlier links stop working); the
    same address receives the link of the step the parent is at."""
    consent = _locked(consent)
    child = consent.user
    if consent.status != ChildConsent.Status.PENDING:
        raise ChildConsentError(_("Only your parent can change this now."))
    email = User.objects.normalize_email(parent_email.strip()).lower()
    if email == (child.email or "").lower():
        raise ChildConsentError(
            _("This is your own address. Give the address of your parent or guardian.")
        )
    if consent.requests_sent >= MAX_REQUESTS:
        raise ChildConsentError(
            _(
                "We have emailed your parent %(count)d times already. Ask them to look in "
                "their spam folder, or ask your teacher for help."
            )
            % {"count": MAX_REQUESTS}
        )
    changed = email != consent.parent_email
    if changed:
        consent.parent_email = email
        consent.parent_email_digest = parent_email_digest(email)
        consent.first_confirmed_at = consent.second_due_at = consent.second_sent_at = None
        consent.nonce = _nonce()
    elif consent.first_confirmed_at is not None and consent.second_sent_at is None:
        raise ChildConsentError(
            _("Your parent has confirmed once already. The second email reaches them soon.")
        )
    consent.requests_sent += 1
    consent.request_sent_at = timezone.now()
    consent.save()
    audit_record(
        action="child.consent.requested",
        actor=child,
        target=consent,
        subject=child,
        changed_fields=["parent_email"] if changed else [],
    )
    step = SECOND if consent.first_confirmed_at else FIRST
    _mail_parent(
        email=email,
        language=child.language,
        subject=gettext_noop("%(name)s asks for your consent")
        if step == FIRST
        else gettext_noop("Please confirm again: %(name)s's account"),
        template=f"accounts/email/child_consent_{step}.txt",
        context=_consent_mail_context(consent, step, base_url),
    )
    return consent


def _consent_mail_context(consent: ChildConsent, step: str, base_url: str | None) -> dict[str, Any]:
    return {
        "child_name": consent.user.name,
        "child_email": consent.user.email,
        "link": consent_link(consent, step, base_url),
        "deadline": consent.deadline,
        "delay_hours": int(second_confirmation_delay().total_seconds() // 3600),
        "privacy_link": _site(base_url) + reverse("web:privacy"),
        "age": child_age(),
    }


@transaction.atomic
def child_consent_confirm(
    *, consent: ChildConsent, step: str, base_url: str | None = None, now: datetime | None = None
) -> ChildConsent:
    """The parent agreed through a link. The first time, the second email is due after the
    delay (and the deadline leaves time to answer it); the second time, consent is given,
    recorded with its method and times, and the parent receives the link to their page."""
    now = _now(now)
    consent = _locked(consent)
    if consent.status != ChildConsent.Status.PENDING or (
        (step == SECOND) != (consent.second_sent_at is not None)
        or (step == FIRST and consent.first_confirmed_at is not None)
    ):
        raise ChildConsentError(_("This link has been used already."))
    child = consent.user
    consent.nonce = _nonce()  # the link just used stops working
    if step == FIRST:
        consent.first_confirmed_at = now
        consent.second_due_at = now + second_confirmation_delay()
        consent.deadline = max(consent.deadline, consent.second_due_at + SECOND_ANSWER_TIME)
        consent.save()
        audit_record(action="child.consent.first_confirmed", target=consent, subject=child)
        return consent
    consent.status = ChildConsent.Status.GIVEN
    consent.method = ChildConsent.Method.PARENT_EMAIL_PLUS
    consent.given_at = now
    consent.save()
    audit_record(
        action="child.consent.given",
        target=consent,
        subject=child,
        changed_fields=["status", "method"],
    )
    _mail_parent(
        email=consent.parent_email,
        language=child.language,
        subject=gettext_noop("Your consent for %(name)s is recorded"),
        template="accounts/email/child_consent_given.txt",
        context={
            "child_name": child.name,
            "consent": consent,
            "link": parent_link(consent, base_url),
            "link_days": parent_link_lifetime().days,
            "request_link": _site(base_url) + reverse("accounts:parent_request"),
        },
    )
    return consent


@transaction.atomic
def _second_confirmation_send(*, consent_id: int, base_url: str | None, now: datetime) -> bool:
    consent = (
        ChildConsent.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=consent_id)
        .first()
    )
    if (
        consent is None
        or consent.status != ChildConsent.Status.PENDING
        or consent.first_confirmed_at is None
        or consent.second_sent_at is not None
        or consent.second_due_at is None
        or consent.second_due_at > now
    ):
        return False  # sent already (jobs may run twice), or no longer waited for
    consent.second_sent_at = now
    consent.save(update_fields=["second_sent_at"])
    audit_record(action="child.consent.second_sent", target=consent, subject=consent.user)
    _mail_parent(
        email=consent.parent_email,
        language=consent.user.language,
        subject=gettext_noop("Please confirm again: %(name)s's account"),
        template="accounts/email/child_consent_second.txt",
        context=_consent_mail_context(consent, SECOND, base_url),
    )
    return True


def child_second_confirmations_send(
    *, base_url: str | None = None, now: datetime | None = None
) -> int:
    """Send every second confirmation email that is due ("email plus"); returns how many."""
    now = _now(now)
    due = ChildConsent.objects.filter(
        status=ChildConsent.Status.PENDING,
        first_confirmed_at__isnull=False,
        second_sent_at=None,
        second_due_at__lte=now,
    ).values_list("pk", flat=True)
    return sum(
        _second_confirmation_send(consent_id=pk, base_url=base_url, now=now) for pk in list(due)
    )


@transaction.atomic
def school_consent_record(
    *, user: User, school: str, school_class: str, now: datetime | None = None
) -> ChildConsent | None:
    """A school's invitation covers a child's account (P31): a child waiting for consent who
    joins a class through a teacher's or an institution's invitation, or a student the school
    lets join under a pseudonym (the school answers for them, whatever their age). Recorded
    with the school and the class. A parent's decision stands: a withdrawn consent is not
    replaced, a paused account stays paused. Returns the record, or None for accounts that
    need none."""
    now = _now(now)
    consent = ChildConsent.objects.select_for_update().filter(user=user).first()
    if consent is None:
        if not user.is_pseudonymous:
            return None
        consent = ChildConsent(user=user, requested_at=now, deadline=now, nonce=_nonce())
    elif consent.status != ChildConsent.Status.PENDING:
        return consent
    consent.status = ChildConsent.Status.GIVEN
    consent.method = ChildConsent.Method.SCHOOL
    consent.school = school[:200]
    consent.school_class = school_class[:200]
    consent.given_at = now
    consent.nonce = _nonce()  # links emailed to a parent meanwhile stop working
    consent.save()
    audit_record(
        action="child.consent.school",
        target=consent,
        subject=user,
        changed_fields=["status", "method", "school"],
    )
    return consent


# Erasing a child's account ----------------------------------------------------------------


def _erase_child(*, user: User, actor: User | None, reason: str) -> None:
    """Erase now, by the privacy engine's rules; the parent, if known, is told why."""
    from lyceum.privacy.services import erasure_request

    consent = ChildConsent.objects.filter(user=user).first()
    parent, language, name = "", user.language, user.name
    if consent is not None and consent.requests_sent:
        parent = consent.parent_email
    request = erasure_request(user=user, actor=actor, base_url=_site(None), now=True)
    _mail_parent(
        email=parent,
        language=language,
        subject=gettext_noop("%(name)s's account is deleted"),
        template="accounts/email/child_deleted.txt",
        context={
            "child_name": name,
            "reason": reason,
            "report": request.report,
            "reference": request.public_id,
        },
    )


def _expire_one(*, consent_id: int, now: datetime) -> bool:
    with transaction.atomic():
        consent = (
            ChildConsent.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=consent_id)
            .first()
        )
        if (
            consent is None
            or consent.status == ChildConsent.Status.GIVEN
            or consent.deadline >= now
        ):
            return False  # consent came in time, or the account went another way
        child = consent.user
        audit_record(action="child.consent.expired", target=consent, subject=child)
        _erase_child(user=child, actor=None, reason="expired")
    return True


def child_consents_expire(*, now: datetime | None = None) -> int:
    """Erase every child's account still without consent after its deadline (P31); returns
    how many. Safe to run twice: an erased account is gone, a consented one is kept."""
    now = _now(now)
    expired = ChildConsent.objects.filter(
        status__in=[ChildConsent.Status.PENDING, ChildConsent.Status.WITHDRAWN],
        deadline__lt=now,
        user__is_active=True,
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(expired):
        try:
            count += _expire_one(consent_id=pk, now=now)
        except Exception:
            # One failing erasure must not keep the others; it is tried again next run.
            logger.exception("Erasing the child's account of consent %s failed", pk)
    return count


@transaction.atomic
def child_found_without_consent(*, actor: User, user: User) -> None:
    """Staff found a child's account (or a child's data in an account) without consent:
    it is erased at once (P31)."""
    if user.is_staff or user.is_superuser or user.pk == actor.pk:
        raise ChildConsentError(_("A staff account is not deleted this way."))
    audit_record(action="child.found_without_consent", actor=actor, target=user, subject=user)
    _erase_child(user=user, actor=actor, reason="found")


# The parent's rights (P32) ----------------------------------------------------------------


@transaction.atomic
def parent_consent_refuse(*, consent: ChildConsent) -> None:
    """The parent said no to the request: the account is erased at once."""
    consent = _locked(consent)
    if consent.status != ChildConsent.Status.PENDING:
        raise ChildConsentError(_("This link has been used already."))
    child = consent.user
    audit_record(action="parent.consent.refused", target=consent, subject=child)
    _erase_child(user=child, actor=None, reason="refused")


@transaction.atomic
def parent_links_send(*, email: str, base_url: str | None = None) -> int:
    """A parent asks for new links to their children's pages: one per child, sent only to
    the address the consent was given from. Returns how many (never shown: nobody learns
    whose parent an address is)."""
    consents = list(
        ChildConsent.objects.select_related("user").filter(
            parent_email_digest=parent_email_digest(email),
            status__in=[ChildConsent.Status.GIVEN, ChildConsent.Status.WITHDRAWN],
            method=ChildConsent.Method.PARENT_EMAIL_PLUS,
            user__is_active=True,
        )
    )
    for consent in consents:
        audit_record(action="parent.link_sent", target=consent, subject=consent.user)
    if consents:
        _mail_parent(
            email=consents[0].parent_email,
            language=consents[0].user.language,
            subject=gettext_noop("Your link to your child's account"),
            template="accounts/email/parent_links.txt",
            context={
                "links": [(c.user.name, parent_link(c, base_url)) for c in consents],
                "link_days": parent_link_lifetime().days,
            },
        )
    return len(consents)


@transaction.atomic
def parent_report_viewed(*, consent: ChildConsent) -> None:
    audit_record(action="parent.viewed", target=consent, subject=consent.user)


@transaction.atomic
def parent_export(*, consent: ChildConsent) -> bytes:
    """The child's data as the child would download it: report.html, JSON and CSV (P41)."""
    from lyceum.privacy.export import export_archive

    audit_record(action="parent.exported", target=consent, subject=consent.user)
    return export_archive(user=consent.user, actor=None)


@transaction.atomic
def parent_erase(*, consent: ChildConsent) -> None:
    """The parent has the child's account deleted: at once, by the privacy engine (P32)."""
    consent = _locked(consent)
    child = consent.user
    audit_record(action="parent.erased", target=consent, subject=child)
    _erase_child(user=child, actor=None, reason="parent")


def _restriction_follow(consent: ChildConsent) -> None:
    """Restricted (P44) exactly while the account is held by the parent's decision."""
    from lyceum.privacy.models import ProcessingLimit
    from lyceum.privacy.services import processing_limit_set

    processing_limit_set(
        user=consent.user,
        actor=None,
        kind=ProcessingLimit.Kind.RESTRICTION,
        on=consent.holds_account,
        reason=PARENT_REASON,
        notify=False,  # the parent decided and sees it on their page; the child is held out
    )


@transaction.atomic
def parent_pause(*, consent: ChildConsent, on: bool) -> bool:
    """Stop further collection (P32): the data is kept but used for nothing, and the child
    cannot sign in until the parent resumes. Returns whether anything changed."""
    consent = _locked(consent)
    if on == (consent.paused_at is not None):
        return False
    consent.paused_at = timezone.now() if on else None
    consent.save(update_fields=["paused_at"])
    audit_record(
        action="parent.paused" if on else "parent.resumed",
        target=consent,
        subject=consent.user,
        changed_fields=["paused_at"],
    )
    if on:
        user_sessions_end(consent.user)
    _restriction_follow(consent)
    return True


@transaction.atomic
def parent_withdraw(
    *, consent: ChildConsent, base_url: str | None = None, now: datetime | None = None
) -> ChildConsent:
    """The parent withdraws consent: the child is signed out and cannot sign in, nothing is
    used, and the account is erased at the end of the consent window unless the parent
    gives consent again before then."""
    now = _now(now)
    consent = _locked(consent)
    if consent.status != ChildConsent.Status.GIVEN:
        return consent
    consent.status = ChildConsent.Status.WITHDRAWN
    consent.withdrawn_at = now
    consent.deadline = now + consent_window()
    consent.save(update_fields=["status", "withdrawn_at", "deadline"])
    audit_record(
        action="parent.consent.withdrawn",
        target=consent,
        subject=consent.user,
        changed_fields=["status"],
    )
    user_sessions_end(consent.user)
    _restriction_follow(consent)
    _mail_parent(
        email=consent.parent_email,
        language=consent.user.language,
        subject=gettext_noop("You withdrew your consent for %(name)s"),
        template="accounts/email/child_consent_withdrawn.txt",
        context={
            "child_name": consent.user.name,
            "deadline": consent.deadline,
            "link": parent_link(consent, base_url),
        },
    )
    return consent


@transaction.atomic
def parent_consent_renew(*, consent: ChildConsent, now: datetime | None = None) -> ChildConsent:
    """The parent gives consent again after withdrawing it, from the link that only reaches
    the address they confirmed twice: the account is usable again (unless paused)."""
    now = _now(now)
    consent = _locked(consent)
    if consent.status != ChildConsent.Status.WITHDRAWN:
        return consent
    consent.status = ChildConsent.Status.GIVEN
    consent.given_at = now
    consent.withdrawn_at = None
    consent.save(update_fields=["status", "given_at", "withdrawn_at"])
    audit_record(
        action="parent.consent.renewed",
        target=consent,
        subject=consent.user,
        changed_fields=["status"],
    )
    _restriction_follow(consent)
    return consent
