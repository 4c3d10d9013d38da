"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

# Like Django's, but speech API uploads stay in memory however large (P39).
from lyceum.speech.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from lyceum.core.consumers import NotificationConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter([path("ws/notifications/", NotificationConsumer.as_asgi())])
            )
        ),
    }
)
