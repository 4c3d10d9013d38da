from typing import Any

from django.http import HttpRequest

from lyceum.privacy.consent import Choices


def consent(request: HttpRequest) -> dict[str, Any]:
    """``consent``: the choices in force for whoever is looking (all no until given)."""
    return {"consent": getattr(request, "consent", Choices())}
