from django.contrib import admin
from django.urls import include, path

from playground.sessions.views import playground

urlpatterns = [
    path("", playground, name="playground"),
    path("sessions/", include("playground.sessions.urls")),
    path("", include("playground.sharing.urls")),
    path("runs/", include("playground.runs.urls")),
    path("accounts/", include("playground.accounts.urls")),
    path("providers/", include("playground.providers.urls")),
    path("admin/", admin.site.urls),
]
