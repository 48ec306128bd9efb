"""What tests and the benchmark share to drive a real server.

live_daphne.py    a daphne subprocess on a database of its own (LiveDaphne)
live_server.py    the pytest plugin with its fixtures, and Chromium's
live_client.py    its socket and stored runs, as a client other than the page sees them
"""
