"""Every frame the server sends fits in one websocket message as daphne allows it."""

import json

from playground.sockets.outgoing import MAX_FRAME_BYTES, fit

BIG = MAX_FRAME_BYTES + 10


def decoded(texts):
    assert all(len(text.encode()) <= MAX_FRAME_BYTES for text in texts)
    return [json.loads(text) for text in texts]


def test_a_small_frame_goes_as_it_is():
    frame = {"type": "delta", "run": 1, "choices": {"0": "Hello"}}

    assert decoded(fit(frame)) == [frame]


def test_a_large_delta_goes_as_several_that_carry_its_text_in_order():
    text = "".join(f"{i:07d}" for i in range(BIG // 7 * 2))

    frames = decoded(fit({"type": "delta", "run": 1, "choices": {"0": text}}))

    assert len(frames) > 1
    assert {(f["type"], f["run"]) for f in frames} == {("delta", 1)}
    assert "".join(f["choices"]["0"] for f in frames) == text


def test_a_delta_of_escaped_text_is_measured_as_sent():
    # Each of these takes 6 bytes as JSON (\u escapes), not 1 character.
    text = "é" * (MAX_FRAME_BYTES // 5)

    frames = decoded(fit({"type": "delta", "run": 1, "choices": {"0": text}}))

    assert "".join(f["choices"]["0"] for f in frames) == text


def test_a_large_delta_of_several_choices_keeps_each_choice_text():
    choices = {"0": "a" * BIG, "1": "b" * 10}

    frames = decoded(fit({"type": "delta", "run": 1, "choices": choices}))

    for index, text in choices.items():
        assert "".join(f["choices"].get(index, "") for f in frames) == text


def tokens_of(frames, index="0"):
    assert {(f["type"], f["run"]) for f in frames} == {("tokens", 1)}
    return [token for f in frames for token in f["choices"].get(index, [])]


def test_a_large_tokens_frame_goes_as_several_that_carry_its_tokens_in_order():
    tokens = [[f"{i:07d}", -i / 7, {f"{i:07d}": -i / 7, "alt": -9.5}] for i in range(40_000)]

    frames = decoded(fit({"type": "tokens", "run": 1, "choices": {"0": tokens}}))

    assert len(frames) > 1
    assert tokens_of(frames) == tokens


def test_a_large_tokens_frame_of_several_choices_keeps_each_choice_tokens():
    choices = {"0": [["a" * 1000, -1.0, None]] * 1100, "1": [["b", None, {"c": -2.0}]]}

    frames = decoded(fit({"type": "tokens", "run": 1, "choices": choices}))

    for index, tokens in choices.items():
        assert tokens_of(frames, index) == tokens


def test_one_token_too_large_by_itself_keeps_its_text_and_logprob():
    # Only a hostile provider sends these: a token of 1 MB, alternatives of 1 MB.
    frame = {
        "type": "tokens",
        "run": 1,
        "choices": {
            "0": [["x", -1.0, {"y" * BIG: -2.0}], ["é" * BIG, -0.5, None], ["z", -3.0, None]]
        },
    }

    tokens = tokens_of(decoded(fit(frame)))

    assert tokens[0] == ["x", -1.0, None]
    assert "".join(token[0] for token in tokens[1:-1]) == "é" * BIG
    assert {(token[1], token[2]) for token in tokens[1:-1]} == {(-0.5, None)}
    assert tokens[-1] == ["z", -3.0, None]


def test_a_large_run_card_is_left_for_the_page_to_fetch():
    frame = {"type": "run.finished", "run": 7, "status": "completed", "html": "x" * BIG}

    assert decoded(fit(frame)) == [{**frame, "html": None}]


def test_a_large_live_state_keeps_its_fields_and_leaves_its_html_out():
    frame = {"type": "live.state", "live": True, "prompt": "p" * (BIG // 2), "html": "h" * BIG}

    assert decoded(fit(frame)) == [{**frame, "html": None}]


def test_a_large_request_in_run_started_keeps_its_short_values():
    request = {"model": "m", "stream": True, "prompt": "p" * BIG}
    frame = {"type": "run.started", "run": 7, "request": request}

    [sent] = decoded(fit(frame))

    assert sent["request"] == {"model": "m", "stream": True}
    assert sent["request_trimmed"] is True


def test_a_large_run_started_keeps_the_short_values_of_the_requests_sent():
    request = {"model": "m", "prompt": ["p" * BIG, "q"], "n": 2}
    sent = [
        {"times": 2, "changed": {"prompt": "p" * BIG, "n": 1}},
        {"times": 2, "changed": {"prompt": "q", "n": 1}},
    ]
    frame = {"type": "run.started", "run": 7, "request": request, "sent_requests": sent}

    [shrunk] = decoded(fit(frame))

    assert shrunk["request"] == {"model": "m", "n": 2}
    assert shrunk["sent_requests"] == [
        {"times": 2, "changed": {"n": 1}},
        {"times": 2, "changed": {"prompt": "q", "n": 1}},
    ]
    assert shrunk["request_trimmed"] is True


def test_a_large_frame_of_another_kind_is_dropped():
    assert fit({"type": "error", "error": "x" * BIG}) == []
