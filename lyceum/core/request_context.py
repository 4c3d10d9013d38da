"""Who is acting, from where: set once per request, read by the audit log."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip: str = ""
    user_agent: str = ""


_NOWHERE = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("lyceum_request_origin", default=None)


def current_origin() -> RequestOrigin:
    return _origin.get() or _NOWHERE


def set_origin(origin: RequestOrigin):  # type: ignore[no-untyped-def]
    return _origin.set(origin)


def reset_origin(token) -> None:  # type: ignore[no-untyped-def]
    _origin.reset(token)
