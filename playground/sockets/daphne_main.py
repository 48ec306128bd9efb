"""`python -m playground.sockets.daphne_main ARGS`: daphne, answering an oversized socket message.

daphne (through autobahn) fails the connection when a client sends a message over its
`--websocket-max-message-size`: the page's socket closes with code 1009 and the user sees a
disconnect, not why. Raising daphne's cap only moved that edge further out. Here the cap is
PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES itself, and a message over it gets the consumer's usual
`error` frame: the rest of the message is read and dropped as it arrives (never buffered),
and the socket stays open for the next message. Everything else is daphne's own command line.
"""

import json
import os

from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

from .frames import too_large_text


class CappedMessageProtocol(WebSocketProtocol):
    """Drops a message over the cap frame by frame, and answers it with an error frame."""

    dropping = False

    def onMessageBegin(self, isBinary):
        self.dropping = False
        super().onMessageBegin(isBinary)

    def _max_message_size_exceeded(self, msg_size, max_msg_size, reason):
        if self._isMessageCompressed:
            # Inflating is bounded by autobahn only while it fails the connection.
            return super()._max_message_size_exceeded(msg_size, max_msg_size, reason)
        if not self.dropping:
            self.dropping = True
            self.message_data = []
            self.frame_data = []
            error = {"type": "error", "error": too_large_text(max_msg_size)}
            self.sendMessage(json.dumps(error).encode("utf-8"), isBinary=False)

    def onMessageFrameBegin(self, length):
        if self.dropping:
            self.frame_data = []
            return
        super().onMessageFrameBegin(length)
        if self.dropping:
            self.frame_data = []

    def onMessageFrameData(self, payload):
        if not self.dropping:
            super().onMessageFrameData(payload)

    def onMessageFrameEnd(self):
        if not self.dropping:
            super().onMessageFrameEnd()

    def onMessageEnd(self):
        if self.dropping:
            self.dropping = False
            self.message_data = None
            return
        super().onMessageEnd()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    WebSocketFactory.protocol = CappedMessageProtocol
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
