"""Only proxies named in PLAYGROUND_TRUSTED_PROXIES may say who the client is, and whether
it came over https."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from playground.trusted_proxies import _networks, client_address, trusted_proxy_middleware

PROXIES = _networks(("10.9.0.0/16", "2001:db8:9::1"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # Not a trusted proxy: whatever it sends, the peer is the client.
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),
        # The proxy appended its peer after what the client sent.
        ("10.9.0.1", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        # Two trusted proxies in a row.
        ("10.9.0.1", "1.2.3.4, 203.0.113.5, 10.9.0.7", "203.0.113.5"),
        ("2001:db8:9::1", "203.0.113.5", "203.0.113.5"),
        ("::ffff:10.9.0.1", "2001:db8::5", "2001:db8::5"),
        # No header: the request came from the proxy's host itself.
        ("10.9.0.1", "", "10.9.0.1"),
        # Something no proxy wrote: who is behind the proxy is unknown, so it stands for them.
        ("10.9.0.1", "203.0.113.5, unknown", "10.9.0.1"),
        ("10.9.0.1", "203.0.113.5, [::1]:80, 10.9.0.7", "10.9.0.7"),
        # Only trusted proxies on the way: the first of them.
        ("10.9.0.1", "10.9.0.3, 10.9.0.2", "10.9.0.3"),
    ],
)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_has(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, PROXIES) == client


def test_with_no_trusted_proxy_x_forwarded_for_is_ignored():
    assert client_address("10.9.0.1", "203.0.113.5", ()) == "10.9.0.1"


@pytest.mark.django_db
def test_a_trusted_proxy_says_the_client_came_over_https(settings):
    settings.PLAYGROUND_TRUSTED_PROXIES = ["10.9.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get(
        "/accounts/login/", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_PROTO="https"
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_anyone_else_saying_so_is_not_believed(settings):
    settings.PLAYGROUND_TRUSTED_PROXIES = ["10.9.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get(
        "/accounts/login/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_PROTO="https"
    )

    assert response.status_code == 301
    assert response.url == "https://testserver/accounts/login/"


def test_a_mistyped_proxy_stops_the_server_at_start_with_a_clear_message(settings):
    settings.PLAYGROUND_TRUSTED_PROXIES = ["10.9.0.1", "proxy.example"]

    with pytest.raises(ImproperlyConfigured, match=r"'proxy\.example' is not an IP address"):
        trusted_proxy_middleware(lambda request: None)
