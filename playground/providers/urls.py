from django.urls import path

from . import views

urlpatterns = [
    path("", views.provider_list, name="provider_list"),
    path("new/", views.provider_create, name="provider_create"),
    path("<int:pk>/", views.provider_edit, name="provider_edit"),
    path("<int:pk>/delete/", views.provider_delete, name="provider_delete"),
    path("<int:pk>/probe/", views.provider_probe, name="provider_probe"),
    path("<int:pk>/capabilities/", views.provider_capabilities, name="provider_capabilities"),
    path(
        "<int:pk>/capabilities/panel/",
        views.provider_capabilities_panel,
        name="provider_capabilities_panel",
    ),
    path("models/", views.provider_models, name="provider_models"),
]
