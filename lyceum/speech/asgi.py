"""Django's ASGI handler, except that recordings sent to be scored never touch the disk.

Django reads a request's body before the view runs, into a temporary file that rolls over
to disk past ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB): a one-minute WAV would be written to
``/tmp``. This handler reads these bodies into memory instead, up to a cap:

- ``POST /api/speech/…``: anything larger is refused with the API's JSON ``413`` before it
  is read (by its ``Content-Length``) or as soon as it passes the cap (P39);
- ``POST /practice/attempts/`` (``practice:record``, a learner's reading): what passes the
  cap is received and dropped, and the view gets the body cut there, so that it tells the
  learner, in their language and on their page, that the recording is too large (its
  upload handler stops at the practice cap).

Every other request is Django's.

``config/asgi.py`` serves it with :func:`get_asgi_application`.
"""

from __future__ import annotations

import functools
import io
import json
from contextvars import ContextVar
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler

SPEECH_API_PREFIX = "/api/speech/"

# The cap on the body being read, and whether a body past it is refused (the API) or cut.
_limit: ContextVar[tuple[int, bool] | None] = ContextVar("speech_upload_limit", default=None)


class _TooLarge(Exception):
    pass


def _body_cap() -> int:
    from lyceum.speech.api import FORM_OVERHEAD
    from lyceum.speech.services import engine_limits

    return engine_limits().max_bytes + FORM_OVERHEAD


@functools.cache
def _practice_path() -> str:
    from django.urls import reverse

    return reverse("practice:record")


def _practice_cap() -> int:
    from lyceum.speech.practice import MAX_BYTES

    return MAX_BYTES + 64 * 1024  # the form's other fields and the multipart framing


class SpeechUploadASGIHandler(ASGIHandler):
    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope.get("method") != "POST" or not (
            path.startswith(SPEECH_API_PREFIX) or path == _practice_path()
        ):
            await super().handle(scope, receive, send)
            return
        if path == _practice_path():
            token = _limit.set((_practice_cap(), False))
            try:
                await super().handle(scope, receive, send)
            finally:
                _limit.reset(token)
            return
        cap = _body_cap()
        length = _content_length(scope)
        if length is not None and length > cap:
            await _refuse(send)
            return
        token = _limit.set((cap, True))
        try:
            await super().handle(scope, receive, send)
        except _TooLarge:
            await _refuse(send)
        finally:
            _limit.reset(token)

    async def read_body(self, receive: Any) -> Any:
        limit = _limit.get()
        if limit is None:
            return await super().read_body(receive)
        cap, refuse = limit
        from django.core.exceptions import RequestAborted

        body = io.BytesIO()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestAborted()
            if message["type"] == "http.request":
                body.write(message.get("body", b""))
                if body.tell() > cap:
                    if refuse:
                        raise _TooLarge
                    body.truncate(cap)
                    await _drain(receive, message)
                    break
                if not message.get("more_body", False):
                    break
        body.seek(0)
        return body


async def _drain(receive: Any, message: dict[str, Any]) -> None:
    """Receive the rest of a body without keeping it (Django listens for a disconnect next)."""
    from django.core.exceptions import RequestAborted

    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestAborted()


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
