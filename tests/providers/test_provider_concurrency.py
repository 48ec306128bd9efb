"""A provider's concurrency for dataset runs, set on its form."""

from playground.providers.models import AuthStyle, Provider


def provider_data(**fields):
    return {
        "name": "Mine",
        "base_url": "https://api.example.com/v1",
        "auth_style": AuthStyle.NONE,
        "default_model": "",
        **fields,
    }


def test_it_keeps_the_concurrency_given(alice_client):
    alice_client.post("/providers/new/", provider_data(max_concurrency="16"))

    assert Provider.objects.get(name="Mine").max_concurrency == 16


def test_it_defaults_to_four(alice_client):
    alice_client.post("/providers/new/", provider_data())

    assert Provider.objects.get(name="Mine").max_concurrency == 4


def test_it_refuses_a_concurrency_out_of_range(alice_client):
    response = alice_client.post("/providers/new/", provider_data(max_concurrency="0"))

    assert response.context["form"].errors["max_concurrency"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert not Provider.objects.filter(name="Mine").exists()
