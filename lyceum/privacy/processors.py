"""Telling processors to erase (P48): handlers that a register ``Recipient`` names as ``erase``.

``webhook(url, secret)`` suits any processor reached over HTTP: it posts the values the
processor received, as JSON signed with HMAC-SHA256, and succeeds only on a 2xx answer.
Apps whose processor has its own API write their own handler with the same signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import requests

TIMEOUT = 15


class ProcessorRefused(Exception):
    """The processor did not confirm the erasure; the job retries."""


def webhook(url: str, secret: str) -> Callable[[list[dict[str, Any]]], None]:
    def erase(rows: list[dict[str, Any]]) -> None:
        body = json.dumps({"event": "erasure", "rows": rows}, default=str).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        try:
            response = requests.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Lyceum-Signature": f"sha256={signature}",
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise ProcessorRefused(f"{url}: {error.__class__.__name__}") from error
        if not 200 <= response.status_code < 300:
            raise ProcessorRefused(f"{url} answered {response.status_code}")

    return erase
