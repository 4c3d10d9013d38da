"""Django's ASGI handler, except that recordings sent to the speech API never touch the disk.

Django reads a request's body before the view runs, into a temporary file that rolls over
to disk past ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB): a one-minute WAV would be written to
``/tmp``. For ``POST /api/speech/…`` this handler reads the body into memory instead, up to
the API's cap, and refuses anything larger with ``413`` before reading it (by its
``Content-Length``) or as soon as it passes the cap (P39). Every other request is Django's.

``config/asgi.py`` serves it with :func:`get_asgi_application`.
"""

from __future__ import annotations

import io
import json
from contextvars import ContextVar
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler

SPEECH_API_PREFIX = "/api/speech/"

_limit: ContextVar[int | None] = ContextVar("speech_upload_limit", default=None)


class _TooLarge(Exception):
    pass


def _body_cap() -> int:
    from lyceum.speech.api import FORM_OVERHEAD
    from lyceum.speech.services import engine_limits

    return engine_limits().max_bytes + FORM_OVERHEAD


class SpeechUploadASGIHandler(ASGIHandler):
    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not (
            scope.get("method") == "POST" and scope.get("path", "").startswith(SPEECH_API_PREFIX)
        ):
            await super().handle(scope, receive, send)
            return
        cap = _body_cap()
        length = _content_length(scope)
        if length is not None and length > cap:
            await _refuse(send)
            return
        token = _limit.set(cap)
        try:
            await super().handle(scope, receive, send)
        except _TooLarge:
            await _refuse(send)
        finally:
            _limit.reset(token)

    async def read_body(self, receive: Any) -> Any:
        cap = _limit.get()
        if cap is None:
            return await super().read_body(receive)
        from django.core.exceptions import RequestAborted

        body = io.BytesIO()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestAborted()
            if message["type"] == "http.request":
                body.write(message.get("body", b""))
                if body.tell() > cap:
                    raise _TooLarge
                if not message.get("more_body", False):
                    break
        body.seek(0)
        return body


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Any) -> None:
    from lyceum.speech.api import too_large

    error = too_large()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(error.body()).encode()})


def get_asgi_application() -> SpeechUploadASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with this handler."""
    django.setup(set_prefix=False)
    return SpeechUploadASGIHandler()
