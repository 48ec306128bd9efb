"""Encryption of secrets at rest (API keys, provider header values) with Fernet.

The current key (PLAYGROUND_ENCRYPTION_KEY, else one derived from SECRET_KEY) encrypts;
it and the older ones still decrypt, so that keys can be rotated without losing anything:
PLAYGROUND_OLD_ENCRYPTION_KEYS, the key derived from SECRET_KEY (which was the key before
PLAYGROUND_ENCRYPTION_KEY was set) and those derived from SECRET_KEY_FALLBACKS (Django's
way of rotating SECRET_KEY). `manage.py rotate_encryption_key` re-encrypts everything with
the current key, after which the old ones can go.

A value that no key decrypts does not stop anything: it reads as an UnreadableSecret, and
its provider says so (models.Provider.secrets_unreadable) instead of being used.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

_KEY_SETTINGS = frozenset(
    {
        "PLAYGROUND_ENCRYPTION_KEY",
        "PLAYGROUND_OLD_ENCRYPTION_KEYS",
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
    }
)


def _derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(b"playground-secrets:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet_of(key, setting: str) -> Fernet:
    try:
        return Fernet(key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{setting} holds a key that is not a Fernet key (32 bytes in URL-safe base64, "
            "as Fernet.generate_key() makes)."
        ) from exc


@cache
def _fernet() -> MultiFernet:
    """The current key first (it encrypts), then every key that may still decrypt."""
    fernets = []
    if settings.PLAYGROUND_ENCRYPTION_KEY:
        fernets.append(_fernet_of(settings.PLAYGROUND_ENCRYPTION_KEY, "PLAYGROUND_ENCRYPTION_KEY"))
    fernets.append(Fernet(_derived_key(settings.SECRET_KEY)))
    fernets += [
        _fernet_of(key, "PLAYGROUND_OLD_ENCRYPTION_KEYS")
        for key in settings.PLAYGROUND_OLD_ENCRYPTION_KEYS
    ]
    fernets += [Fernet(_derived_key(old)) for old in settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(fernets)


def check_encryption_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A malformed key stops `manage.py serve` (and every command) with a clear message."""
    try:
        _fernet()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="providers.E001")]
    return []


def _forget_keys(*, setting, **kwargs) -> None:
    # Tests change the keys; a server reads them once.
    if setting in _KEY_SETTINGS:
        _fernet.cache_clear()


setting_changed.connect(_forget_keys)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The secret cannot be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """The same secret encrypted with the current key; ValueError if no key decrypts it."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The secret cannot be decrypted with the configured keys.") from exc


class UnreadableSecret(str):
    """A stored secret that none of the configured keys decrypts.

    It reads as empty, so it is never sent anywhere; saved again, it is stored as it was,
    so that the right key, once configured, can still read it.
    """

    token: str

    def __new__(cls, token: str):
        secret = super().__new__(cls, "")
        secret.token = token
        return secret

    def __repr__(self):
        return "UnreadableSecret()"


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted; Python code sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return decrypt(value)
        except ValueError:
            return UnreadableSecret(value)

    def get_prep_value(self, value):
        if isinstance(value, UnreadableSecret):
            return value.token
        if not value:
            return ""
        return encrypt(str(value))
