"""Claims of the test provider: what Lyceum needs, and more than it should keep."""

from __future__ import annotations

import json
import threading
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from .settings import STATE_DIR

# Released whatever scope was asked for, like a provider that shares too much.
EXTRA_CLAIMS: dict[str, Any] = {
    "given_name": None,  # filled in per person
    "family_name": None,
    "picture": "https://op.example/avatars/alice.png",
    "locale": "fr-FR",
    "birthdate": "1990-05-04",
    "gender": "female",
    "phone_number": "+33 6 12 34 56 78",
    "phone_number_verified": True,
}

_released_lock = threading.Lock()


class OversharingValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        **dict.fromkeys(EXTRA_CLAIMS, "openid"),
    }

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        first, _, last = user.get_full_name().partition(" ")
        return {
            "sub": f"op-user-{user.pk}",
            "email": user.email,
            "email_verified": True,
            "name": user.get_full_name(),
            **EXTRA_CLAIMS,
            "given_name": first,
            "family_name": last,
        }

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_oidc_claims(token, token_handler, request)
        # Keep a record of what went out, so a test can show the claims were offered.
        record = {"client_id": request.client_id or request.client.client_id, "claims": claims}
        with _released_lock, open(STATE_DIR / "released-claims.jsonl", "a") as log:
            log.write(json.dumps(record, default=str) + "\n")
        return claims
