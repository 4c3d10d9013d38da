from django.conf import settings
from django.http import HttpResponse


def remember_language(response: HttpResponse, language: str, *, for_a_year: bool = False) -> None:
    """The browser keeps the chosen language until it closes (a necessary cookie), or for a
    year when the person allowed preferences (the caller knows)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600 if for_a_year else None,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
