"""The benchmark's paced upstream must not be what a figure measures.

Written one chunk at a time, a long unpaced stream cost the upstream time that grew with
the square of its length (upstream.py, _Pacer._send_next), which made the playground look
quadratic in issue 11. Its writes are counted rather than timed.
"""

import pytest

from bench.clients import direct_client, direct_stream, upstream_fields
from bench.servers import Upstream

# The paced upstream runs in a subprocess of its own.
pytestmark = pytest.mark.subprocess

TOKENS = 10_000


@pytest.fixture
def paced_upstream():
    upstream = Upstream().start()
    yield upstream
    upstream.stop()


async def test_an_unpaced_stream_goes_out_in_a_few_large_writes(paced_upstream):
    async with direct_client() as client:
        record = await direct_stream(client, paced_upstream.base_url, TOKENS, upstream_fields(0))

    assert (record.lost, record.reordered) == (0, 0)
    assert len(record.seqs) == TOKENS
    # One chunk a write is what made it quadratic; now a write carries hundreds.
    assert paced_upstream.stats()["writes"] <= TOKENS // 100
