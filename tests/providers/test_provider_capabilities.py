"""GET /providers/<id>/capabilities/?model=: what a usable provider honours, as JSON."""

import pytest

from playground.providers.capabilities import record

from ..factories import make_provider

pytestmark = pytest.mark.django_db


def measured(provider, model="fake-model", **values):
    from django.utils import timezone

    results = {name: {"value": v, "evidence": f"{name} seen"} for name, v in values.items()}
    return record(provider, model, results, timezone.now())


def test_the_owner_gets_the_measured_capabilities(alice_client, provider):
    row = measured(provider, max_logprobs=5, suffix=False, streamed_echo=True)

    response = alice_client.get(f"/providers/{provider.pk}/capabilities/")

    assert response.status_code == 200
    data = response.json()
    assert data["provider"] == provider.pk
    assert data["model"] == "fake-model"
    assert data["measured_at"] == row.measured_at.isoformat()
    assert data["capabilities"]["max_logprobs"] == 5
    assert data["capabilities"]["suffix"] is False
    assert data["capabilities"]["streamed_echo"] is True
    assert data["capabilities"]["echo_logprobs"] is None
    assert data["evidence"]["suffix"] == "suffix seen"


def test_it_answers_for_the_model_asked_for(alice_client, provider):
    measured(provider, "fake-model", suffix=True)
    measured(provider, "other", suffix=False)

    data = alice_client.get(f"/providers/{provider.pk}/capabilities/?model=other").json()

    assert data["model"] == "other"
    assert data["capabilities"]["suffix"] is False


def test_a_model_never_probed_is_all_unknown(alice_client, provider):
    data = alice_client.get(f"/providers/{provider.pk}/capabilities/?model=new").json()

    assert data["measured_at"] is None
    assert set(data["capabilities"].values()) == {None}


def test_anyone_may_read_a_shared_providers(alice_client):
    shared = make_provider(owner=None)
    measured(shared, n_choices=False)

    data = alice_client.get(f"/providers/{shared.pk}/capabilities/").json()

    assert data["capabilities"]["n_choices"] is False


def test_outsider_gets_404(bob_client, provider):
    measured(provider, suffix=True)

    assert bob_client.get(f"/providers/{provider.pk}/capabilities/").status_code == 404


def test_a_model_too_long_is_a_400(alice_client, provider):
    response = alice_client.get(f"/providers/{provider.pk}/capabilities/?model={'m' * 201}")

    assert response.status_code == 400
    assert "model" in response.json()["errors"]


def test_values_of_the_wrong_type_are_unknown(alice_client, provider):
    measured(provider, max_logprobs=True, suffix="yes", max_tokens_zero="sometimes")

    data = alice_client.get(f"/providers/{provider.pk}/capabilities/").json()

    assert data["capabilities"]["max_logprobs"] is None
    assert data["capabilities"]["suffix"] is None
    assert data["capabilities"]["max_tokens_zero"] is None


def test_it_requires_login(client, provider):
    response = client.get(f"/providers/{provider.pk}/capabilities/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
