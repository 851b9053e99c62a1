"""The address classifier and the network policy, on addresses only: nothing connects."""

from __future__ import annotations

import pytest

from vigie.shared.addresses import NetworkPolicy, RefusedAddress, is_public, parse_address

REFUSED = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1",  # loopback, private
    "169.254.169.254", "100.64.0.1", "100.127.255.254",  # link-local (cloud metadata), CGNAT
    "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",  # multicast…
    "::1", "::", "fd00::1", "fc00::1", "fe80::1%eth0", "ff02::1", "ff0e::1",  # IPv6 kinds
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "2002:7f00:1::", "2002:a00:1::",  # 6to4 carrying 127.0.0.1 and 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]
PUBLIC = ["1.1.1.1", "8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8",
          "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public(parse_address(address))
    assert not NetworkPolicy().permits(parse_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_addresses_are_public(address):
    assert is_public(parse_address(address))


def test_the_policy_reads_true_false_and_networks():
    assert NetworkPolicy.parse("") == NetworkPolicy.parse("false") == NetworkPolicy()
    assert NetworkPolicy.parse("TRUE").permits(parse_address("10.0.0.1"))
    listed = NetworkPolicy.parse(" 127.0.0.1/32, 10.1.0.0/16 ,fd00::/8")
    assert listed.permits(parse_address("127.0.0.1"))
    assert not listed.permits(parse_address("127.0.0.2"))
    assert listed.permits(parse_address("10.1.200.3"))
    assert not listed.permits(parse_address("10.2.0.1"))
    assert listed.permits(parse_address("fd12::3"))
    assert listed.permits(parse_address("::ffff:127.0.0.1"))  # the IPv4 address it reaches
    assert listed.permits(parse_address("8.8.8.8"))  # public stays allowed


def test_a_bad_policy_value_is_a_clear_error():
    with pytest.raises(ValueError, match="not true, false or a list"):
        NetworkPolicy.parse("127.0.0.1/33")


def test_check_keeps_the_permitted_addresses_or_names_the_refused_ones():
    policy = NetworkPolicy()
    assert policy.check("mixed.example", ["10.0.0.1", "8.8.8.8"]) == ["8.8.8.8"]
    with pytest.raises(RefusedAddress, match="internal.example resolves to 10.0.0.1, ::1"):
        policy.check("internal.example", ["10.0.0.1", "::1", "10.0.0.1"])


def test_a_bad_setting_names_its_variable():
    from vigie.ingest.settings import IngestSettings
    from vigie.shared.config import ConfigError

    settings = IngestSettings.from_env({"VIGIE_ALLOW_PRIVATE_NETWORKS": "lan"})
    with pytest.raises(ConfigError, match="VIGIE_ALLOW_PRIVATE_NETWORKS"):
        settings.network_policy  # noqa: B018 - read at start by the poller
