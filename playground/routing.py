from django.urls import path

from playground.datasetruns.consumers import DatasetRunConsumer
from playground.sharing.consumers import WatchConsumer
from playground.sharing.presenter import PresenterConsumer

websocket_urlpatterns = [
    path("ws/playground/", PresenterConsumer.as_asgi()),
    path("ws/watch/<str:token>/", WatchConsumer.as_asgi()),
    path("ws/watch/team/<int:session_id>/", WatchConsumer.as_asgi()),
    path("ws/dataset-runs/<int:run_id>/", DatasetRunConsumer.as_asgi()),
]
