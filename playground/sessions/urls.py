from django.urls import path

from . import views

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("new/", views.session_new, name="session_new"),
    path("import/", views.session_import, name="session_import"),
    path("import/schema.json", views.session_import_schema, name="session_import_schema"),
    path("trash/", views.session_trash, name="session_trash"),
    path("<int:pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/tree/", views.session_tree, name="session_tree"),
    path(
        "<int:pk>/comparisons/<int:comparison>/",
        views.session_comparison,
        name="session_comparison",
    ),
    path("<int:pk>/autosave/", views.session_autosave, name="session_autosave"),
    path("<int:pk>/rename/", views.session_rename, name="session_rename"),
    path("<int:pk>/duplicate/", views.session_duplicate, name="session_duplicate"),
    path("<int:pk>/delete/", views.session_delete, name="session_delete"),
    path("<int:pk>/restore/", views.session_restore, name="session_restore"),
    path("<int:pk>/purge/", views.session_purge, name="session_purge"),
    path("<int:pk>/export/", views.session_export, name="session_export"),
    path("<int:pk>/export.jsonl", views.session_export_jsonl, name="session_export_jsonl"),
    path("runs/<int:pk>/restore/", views.run_restore, name="run_restore"),
]
