"""Consumers that skip channels' database clean-up for the messages that use no database."""

from channels.consumer import get_handler_name


class LeanDispatch:
    """channels closes stale database connections before every handler: a trip to the
    database thread, queued behind whatever that thread is doing. Handlers of the message
    types in `messages_without_database` use no database, or reach it only through
    database_sync_to_async, which closes stale connections itself; they skip that trip.
    """

    messages_without_database: frozenset[str] = frozenset()

    async def dispatch(self, message):
        if message["type"] in self.messages_without_database:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)
