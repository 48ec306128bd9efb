"""The accumulator hands out each chunk's tokens with its text, and none past the output cap."""

from playground.execution.accumulator import CompletionAccumulator, NewOutput

from ..fake_upstream import completion_response


def logprobs(tokens, values, tops=None):
    return {"tokens": tokens, "token_logprobs": values, "top_logprobs": tops, "text_offset": []}


def test_a_choice_past_the_cap_in_the_same_chunk_gets_no_tokens():
    accumulator = CompletionAccumulator(max_chars=4)
    chunk = completion_response(["abc", "def"], logprobs=logprobs(["ab", "c"], [-1.0, -2.0]))
    chunk["choices"][1]["logprobs"] = logprobs(["d", "ef"], [-3.0, -4.0])

    new = accumulator.add(chunk)

    assert new == NewOutput(
        {0: "abc", 1: "d"}, {0: [["ab", -1.0, None], ["c", -2.0, None]], 1: [["d", -3.0, None]]}
    )
    assert [c["logprobs"]["tokens"] for c in accumulator.choices()] == [["ab", "c"], ["d"]]


def test_lists_the_provider_sent_short_or_odd_give_null_values():
    accumulator = CompletionAccumulator()
    odd = {"tokens": ["a", 7, "c"], "token_logprobs": [-1.0, True], "top_logprobs": [None, "x"]}
    chunk = completion_response(["a7c"], logprobs=odd)

    new = accumulator.add(chunk)

    assert new.tokens == {0: [["a", -1.0, None], ["7", None, None], ["c", None, None]]}


def test_text_the_playground_made_itself_has_no_tokens():
    accumulator = CompletionAccumulator()

    new = accumulator.add({"choices": [{"index": 0, "text": "Echo"}]}, from_provider=False)

    assert new == NewOutput({0: "Echo"})
    assert not NewOutput()
