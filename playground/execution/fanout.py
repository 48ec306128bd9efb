"""Splits one asked-for completion into the requests a quirky provider can actually serve."""

from collections.abc import Sequence
from dataclasses import dataclass

from playground.providers.quirks import Quirk


@dataclass
class UpstreamRequest:
    body: dict
    # Added to the choice indexes this request returns, so every choice keeps its own pane.
    index_offset: int = 0
    # The prompt the playground puts before each choice itself, for a provider that
    # does not echo while streaming.
    echo_prompt: str = ""

    @property
    def choice_count(self) -> int:
        return int(self.body.get("n") or 1)


def _is_list_of_strings(prompt) -> bool:
    return isinstance(prompt, list) and bool(prompt) and all(isinstance(p, str) for p in prompt)


def _is_token_prompt(prompt) -> bool:
    return isinstance(prompt, list) and bool(prompt) and not _is_list_of_strings(prompt)


def plan_requests(body: dict, quirks: Sequence[str]) -> tuple[list[UpstreamRequest], list[str]]:
    """The requests to send for body, and notes that say plainly what was done and why.

    quirks: what the probe measured of the provider for the run's model
    (providers/capabilities.py), as Quirk values.
    """
    notes = []
    prompts = [body.get("prompt", "")]
    if Quirk.NO_PROMPT_LISTS in quirks and _is_list_of_strings(body.get("prompt")):
        prompts = body["prompt"]
        notes.append(
            f"This provider rejects a list of prompts, so the playground sent the "
            f"{len(prompts)} prompts as separate requests."
        )
    elif Quirk.NO_TOKEN_PROMPTS in quirks and _is_token_prompt(body.get("prompt")):
        notes.append("This provider does not accept token-array prompts; it was sent as asked.")

    n = int(body.get("n") or 1)
    copies = 1
    if Quirk.ONE_CHOICE_PER_REQUEST in quirks and n > 1:
        copies = n
        notes.append(
            f"This provider returns one choice per request, so the playground sent n={n} as "
            f"{n} requests of n=1."
        )
        if body.get("seed") is not None:
            notes.append("Every request carries the same seed, so their choices may be equal.")

    emulate_echo = (
        Quirk.NO_STREAMED_ECHO in quirks
        and body.get("echo")
        and body.get("stream")
        and all(isinstance(p, str) for p in prompts)
    )
    if emulate_echo:
        notes.append(
            "This provider does not echo the prompt while streaming, so the playground put "
            "the prompt before the text itself (with no logprobs for it)."
        )

    requests = []
    for prompt_index, prompt in enumerate(prompts):
        for copy in range(copies):
            sub_body = {**body, "prompt": prompt} if len(prompts) > 1 else body
            if copies > 1:
                sub_body = {**sub_body, "n": 1}
            requests.append(
                UpstreamRequest(
                    sub_body,
                    index_offset=prompt_index * n + copy,
                    echo_prompt=prompt if emulate_echo else "",
                )
            )
    return requests, notes


def sent_requests(body: dict, requests: list[UpstreamRequest]) -> list[dict]:
    """How requests went upstream, in the shape Run.sent_requests keeps.

    [{"times": k, "changed": {...}}]: k requests in a row, each body with the changed
    fields. One request of the body as it is gives [{"times": 1, "changed": {}}].
    """
    groups: list[dict] = []
    for request in requests:
        changed = {
            name: value
            for name, value in request.body.items()
            if name not in body or body[name] != value
        }
        if groups and groups[-1]["changed"] == changed:
            groups[-1]["times"] += 1
        else:
            groups.append({"times": 1, "changed": changed})
    return groups


def quirk_notices(body: dict, quirks: Sequence[str], completion_tokens: int | None) -> list[str]:
    """Parameters the provider accepted but does not honour."""
    notices = []
    if Quirk.IGNORES_BEST_OF in quirks and body.get("best_of", 1) > 1:
        notices.append(
            f"Asked for best_of={body['best_of']}; this provider ignores best_of, so each "
            "choice is a single sample."
        )
    if Quirk.ZERO_MAX_TOKENS_UNLIMITED in quirks and body.get("max_tokens") == 0:
        generated = f"it generated {completion_tokens} tokens" if completion_tokens else ""
        notices.append(
            "Asked for max_tokens=0; this provider treats 0 as no limit"
            + (f", so {generated}." if generated else ".")
        )
    return notices
