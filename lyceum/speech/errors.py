"""The speech API's errors: each has an HTTP status, a stable code and a translated message.

Clients branch on ``code`` (it never changes); ``message`` is for the person reading logs or
a screen, in the language of the request's ``Accept-Language``.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# code: (HTTP status, message)
ERRORS: dict[str, tuple[int, str | Promise]] = {
    "not_authenticated": (
        401,
        _(
            "Send an API key (header X-Api-Key, or Authorization: Bearer <key>) or an OAuth2 "
            "access token (Authorization: Bearer <token>)."
        ),
    ),
    "invalid_credentials": (
        401,
        _("The API key or access token is not valid: it is wrong, revoked or expired."),
    ),
    "too_many_failed_attempts": (
        429,
        _("Too many wrong keys or tokens were sent from this address. Try again later."),
    ),
    "insufficient_scope": (
        403,
        _("This key or token lacks the scope “%(scope)s” this call needs."),
    ),
    "rate_limited": (
        429,
        _(
            "This client is over its limit of %(limit)s calls a minute. Try again after the "
            "number of seconds in the Retry-After header."
        ),
    ),
    "too_many_jobs": (
        429,
        _(
            "This client already has %(count)s long recordings waiting to be assessed. Fetch "
            "their results, then send more."
        ),
    ),
    "unsupported_media_type": (
        415,
        _("Send the request as multipart/form-data with the fields audio, text and language."),
    ),
    "malformed_body": (400, _("The request body cannot be read as multipart/form-data.")),
    "unknown_field": (
        400,
        _(
            "Only the fields audio, text and language are accepted, so that nothing about the "
            "speaker is sent. Remove: %(fields)s."
        ),
    ),
    "missing_field": (
        400,
        _("Missing: %(fields)s. Send audio (a file), text and language (form fields)."),
    ),
    "duplicate_field": (400, _("The field %(field)s is sent more than once.")),
    "wrong_field_type": (
        400,
        _("audio must be a file part; text and language must be plain form fields."),
    ),
    "audio_too_large": (413, _("The recording is larger than %(mb)s MB, the most accepted.")),
    "audio_empty": (422, _("The recording is empty (0 bytes).")),
    "audio_unreadable": (
        422,
        _(
            "The recording cannot be decoded. Send a complete file in a common audio format "
            "(WAV, FLAC, MP3, OGG or WebM with Opus, M4A)."
        ),
    ),
    "audio_too_long": (
        422,
        _("The recording is longer than %(seconds)s seconds, the most assessed at once."),
    ),
    "no_speech": (
        422,
        _("No speech was heard: the recording is silent or holds only noise."),
    ),
    "text_invalid": (
        422,
        _("The reference text must have between 1 and 200 words and at most 1,000 characters."),
    ),
    "unknown_language": (
        422,
        _("No speech model for this language. Available: %(languages)s."),
    ),
    "alignment_failed": (
        422,
        _(
            "The recording cannot be matched with the reference text: check that the text is "
            "what was read aloud, in this language."
        ),
    ),
    "no_pronunciation": (
        422,
        _(
            "A word of the reference text cannot be pronounced in this language: check its "
            "spelling."
        ),
    ),
    "language_unavailable": (
        503,
        _("The speech model for this language cannot be loaded at the moment. Try again later."),
    ),
    "invalid_parameter": (400, _("%(name)s must be a whole number from %(low)s to %(high)s.")),
    "job_not_found": (
        404,
        _(
            "This client has no assessment job with this id: the id is wrong, or the result "
            "was deleted an hour after the assessment finished."
        ),
    ),
    "not_found": (
        404,
        _("There is no such address in the speech API: see the reference at /api/docs."),
    ),
    "method_not_allowed": (
        405,
        _("This address of the speech API does not take %(method)s; it takes %(allowed)s."),
    ),
    "internal_error": (
        500,
        _("The assessment failed because of an error on our side; it is logged. Try again."),
    ),
}


def message(code: str, **params: Any) -> str:
    text = str(ERRORS[code][1])
    return text % params if params else text


class ApiError(Exception):
    """An error answer of the API: HTTP status, stable code, translated message."""

    def __init__(self, code: str, *, headers: dict[str, str] | None = None, **params: Any) -> None:
        self.code = code
        self.status = ERRORS[code][0]
        self.message = message(code, **params)
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> JsonResponse:
        """The answer: ``{"error": {"code", "message"}}`` with its status and headers."""
        answer = JsonResponse(
            self.body(), status=self.status, content_type="application/json; charset=utf-8"
        )
        for name, value in self.headers.items():
            answer[name] = value
        return answer
