from django.apps import AppConfig


class LocalModelConfig(AppConfig):
    name = "playground.localmodel"
    label = "localmodel"
