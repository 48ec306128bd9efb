from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("playground.runs.urls")),
    path("accounts/", include("playground.accounts.urls")),
    path("providers/", include("playground.providers.urls")),
    path("admin/", admin.site.urls),
]
