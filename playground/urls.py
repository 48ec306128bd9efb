from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from playground.sessions.views import playground

urlpatterns = [
    path("", playground, name="playground"),
    path("sessions/", include("playground.sessions.urls")),
    path("datasets/", include("playground.datasets.urls")),
    path("dataset-runs/", include("playground.datasetruns.urls")),
    path("", include("playground.sharing.urls")),
    path("runs/", include("playground.runs.urls")),
    path("accounts/", include("playground.accounts.urls")),
    path("providers/", include("playground.providers.urls")),
    # The admin's own login form would check passwords past the login throttle: staff log in
    # on the site's login page, which brings them back (?next=).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    # Browsers ask every site for its icon here, on every page (the admin's too).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]
