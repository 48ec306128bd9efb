"""A provider is probed when it is added, and again when what it answers may have changed."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from playground.providers.models import AuthStyle, Provider, ProviderCapabilities

from ..factories import make_user
from ..fake_upstream import FakeUpstream
from .fake_provider import OPENAI, openai_like

pytestmark = pytest.mark.django_db


def provider_data(upstream, **fields):
    data = {
        "name": "Probed",
        "base_url": upstream.base_url,
        "auth_style": AuthStyle.NONE,
        "api_key": "",
        "extra_headers": "",
        "default_model": "fake-model",
    }
    data.update(fields)
    return data


def test_adding_a_provider_probes_its_default_model(
    alice_client, upstream, django_capture_on_commit_callbacks
):
    upstream.respond_with(openai_like(OPENAI))

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/providers/new/", provider_data(upstream))

    assert response.status_code == 302
    row = ProviderCapabilities.objects.get(provider=Provider.objects.get())
    assert row.model == "fake-model"
    assert row.results["max_logprobs"]["value"] == 5
    assert {r.body["model"] for r in upstream.completion_requests} == {"fake-model"}


def test_the_probe_waits_for_the_commit(alice_client, upstream, django_capture_on_commit_callbacks):
    upstream.respond_with(openai_like(OPENAI))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alice_client.post("/providers/new/", provider_data(upstream))

    assert len(callbacks) == 1
    assert upstream.completion_requests == []


def test_a_new_base_url_forgets_the_old_results_and_probes_the_new_one(
    alice_client, alice_provider, upstream, django_capture_on_commit_callbacks
):
    upstream.respond_with(openai_like(OPENAI))
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"/providers/{alice_provider.pk}/probe/", {"model": "old-model"})
    assert ProviderCapabilities.objects.filter(model="old-model").exists()

    moved = FakeUpstream().start().respond_with(openai_like(OPENAI))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alice_client.post(f"/providers/{alice_provider.pk}/", provider_data(moved))
    finally:
        moved.stop()

    assert not ProviderCapabilities.objects.filter(model="old-model").exists()
    assert ProviderCapabilities.objects.get().model == "fake-model"
    assert moved.completion_requests


def test_a_new_name_does_not_probe_again(
    alice_client, alice_provider, upstream, django_capture_on_commit_callbacks
):
    data = provider_data(upstream, name="Renamed", auth_style=alice_provider.auth_style)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alice_client.post(f"/providers/{alice_provider.pk}/", data)

    assert callbacks == []
    assert upstream.completion_requests == []


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    return client


def test_staff_adding_a_shared_provider_in_the_admin_probes_it(
    admin_client, upstream, django_capture_on_commit_callbacks
):
    upstream.respond_with(openai_like(OPENAI))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/providers/provider/add/", {**provider_data(upstream), "owner": ""}
        )

    assert response.status_code == 302
    shared = Provider.objects.get(owner=None)
    assert ProviderCapabilities.objects.get(provider=shared).results["max_logprobs"]["value"] == 5
    page = admin_client.get(f"/admin/providers/provider/{shared.pk}/change/").content.decode()
    assert "Most logprobs alternatives per token: 5" in page


def test_the_command_probes_a_provider_and_says_what_it_measured(alice_provider, upstream):
    upstream.respond_with(openai_like(OPENAI))
    out = io.StringIO()

    call_command("probe_provider", str(alice_provider.pk), "--model", "fake-model", stdout=out)

    assert ProviderCapabilities.objects.get().model == "fake-model"
    assert "Most logprobs alternatives per token: 5." in out.getvalue()


def test_the_command_refuses_an_unknown_provider(db):
    with pytest.raises(CommandError, match="No provider has the id '42'"):
        call_command("probe_provider", "42")
