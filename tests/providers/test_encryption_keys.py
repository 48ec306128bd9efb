"""A changed encryption key: providers it cannot read are marked, nothing breaks, keys rotate.

The key is PLAYGROUND_ENCRYPTION_KEY, or derived from SECRET_KEY when that is unset; older
keys (PLAYGROUND_OLD_ENCRYPTION_KEYS, and those derived from SECRET_KEY_FALLBACKS) still
decrypt, and `manage.py rotate_encryption_key` re-encrypts everything with the current one.
"""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from playground.providers.bootstrap import OPENAI_ENV_KEY
from playground.providers.models import Provider
from playground.runs.models import Run, RunStatus
from playground.startup import prepare_on_start

from ..execution.helpers import run_and_collect, run_message
from ..factories import EXTRA_HEADERS, fake_api_key, make_provider, make_user
from .helpers import KEY, raw_columns

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
ENV_KEY = fake_api_key("env")
UNREADABLE = "cannot be decrypted with the current encryption key"


def use_keys(settings, current, *old):
    settings.PLAYGROUND_ENCRYPTION_KEY = current
    settings.PLAYGROUND_OLD_ENCRYPTION_KEYS = list(old)


@pytest.fixture
def stored_under_old_key(settings, alice, upstream):
    """Alice's provider (key and headers), saved while OLD_KEY was the key; NEW_KEY is now."""
    use_keys(settings, OLD_KEY)
    provider = make_provider(
        owner=alice, base_url=upstream.base_url, extra_headers=json.dumps(EXTRA_HEADERS)
    )
    use_keys(settings, NEW_KEY)
    return provider


def test_a_provider_stored_under_another_key_loads_marked_unreadable(stored_under_old_key):
    provider = Provider.objects.get(pk=stored_under_old_key.pk)

    assert provider.secrets_unreadable
    assert provider.api_key == ""
    assert provider.extra_header_items() == {}
    assert provider.request_headers() == {}


def test_saving_it_keeps_what_it_could_not_read(stored_under_old_key, settings):
    stored = raw_columns(stored_under_old_key)
    provider = Provider.objects.get(pk=stored_under_old_key.pk)
    provider.name = "Renamed"
    provider.save()

    assert raw_columns(provider) == stored
    use_keys(settings, NEW_KEY, OLD_KEY)
    assert Provider.objects.get(pk=provider.pk).api_key == KEY


def test_its_form_says_so(alice_client, stored_under_old_key):
    response = alice_client.get(f"/providers/{stored_under_old_key.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "The stored API key and extra headers " + UNREADABLE in content
    assert "Enter them again" in content


def test_the_provider_list_marks_it(alice_client, stored_under_old_key):
    response = alice_client.get("/providers/")

    assert response.status_code == 200
    assert "unreadable" in response.content.decode()


def test_entering_the_key_again_makes_it_usable(alice_client, stored_under_old_key):
    provider = stored_under_old_key
    new_key = fake_api_key("again")

    response = alice_client.post(
        f"/providers/{provider.pk}/",
        {
            "name": provider.name,
            "base_url": provider.base_url,
            "auth_style": provider.auth_style,
            "default_model": provider.default_model,
            "api_key": new_key,
            "extra_headers": json.dumps(EXTRA_HEADERS),
        },
    )

    assert response.status_code == 302
    provider = Provider.objects.get(pk=provider.pk)
    assert not provider.secrets_unreadable
    assert provider.api_key == new_key
    assert provider.extra_header_items() == EXTRA_HEADERS


@pytest.mark.django_db(transaction=True)
async def test_a_run_on_it_fails_clearly_and_sends_nothing(
    stored_under_old_key, upstream, connect, alice
):
    socket = await connect(alice)

    frames = await run_and_collect(socket, run_message(stored_under_old_key, prompt="x"))

    assert frames[-1]["status"] == "failed"
    assert UNREADABLE in frames[-1]["error"]
    assert (await Run.objects.aget(pk=frames[-1]["run"])).status == RunStatus.FAILED
    assert upstream.requests == []


def test_its_model_list_says_so_and_asks_nothing(alice_client, stored_under_old_key, upstream):
    response = alice_client.get("/providers/models/", {"provider": stored_under_old_key.pk})

    assert response.status_code == 200
    assert UNREADABLE in response.content.decode()
    assert upstream.requests == []


def test_an_old_key_still_decrypts(stored_under_old_key, settings):
    use_keys(settings, NEW_KEY, OLD_KEY)

    provider = Provider.objects.get(pk=stored_under_old_key.pk)

    assert not provider.secrets_unreadable
    assert provider.api_key == KEY
    assert provider.extra_header_items() == EXTRA_HEADERS


def test_a_new_secret_key_with_the_old_one_in_its_fallbacks_still_decrypts(settings, alice):
    use_keys(settings, "")
    settings.SECRET_KEY = "old-secret-key-" + "x" * 40
    provider = make_provider(owner=alice)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-secret-key-" + "y" * 40, []

    assert Provider.objects.get(pk=provider.pk).secrets_unreadable

    settings.SECRET_KEY_FALLBACKS = ["old-secret-key-" + "x" * 40]
    assert Provider.objects.get(pk=provider.pk).api_key == KEY


def test_setting_an_encryption_key_keeps_the_secrets_stored_under_the_derived_one(settings, alice):
    use_keys(settings, "")
    provider = make_provider(owner=alice)

    use_keys(settings, NEW_KEY)

    assert Provider.objects.get(pk=provider.pk).api_key == KEY


def test_start_up_under_a_changed_key_stores_the_environment_key_anew(settings, alice):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = ENV_KEY, ""
    use_keys(settings, OLD_KEY)
    prepare_on_start()
    use_keys(settings, NEW_KEY)

    prepare_on_start()

    provider = Provider.objects.get(system_key=OPENAI_ENV_KEY)
    assert provider.api_key == ENV_KEY
    assert not provider.secrets_unreadable
    assert Fernet(NEW_KEY).decrypt(raw_columns(provider)[0].encode()).decode() == ENV_KEY


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_every_secret_with_the_current_key(
    stored_under_old_key, settings, alice
):
    without_key = make_provider(owner=alice, api_key="")
    use_keys(settings, NEW_KEY, OLD_KEY)

    output = rotate()

    assert "Re-encrypted the secrets of 1 provider with the current key." in output
    assert raw_columns(without_key) == ("", "")
    api_key, extra_headers = raw_columns(stored_under_old_key)
    assert Fernet(NEW_KEY).decrypt(api_key.encode()).decode() == KEY
    assert json.loads(Fernet(NEW_KEY).decrypt(extra_headers.encode())) == EXTRA_HEADERS
    use_keys(settings, NEW_KEY)
    assert Provider.objects.get(pk=stored_under_old_key.pk).api_key == KEY


def test_rotation_names_the_providers_no_key_can_read(stored_under_old_key, settings, alice):
    use_keys(settings, Fernet.generate_key().decode())
    lost = make_provider(owner=alice, name="Lost provider")
    stored = raw_columns(lost)
    use_keys(settings, NEW_KEY, OLD_KEY)

    with pytest.raises(CommandError, match="Lost provider"):
        rotate()

    assert raw_columns(lost) == stored
    use_keys(settings, NEW_KEY)
    assert Provider.objects.get(pk=stored_under_old_key.pk).api_key == KEY


def test_the_admin_says_so_for_a_shared_provider(client, settings, upstream):
    use_keys(settings, OLD_KEY)
    shared = make_provider(owner=None, base_url=upstream.base_url, name="Team gateway")
    use_keys(settings, NEW_KEY)
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))

    response = client.get(f"/admin/providers/provider/{shared.pk}/change/")

    assert response.status_code == 200
    assert "The stored API key " + UNREADABLE in response.content.decode()


def test_a_malformed_key_stops_the_checks_with_a_clear_message(settings):
    use_keys(settings, "not-a-fernet-key")

    with pytest.raises(SystemCheckError, match="PLAYGROUND_ENCRYPTION_KEY holds a key that is"):
        call_command("check")


def test_start_up_names_the_providers_it_cannot_read(stored_under_old_key, caplog):
    prepare_on_start()

    assert "cannot decrypt the stored secrets of 1 provider(s): “Provider" in caplog.text
    assert "PLAYGROUND_OLD_ENCRYPTION_KEYS" in caplog.text
