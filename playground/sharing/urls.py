from django.urls import path

from . import views

urlpatterns = [
    path("sessions/<int:pk>/share/", views.share_settings, name="share_settings"),
    path("sessions/<int:pk>/share/regenerate/", views.share_regenerate, name="share_regenerate"),
    path("sessions/<int:pk>/share/revoke/", views.share_revoke, name="share_revoke"),
    path("sessions/<int:pk>/present/", views.session_present, name="session_present"),
    path("s/<str:token>/", views.shared_session, name="shared_session"),
    path("s/<str:token>/fork/", views.fork_shared, name="fork_shared"),
    path("s/<str:token>/runs/<int:run_pk>/", views.shared_run, name="shared_run"),
    path(
        "s/<str:token>/runs/<int:run_pk>/document/",
        views.shared_document,
        name="shared_document",
    ),
    path("s/<str:token>/tree/", views.shared_tree, name="shared_tree"),
    path("team/<int:pk>/", views.team_session, name="team_session"),
    path("team/<int:pk>/fork/", views.fork_team, name="fork_team"),
    path("team/<int:pk>/runs/<int:run_pk>/", views.team_run, name="team_run"),
    path("team/<int:pk>/runs/<int:run_pk>/document/", views.team_document, name="team_document"),
    path("team/<int:pk>/tree/", views.team_tree, name="team_tree"),
]
