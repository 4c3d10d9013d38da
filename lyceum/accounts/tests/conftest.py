"""A real OpenID Connect provider for the sign-in tests, run as a separate process.

The provider is the small django-oauth-toolkit project in ``tests/oidc_provider``.  It
is started once per test session, after Lyceum's ``live_server``, because its client
applications must know Lyceum's callback addresses.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
OIDC_PROVIDER_IDS = ("google", "microsoft")
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    name: str


@dataclass(frozen=True)
class OIDCProvider:
    issuer: str
    state_dir: Path
    clients: dict[str, tuple[str, str]]  # Lyceum provider id -> (client_id, client secret)
    person: Person

    def released_claims(self, client_id: str) -> list[dict[str, Any]]:
        """Every set of claims the provider has handed to this client (ID token, userinfo)."""
        log = self.state_dir / "released-claims.jsonl"
        if not log.exists():
            return []
        records = [json.loads(line) for line in log.read_text().splitlines() if line]
        return [r["claims"] for r in records if r["client_id"] == client_id]


def _wait_until_ready(process: subprocess.Popen[bytes], state_dir: Path, log: Path) -> str:
    """The issuer URL, once the discovery document answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    port_file = state_dir / "port"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The OpenID Connect provider stopped at start-up:\n{log.read_text()}")
        if port_file.exists():
            issuer = f"http://127.0.0.1:{port_file.read_text().strip()}/o"
            try:
                response = httpx.get(
                    f"{issuer}/.well-known/openid-configuration", timeout=2, trust_env=False
                )
            except httpx.TransportError:
                pass
            else:
                if response.status_code == 200 and response.json()["issuer"] == issuer:
                    return issuer
        time.sleep(0.1)
    pytest.fail(f"The OpenID Connect provider did not answer in time:\n{log.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(
    live_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OIDCProvider]:
    state_dir = tmp_path_factory.mktemp("oidc-provider")
    person = Person(
        email="alice@example.org", password=secrets.token_urlsafe(16), name="Alice Liddell"
    )
    clients = {
        provider_id: (f"lyceum-{provider_id}-{secrets.token_hex(4)}", secrets.token_urlsafe(32))
        for provider_id in OIDC_PROVIDER_IDS
    }
    config = {
        "clients": [
            {
                "name": provider_id,
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": [f"{live_server.url}/accounts/oidc/{provider_id}/login/callback/"],
            }
            for provider_id, (client_id, secret) in clients.items()
        ],
        "people": [{"email": person.email, "password": person.password, "name": person.name}],
    }
    (state_dir / "config.json").write_text(json.dumps(config))

    log_path = state_dir / "provider.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LYCEUM_"))}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", "--state-dir", str(state_dir)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            issuer = _wait_until_ready(process, state_dir, log_path)
            yield OIDCProvider(issuer=issuer, state_dir=state_dir, clients=clients, person=person)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
