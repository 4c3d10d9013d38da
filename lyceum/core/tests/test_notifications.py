from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.contrib.auth.models import AnonymousUser

from lyceum.core.consumers import NotificationConsumer
from lyceum.core.notify import send_to_user


async def _open(user: Any) -> ApplicationCommunicator:
    scope = {"type": "websocket", "path": "/ws/notifications/", "user": user, "headers": []}
    page = ApplicationCommunicator(NotificationConsumer.as_asgi(), scope)
    await page.send_input({"type": "websocket.connect"})
    return page


@pytest.mark.django_db(transaction=True)
def test_open_pages_receive_notifications_for_their_person_only(make_user):
    alice, bob = make_user(), make_user()

    async def scenario() -> None:
        alice_page, bob_page = await _open(alice), await _open(bob)
        assert (await alice_page.receive_output(2))["type"] == "websocket.accept"
        assert (await bob_page.receive_output(2))["type"] == "websocket.accept"
        await sync_to_async(send_to_user)(user_id=alice.pk, kind="signin", text="Hello Alice")
        message = await alice_page.receive_output(2)
        assert message == {
            "type": "websocket.send",
            "text": '{"kind": "signin", "text": "Hello Alice"}',
        }
        assert await bob_page.receive_nothing(0.3)
        for page in (alice_page, bob_page):
            await page.send_input({"type": "websocket.disconnect", "code": 1000})
            await page.wait(1)

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_anonymous_socket_is_refused():
    async def scenario() -> None:
        page = await _open(AnonymousUser())
        closed = await page.receive_output(2)
        assert closed["type"] == "websocket.close"
        assert closed["code"] == 4401

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_p43_an_account_taken_out_of_use_loses_its_open_connections(make_user):
    from lyceum.privacy.services import erasure_request

    alice = make_user()

    async def scenario() -> None:
        page = await _open(alice)
        assert (await page.receive_output(2))["type"] == "websocket.accept"
        await sync_to_async(erasure_request)(user=alice, actor=alice, base_url="/")
        closed = await page.receive_output(2)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4401)

    async_to_sync(scenario)()
