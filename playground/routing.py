from django.urls import path

from playground.runs.consumers import PlaygroundConsumer
from playground.sharing.consumers import WatchConsumer

websocket_urlpatterns = [
    path("ws/playground/", PlaygroundConsumer.as_asgi()),
    path("ws/watch/<str:token>/", WatchConsumer.as_asgi()),
    path("ws/watch/team/<int:session_id>/", WatchConsumer.as_asgi()),
]
