"""The subscriptions file: its shape, ${ENV} secrets that are never shown, clear errors."""

from __future__ import annotations

import logging
import textwrap

import pytest

from vigie.notify.subscriptions import Secrets, SubscriptionError, parse_text
from vigie.shared.filters import Filters, PlaceCondition
from vigie.shared.messages import Place

ENV = {"SMTP_PASSWORD": "p@ss/w0rd", "DESK_URL": "ntfy://ntfy.example.org/desk"}
FILE = """\
subscriptions:
  - name: desk-ukraine
    urls: ["${DESK_URL}", "mailto://user:${SMTP_PASSWORD}@example.org"]
    rules: [air-raid]
    severity: [critical]
    countries: [UA]
    regions: [ua-30]
    near: {lat: 50.45, lon: 30.52, km: 50}
    language: fr
    timezone: Europe/Paris
    update_every: 2m
  - name: everything
    urls: ["json://127.0.0.1:8080/hook"]
"""


def parse(text: str, env=None):
    return parse_text(textwrap.dedent(text), "notify.yaml", ENV if env is None else env)


def test_a_subscription_as_written():
    desk, everything = parse(FILE).subscriptions
    assert (desk.name, desk.language, desk.zone.key, desk.update_every) == (
        "desk-ukraine", "fr", "Europe/Paris", 120.0)
    assert desk.filters == Filters(
        rules=("air-raid",), severities=("critical",),
        places=PlaceCondition(frozenset({"UA"}), frozenset({"UA-30"}), (50.45, 30.52, 50.0)))
    assert (everything.language, everything.zone.key, everything.update_every) == (
        "en", "UTC", 300.0)
    assert everything.filters == Filters()  # absent filters: every incident


def test_the_filters_mean_what_vigie_subscribe_means():
    desk = parse(FILE).subscriptions[0]
    incident = {"rule": {"id": "air-raid", "severity": "critical"},
                "place": {"name": "Lviv", "kind": "city", "country": "UA", "region": "UA-46"}}
    assert desk.filters.accept(incident)  # in a country named, though not in the region
    assert not desk.filters.accept({**incident, "rule": {"id": "air-raid", "severity": "info"}})
    assert desk.filters.places.holds(Place(name="Brovary", kind="city", lat=50.51, lon=30.79))


def test_placeholders_take_the_environment_and_stay_secret(caplog):
    loaded = parse(FILE)
    desk = loaded.subscriptions[0]
    whole, inside = desk.endpoints
    assert whole.url == "ntfy://ntfy.example.org/desk"  # a whole URL, as it is
    assert inside.url == "mailto://user:p%40ss%2Fw0rd@example.org"  # a part, percent-encoded
    shown = f"{desk!r} {loaded!r} {inside.shown}"
    assert "w0rd" not in shown and "ss%2F" not in shown
    logger = logging.getLogger("apprise.test")
    loaded.secrets.guard(logger)
    with caplog.at_level(logging.WARNING, logger="apprise.test"):
        logger.warning("could not reach %s", inside.url)
    assert caplog.messages == ["could not reach mailto://user:****@example.org"]


def test_the_message_key_rides_in_a_header_where_the_service_takes_one():
    desk, everything = parse(FILE).subscriptions
    assert everything.endpoints[0].keyed("everything/i1/open") == (
        "json://127.0.0.1:8080/hook?+Idempotency-Key=everything%2Fi1%2Fopen")
    assert desk.endpoints[1].keyed("k").endswith("?+X-Vigie-Key=k")
    assert desk.endpoints[0].keyed("k") == desk.endpoints[0].url  # ntfy takes no header
    assert (everything.endpoints[0].full_text, desk.endpoints[0].full_text) == (True, False)


@pytest.mark.parametrize("text, expected", [
    ("- name: a\n  urls: [json://h/x]\n",
     "notify.yaml, line 1: expected a mapping with one key, subscriptions: a list"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x]\n    colour: red\n",
     "line 4, subscription 'a' (#1), field 'colour': unknown field"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x]\n    language: de\n",
     "line 4, subscription 'a' (#1), field 'language': expected one of fr, en, uk, got 'de'"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x]\n    timezone: Mars/Olympus\n",
     "line 4, subscription 'a' (#1), field 'timezone': not an IANA time zone: 'Mars/Olympus'"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x]\n    update_every: soon\n",
     "field 'update_every': expected a duration such as 90s, 5m, 1h, got 'soon'"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x]\n    countries: [UA, XX]\n",
     "line 4, subscription 'a' (#1), field 'countries': not an ISO 3166 code: XX"),
    ("subscriptions:\n  - name: a\n    urls: []\n",
     "line 3, subscription 'a' (#1), field 'urls': expected a non-empty list of Apprise URLs"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x, 'bogus://secret@x']\n",
     "line 3, subscription 'a' (#1), field 'urls': URL #2 (scheme 'bogus') is not one Apprise"),
    ("subscriptions:\n  - name: a\n    urls: ['mailto://u:${NOPE}@x.org']\n",
     "field 'urls': URL #1: ${NOPE} is not set in the environment"),
    ("subscriptions:\n  - name: a\n    urls: [json://h/x]\n  - name: a\n    urls: [json://h/y]\n",
     "line 4, subscription 'a' (#2), field 'name': duplicate name"),
])
def test_mistakes_name_the_file_line_subscription_and_field(text, expected):
    with pytest.raises(SubscriptionError) as error:
        parse(text)
    assert expected in str(error.value)
    assert "secret" not in str(error.value)


def test_an_empty_list_notifies_nobody():
    assert parse("subscriptions: []\n").subscriptions == ()


def test_secrets_mask_every_form_they_take():
    secrets = Secrets(["p@ss/w0rd", ""])
    assert secrets.mask("u:p@ss/w0rd and u:p%40ss%2Fw0rd") == "u:**** and u:****"
