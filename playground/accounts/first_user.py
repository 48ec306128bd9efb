"""The first account of a fresh install: made once, with a random password shown once."""

import secrets

from django.contrib.auth import get_user_model

FIRST_USERNAME = "admin"


def ensure_first_user() -> tuple[str, str] | None:
    """Creates a staff superuser if there is no user at all; returns its credentials then."""
    User = get_user_model()
    if User.objects.exists():
        return None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(FIRST_USERNAME, email="", password=password)
    return FIRST_USERNAME, password
