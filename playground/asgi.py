"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
# Set up Django (and its app registry) before anything imports models.
django_asgi_app = get_asgi_application()

from playground.static_files import StaticFilesHandler  # noqa: E402

# Static files are served in-process and asynchronously: a handful of small files, and no
# sync-only middleware to hold a thread that would keep daphne from exiting.
django_asgi_app = StaticFilesHandler(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from playground.routing import websocket_urlpatterns  # noqa: E402
from playground.sockets.origin import SameOriginValidator  # noqa: E402
from playground.startup import RunStartupTasks  # noqa: E402

application = RunStartupTasks(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
            ),
        }
    )
)
