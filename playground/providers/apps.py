from django.apps import AppConfig
from django.core import checks


class ProvidersConfig(AppConfig):
    name = "playground.providers"

    def ready(self):
        from .secrets import check_encryption_keys

        checks.register(check_encryption_keys)
