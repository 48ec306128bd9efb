from django.urls import path

from . import views

urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("new/", views.dataset_new, name="dataset_new"),
    path("<int:pk>/", views.dataset_detail, name="dataset_detail"),
    path("<int:pk>/rename/", views.dataset_rename, name="dataset_rename"),
    path("<int:pk>/share/", views.dataset_share, name="dataset_share"),
    path("<int:pk>/delete/", views.dataset_delete, name="dataset_delete"),
    path(
        "<int:pk>/download.csv",
        views.dataset_download,
        {"format": "csv"},
        name="dataset_download_csv",
    ),
    path(
        "<int:pk>/download.jsonl",
        views.dataset_download,
        {"format": "jsonl"},
        name="dataset_download_jsonl",
    ),
]
