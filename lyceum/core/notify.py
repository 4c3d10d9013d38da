"""Live notifications pushed to a person's open pages over websockets."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def send_to_user(*, user_id: int, kind: str, text: str) -> None:
    """Deliver at once to every page the user has open, on whichever web process holds it."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        user_group(user_id), {"type": "notification", "kind": kind, "text": text}
    )


def disconnect_user(*, user_id: int) -> None:
    """Close every socket the person has open (their account was taken out of use)."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(user_group(user_id), {"type": "session.end"})
