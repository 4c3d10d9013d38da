from typing import Any

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from lyceum.privacy.consent import consent_adopt
from lyceum.privacy.middleware import visitor_id
from lyceum.privacy.models import ConsentRecord
from lyceum.privacy.policy import policy_accept


@receiver(user_signed_up)
def accept_policy_at_sign_up(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Creating an account accepts the privacy policy in force: recorded with its version
    (P02, P03), whether by the sign-up form or single sign-on."""
    user_agent = request.headers.get("User-Agent", "") if request is not None else ""
    policy_accept(user=user, method=ConsentRecord.Method.SIGNUP, user_agent=user_agent)


@receiver(user_logged_in)
def adopt_visitor_choices(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Refusals made on this browser before signing in carry over to the account where it
    has made no choice; a yes is asked for again (P06)."""
    if request is None:
        return
    consent_adopt(
        user=user,
        visitor_id=visitor_id(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
