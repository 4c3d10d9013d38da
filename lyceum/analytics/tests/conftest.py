"""Visitors and people with and without analytics consent, and a way to send a beacon."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lyceum.privacy.consent import VISITOR_COOKIE, consent_record
from lyceum.privacy.models import ConsentRecord

IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) ExampleBrowser/99.1"
PAGE_VIEW = {
    "path": "/courses/",
    "referrer": "news.example.org",
    "device": "mobile",
    "language": "fr",
}


@pytest.fixture
def visitor_id() -> str:
    return secrets.token_hex(16)


@pytest.fixture
def consenting_client(client: Client, db: Any, visitor_id: str) -> Client:
    """A browser without an account whose analytics consent is in the ledger."""
    consent_record(
        choices={"analytics": True}, method=ConsentRecord.Method.BANNER, visitor_id=visitor_id
    )
    client.cookies[VISITOR_COOKIE] = visitor_id
    return client


@pytest.fixture
def send() -> Callable[..., Any]:
    """Post a beacon as the script does; keyword arguments become request headers."""

    def post(client: Client, body: Any = None, *, raw: bytes | None = None, **headers: Any):
        data = raw if raw is not None else json.dumps(PAGE_VIEW if body is None else body)
        headers.setdefault("REMOTE_ADDR", IP)
        headers.setdefault("HTTP_USER_AGENT", USER_AGENT)
        headers.setdefault("content_type", "application/json")
        return client.post(reverse("analytics:pageview"), data=data, **headers)

    return post
