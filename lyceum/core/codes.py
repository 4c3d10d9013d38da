"""Short random codes people read and type (class codes, personal sign-in codes)."""

from __future__ import annotations

import secrets

# No letters or digits that are read one for another (0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
