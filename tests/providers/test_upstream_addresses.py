"""Where providers may send requests: the address rules, when a provider is saved and when
it is used, and redirects, which are never followed."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.html import escape

from playground.providers.client import UpstreamError, list_models
from playground.providers.models import AuthStyle, Provider

from ..factories import make_provider, make_user
from ..fake_upstream import FakeUpstream, Reply

pytestmark = pytest.mark.django_db

RULE = "providers that users add may only reach public addresses"


@pytest.fixture(autouse=True)
def private_upstreams_forbidden(settings):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = False


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return make_user("staff", is_staff=True)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def other_upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def provider_data(base_url):
    return {
        "name": "Mine",
        "base_url": base_url,
        "auth_style": AuthStyle.NONE,
        "api_key": "",
        "extra_headers": "",
        "default_model": "",
    }


def base_url_error(response) -> str:
    assert response.status_code == 200, "the form was accepted"
    return " ".join(response.context["form"].errors["base_url"])


def models_page(client, provider, **params):
    return client.get("/providers/models/", {"provider": provider.pk, **params}).content.decode()


# --- When a user saves a provider ---------------------------------------------------------

FORBIDDEN_URLS = [
    ("http://127.0.0.1:8080/v1", "127.0.0.1 is a loopback address"),
    ("http://localhost:8080/v1", "localhost resolves to 127.0.0.1, a loopback address"),
    ("http://[::1]:8080/v1", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:8080/v1", "::ffff:127.0.0.1 is a loopback address"),
    ("http://2130706433:8080/v1", "2130706433 resolves to 127.0.0.1, a loopback address"),
    ("http://0x7f.1:8080/v1", "0x7f.1 resolves to 127.0.0.1, a loopback address"),
    ("http://0177.1:8080/v1", "0177.1 resolves to 127.0.0.1, a loopback address"),
    ("http://127.1:8080/v1", "127.1 resolves to 127.0.0.1, a loopback address"),
    ("http://0.0.0.0:8080/v1", "0.0.0.0 is an unspecified address"),
    ("http://10.0.0.1/v1", "10.0.0.1 is a private address"),
    ("http://192.168.1.20:11434/v1", "192.168.1.20 is a private address"),
    ("http://100.64.0.1/v1", "100.64.0.1 is a reserved address"),
    ("http://[fe80::1]/v1", "fe80::1 is a link-local address"),
    ("http://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest", "fd00:ec2::254 is a cloud metadata address"),
    ("http://100.100.100.200/latest", "100.100.100.200 is a cloud metadata address"),
    (
        "http://[::ffff:a9fe:a9fe]/latest",
        "::ffff:a9fe:a9fe resolves to ::ffff:169.254.169.254, a cloud metadata address",
    ),
]


@pytest.mark.parametrize("url, reason", FORBIDDEN_URLS, ids=[u for u, _ in FORBIDDEN_URLS])
def test_a_user_may_not_add_a_provider_on_a_private_address(alice_client, url, reason):
    response = alice_client.post("/providers/new/", provider_data(url))

    error = base_url_error(response)
    assert error.startswith(f"{reason}: {RULE}.")
    assert "PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS" in error
    assert not Provider.objects.exists()


def test_a_user_may_not_move_their_provider_to_a_private_address(alice, alice_client):
    provider = make_provider(owner=alice, base_url="http://93.184.215.14/v1")

    response = alice_client.post(f"/providers/{provider.pk}/", provider_data("http://localhost/v1"))

    assert base_url_error(response).startswith("localhost resolves to 127.0.0.1")
    provider.refresh_from_db()
    assert provider.base_url == "http://93.184.215.14/v1"


def test_a_user_may_add_a_provider_on_a_public_address(alice_client):
    response = alice_client.post("/providers/new/", provider_data("http://93.184.215.14/v1"))

    assert response.status_code == 302
    assert Provider.objects.get().base_url == "http://93.184.215.14/v1"


def test_a_host_that_does_not_resolve_yet_is_left_to_request_time(alice_client):
    response = alice_client.post("/providers/new/", provider_data("https://api.invalid/v1"))

    assert response.status_code == 302


def test_staff_may_add_a_provider_on_a_private_address(staff_client):
    response = staff_client.post("/providers/new/", provider_data("http://localhost:11434/v1"))

    assert response.status_code == 302
    assert Provider.objects.get().base_url == "http://localhost:11434/v1"


def test_the_setting_lets_every_user_add_one(alice_client, settings):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True

    response = alice_client.post("/providers/new/", provider_data("http://127.0.0.1:8080/v1"))

    assert response.status_code == 302


def test_staff_may_add_a_shared_provider_on_a_private_address_in_the_admin(db):
    admin = Client()
    admin.force_login(make_user("admin", is_staff=True, is_superuser=True))

    response = admin.post(
        "/admin/providers/provider/add/",
        {**provider_data("http://127.0.0.1:8765/v1"), "owner": ""},
    )

    assert response.status_code == 302
    assert Provider.objects.get().is_shared


def test_the_admin_may_not_give_a_user_a_provider_on_a_private_address(alice):
    admin = Client()
    admin.force_login(make_user("admin", is_staff=True, is_superuser=True))

    response = admin.post(
        "/admin/providers/provider/add/",
        {**provider_data("http://127.0.0.1:8765/v1"), "owner": alice.pk},
    )

    assert response.status_code == 200
    assert not Provider.objects.exists()


def test_a_single_label_host_is_a_valid_base_url(staff_client):
    # A Docker service name, say; Django's URLField wants a top-level domain.
    response = staff_client.post("/providers/new/", provider_data("http://ollama:11434/v1"))

    assert response.status_code == 302
    assert Provider.objects.get().base_url == "http://ollama:11434/v1"


@pytest.mark.parametrize(
    "url", ["http://user:secret@proxy.example/v1", "http://sk-key@proxy.example/v1"]
)
def test_a_base_url_may_not_hold_credentials(staff_client, url):
    response = staff_client.post("/providers/new/", provider_data(url))

    assert base_url_error(response) == (
        "The base URL may not hold a user name or password: put the key in the API key field."
    )


def test_a_host_the_client_cannot_parse_is_refused(staff_client):
    # The resolver reads 0177.0.0.1 as 127.0.0.1; httpx refuses it outright.
    response = staff_client.post("/providers/new/", provider_data("http://0177.0.0.1/v1"))

    assert base_url_error(response).startswith("Enter a valid URL (Invalid IPv4 address")


# --- When a provider is used: the host is resolved and checked at every connection -------

# Stored as is: saved before the rules, by staff for a user in the admin, or while the
# setting was on. Each reaches the fake upstream on 127.0.0.1.
LOOPBACK_HOSTS = [
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("localhost", "localhost resolves to 127.0.0.1, a loopback address"),
    ("2130706433", "2130706433 resolves to 127.0.0.1, a loopback address"),
    ("0x7f.1", "0x7f.1 resolves to 127.0.0.1, a loopback address"),
]


@pytest.mark.parametrize("host, reason", LOOPBACK_HOSTS, ids=[h for h, _ in LOOPBACK_HOSTS])
def test_a_users_provider_cannot_list_models_on_a_private_address(
    alice, alice_client, upstream, host, reason
):
    provider = make_provider(owner=alice, base_url=f"http://{host}:{upstream.port}/v1")

    content = models_page(alice_client, provider)

    assert f"Could not load models: {reason}: {RULE}." in content
    assert upstream.requests == []


def test_a_shared_provider_may_reach_a_private_address(alice_client, upstream):
    provider = make_provider(owner=None, base_url=upstream.base_url)

    assert '<option value="fake-model">' in models_page(alice_client, provider)
    assert len(upstream.model_requests) == 1


def test_a_staff_members_provider_may_reach_a_private_address(staff, staff_client, upstream):
    provider = make_provider(owner=staff, base_url=f"http://localhost:{upstream.port}/v1")

    assert '<option value="fake-model">' in models_page(staff_client, provider)


def test_the_setting_lets_a_users_provider_reach_one(alice, alice_client, upstream, settings):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True
    provider = make_provider(owner=alice, base_url=upstream.base_url)

    assert '<option value="fake-model">' in models_page(alice_client, provider)


@pytest.fixture
def same_origin_providers(alice, staff, upstream):
    return (
        make_provider(owner=staff, base_url=upstream.base_url),
        make_provider(owner=alice, base_url=upstream.base_url),
    )


async def test_a_users_provider_never_reuses_a_connection_opened_for_staff(
    same_origin_providers, upstream
):
    staff_provider, alice_provider = same_origin_providers
    # The model list's connection stays in the pool after the first request.
    assert await list_models(staff_provider) == ["fake-model", "fake-model-large"]

    with pytest.raises(UpstreamError, match=r"^127\.0\.0\.1 is a loopback address"):
        await list_models(alice_provider)
    assert len(upstream.model_requests) == 1


@pytest.mark.django_db(transaction=True)
async def test_a_provider_loaded_without_its_owner_is_checked_too(same_origin_providers, upstream):
    # Provider.objects.usable_by() loads the owner; a plain query does not.
    staff_provider = await Provider.objects.aget(pk=same_origin_providers[0].pk)
    alice_provider = await Provider.objects.aget(pk=same_origin_providers[1].pk)

    assert await list_models(staff_provider) == ["fake-model", "fake-model-large"]
    with pytest.raises(UpstreamError, match=r"^127\.0\.0\.1 is a loopback address"):
        await list_models(alice_provider)


# --- Redirects ------------------------------------------------------------------------------


def test_a_redirect_is_reported_not_followed(alice_client, upstream, other_upstream):
    provider = make_provider(owner=None, base_url=upstream.base_url)
    target = f"{other_upstream.base_url}/models"
    upstream.models_reply = Reply("", status=302, content_type="text/html")
    upstream.models_reply.headers["Location"] = target

    content = models_page(alice_client, provider)

    message = (
        f"Could not load models: The provider answered 302 Found, a redirect to {target}, and "
        "redirects are not followed: put the address it leads to in the provider's base URL."
    )
    assert escape(message) in content
    assert other_upstream.requests == []
