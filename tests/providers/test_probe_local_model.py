"""The probe of the real local model: its quirks are whatever it measures, and plausible.

Which quirks the local server has is not written here: the server may change, and the probe
must measure whatever it is. What is checked is that each result agrees with what the same
server does when asked directly.
"""

import httpx
import pytest

from playground.localmodel.provider import sync_local_provider
from playground.localmodel.server import MODEL_ALIAS
from playground.providers.capabilities import ZERO_MAX_TOKENS, capabilities_for
from playground.providers.models import ProviderCapabilities

pytestmark = [pytest.mark.localmodel, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def direct(local_model_server):
    with httpx.Client(base_url=local_model_server.base_url, timeout=60) as client:
        yield client


@pytest.fixture
def measured(local_model_server):
    provider = sync_local_provider(local_model_server.base_url)
    return provider, capabilities_for(provider, MODEL_ALIAS)


def test_starting_the_local_model_probes_it(measured):
    provider, capabilities = measured

    row = ProviderCapabilities.objects.get(provider=provider)
    assert row.model == MODEL_ALIAS
    assert capabilities.reachable is True
    assert all(entry["evidence"] and entry["measured_at"] for entry in row.results.values())
    # Each of these checks answers yes or no from any server that completes at all.
    for name in ("echo_logprobs", "streamed_echo", "n_choices", "prompt_lists", "token_prompts"):
        assert isinstance(getattr(capabilities, name), bool), (name, row.results[name])
    assert capabilities.max_tokens_zero in ZERO_MAX_TOKENS


def test_its_logprobs_cap_is_what_it_gives(measured, direct):
    _, capabilities = measured
    assert capabilities.max_logprobs is not None and capabilities.max_logprobs >= 1

    answer = direct.post(
        "/completions",
        json={
            "model": MODEL_ALIAS,
            "prompt": "Hello",
            "max_tokens": 1,
            "logprobs": capabilities.max_logprobs,
        },
    ).json()

    top = answer["choices"][0]["logprobs"]["top_logprobs"][0]
    assert len(top) >= capabilities.max_logprobs


def test_its_choice_count_is_what_it_gives(measured, direct):
    _, capabilities = measured

    response = direct.post(
        "/completions",
        json={"model": MODEL_ALIAS, "prompt": "Hello", "max_tokens": 1, "n": 2, "temperature": 1},
    )

    got_two = response.is_success and len(response.json()["choices"]) == 2
    assert got_two is capabilities.n_choices


def test_its_quirks_follow_from_what_it_measured(measured):
    _, capabilities = measured

    quirks = capabilities.quirks()
    assert ("one-choice" in quirks) is (capabilities.n_choices is False)
    assert ("no-streamed-echo" in quirks) is (capabilities.streamed_echo is False)
    assert ("zero-max-tokens" in quirks) is (capabilities.max_tokens_zero == "no-limit")
