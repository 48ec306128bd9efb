"""API keys and extra headers are encrypted at rest; Python code sees the plaintext."""

import json

import pytest
from cryptography.fernet import Fernet

from playground.providers.models import Provider
from playground.providers.secrets import decrypt, encrypt

from ..factories import EXTRA_HEADERS, make_provider
from .helpers import KEY, raw_columns

pytestmark = pytest.mark.django_db


def test_the_key_column_is_not_the_plaintext(provider):
    api_key, _ = raw_columns(provider)

    assert KEY not in api_key
    assert decrypt(api_key) == KEY


def test_the_extra_headers_column_is_not_the_plaintext(provider):
    _, extra_headers = raw_columns(provider)

    assert "org-SECRET-ORG" not in extra_headers
    assert json.loads(decrypt(extra_headers)) == EXTRA_HEADERS


def test_a_loaded_provider_has_the_plaintext(provider):
    loaded = Provider.objects.get(pk=provider.pk)

    assert loaded.api_key == KEY
    assert loaded.extra_header_items() == EXTRA_HEADERS


def test_the_same_key_encrypts_differently_each_time():
    assert encrypt(KEY) != encrypt(KEY)


def test_an_empty_key_stays_empty(alice):
    provider = make_provider(owner=alice, api_key="")

    assert raw_columns(provider)[0] == ""
    assert Provider.objects.get(pk=provider.pk).api_key == ""


def test_a_value_encrypted_with_another_key_is_refused():
    foreign = Fernet(Fernet.generate_key()).encrypt(b"sk-other").decode()

    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt(foreign)
