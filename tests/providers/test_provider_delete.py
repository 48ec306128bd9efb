"""POST /providers/<id>/delete/: the owner deletes a provider; its runs stay."""

import pytest

from playground.providers.models import Provider
from playground.runs.models import Run

from ..factories import make_provider, make_run

pytestmark = pytest.mark.django_db


def test_the_owner_deletes_it(alice_client, provider):
    response = alice_client.post(f"/providers/{provider.pk}/delete/")

    assert response.status_code == 302
    assert response.url == "/providers/"
    assert not Provider.objects.filter(pk=provider.pk).exists()


def test_its_runs_keep_the_provider_name(alice, alice_client, provider):
    run = make_run(alice, provider)

    alice_client.post(f"/providers/{provider.pk}/delete/")

    run = Run.objects.get(pk=run.pk)
    assert run.provider is None
    assert run.provider_name == "Alice's provider"


def test_outsider_gets_404(bob_client, provider):
    response = bob_client.post(f"/providers/{provider.pk}/delete/")

    assert response.status_code == 404
    assert Provider.objects.filter(pk=provider.pk).exists()


def test_a_shared_provider_cannot_be_deleted_here(alice_client):
    shared = make_provider(owner=None)

    assert alice_client.post(f"/providers/{shared.pk}/delete/").status_code == 404
    assert Provider.objects.filter(pk=shared.pk).exists()


def test_it_rejects_get(alice_client, provider):
    assert alice_client.get(f"/providers/{provider.pk}/delete/").status_code == 405
    assert Provider.objects.filter(pk=provider.pk).exists()


def test_it_requires_login(client, provider):
    response = client.post(f"/providers/{provider.pk}/delete/")

    assert response.status_code == 302
    assert Provider.objects.filter(pk=provider.pk).exists()
