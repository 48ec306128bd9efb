from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "playground.sessions"
    # "sessions" is django.contrib.sessions' label.
    label = "saved_sessions"
    verbose_name = "saved sessions"
