from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from lyceum.core.request_context import RequestOrigin, reset_origin, set_origin


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a load balancer the server has already taken it from
    X-Forwarded-For of trusted proxies only (``lyceum serve``), as allauth's rate limits do."""
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_origin(
            RequestOrigin(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)
