"""The probe, against fake upstreams that do and do not honour each field."""

import dataclasses

import pytest

from playground.providers.capabilities import Capabilities, capabilities_for
from playground.providers.models import ProviderCapabilities
from playground.providers.probe import CHECKS, SUFFIX_MARK, probe_and_record
from playground.providers.quirks import Quirk

from ..factories import API_KEY, make_provider
from ..fake_upstream import Reply
from .fake_provider import LLAMA_CPP_PYTHON, OPENAI, Honours, openai_like

pytestmark = pytest.mark.django_db(transaction=True)


def probed(provider, upstream, honours: Honours) -> ProviderCapabilities:
    upstream.respond_with(openai_like(honours))
    return probe_and_record(provider, "fake-model")


def value(row: ProviderCapabilities, name: str):
    return row.results[name]["value"]


def evidence(row: ProviderCapabilities, name: str) -> str:
    return row.results[name]["evidence"]


def with_(**changes) -> Honours:
    return dataclasses.replace(Honours(), **changes)


def test_every_capability_has_a_check():
    assert set(CHECKS) | {"reachable"} == set(Capabilities.names())


def test_a_provider_that_honours_everything_is_measured_so(alice_provider, upstream):
    row = probed(alice_provider, upstream, Honours())

    capabilities = capabilities_for(alice_provider, "fake-model")
    assert capabilities == Capabilities(
        reachable=True,
        max_logprobs=100,
        suffix=True,
        echo_logprobs=True,
        streamed_echo=True,
        max_tokens_zero="nothing",
        n_choices=True,
        prompt_lists=True,
        token_prompts=True,
        best_of=True,
        measured_at=row.measured_at,
    )
    assert capabilities.quirks() == []
    assert all(result["evidence"] and result["measured_at"] for result in row.results.values())


def test_every_request_is_tiny(alice_provider, upstream):
    probed(alice_provider, upstream, Honours())

    bodies = [request.body for request in upstream.completion_requests]
    assert len(bodies) <= 15
    assert all(body["model"] == "fake-model" for body in bodies)
    assert all(0 <= body["max_tokens"] <= 3 for body in bodies)


def test_it_finds_the_logprobs_cap_a_provider_refuses_above(alice_provider, upstream):
    row = probed(alice_provider, upstream, OPENAI)

    assert value(row, "max_logprobs") == 5
    assert "logprobs=20 was refused" in evidence(row, "max_logprobs")
    assert "at most 5" in evidence(row, "max_logprobs")


def test_it_finds_the_logprobs_cap_a_provider_clips_to(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(max_logprobs=10, logprobs_above="clip"))

    assert value(row, "max_logprobs") == 10
    assert "Asked for logprobs=20, got 10" in evidence(row, "max_logprobs")


def test_a_provider_without_logprobs_gives_none(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(max_logprobs=None))

    assert value(row, "max_logprobs") == 0
    assert value(row, "echo_logprobs") is False


def test_a_refused_suffix_is_not_honoured(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(suffix="refuse"))

    assert value(row, "suffix") is False
    assert "Refused a suffix: The provider answered 400" in evidence(row, "suffix")


def test_a_suffix_pasted_after_the_text_is_not_honoured(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(suffix="append"))

    assert value(row, "suffix") is False
    assert "pasted the suffix after its text" in evidence(row, "suffix")
    sent = [r.body for r in upstream.completion_requests if "suffix" in r.body]
    assert SUFFIX_MARK in sent[0]["suffix"]


def test_an_ignored_suffix_is_not_honoured(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(suffix="ignore"))

    assert value(row, "suffix") is False
    assert "counted 4 tokens with and without it" in evidence(row, "suffix")


def test_a_suffix_the_model_saw_is_honoured(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(suffix="honour"))

    assert value(row, "suffix") is True
    assert "4 tokens alone, 7 with it" in evidence(row, "suffix")


def test_without_token_counts_a_suffix_and_best_of_are_unknown(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(usage=False))

    assert value(row, "suffix") is None
    assert "no token counts" in evidence(row, "suffix")
    assert value(row, "best_of") is None


def test_an_echo_without_prompt_logprobs_cannot_score_a_prompt(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(echo_logprobs=False))

    assert value(row, "echo_logprobs") is False
    assert "not the prompt's" in evidence(row, "echo_logprobs")


def test_prompt_scoring_asks_for_no_new_token_where_zero_means_none(alice_provider, upstream):
    row = probed(alice_provider, upstream, Honours())

    scoring = [r.body for r in upstream.completion_requests if r.body.get("echo")]
    assert {"max_tokens": 0, "logprobs": 1, "stream": False}.items() <= scoring[1].items()
    assert "(max_tokens=0)" in evidence(row, "echo_logprobs")


def test_max_tokens_zero_taken_as_no_limit_is_hung_up_on(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(zero_max_tokens="no-limit"))

    assert value(row, "max_tokens_zero") == "no-limit"
    assert "before it was hung up on" in evidence(row, "max_tokens_zero")
    # Prompt scoring then needs one new token, and the probe asks for one.
    assert value(row, "echo_logprobs") is True
    assert "(max_tokens=1)" in evidence(row, "echo_logprobs")


def test_max_tokens_zero_refused(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(zero_max_tokens="rejected"))

    assert value(row, "max_tokens_zero") == "rejected"
    assert value(row, "echo_logprobs") is True


def test_echo_ignored_while_streaming(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(streamed_echo=False))

    assert value(row, "streamed_echo") is False
    assert value(row, "echo_logprobs") is True


@pytest.mark.parametrize("how", ["ignore", "refuse"])
def test_n_not_honoured(alice_provider, upstream, how):
    row = probed(alice_provider, upstream, with_(n=how))

    assert value(row, "n_choices") is False
    assert Quirk.ONE_CHOICE_PER_REQUEST in capabilities_for(alice_provider).quirks()


@pytest.mark.parametrize("how", ["first", "refuse"])
def test_prompt_lists_not_honoured(alice_provider, upstream, how):
    row = probed(alice_provider, upstream, with_(prompt_lists=how))

    assert value(row, "prompt_lists") is False


def test_token_prompts_refused(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(token_prompts=False))

    assert value(row, "token_prompts") is False
    assert "Input should be a valid string" in evidence(row, "token_prompts")


def test_best_of_ignored(alice_provider, upstream):
    row = probed(alice_provider, upstream, with_(best_of=False))

    assert value(row, "best_of") is False
    assert "counted 2 completion tokens" in evidence(row, "best_of")


def test_llama_cpp_python_has_its_quirks_measured(alice_provider, upstream):
    probed(alice_provider, upstream, LLAMA_CPP_PYTHON)

    assert set(capabilities_for(alice_provider, "fake-model").quirks()) == {
        Quirk.ONE_CHOICE_PER_REQUEST,
        Quirk.NO_PROMPT_LISTS,
        Quirk.NO_TOKEN_PROMPTS,
        Quirk.IGNORES_BEST_OF,
        Quirk.ZERO_MAX_TOKENS_UNLIMITED,
        Quirk.NO_STREAMED_ECHO,
    }


def test_a_failing_check_leaves_the_others_measured(alice_provider, upstream):
    honest = openai_like(Honours())

    def busy_for_suffixes(body):
        if "suffix" in body:
            return Reply({"error": {"message": "overloaded"}}, status=503)
        if body.get("n", 1) > 1:
            return Reply("<html>oops</html>", content_type="text/html")
        return honest(body)

    upstream.respond_with(busy_for_suffixes)
    row = probe_and_record(alice_provider, "fake-model")

    assert value(row, "suffix") is None
    assert "The request failed: The provider answered 503" in evidence(row, "suffix")
    assert value(row, "n_choices") is None
    assert value(row, "best_of") is True
    assert value(row, "max_logprobs") == 100


def test_an_answer_not_in_the_openai_format_is_unknown(alice_provider, upstream):
    honest = openai_like(Honours())
    upstream.respond_with(
        lambda body: Reply({"choices": "none"}) if body.get("best_of") else honest(body)
    )

    row = probe_and_record(alice_provider, "fake-model")

    assert value(row, "best_of") is None
    assert "not in the OpenAI format" in evidence(row, "best_of")
    assert value(row, "suffix") is True


def test_a_dead_provider_could_not_be_reached(alice):
    dead = make_provider(owner=alice, base_url="http://127.0.0.1:9/v1")

    row = probe_and_record(dead)

    assert list(row.results) == ["reachable"]
    assert value(row, "reachable") is False
    assert evidence(row, "reachable").startswith("Could not reach it: Could not connect to")
    assert capabilities_for(dead) == Capabilities(reachable=False, measured_at=row.measured_at)


def test_an_unreachable_probe_keeps_what_was_measured_before(alice_provider, upstream):
    before = probed(alice_provider, upstream, LLAMA_CPP_PYTHON)
    alice_provider.base_url = "http://127.0.0.1:9/v1"

    after = probe_and_record(alice_provider, "fake-model")

    assert value(after, "reachable") is False
    assert after.results["n_choices"] == before.results["n_choices"]
    assert Quirk.ONE_CHOICE_PER_REQUEST in capabilities_for(alice_provider).quirks()


def test_a_refused_request_stops_the_probe(alice_provider, upstream):
    upstream.respond_with(lambda body: Reply({"error": {"message": "bad key"}}, status=401))

    row = probe_and_record(alice_provider, "fake-model")

    assert list(row.results) == ["reachable"]
    assert "refused a one-token completion: The provider answered 401" in evidence(row, "reachable")
    assert len(upstream.completion_requests) == 1


def test_a_key_the_provider_quotes_is_redacted_in_the_evidence(alice_provider, upstream):
    honest = openai_like(Honours())
    upstream.respond_with(
        lambda body: (
            Reply({"error": {"message": f"key {API_KEY} may not"}}, status=400)
            if "suffix" in body
            else honest(body)
        )
    )

    row = probe_and_record(alice_provider, "fake-model")

    assert value(row, "suffix") is False
    assert API_KEY not in str(row.results)


def test_each_model_has_its_own_results(alice_provider, upstream):
    probed(alice_provider, upstream, OPENAI)
    upstream.respond_with(openai_like(LLAMA_CPP_PYTHON))
    probe_and_record(alice_provider, "other-model")

    assert capabilities_for(alice_provider, "fake-model").n_choices is True
    assert capabilities_for(alice_provider, "other-model").n_choices is False
    assert capabilities_for(alice_provider, "never-probed") == Capabilities()
    assert capabilities_for(alice_provider, "never-probed").quirks() == []
