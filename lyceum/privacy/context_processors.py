from typing import Any

from django.http import HttpRequest

from lyceum.privacy.consent import Choices


def consent(request: HttpRequest) -> dict[str, Any]:
    """``consent``: the choices in force for whoever is looking (all no until given)."""
    return {"consent": getattr(request, "consent", Choices())}


def cookie_banner(request: HttpRequest) -> dict[str, Any]:
    from django.urls import reverse

    from lyceum.privacy.register import CONSENT_PURPOSES

    return {"cookie_purposes": CONSENT_PURPOSES, "cookie_policy_url": reverse("web:cookies")}


def policy_notice(request: HttpRequest) -> dict[str, Any]:
    """``policy_notice``: the material change a signed-in person has yet to acknowledge (P03)."""
    from django.utils.functional import SimpleLazyObject

    from lyceum.privacy.policy import policy_notice_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"policy_notice": None}
    return {"policy_notice": SimpleLazyObject(lambda: policy_notice_for(user))}
