"""Reads a client's socket frame into a message, refusing what no handler should ever see."""

import json
import sys

from django.conf import settings

# Far deeper than a run message needs (extra_body is its deepest part), and far from Python's
# recursion limit, which the handlers' recursive walks of a message must never reach.
MAX_DEPTH = 32


class RefusedFrame(ValueError):
    """A frame that is not a message; the text says why, for the client's error frame."""


def _too_deep(value) -> bool:
    # Without recursion: a message nested thousands deep must not exhaust the stack here.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def too_large_text(cap: int) -> str:
    """The one wording of the socket cap, for the consumer's check and daphne's protocol."""
    return f"The message is too large: at most {cap:,} bytes of JSON."


def _check_size(text: str) -> None:
    cap = settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES
    # Characters first: that spares encoding a message far over the cap just to refuse it.
    if len(text) > cap or len(text.encode("utf-8", "surrogatepass")) > cap:
        raise RefusedFrame(too_large_text(cap))


def daphne_command(*options: str) -> list[str]:
    """The command line that serves the app with daphne (and `options`, such as -b and -p).

    daphne closes a socket that sends more than its cap (1 MiB unless told), before the
    consumer sees the message. playground.sockets.daphne_main's protocol answers such a message with
    the same error frame as _check_size() and keeps the socket, so daphne's cap is ours.
    A message exactly at the cap in bytes still reaches _check_size(), which counts the same.

    No --proxy-headers: daphne would take the client's address from the leftmost
    X-Forwarded-For entry, which the client writes, from anyone. The app finds the client
    itself, through proxies it is told to trust (playground/trusted_proxies.py).
    """
    size = str(settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES)
    return [
        sys.executable,
        "-m",
        "playground.sockets.daphne_main",
        *options,
        "--websocket-max-message-size",
        size,
        "--websocket-max-frame-size",
        "0",
        "playground.asgi:application",
    ]


def read_message(text_data: str | None, bytes_data: bytes | None) -> dict:
    """The frame's JSON object, checked for size before it is parsed at all."""
    if text_data is None:
        raise RefusedFrame("Send JSON in text frames: binary frames are not read.")
    _check_size(text_data)
    try:
        message = json.loads(text_data)
    except ValueError:
        raise RefusedFrame("The message is not valid JSON.") from None
    except RecursionError:
        raise RefusedFrame(
            f"The message is nested too deeply (at most {MAX_DEPTH} levels)."
        ) from None
    if not isinstance(message, dict):
        raise RefusedFrame("The message must be a JSON object.")
    if _too_deep(message):
        raise RefusedFrame(f"The message is nested too deeply (at most {MAX_DEPTH} levels).")
    return message
