"""Encryption of secrets at rest (API keys, provider header values) with Fernet."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@cache
def _fernet() -> Fernet:
    key = settings.PLAYGROUND_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(b"playground-secrets:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The secret cannot be decrypted with the configured key.") from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted; Python code sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt(str(value))
