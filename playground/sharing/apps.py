from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "playground.sharing"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
