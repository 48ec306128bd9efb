"""Encodes the frames the server sends, each within daphne's size limit for one message.

daphne quirk: its websocket message size limit (--websocket_max_message_size, 1 MiB by
default) holds for what it sends as well as what it receives. autobahn refuses a larger
message, and the frame is lost without a word to the client. A long run's card (its text,
tinted tokens and raw stream) passes 1 MiB easily, and so can a burst of text or tokens.
"""

import json
import logging

logger = logging.getLogger(__name__)

# daphne's default limit on a websocket message: clients that keep it must still read every frame.
MAX_FRAME_BYTES = 1024 * 1024

# run.started leaves out the request's values longer than this when the whole is too large
# (in request and in sent_requests' changed fields).
LONG_VALUE_BYTES = 1024


def encode(value) -> str:
    # ASCII, as Channels encodes: a lone surrogate from a provider is escaped, not an error.
    return json.dumps(value)


def _size(text: str) -> int:
    return len(text)  # ASCII: one byte a character


def _halves(frame: dict) -> list[dict]:
    """A delta or tokens frame as two or more that carry its text or tokens between them,
    in order: a choice each, else the halves of its text or of its list of tokens."""
    choices = frame["choices"]
    if len(choices) > 1:
        return [{**frame, "choices": {index: part}} for index, part in choices.items()]
    [(index, part)] = choices.items()
    if frame["type"] == "tokens" and len(part) == 1:
        return [{**frame, "choices": {index: pieces}} for pieces in _token_pieces(part[0])]
    middle = len(part) // 2
    return [{**frame, "choices": {index: half}} for half in (part[:middle], part[middle:])]


def _token_pieces(token: list) -> list[list[list]]:
    """One token too large for a frame by itself (only a hostile provider sends one): without
    its top alternatives, then its text in halves, each with the token's logprob."""
    text, logprob, top = token
    if top is not None:
        return [[[text, logprob, None]]]
    middle = len(text) // 2
    return [[[text[:middle], logprob, None]], [[text[middle:], logprob, None]]]


def _without_long_values(body: dict) -> dict:
    return {name: value for name, value in body.items() if _size(encode(value)) <= LONG_VALUE_BYTES}


def _shrunk(frame: dict) -> dict | None:
    """A smaller stand-in for a frame too large to send, or None for one that has none."""
    match frame.get("type"):
        case "run.finished" if frame.get("html") is not None:
            # The page fetches the card (GET /runs/<id>/); README, "The websocket protocol".
            return {**frame, "html": None}
        case "live.state" if frame.get("html") is not None:
            # The share page then says to reload it; the JSON fields still go to any client.
            return {**frame, "html": None}
        case "run.started" if not frame.get("request_trimmed"):
            trimmed = {
                **frame,
                "request": _without_long_values(frame["request"]),
                "request_trimmed": True,
            }
            if frame.get("sent_requests"):
                trimmed["sent_requests"] = [
                    {**group, "changed": _without_long_values(group["changed"])}
                    for group in frame["sent_requests"]
                ]
            return trimmed
    return None


def fit(frame: dict) -> list[str]:
    """The frame as one or more JSON texts, each within MAX_FRAME_BYTES."""
    text = encode(frame)
    if _size(text) <= MAX_FRAME_BYTES:
        return [text]
    if frame.get("type") in ("delta", "tokens"):
        return [part for half in _halves(frame) for part in fit(half)]
    smaller = _shrunk(frame)
    if smaller is not None:
        return fit(smaller)
    logger.error("Dropped a %s frame of %d bytes: too large to send", frame.get("type"), len(text))
    return []
