from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "playground.datasets"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
