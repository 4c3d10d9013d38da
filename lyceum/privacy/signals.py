"""Signals of the privacy engine, for apps below it in nothing but what they must undo."""

from django.dispatch import Signal

# Sent inside the transaction that takes an account out of use (erasure asked for): apps
# revoke what lets the person in or shows them to others (sessions, API tokens).
# Arguments: ``user``.
account_suspended = Signal()
