"""The address rules: which addresses a provider that a user adds may not reach, and why."""

import pytest

from playground.providers.addresses import address_kind, forbidden_reason, resolve

FORBIDDEN = [
    ("127.0.0.1", "a loopback address"),
    ("127.255.0.9", "a loopback address"),
    ("::1", "a loopback address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("10.1.2.3", "a private address"),
    ("172.16.0.1", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("169.254.1.1", "a link-local address"),
    ("fe80::1%eth0", "a link-local address"),
    ("100.64.0.1", "a reserved address"),
    ("224.0.0.1", "a reserved address"),
    ("ff02::1", "a reserved address"),
    ("240.0.0.1", "a private address"),
    ("169.254.169.254", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("100.100.100.200", "a cloud metadata address"),
    ("168.63.129.16", "a cloud metadata address"),
    # IPv4 inside IPv6: mapped, the deprecated compatible form, and NAT64.
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:169.254.169.254", "a cloud metadata address"),
    ("::ffff:10.0.0.1", "a private address"),
    ("::7f00:1", "a loopback address"),
    ("64:ff9b::7f00:1", "a loopback address"),
    ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
]


@pytest.mark.parametrize("address, kind", FORBIDDEN)
def test_it_names_what_a_non_public_address_is(address, kind):
    assert address_kind(address) == kind


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_a_public_address_is_allowed(address):
    assert address_kind(address) is None


# The OS resolver reads all of these as 127.0.0.1, though Python's ipaddress refuses them.
@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.1"])
def test_numeric_forms_are_checked_as_the_address_they_reach(host):
    reason = forbidden_reason(host, resolve(host))

    assert reason.startswith(f"{host} resolves to 127.0.0.1, a loopback address: ")


def test_a_host_name_is_checked_as_every_address_it_resolves_to():
    reason = forbidden_reason("api.example", ["93.184.215.14", "10.0.0.7"])

    assert reason.startswith("api.example resolves to 10.0.0.7, a private address: ")


def test_the_reason_says_whom_to_ask_and_which_setting_allows_it():
    reason = forbidden_reason("localhost", resolve("localhost"))

    assert reason == (
        "localhost resolves to 127.0.0.1, a loopback address: providers that users add may "
        "only reach public addresses. Ask an admin to add it as a shared provider, or to set "
        "PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS=true on a single-user install."
    )


def test_an_address_given_as_the_host_is_not_said_to_resolve():
    assert forbidden_reason("::1", ["::1"]).startswith("::1 is a loopback address: ")


def test_public_addresses_give_no_reason():
    assert forbidden_reason("api.example", ["93.184.215.14", "2606:2800:21f:cb07::1"]) is None
