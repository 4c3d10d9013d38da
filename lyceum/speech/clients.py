"""Who is calling the speech API (P40): API keys, OAuth2 access tokens, and rate limits.

An API key reads ``lyk_<prefix>_<secret>``: the prefix (12 hex digits) finds the key, the
secret (256 random bits) proves it. Only the SHA-256 of the secret is stored, and compared
in constant time. A slow password hash would add nothing: the secret is not guessable, and
a key is checked on every call.

OAuth2 access tokens come from django-oauth-toolkit's token endpoint (``/o/token/``), by the
client-credentials grant only; they too are stored as hashes (``token_checksum``).

Rate limits count in the cache (the database cache embedded, Redis at scale), so every web
process sees the same counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from lyceum.speech.errors import ApiError
from lyceum.speech.models import ApiClient, ApiKey

KEY_PREFIX = "lyk_"
PREFIX_BYTES = 6  # 12 hex digits
SECRET_BYTES = 32
# Reading the job of a long recording and the usage figures: more generous than assessing.
READS_PER_MINUTE = 300
# Wrong keys or tokens from one address: this many per window, then 429 (P13).
FAILED_ATTEMPTS = 30
FAILED_WINDOW = 600
# Long recordings waiting or being assessed for one client at once.
MAX_OPEN_JOBS = 10
# Writing "last used" at most this often per key: one write per minute, not per call.
LAST_USED_PRECISION = 60


@dataclass
class Caller:
    """An authenticated API client and what its credential allows."""

    client: ApiClient
    scopes: frozenset[str]
    key: ApiKey | None = None  # None for an OAuth2 access token
    rate: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewKey:
    """A key as shown once to the person who made it; only ``key`` is ever stored."""

    key: ApiKey
    plaintext: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_generate() -> tuple[str, str, str]:
    """A new key: (prefix, secret hash, the whole key to show once)."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return prefix, hash_secret(secret), f"{KEY_PREFIX}{prefix}_{secret}"


def _parse_key(value: str) -> tuple[str, str] | None:
    if not value.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = value[len(KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 2 * PREFIX_BYTES or not secret:
        return None
    return prefix, secret


def _client_ip_digest(request: HttpRequest) -> str:
    # Only to count failed attempts for a few minutes; the address itself is not kept.
    return hashlib.sha256((request.META.get("REMOTE_ADDR") or "").encode()).hexdigest()[:32]


def _failures_key(request: HttpRequest) -> str:
    window = int(time.time() // FAILED_WINDOW)
    return f"speech-api:auth-failed:{_client_ip_digest(request)}:{window}"


def _refuse_if_locked_out(request: HttpRequest) -> None:
    if (cache.get(_failures_key(request)) or 0) >= FAILED_ATTEMPTS:
        retry = FAILED_WINDOW - int(time.time()) % FAILED_WINDOW
        raise ApiError("too_many_failed_attempts", headers={"Retry-After": str(retry)})


def _failed(request: HttpRequest) -> ApiError:
    key = _failures_key(request)
    cache.add(key, 0, timeout=FAILED_WINDOW + 5)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=FAILED_WINDOW + 5)
    return ApiError(
        "invalid_credentials",
        headers={"WWW-Authenticate": 'Bearer realm="speech", error="invalid_token"'},
    )


def not_authenticated() -> ApiError:
    return ApiError("not_authenticated", headers={"WWW-Authenticate": 'Bearer realm="speech"'})


def authenticate_key(request: HttpRequest, value: str) -> Caller:
    """The caller an API key belongs to; raises :class:`ApiError` when it is not valid."""
    _refuse_if_locked_out(request)
    parsed = _parse_key(value.strip())
    if parsed is None:
        raise _failed(request)
    prefix, secret = parsed
    key = ApiKey.objects.select_related("client").filter(prefix=prefix).first()
    # Compared even when no key has this prefix, so timing tells nothing about prefixes.
    stored = key.secret_hash if key is not None else hash_secret("")
    if not hmac.compare_digest(stored, hash_secret(secret)) or key is None:
        raise _failed(request)
    if key.revoked_at is not None:
        raise _failed(request)
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return Caller(client=key.client, scopes=frozenset(key.scope_list), key=key)


def authenticate_token(request: HttpRequest, value: str) -> Caller:
    """The caller an OAuth2 access token was issued to (client credentials)."""
    _refuse_if_locked_out(request)
    checksum = hashlib.sha256(value.strip().encode()).hexdigest()
    token = (
        AccessToken.objects.select_related("application__api_client")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.is_expired() or token.application is None:
        raise _failed(request)
    client = getattr(token.application, "api_client", None)
    if client is None:
        raise _failed(request)
    return Caller(client=client, scopes=frozenset(token.scope.split()))


def authenticate_header(request: HttpRequest, authorization: str) -> Caller:
    """``Authorization: Bearer <API key or OAuth2 access token>``."""
    scheme, _sep, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise not_authenticated()
    credential = credential.strip()
    if credential.startswith(KEY_PREFIX):
        return authenticate_key(request, credential)
    return authenticate_token(request, credential)


def require_scope(caller: Caller, scope: str) -> None:
    if scope not in caller.scopes:
        challenge = f'Bearer realm="speech", error="insufficient_scope", scope="{scope}"'
        raise ApiError("insufficient_scope", headers={"WWW-Authenticate": challenge}, scope=scope)


def rate_limit_take(caller: Caller, *, kind: str) -> None:
    """Count one call of ``kind`` ("assess" or "read") for the caller's client, per minute;
    past its limit, 429 with ``Retry-After`` (P40). Sets ``caller.rate`` for the headers."""
    limit = caller.client.requests_per_minute if kind == "assess" else READS_PER_MINUTE
    now = time.time()
    window = int(now // 60)
    reset = 60 - int(now) % 60
    key = f"speech-api:rate:{kind}:{caller.client.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        count = 1
    caller.rate = {"limit": limit, "remaining": max(limit - count, 0), "reset": reset}
    if count > limit:
        raise ApiError(
            "rate_limited", headers={"Retry-After": str(reset), **rate_headers(caller)}, limit=limit
        )


def rate_headers(caller: Caller) -> dict[str, str]:
    if not caller.rate:
        return {}
    return {
        "RateLimit-Limit": str(caller.rate["limit"]),
        "RateLimit-Remaining": str(caller.rate["remaining"]),
        "RateLimit-Reset": str(caller.rate["reset"]),
    }


class ClientCredentialsValidator(OAuth2Validator):
    """django-oauth-toolkit's validator, for API clients only: the client-credentials grant,
    for applications that belong to an API client. So no token is ever issued to, or
    names, a person."""

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if (
            grant_type != "client_credentials"
            or not ApiClient.objects.filter(oauth_application=client).exists()
        ):
            return False
        return bool(
            super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
        )

    def validate_response_type(self, *args: Any, **kwargs: Any) -> bool:
        return False  # no authorization endpoint: nobody signs in to give a client access
