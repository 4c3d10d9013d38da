from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver
from django.http import HttpRequest

from lyceum.privacy.models import ConsentRecord
from lyceum.privacy.policy import policy_accept


@receiver(user_signed_up)
def accept_policy_at_sign_up(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Creating an account accepts the privacy policy in force: recorded with its version
    (P02, P03), whether by the sign-up form or single sign-on."""
    user_agent = request.headers.get("User-Agent", "") if request is not None else ""
    policy_accept(user=user, method=ConsentRecord.Method.SIGNUP, user_agent=user_agent)
