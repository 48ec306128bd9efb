"""Keeps the app serving while Redis is down: the channel layer waits, pages can ask.

With REDIS_URL set, both the cache and the channel layer live in Redis. Neither is needed to
log in, open a page or stream a solo run, so an outage only costs live mode (see
sharing/live.py), cached model lists and login throttling until Redis is back. The cache
misses by itself (django-redis's IGNORE_EXCEPTIONS, settings.py); the channel layer is here.
"""

import asyncio
import logging

import redis
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long a socket's channel layer reader waits before trying an unreachable Redis again.
RECONNECT_DELAY = 2.0
# A page asking whether Redis answers waits no longer than this.
PING_TIMEOUT = 0.5


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=PING_TIMEOUT, socket_timeout=PING_TIMEOUT
    )
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


class OutageTolerantRedisChannelLayer(RedisChannelLayer):
    """channels-redis, which outlives a Redis outage: receive() waits for Redis to come back
    rather than fail, and no connection that died in the outage is used after it.

    Every consumer reads its channel through receive(), and Channels closes the socket when
    that raises: without this, an outage would close every playground socket and with it
    every solo run. Sending (group_add, group_send) still raises, so live mode can tell.

    redis-py 8.1 hands out a pooled connection that the server closed while it sat idle
    (redis-py issue 4252), so after an outage the first command on each such connection
    failed with "Connection closed by server", however long Redis had been back. So a
    connection error drops the pool's idle connections, and a send that met one is tried
    once more, on a new connection.
    """

    unreachable = False
    # Counts the outages: messages sent meanwhile were lost, re-checks of access among them,
    # so each socket re-checks after one (accounts/sockets.py).
    outages = 0

    async def receive(self, channel):
        while True:
            try:
                message = await super().receive(channel)
            except (RedisError, OSError) as exc:
                if not self.unreachable:
                    logger.warning("Redis is unreachable; sockets wait for it: %s", exc)
                    self.outages += 1
                self.unreachable = True
                await self._drop_idle_connections()
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            self.unreachable = False
            return message

    async def send(self, channel, message):
        await self._once_more_on_new_connections(super().send, channel, message)

    async def group_add(self, group, channel):
        await self._once_more_on_new_connections(super().group_add, group, channel)

    async def group_discard(self, group, channel):
        await self._once_more_on_new_connections(super().group_discard, group, channel)

    async def group_send(self, group, message):
        await self._once_more_on_new_connections(super().group_send, group, message)

    async def _once_more_on_new_connections(self, operation, *args):
        try:
            await operation(*args)
        except RedisConnectionError:
            # Only a connection error: the command did not reach Redis, so trying again
            # cannot do it twice (a timeout might have, and is not retried).
            await self._drop_idle_connections()
            await operation(*args)

    async def _drop_idle_connections(self):
        # Connections in use (a socket's blocking read) fail and reconnect by themselves.
        for index in range(self.ring_size):
            pool = self.connection(index).connection_pool
            await pool.disconnect(inuse_connections=False)
