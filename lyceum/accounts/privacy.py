"""Accounts in the register: Lyceum's users and allauth's addresses, social logins and MFA."""

from datetime import timedelta

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.utils.translation import gettext_lazy as _

from lyceum.accounts.models import ChildConsent, PseudonymKey, User, UserSession
from lyceum.privacy.register import (
    Category,
    Entry,
    LegalBasis,
    Retention,
    register,
)

_FOR_THE_ACCOUNT = Retention(period=None, description=_("as long as you keep your account"))
_ACCOUNT = _("Your account: signing you in and running the courses and services you use.")

register.declare(
    Entry(
        model=User,
        subject="pk",
        fields={
            "email": Category.CONTACT,
            "name": Category.IDENTITY,
            "display_name": Category.IDENTITY,
            "pronouns": Category.PREFERENCES,
            "language": Category.PREFERENCES,
            "time_zone": Category.PREFERENCES,
            "password": Category.ACCOUNT,
            "date_joined": Category.ACCOUNT,
            "last_login": Category.SECURITY,
            "is_pseudonymous": Category.ACCOUNT,
            "date_of_birth": Category.IDENTITY,
        },
        purpose=_ACCOUNT,
        legal_basis=LegalBasis.CONTRACT,
        retention=_FOR_THE_ACCOUNT,
        redacted={"password": _("a one-way hash of your password, which nobody can read back")},
    )
)

register.declare(
    Entry(
        model=EmailAddress,
        subject="user",
        fields={"email": Category.CONTACT, "verified": Category.ACCOUNT},
        purpose=_ACCOUNT,
        legal_basis=LegalBasis.CONTRACT,
        retention=_FOR_THE_ACCOUNT,
    )
)

register.declare(
    Entry(
        model=EmailConfirmation,
        subject="email_address__user",
        fields={"key": Category.SECURITY, "created": Category.SECURITY},
        redacted={"key": _("the secret in the confirmation link")},
        purpose=_("Confirming that an email address is yours."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(days=3), anchor_field="created", description=_("three days")
        ),
    )
)

register.declare(
    Entry(
        model=SocialAccount,
        subject="user",
        fields={
            "uid": Category.ACCOUNT,
            "extra_data": Category.IDENTITY,
            "last_login": Category.SECURITY,
            "date_joined": Category.ACCOUNT,
        },
        purpose=_(
            "Signing in with Google or Microsoft: only your name and email address are kept."
        ),
        legal_basis=LegalBasis.CONTRACT,
        retention=_FOR_THE_ACCOUNT,
    )
)

register.declare(
    Entry(
        model=SocialToken,
        subject="account__user",
        fields={"token": Category.SECURITY, "token_secret": Category.SECURITY},
        redacted={"token": _("an access token"), "token_secret": _("an access token")},
        purpose=_("Not used: Lyceum does not keep identity providers' tokens."),
        legal_basis=LegalBasis.CONTRACT,
        retention=_FOR_THE_ACCOUNT,
    )
)

register.declare(
    Entry(
        model=Authenticator,
        subject="user",
        fields={
            "type": Category.SECURITY,
            "data": Category.SECURITY,
            "created_at": Category.SECURITY,
            "last_used_at": Category.SECURITY,
        },
        purpose=_("Two-factor authentication and passkeys you set up."),
        redacted={"data": _("the secret keys of your second factor, withheld for your safety")},
        legal_basis=LegalBasis.CONTRACT,
        retention=_FOR_THE_ACCOUNT,
    )
)

register.declare_not_personal([SocialApp], _("the school's configuration of an identity provider"))

register.declare(
    Entry(
        model=UserSession,
        subject="user",
        fields={"session_data": Category.ACCOUNT, "expire_date": Category.ACCOUNT},
        not_personal={"session_key": _("a random key, withheld")},
        redacted={"session_data": _("the key that keeps you signed in")},
        purpose=_("Keeping you signed in."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(0),
            anchor_field="expire_date",
            description=_("until the session expires (two weeks at most)"),
        ),
    )
)

register.declare(
    Entry(
        model=PseudonymKey,
        subject="user",
        fields={"handle": Category.SECURITY, "secret_hash": Category.SECURITY},
        redacted={"secret_hash": _("a one-way hash of your sign-in code")},
        purpose=_("Signing you in to your class under a pseudonym, without an email address."),
        legal_basis=LegalBasis.CONTRACT,
        retention=_FOR_THE_ACCOUNT,
    )
)

register.declare(
    Entry(
        model=ChildConsent,
        subject="user",
        fields={
            "status": Category.ACCOUNT,
            "method": Category.ACCOUNT,
            "parent_email": Category.CONTACT,
            "parent_email_digest": Category.CONTACT,
            "school": Category.MEMBERSHIP,
            "school_class": Category.MEMBERSHIP,
            "requested_at": Category.ACCOUNT,
            "deadline": Category.ACCOUNT,
            "requests_sent": Category.ACCOUNT,
            "request_sent_at": Category.ACCOUNT,
            "first_confirmed_at": Category.ACCOUNT,
            "second_due_at": Category.ACCOUNT,
            "second_sent_at": Category.ACCOUNT,
            "given_at": Category.ACCOUNT,
            "withdrawn_at": Category.ACCOUNT,
            "paused_at": Category.ACCOUNT,
        },
        redacted={
            "parent_email_digest": _(
                "a keyed hash of your parent's address, to find your account when they ask "
                "for a new link"
            )
        },
        not_personal={
            "public_id": _("a random identifier"),
            "nonce": _("a random value that makes old links stop working"),
        },
        purpose=_(
            "A child's account: asking a parent for consent and proving it was given, by the "
            "parent or by the school that invited the child, and letting the parent see, "
            "delete and stop the use of the child's data."
        ),
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention(
            period=None,
            description=_(
                "as long as the account; an account without consent is erased after 7 days"
            ),
        ),
    )
)
