"""The streaming benchmark (GitHub issue 7): `make bench`, or `python -m bench`.

It measures what the playground adds to the path a user's tokens take (websocket client →
daphne → consumer → httpx → upstream, and back) against a direct httpx-sse client reading
the same paced upstream in the same run. It runs from the repository root, outside the app
package: it starts daphne as the tests do, with tests/support/live_daphne.py.

    upstream.py   the paced, stamping SSE server (a subprocess of its own)
    servers.py    daphne subprocesses on fresh databases (tests/support/live_daphne.py)
    clients.py    the websocket client and the direct httpx-sse reader
    stats.py      percentiles and the median and spread over repetitions
    figures.py    the figures (issue 7, and figure 8 of issue 11)
    report.py     the table and the JSON
"""
