"""Every answer of the speech API is JSON, also where Django or django-ninja answer first:
an address that does not exist (404) and a method an address does not take (405)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from lyceum.speech.asgi import SPEECH_API_PREFIX
from lyceum.speech.errors import ApiError


class SpeechApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code not in (404, 405)
            or not request.path.startswith(SPEECH_API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        if response.status_code == 404:
            return ApiError("not_found").response()
        allowed = response.get("Allow", "")
        return ApiError(
            "method_not_allowed", headers={"Allow": allowed}, method=request.method, allowed=allowed
        ).response()
