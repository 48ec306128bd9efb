import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The default hasher takes most of a second per user on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
