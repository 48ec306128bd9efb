"""A run's speed: the tokens after the first, over the time from the first token to the end."""

from playground.runs.models import Run


def streamed(tokens, total_ms=1000.0, first_ms=200.0) -> Run:
    return Run(
        request_body={"stream": True},
        completion_tokens=tokens,
        total_ms=total_ms,
        time_to_first_token_ms=first_ms,
    )


def test_the_speed_counts_the_tokens_after_the_first_over_the_time_after_it():
    # 4 tokens came in the 800 ms after the first.
    assert streamed(5).tokens_per_second == 5.0


def test_one_token_has_no_speed():
    assert streamed(1, total_ms=200.5).tokens_per_second is None


def test_a_run_not_streamed_has_no_speed():
    run = streamed(5)
    run.request_body = {"stream": False}
    assert run.tokens_per_second is None
