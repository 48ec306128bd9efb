from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.dataset_run_new, name="dataset_run_new"),
    path("<int:pk>/", views.dataset_run_detail, name="dataset_run_detail"),
    path("<int:pk>/stop/", views.dataset_run_stop, name="dataset_run_stop"),
    path("<int:pk>/resume/", views.dataset_run_resume, name="dataset_run_resume"),
    path("<int:pk>/against/<int:other>/", views.dataset_run_diff, name="dataset_run_diff"),
    path(
        "<int:pk>/export.csv",
        views.dataset_run_export,
        {"format": "csv"},
        name="dataset_run_export_csv",
    ),
    path(
        "<int:pk>/export.jsonl",
        views.dataset_run_export,
        {"format": "jsonl"},
        name="dataset_run_export_jsonl",
    ),
    path(
        "<int:pk>/results/<int:result_pk>/open/",
        views.dataset_run_open_cell,
        name="dataset_run_open_cell",
    ),
]
