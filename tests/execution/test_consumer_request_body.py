"""Every parameter of the form reaches the provider exactly as set, in the API's types."""

import pytest

from playground.runs.models import Run

from ..fake_upstream import Reply, completion_response
from .helpers import page_message, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)


async def send(socket, message):
    frames = await run_and_collect(socket, message)
    assert frames[-1]["type"] == "run.finished", frames[-1]
    return frames


async def test_unset_parameters_are_not_sent(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider))

    assert upstream.last_body == {
        "model": "fake-model",
        "prompt": "Once upon a time",
        "stream": True,
    }


async def test_model_and_prompt_arrive_exactly_as_typed(alice_provider, upstream, alice_socket):
    prompt = "  Leading spaces stay.\nA second line, ünïcödé and a tab\there.\n\n"
    await send(alice_socket, page_message(alice_provider, model="my-org/model:v2", prompt=prompt))

    assert upstream.last_body["model"] == "my-org/model:v2"
    assert upstream.last_body["prompt"] == prompt


async def test_empty_prompt_is_sent_as_an_empty_string(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, prompt=""))

    assert upstream.last_body["prompt"] == ""


async def test_prompt_json_list_of_strings_arrives_as_a_list(
    alice_provider, upstream, alice_socket
):
    await send(alice_socket, page_message(alice_provider, prompt="", prompt_json='["One", "Two"]'))

    assert upstream.last_body["prompt"] == ["One", "Two"]


async def test_prompt_json_token_list_arrives_as_integers(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, prompt="", prompt_json="[1212, 318, 0]"))

    assert upstream.last_body["prompt"] == [1212, 318, 0]


async def test_prompt_json_token_lists_arrive_as_nested_integers(
    alice_provider, upstream, alice_socket
):
    await send(
        alice_socket, page_message(alice_provider, prompt="", prompt_json="[[1, 2], [3, 4, 5]]")
    )

    assert upstream.last_body["prompt"] == [[1, 2], [3, 4, 5]]


async def test_suffix_arrives_as_typed(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, suffix="\n    return result\n"))

    assert upstream.last_body["suffix"] == "\n    return result\n"


async def test_max_tokens_arrives_as_an_integer(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, max_tokens="256"))

    assert upstream.last_body["max_tokens"] == 256
    assert isinstance(upstream.last_body["max_tokens"], int)


async def test_max_tokens_zero_is_sent(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, max_tokens="0"))

    assert upstream.last_body["max_tokens"] == 0


async def test_temperature_and_top_p_arrive_as_numbers(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, temperature="0.7", top_p="0.95"))

    assert upstream.last_body["temperature"] == 0.7
    assert upstream.last_body["top_p"] == 0.95


async def test_whole_number_temperature_arrives_as_an_integer(
    alice_provider, upstream, alice_socket
):
    await send(alice_socket, page_message(alice_provider, temperature="1", top_p="1.0"))

    assert upstream.last_body["temperature"] == 1
    assert type(upstream.last_body["temperature"]) is int
    assert type(upstream.last_body["top_p"]) is int


async def test_temperature_zero_is_sent(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, temperature="0"))

    assert upstream.last_body["temperature"] == 0


async def test_n_arrives_as_an_integer(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, n="3"))

    assert upstream.last_body["n"] == 3


async def test_stream_off_is_sent_as_false(alice_provider, upstream, alice_socket):
    upstream.script(Reply(completion_response(["Hi"])))
    message = page_message(alice_provider)
    del message["stream"]  # an unchecked checkbox is not in the form data

    await send(alice_socket, message)

    assert upstream.last_body["stream"] is False
    assert "stream_options" not in upstream.last_body


async def test_include_usage_sends_stream_options(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, include_usage="on"))

    assert upstream.last_body["stream_options"] == {"include_usage": True}


async def test_logprobs_arrives_as_an_integer(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, logprobs="3"))

    assert upstream.last_body["logprobs"] == 3


async def test_logprobs_zero_is_sent(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, logprobs="0"))

    assert upstream.last_body["logprobs"] == 0


async def test_echo_is_sent_as_true(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, echo="on"))

    assert upstream.last_body["echo"] is True


async def test_stop_escapes_arrive_as_the_characters_they_name(
    alice_provider, upstream, alice_socket
):
    # The page's inputs hold what the person typed: backslash-n, not a newline.
    await send(alice_socket, page_message(alice_provider, stop=["\\n", "END", "\\t\\\\", ""]))

    assert upstream.last_body["stop"] == ["\n", "END", "\t\\"]


async def test_blank_stop_inputs_are_not_sent(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, stop=["", "", "", ""]))

    assert "stop" not in upstream.last_body


async def test_penalties_arrive_as_numbers(alice_provider, upstream, alice_socket):
    await send(
        alice_socket,
        page_message(alice_provider, presence_penalty="-1.5", frequency_penalty="0.5"),
    )

    assert upstream.last_body["presence_penalty"] == -1.5
    assert upstream.last_body["frequency_penalty"] == 0.5


async def test_best_of_is_sent_with_stream_off(alice_provider, upstream, alice_socket):
    upstream.script(Reply(completion_response(["Hi", "Ho"])))
    message = page_message(alice_provider, n="2", best_of="4")
    del message["stream"]

    await send(alice_socket, message)

    assert upstream.last_body["best_of"] == 4
    assert upstream.last_body["n"] == 2
    assert upstream.last_body["stream"] is False


async def test_logit_bias_rows_become_an_object_of_token_ids(
    alice_provider, upstream, alice_socket
):
    message = page_message(
        alice_provider,
        logit_bias_token=["50256", "", "198", ""],
        logit_bias_bias=["-100", "", "2", ""],
    )

    await send(alice_socket, message)

    assert upstream.last_body["logit_bias"] == {"50256": -100, "198": 2}
    assert type(upstream.last_body["logit_bias"]["50256"]) is int


async def test_logit_bias_values_go_upstream_as_integers(alice_provider, upstream, alice_socket):
    # JSON numbers from another client: 5.0 is the integer 5, and goes out as 5, not 5.0.
    await send(alice_socket, run_message(alice_provider, logit_bias={"50256": -100.0, "11": 5.0}))

    assert upstream.last_body["logit_bias"] == {"50256": -100, "11": 5}
    assert all(type(bias) is int for bias in upstream.last_body["logit_bias"].values())


async def test_seed_and_user_arrive(alice_provider, upstream, alice_socket):
    await send(alice_socket, page_message(alice_provider, seed="-42", user="user-1234"))

    assert upstream.last_body["seed"] == -42
    assert upstream.last_body["user"] == "user-1234"


async def test_extra_body_fields_are_sent_with_their_types(alice_provider, upstream, alice_socket):
    extra = '{"top_k": 40, "min_p": 0.05, "ignore_eos": true, "grammar": null, "x": {"a": [1]}}'

    await send(alice_socket, page_message(alice_provider, extra_body=extra))

    body = upstream.last_body
    assert body["top_k"] == 40
    assert body["min_p"] == 0.05
    assert body["ignore_eos"] is True
    assert body["grammar"] is None
    assert body["x"] == {"a": [1]}


async def test_every_parameter_together_arrives_as_set(alice_provider, upstream, alice_socket):
    upstream.script(Reply(completion_response(["a", "b"])))
    message = page_message(
        alice_provider,
        prompt="Say hi",
        suffix="!",
        max_tokens="5",
        temperature="0.2",
        top_p="0.9",
        n="2",
        logprobs="1",
        echo="on",
        stop=["\\n\\n"],
        presence_penalty="0.1",
        frequency_penalty="-0.1",
        best_of="3",
        logit_bias_token=["11"],
        logit_bias_bias=["5"],
        seed="7",
        user="u",
        extra_body='{"top_k": 1}',
    )
    del message["stream"]

    frames = await send(alice_socket, message)

    expected = {
        "model": "fake-model",
        "prompt": "Say hi",
        "suffix": "!",
        "max_tokens": 5,
        "temperature": 0.2,
        "top_p": 0.9,
        "n": 2,
        "stream": False,
        "logprobs": 1,
        "echo": True,
        "stop": ["\n\n"],
        "presence_penalty": 0.1,
        "frequency_penalty": -0.1,
        "best_of": 3,
        "logit_bias": {"11": 5},
        "seed": 7,
        "user": "u",
        "top_k": 1,
    }
    assert upstream.last_body == expected
    assert frames[0]["request"] == expected
    run = await Run.objects.aget(pk=frames[0]["run"])
    assert run.request_body == expected


async def test_json_clients_may_send_native_json_types(alice_provider, upstream, alice_socket):
    message = run_message(
        alice_provider,
        prompt_json=[[1, 2]],
        temperature=0.5,
        n=2,
        max_tokens=0,
        echo=True,
        include_usage=True,
        stop=["\n"],
        logit_bias={"50256": -100},
        extra_body={"top_k": 40},
        seed=3,
    )
    message["stream"] = True

    await send(alice_socket, message)

    assert upstream.last_body == {
        "model": "fake-model",
        "prompt": [[1, 2]],
        "temperature": 0.5,
        "n": 2,
        "max_tokens": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
        "echo": True,
        "stop": ["\n"],
        "logit_bias": {"50256": -100},
        "seed": 3,
        "top_k": 40,
    }


async def test_unchecked_booleans_from_json_clients_are_not_sent(
    alice_provider, upstream, alice_socket
):
    message = run_message(alice_provider, prompt="x", echo=False, include_usage=False)

    await send(alice_socket, message)

    assert "echo" not in upstream.last_body
    assert "stream_options" not in upstream.last_body
