from typing import Any

from django.http import HttpRequest

from lyceum.privacy.consent import Choices


def consent(request: HttpRequest) -> dict[str, Any]:
    """``consent``: the choices in force for whoever is looking (all no until given)."""
    return {"consent": getattr(request, "consent", Choices())}


# Pages where the choices are made in full: the banner would only repeat them.
_CHOICE_PAGES = {"notice:choices", "privacy:consents"}


def cookie_banner(request: HttpRequest) -> dict[str, Any]:
    """``show_cookie_banner``: until this person or browser has made a choice (P06)."""
    from django.urls import reverse
    from django.utils.functional import SimpleLazyObject

    from lyceum.privacy.register import CONSENT_PURPOSES

    match = getattr(request, "resolver_match", None)
    on_choice_page = match is not None and match.view_name in _CHOICE_PAGES

    def show() -> bool:
        consent = getattr(request, "consent", None)
        return not on_choice_page and not (consent is not None and consent.chosen)

    return {
        "show_cookie_banner": SimpleLazyObject(show),
        "cookie_purposes": CONSENT_PURPOSES,
        "cookie_policy_url": reverse("web:cookies"),
    }


def policy_notice(request: HttpRequest) -> dict[str, Any]:
    """``policy_notice``: the material change a signed-in person has yet to acknowledge (P03)."""
    from django.utils.functional import SimpleLazyObject

    from lyceum.privacy.policy import policy_notice_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"policy_notice": None}
    return {"policy_notice": SimpleLazyObject(lambda: policy_notice_for(user))}


def request_desk(request: HttpRequest) -> dict[str, Any]:
    """``works_request_desk``: show the desk's queue in the navigation (P47)."""
    from django.utils.functional import SimpleLazyObject

    from lyceum.privacy.desk_selectors import can_work_desk

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"works_request_desk": False}
    return {"works_request_desk": SimpleLazyObject(lambda: can_work_desk(user))}
