"""The ``vigie`` command with no Kafka answering (a port of 127.0.0.1 that refuses connections):
a mistake in what a command is given is told before it connects, a command with valid inputs
says what it waits for and then gives up with a clear error (status 2), and no expected
failure shows a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vigie import cli

ROOT = Path(__file__).resolve().parents[3]
WAITING = "waiting for Kafka at 127.0.0.1:{port} (VIGIE_KAFKA_BOOTSTRAP)…"
HANG_GUARD_S = 120  # only stops a hung command: no test here asserts a duration

FEEDS_WITH_FOUR_MISTAKES = """\
feeds:
  - url: ftp://example.org/feed.xml
    name: By FTP
  - url: https://example.org/negative.xml
    name: Negative
    interval: -5
  - url: https://example.org/nameless.xml
  - url: https://example.org/sometimes.xml
    name: Sometimes
    full_text: sometimes
"""
GOOD_FEEDS = """\
feeds:
  - url: http://127.0.0.1:1/feed.xml
    name: Local
"""
RULE_WITH_AN_UNKNOWN_FIELD = """\
- id: raid
  severity: critical
  description: Air-raid alert
  phrases: [alerte aérienne]
  colour: red
"""


@pytest.fixture
def closed_port():
    """A port of 127.0.0.1 bound for the whole test and never listening: it refuses every
    connection, and no other process can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def files(tmp_path):
    """The inputs of the commands, written into ``tmp_path``; name → path."""
    written = {"bad_feeds": FEEDS_WITH_FOUR_MISTAKES, "feeds": GOOD_FEEDS,
               "bad_rules": RULE_WITH_AN_UNKNOWN_FIELD}
    for name, text in written.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return {name: str(tmp_path / f"{name}.yaml") for name in written}


def vigie(port: int, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``vigie ARGS`` with Kafka expected at ``port`` and a 5 s connect timeout, to its end."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    clean |= {"VIGIE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}", "VIGIE_KAFKA_CONNECT_TIMEOUT_S": "5",
              "VIGIE_LOG_FORMAT": "text", **env}
    return subprocess.run([sys.executable, "-m", "vigie.cli", *args], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)


INVALID = {
    "a feed list with four mistakes": (
        ["ingest", "feeds", "{bad_feeds}", "--once"], {},
        ["feeds[0] (By FTP): field 'url': scheme 'ftp' refused",
         "feeds[1] (Negative): field 'interval'",
         "feeds[2] (https://example.org/nameless.xml): field 'name'",
         "feeds[3] (Sometimes): field 'full_text'"]),
    "a rule with an unknown field": (
        ["alert"], {"VIGIE_ALERT_RULES_FILE": "{bad_rules}"}, ["rule 'raid'", "field 'colour'"]),
    "rules to replay with an unknown field": (
        ["alert", "replay", "--rules", "{bad_rules}"], {}, ["rule 'raid'", "field 'colour'"]),
    "no rules to replay": (["alert", "replay"], {}, ["vigie alert replay --rules"]),
    "a folder that does not exist": (
        ["ingest", "files", "/nonexistent"], {}, ["no such file or folder: /nonexistent"]),
    "a model that is not installed": (
        ["enrich"], {"VIGIE_ENRICH_MODEL": "xx_no_such_model"},
        ["VIGIE_ENRICH_MODEL", "xx_no_such_model"]),
    "a time that is not one": (
        ["subscribe", "news.alerts", "--since", "yesterday"], {}, ["--since 'yesterday'"]),
    "a feed list that does not exist": (
        ["ingest", "serve"], {"VIGIE_FEEDS_FILE": "/nonexistent.yaml"},
        ["VIGIE_FEEDS_FILE: no such file"]),
    "a bootstrap address without a port number": (
        ["topics", "create"], {"VIGIE_KAFKA_BOOTSTRAP": "127.0.0.1:kafka"},
        ["VIGIE_KAFKA_BOOTSTRAP: expected host:port"]),
    "a security protocol that does not exist": (
        ["dlq", "list"], {"VIGIE_KAFKA_SECURITY_PROTOCOL": "TLS"},
        ["VIGIE_KAFKA_SECURITY_PROTOCOL: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"]),
}


@pytest.mark.parametrize("case", INVALID)
def test_an_invalid_input_is_told_before_connecting(case, closed_port, files):
    args, env, expected = INVALID[case]
    done = vigie(closed_port, *(a.format(**files) for a in args),
                 **{k: v.format(**files) for k, v in env.items()})
    assert done.returncode == 2, done.stderr
    for message in expected:
        assert message in done.stderr
    assert "waiting for Kafka" not in done.stderr  # told before any connection
    assert "Traceback" not in done.stdout + done.stderr


VALID = {
    "topics create": ["topics", "create"],
    "ingest files": ["ingest", "files", "seeds"],
    "ingest feeds --once": ["ingest", "feeds", "{feeds}", "--once"],
    "alert": ["alert"],
    "alert replay": ["alert", "replay", "--rules", "deploy/rules.yaml"],
    "enrich": ["enrich"],
    "subscribe": ["subscribe", "news.alerts"],
    "dlq list": ["dlq", "list"],
}


@pytest.mark.parametrize("case", VALID)
def test_with_no_kafka_a_command_says_what_it_waits_for_then_gives_up(case, closed_port, files):
    done = vigie(closed_port, *(a.format(**files) for a in VALID[case]))
    assert done.returncode == 2, done.stderr
    waiting = done.stderr.find(WAITING.format(port=closed_port))
    gave_up = done.stderr.find(f"no Kafka answered at 127.0.0.1:{closed_port} "
                               "(VIGIE_KAFKA_BOOTSTRAP) within 5 s: ")
    assert 0 <= waiting < gave_up, done.stderr
    for fix in ("connection refused", "make run", "vigie broker start", "VIGIE_KAFKA_BOOTSTRAP",
                "VIGIE_KAFKA_CONNECT_TIMEOUT_S"):
        assert fix in done.stderr[gave_up:]
    assert "Traceback" not in done.stdout + done.stderr


def test_the_broker_does_not_start_on_a_port_another_process_holds(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = vigie(port, "broker", "start", VIGIE_BROKER_HOME=str(tmp_path))
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is taken by another process" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "broker.pid").exists()


@pytest.mark.parametrize(("flag", "env"), [(["--debug"], {}), ([], {"VIGIE_LOG_LEVEL": "DEBUG"})])
def test_debug_shows_the_traceback_of_an_expected_failure(flag, env, closed_port):
    done = vigie(closed_port, *flag, "ingest", "files", "/nonexistent", **env)
    assert done.returncode == 2
    assert "Traceback" in done.stderr
    assert done.stderr.rstrip().endswith("vigie: no such file or folder: /nonexistent")


def test_an_unexpected_failure_shows_its_traceback_as_a_bug(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("a state no code path should reach")

    monkeypatch.setattr(cli, "cmd_config", broken)
    assert cli.main(["config"]) == 1
    shown = capsys.readouterr().err
    assert "Traceback" in shown and "RuntimeError: a state no code path should reach" in shown
    assert "this is a bug in Vigie" in shown


def test_a_system_error_is_one_line_naming_the_file(capsys, tmp_path):
    unwritable = tmp_path / "no-such-folder" / "feeds.yaml"
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(textwrap.dedent("""\
        <opml version="2.0"><body>
          <outline type="rss" text="A" xmlUrl="https://example.org/a.xml"/>
        </body></opml>"""), encoding="utf-8")
    assert cli.main(["feeds", "import", str(opml), "-o", str(unwritable)]) == 2
    assert capsys.readouterr().err == f"vigie: {unwritable}: No such file or directory\n"
