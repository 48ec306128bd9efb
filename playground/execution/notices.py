"""Plain statements of where a provider returned less than the request asked for."""

from playground.completions.request_body import expected_choice_count


def shortfall_notices(body: dict, choices: list[dict], usage: dict | None) -> list[str]:
    notices = []
    asked = expected_choice_count(body)
    returned = len(choices)
    if returned < asked:
        notices.append(
            f"Asked for {asked} choice{'s' if asked != 1 else ''} "
            f"(n={body.get('n', 1)}); the provider returned {returned}."
        )
    if body.get("logprobs") is not None:
        missing = [c["index"] for c in choices if not (c.get("logprobs") or {}).get("tokens")]
        if missing:
            notices.append(
                f"Asked for logprobs={body['logprobs']}; the provider returned none for "
                f"choice {', '.join(str(i) for i in missing)}."
            )
        elif body["logprobs"] > 0 and not any(
            any(c["logprobs"].get("top_logprobs") or []) for c in choices
        ):
            notices.append(
                f"Asked for the top {body['logprobs']} alternatives; the provider returned none."
            )
    if (body.get("stream_options") or {}).get("include_usage") and not usage:
        notices.append("Asked for stream_options.include_usage; no usage chunk arrived.")
    return notices
