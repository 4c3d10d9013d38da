"""P39 under the real server (uvicorn, ASGI): a recording sent to the speech API is read into
memory, never into Django's temporary file on disk, and an oversized one is refused before
it is read."""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from lyceum.speech import asgi as speech_asgi
from lyceum.speech.asgi import SpeechUploadASGIHandler
from lyceum.speech.engine.audio import DEFAULT_MAX_BYTES

URL = "/api/speech/v1/assessments"
BOUNDARY = "xyz"


def _call(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """One HTTP request through the handler, as uvicorn makes it; returns status and body."""
    received: list[dict[str, Any]] = []
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    read = []

    async def receive() -> dict[str, Any]:
        if not pending:  # the client waits for the answer; Django listens for a disconnect
            await asyncio.Event().wait()
        read.append(True)
        return pending.pop(0)

    async def send(message: Mapping[str, Any]) -> None:
        received.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    # As Django's test client does: the request's start and end leave the test's database
    # connection alone.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # In a thread of its own, as under uvicorn: the test's thread may hold a running event
        # loop left by another test (Playwright's, say), where async_to_sync cannot run.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(async_to_sync(SpeechUploadASGIHandler()), scope, receive, send).result()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    start = next(m for m in received if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in received if m["type"] == "http.response.body")
    return {"status": start["status"], "body": body, "read": len(read)}


def _multipart(audio: bytes) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"'
    return f"{head}\r\n\r\n".encode() + audio + f"\r\n--{BOUNDARY}--\r\n".encode()


def _headers(length: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        (b"content-length", str(length).encode()),
        (b"x-api-key", b"not-a-key"),  # refused without a database query
    ]


def test_p39_an_oversized_recording_is_refused_before_a_byte_is_read():
    response = _call(URL, [b"x"], _headers(DEFAULT_MAX_BYTES * 2))
    assert response["status"] == 413
    assert b'"audio_too_large"' in response["body"]
    assert response["read"] == 0


def test_p39_a_body_that_lies_about_its_length_stops_at_the_cap():
    chunk = b"\0" * (1024 * 1024)
    response = _call(URL, [chunk] * 30, _headers(100))
    assert response["status"] == 413
    assert response["read"] < 30


def test_p39_a_large_recording_is_read_into_memory_not_a_temporary_file(monkeypatch):
    def no_disk(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the request body was about to be spooled to a temporary file")

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", no_disk)
    body = _multipart(b"\1" * (5 * 1024 * 1024))  # past Django's 2.5 MB spool threshold
    response = _call(
        URL, [body[i : i + 65536] for i in range(0, len(body), 65536)], _headers(len(body))
    )
    assert response["status"] == 401  # read, parsed and answered by the API (wrong key)
    assert b'"invalid_credentials"' in response["body"]


PRACTICE = "/practice/attempts/"


def test_p39_a_learners_reading_is_read_into_memory_not_a_temporary_file(monkeypatch):
    def no_disk(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the request body was about to be spooled to a temporary file")

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", no_disk)
    body = _multipart(b"\1" * (5 * 1024 * 1024))
    response = _call(
        PRACTICE, [body[i : i + 65536] for i in range(0, len(body), 65536)], _headers(len(body))
    )
    assert response["status"] == 302  # read, then sent to sign in (no one is signed in)


def test_a_learners_reading_past_the_practice_cap_is_dropped_not_kept(monkeypatch):
    kept: list[int] = []  # the size of each body read, when Django is done with it

    class Body(io.BytesIO):
        def close(self) -> None:
            if not self.closed:
                kept.append(len(self.getvalue()))
            super().close()

    monkeypatch.setattr(speech_asgi, "io", SimpleNamespace(BytesIO=Body))
    chunk = b"\0" * (1024 * 1024)
    response = _call(PRACTICE, [chunk] * 40, _headers(40 * len(chunk)))
    assert response["status"] == 302
    assert response["read"] == 40  # received to the end, as HTTP wants...
    assert kept and max(kept) <= 11 * 1024 * 1024  # ...but kept only up to the cap
