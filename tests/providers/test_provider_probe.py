"""POST /providers/<id>/probe/: probe now (the owner, or staff for a shared provider)."""

import pytest
from django.test import Client

from playground.providers.models import ProviderCapabilities

from ..factories import make_provider, make_user
from .fake_provider import LLAMA_CPP_PYTHON, openai_like

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def llama_upstream(upstream):
    return upstream.respond_with(openai_like(LLAMA_CPP_PYTHON))


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(make_user("sam", is_staff=True))
    return client


def test_the_owner_probes_and_sees_the_table(alice_client, alice_provider, llama_upstream):
    response = alice_client.post(
        f"/providers/{alice_provider.pk}/probe/", {"model": ""}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith(
        f'<div class="capabilities" id="capabilities-{alice_provider.pk}"'
    )
    assert "<html" not in content
    assert "n above 1 in one request" in content
    assert "Asked for n=2, got 1 choice." in content
    assert "pasted the suffix after its text" in content
    row = ProviderCapabilities.objects.get(provider=alice_provider)
    assert row.model == "fake-model"
    assert row.results["n_choices"]["value"] is False


def test_probing_again_within_the_minute_is_refused_and_sends_nothing(
    alice_client, alice_provider, llama_upstream
):
    url = f"/providers/{alice_provider.pk}/probe/"
    alice_client.post(url, {"model": ""}, headers={"HX-Request": "true"})
    sent = len(llama_upstream.completion_requests)
    assert sent > 0

    again = alice_client.post(url, {"model": ""}, headers={"HX-Request": "true"})

    assert again.status_code == 200
    assert "fake-model was probed less than 60 s ago: probe it again in" in again.content.decode()
    assert len(llama_upstream.completion_requests) == sent
    # Another model of the same provider is a probe of its own.
    alice_client.post(url, {"model": "fake-model-large"}, headers={"HX-Request": "true"})
    assert len(llama_upstream.completion_requests) > sent


def test_it_probes_the_model_asked_for(alice_client, alice_provider, llama_upstream):
    alice_client.post(f"/providers/{alice_provider.pk}/probe/", {"model": "fake-model-large"})

    assert ProviderCapabilities.objects.get().model == "fake-model-large"
    assert {r.body["model"] for r in llama_upstream.completion_requests} == {"fake-model-large"}


def test_without_htmx_it_goes_back_to_the_providers_page(
    alice_client, alice_provider, llama_upstream
):
    response = alice_client.post(f"/providers/{alice_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 302
    assert response.url == f"/providers/{alice_provider.pk}/"


def test_a_bad_model_is_refused_without_probing(alice_client, alice_provider, llama_upstream):
    response = alice_client.post(
        f"/providers/{alice_provider.pk}/probe/",
        {"model": "m" * 201},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert llama_upstream.completion_requests == []
    assert not ProviderCapabilities.objects.exists()


def test_outsider_gets_404(bob_client, alice_provider, llama_upstream):
    response = bob_client.post(f"/providers/{alice_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 404
    assert llama_upstream.completion_requests == []


def test_a_user_cannot_probe_a_shared_provider(alice_client, shared_provider, llama_upstream):
    response = alice_client.post(f"/providers/{shared_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 404
    assert llama_upstream.completion_requests == []


def test_staff_probe_a_shared_provider(staff_client, shared_provider, llama_upstream):
    response = staff_client.post(f"/providers/{shared_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 302
    assert response.url == "/providers/"
    assert ProviderCapabilities.objects.get(provider=shared_provider).results["reachable"]


def test_staff_cannot_probe_another_users_provider(staff_client, alice_provider, llama_upstream):
    response = staff_client.post(f"/providers/{alice_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 404


def test_it_rejects_get(alice_client, alice_provider):
    assert alice_client.get(f"/providers/{alice_provider.pk}/probe/").status_code == 405


def test_it_requires_login(client, alice_provider):
    response = client.post(f"/providers/{alice_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_requires_the_csrf_token(alice, alice_provider, llama_upstream):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(f"/providers/{alice_provider.pk}/probe/", {"model": ""})

    assert response.status_code == 403
    assert llama_upstream.completion_requests == []


def test_the_providers_page_shows_what_was_measured(alice_client, alice_provider, llama_upstream):
    alice_client.post(f"/providers/{alice_provider.pk}/probe/", {"model": ""})

    content = alice_client.get(f"/providers/{alice_provider.pk}/").content.decode()

    assert "What it honours" in content
    assert 'data-capability="best_of"' in content
    assert "counted 2 completion tokens, one completion&#x27;s." in content
    assert "Probe now" in content


def test_model_output_in_the_evidence_is_escaped(alice_client, alice, upstream):
    provider = make_provider(owner=alice, base_url=upstream.base_url)
    from .fake_provider import Honours

    def streams_markup(body):
        reply = openai_like(Honours(streamed_echo=False))(body)
        if body.get("stream") and body.get("echo") and body.get("max_tokens") == 1:
            reply.events[0]["choices"][0]["text"] = "<b>bold</b>"
        return reply

    upstream.respond_with(streams_markup)
    alice_client.post(f"/providers/{provider.pk}/probe/", {"model": ""})

    content = alice_client.get(f"/providers/{provider.pk}/").content.decode()
    assert "<b>bold</b>" not in content
    assert "&lt;b&gt;bold&lt;/b&gt;" in content


def test_a_shared_providers_results_are_on_the_list_for_everyone(
    alice_client, staff_client, shared_provider, llama_upstream
):
    staff_client.post(f"/providers/{shared_provider.pk}/probe/", {"model": ""})

    content = alice_client.get("/providers/").content.decode()

    assert "Asked for n=2, got 1 choice." in content
    assert f'action="/providers/{shared_provider.pk}/probe/"' not in content
    staff_content = staff_client.get("/providers/").content.decode()
    assert f'action="/providers/{shared_provider.pk}/probe/"' in staff_content
