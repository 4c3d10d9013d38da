"""Shared test fixtures: people with real (Argon2) passwords, verified addresses, roles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    # Hashing once keeps Argon2 (the real hasher) without paying for it per person.
    return make_password(PASSWORD)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """Create a person with a verified primary address; ``password`` signs them in."""
    from lyceum.accounts.models import User

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, name: str = "Test Person", **fields: Any) -> User:
        email = email or f"person{next(counter)}@example.org"
        user = User.objects.create(email=email, name=name, password=_password_hash(), **fields)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def with_totp() -> Callable[[Any], str]:
    """Turn on TOTP for a person as allauth does; returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    def enable(user: Any) -> str:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        return secret

    return enable


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits and lock-outs live in the cache: each test starts with none.

    With REDIS_URL set this empties that Redis database: give the tests one of their own.
    """
    from django.core.cache import cache

    cache.clear()
