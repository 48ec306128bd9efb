from django.apps import AppConfig


class DatasetRunsConfig(AppConfig):
    name = "playground.datasetruns"
