from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from lyceum.core.notify import user_group


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """One socket per open page of a signed-in person; anonymous sockets are refused."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def notification(self, event: dict[str, Any]) -> None:
        await self.send_json({"kind": event["kind"], "text": event["text"]})

    async def session_end(self, event: dict[str, Any]) -> None:
        """The account was taken out of use: its open pages lose their live connection."""
        await self.close(code=4401)
