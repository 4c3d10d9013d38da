"""The privacy core. ``privacy.allows(subject, purpose)`` is the question every feature asks
before using personal data (restriction, objection; consent in issue 5)."""

from __future__ import annotations

from typing import Any


def allows(subject: Any, purpose: Any) -> bool:
    from lyceum.privacy.limits import allows as _allows

    return _allows(subject, purpose)
