"""OPENAI_API_KEY / OPENAI_BASE_URL make a shared provider at start."""

import pytest

from playground.providers.bootstrap import OPENAI_ENV_KEY, sync_environment_provider
from playground.providers.models import AuthStyle, Provider

from ..factories import fake_api_key
from .helpers import raw_columns

pytestmark = pytest.mark.django_db

ENV_KEY = fake_api_key("env")
ROTATED_KEY = fake_api_key("rotated")


@pytest.fixture
def openai_env(settings):
    settings.OPENAI_API_KEY = ENV_KEY
    settings.OPENAI_BASE_URL = "https://gateway.example/v1"
    return settings


def test_it_makes_a_shared_provider_from_the_environment(openai_env, alice, bob):
    provider = sync_environment_provider()

    assert provider.is_shared
    assert provider.system_key == OPENAI_ENV_KEY
    assert provider.base_url == "https://gateway.example/v1"
    assert provider.auth_style == AuthStyle.BEARER
    assert provider.api_key == ENV_KEY
    assert provider.default_model == "gpt-3.5-turbo-instruct"
    assert ENV_KEY not in raw_columns(provider)[0]
    assert provider in Provider.objects.usable_by(alice)
    assert provider in Provider.objects.usable_by(bob)


def test_the_base_url_defaults_to_openai(settings):
    settings.OPENAI_API_KEY = ENV_KEY
    settings.OPENAI_BASE_URL = ""

    assert sync_environment_provider().base_url == "https://api.openai.com/v1"


def test_a_base_url_alone_makes_a_provider_without_auth(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = "http://127.0.0.1:8080/v1"

    provider = sync_environment_provider()

    assert provider.auth_style == AuthStyle.NONE
    assert provider.api_key == ""


def test_nothing_is_made_without_the_variables(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""

    assert sync_environment_provider() is None
    assert not Provider.objects.exists()


def test_a_second_start_updates_the_same_provider(openai_env):
    first = sync_environment_provider()
    first.default_model = "chosen-by-staff"
    first.save()
    openai_env.OPENAI_API_KEY = ROTATED_KEY

    second = sync_environment_provider()

    assert second.pk == first.pk
    assert Provider.objects.count() == 1
    assert second.api_key == ROTATED_KEY
    assert second.default_model == "chosen-by-staff"
