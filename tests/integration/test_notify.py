"""The notify worker on the real broker, delivering through Apprise to real endpoints on
127.0.0.1 (a ``json://`` webhook and an SMTP server): incident records make one open message,
at most one update per interval, one close; a SIGKILL repeats no message recorded, and at
most the one between its send and its record; a failing endpoint's message is dead-lettered
and ``vigie dlq replay`` delivers it."""

from __future__ import annotations

import collections
import random
import re
import time
import urllib.request
from pathlib import Path

import pytest

from vigie.notify.notices import Job
from vigie.shared.broker import free_port
from vigie.shared.messages import DeadLetter, Incident, Place, RuleRef, decode, encode
from vigie.shared.timestamps import utc_now

from ..local_http import LocalServer, serve
from ..notify_endpoints import Mailbox, Webhook
from .faults import Worker, produce, wait_until
from .helpers import read_topic, run_vigie
from .workers import running

pytestmark = pytest.mark.integration
KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45, lon=30.52)
WORKER = "tests.integration.notify_worker"


def subscriptions(path: Path, *urls: str, every: str = "5m", language: str = "en") -> str:
    quoted = ", ".join(f'"{url}"' for url in urls)
    path.write_text(f"subscriptions:\n  - name: desk\n    urls: [{quoted}]\n"
                    f"    rules: [air-raid]\n    countries: [UA]\n    language: {language}\n"
                    f"    timezone: Europe/Kyiv\n    update_every: {every}\n", encoding="utf-8")
    return str(path)


def incident(revision: int, status: str = "update", reports: int = 1,
             incident_id: str = "kyiv-1") -> Incident:
    return Incident(
        id=incident_id, rule=RuleRef(id="air-raid", severity="critical",
                                     description="Air-raid alert"),
        status="open" if revision == 1 else status, place=KYIV,
        started_at="2025-08-22T01:56:00.000Z", updated_at=utc_now(), reports=reports,
        sources=[f"feed {n}" for n in range(reports)], alert_ids=[f"al{revision}"],
        headline="Une alerte aérienne a retenti à Kyiv.", revision=revision,
        first_report_url="https://news.example.org/kyiv",
        **({"ended_at": utc_now(), "closed_by": "report"} if status == "closed" else {}))


def send(settings, *records: Incident, partition: int | None = None) -> None:
    produce(settings, settings.topic_incidents, [(r.id.encode(), encode(r)) for r in records],
            partition)


def records_read(port: int) -> float:
    """Incident records the worker has read and a subscription wanted (its metric)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return -1.0  # not serving yet
    found = re.search(r'^vigie_notify_incident_records_total\{outcome="wanted"\} (\S+)$', text,
                      re.MULTILINE)
    return float(found.group(1)) if found else -1.0


def set_clock(path: Path, seconds: float) -> None:
    path.write_text(repr(seconds), encoding="utf-8")


def notify_worker(settings, tmp_path: Path, *urls: str, **env: str) -> tuple[Worker, int]:
    port = free_port()
    return Worker(settings, tmp_path, "notify",
                  VIGIE_NOTIFY_FILE=subscriptions(tmp_path / "notify.yaml", *urls),
                  VIGIE_NOTIFY_METRICS_PORT=str(port), VIGIE_NOTIFY_TICK_S="0.5",
                  **env), port


def test_records_make_one_open_one_update_per_interval_one_close(kafka_settings, tmp_path):
    clock = tmp_path / "clock"
    start = time.time()
    set_clock(clock, start)
    with Webhook() as hook, Mailbox() as mail:
        worker, port = notify_worker(kafka_settings, tmp_path, hook.url, mail.url,
                                     NOTIFY_CLOCK_FILE=str(clock))
        try:
            worker.start(WORKER)
            send(kafka_settings, *(incident(n, reports=n) for n in range(1, 12)))
            wait_until(lambda: records_read(port) == 11, 180, "eleven records read")
            assert hook.keys() == ["desk/kyiv-1/open"]  # ten updates within the interval: held
            set_clock(clock, start + 300)  # the interval passes; no new record comes
            wait_until(lambda: len(hook.received) == 2, 60, "the held update")
            send(kafka_settings, *(incident(n, reports=n) for n in range(12, 21)),
                 incident(21, "closed", reports=20))
            wait_until(lambda: len(hook.received) == 3 and len(mail.received) == 3, 60,
                       "the close")
            wait_until(lambda: records_read(port) == 21, 60, "every record read")
        finally:
            worker.stop()
    keys = ["desk/kyiv-1/open", "desk/kyiv-1/update-1", "desk/kyiv-1/closed"]
    assert hook.keys() == keys and mail.keys() == keys
    update, close = hook.received[1]["message"], hook.received[2]["message"]
    assert "11 reports · 11 sources" in update and "20 reports · 20 sources" in close
    assert str(mail.received[0]["Subject"]) == "🔴 Air-raid alert · Kyiv (UA-30)"
    body = mail.received[2].get_content()
    assert "Started: 22 August 2025, 04:56 (Europe/Kyiv)" in body
    assert "First report: https://news.example.org/kyiv" in body


def run_with_crash(settings, tmp_path, hook, crash: dict[str, str]) -> Worker:
    """Three incidents opened and closed, in one partition so that their messages go in this
    order; the worker dies where ``crash`` says, then a plain worker takes over. Returns once
    every message arrived."""
    worker, _ = notify_worker(settings, tmp_path, hook.url, VIGIE_NOTIFY_ATTEMPTS="1")
    send(settings, *(incident(1, incident_id=f"i{n}") for n in range(3)),
         *(incident(2, "closed", incident_id=f"i{n}") for n in range(3)), partition=0)
    try:
        worker.start(WORKER, **crash)
        wait_until(lambda: worker.process.poll() is not None, 180, "the crash")
        assert worker.process.returncode == -9
        worker.start()
        wait_until(lambda: set(hook.keys()) >= {f"desk/i{n}/{kind}" for n in range(3)
                                                  for kind in ("open", "closed")},
                   180, "every message")
        time.sleep(3)  # time for a repeat to show
    finally:
        worker.stop()
    return worker


@pytest.mark.fault
def test_sigkill_after_a_message_was_recorded_sends_it_no_second_time(kafka_settings, tmp_path):
    """The worker dies right after its second message was sent and recorded, inside the
    handling of that record, which is therefore read again after the restart."""
    with Webhook() as hook:
        run_with_crash(kafka_settings, tmp_path, hook, {"CRASH_AFTER_RECORDED": "2"})
    assert hook.keys()[:2] == ["desk/i0/open", "desk/i1/open"]
    assert collections.Counter(hook.keys()) == {f"desk/i{n}/{kind}": 1 for n in range(3)
                                                for kind in ("open", "closed")}


@pytest.mark.fault
def test_sigkill_between_a_send_and_its_record_repeats_that_message_only(kafka_settings,
                                                                         tmp_path):
    with Webhook() as hook:
        run_with_crash(kafka_settings, tmp_path, hook, {"CRASH_AFTER_SENT": "2"})
    counts = collections.Counter(hook.keys())
    assert counts.pop("desk/i1/open") == 2  # accepted, not recorded: sent again
    assert counts == {key: 1 for key in ["desk/i0/open", "desk/i2/open", "desk/i0/closed",
                                         "desk/i1/closed", "desk/i2/closed"]}


def dead_letters(settings) -> list[DeadLetter]:
    return [decode(r.value, DeadLetter)
            for r in read_topic(settings, settings.topic_dlq, timeout=5, idle=1)]


def test_a_failing_endpoint_is_dead_lettered_and_replay_delivers_it(kafka_settings, tmp_path):
    secret = "correct-horse-battery-staple"
    with Webhook("/down") as hook:
        hook.failing = True
        url = f"json://desk:${{HOOK_PASSWORD}}@127.0.0.1:{hook.server.port}/down"
        worker, _ = notify_worker(kafka_settings, tmp_path, url, HOOK_PASSWORD=secret,
                                  VIGIE_NOTIFY_ATTEMPTS="2", VIGIE_NOTIFY_BACKOFF_S="0.1")
        try:
            worker.start()
            send(kafka_settings, incident(1))
            wait_until(lambda: dead_letters(kafka_settings), 180, "the dead letter")
            hook.failing = False
            replay = run_vigie(kafka_settings, "dlq", "replay", "--service", "notify")
            assert replay.returncode == 0, replay.stderr
            wait_until(lambda: hook.keys() == ["desk/kyiv-1/open"], 60, "the replayed message")
            again = run_vigie(kafka_settings, "dlq", "replay", "--service", "notify")
            assert again.returncode == 0, again.stderr
            time.sleep(3)  # time for a repeat to show
        finally:
            worker.stop()
        assert hook.server.hits["/down"] == 3  # two attempts, then the replay: once
    letter, = dead_letters(kafka_settings)
    # replay sends it to the worker's jobs topic, by the incident's key: to its partition
    assert (letter.service, letter.topic, letter.key) == (
        "notify", f"{worker_app_id(kafka_settings)}.jobs", "kyiv-1")
    assert decode(letter.value, Job).message.key == "desk/kyiv-1/open"
    assert "500" in letter.error
    assert "json://desk:****@127.0.0.1" in letter.error
    assert secret not in letter.value.decode() + letter.error + worker.log_text()


def worker_app_id(settings) -> str:
    return settings.topic_raw.removesuffix(".raw") + "-notify"


def test_twenty_reports_through_the_pipeline_make_one_open_one_update_one_close(
        kafka_settings, tmp_path):
    """Twenty outlets report one air-raid alert in Kyiv through feeds, ingest, enrich and
    alert, then one reports its end; the desk, whose interval has not passed until the test
    says so, gets one open, one update (twenty reports) and one close, on the webhook and by
    mail. Written against the public records only (open, update, closed)."""
    from .test_pipeline import PHRASINGS, feed_list, incidents, outlet_feed, seed_sentences

    outlets = [f"outlet-{n:02d}" for n in range(20)]
    pool = random.Random(20).sample(seed_sentences(), 3 * len(outlets))
    clock = tmp_path / "clock"
    start = time.time()
    set_clock(clock, start)
    with LocalServer() as server, Webhook() as hook, Mailbox() as mail, running(
            kafka_settings, tmp_path, ("enrich",), ("alert",), VIGIE_INCIDENT_UPDATE_MIN_S="5"):
        worker, port = notify_worker(kafka_settings, tmp_path, hook.url, mail.url,
                                     NOTIFY_CLOCK_FILE=str(clock))
        try:
            worker.start(WORKER)
            for n, outlet in enumerate(outlets):
                story = " ".join([f"{PHRASINGS[n % len(PHRASINGS)]}, rapporte {outlet}.",
                                  *pool[3 * n:3 * n + 3]])
                server.routes[f"/{outlet}.xml"] = serve(outlet_feed(outlet, "Alerte à Kyiv",
                                                                    story, n))
            server.routes["/outlet-end.xml"] = serve(outlet_feed(
                "outlet-end", "Fin de l'alerte", "Fin de l’alerte aérienne à Kyiv, annonce "
                "l’administration militaire de la ville.", 50))
            feeds = feed_list(tmp_path / "feeds.yaml", server, outlets)
            assert run_vigie(kafka_settings, "ingest", "feeds", feeds, "--once").returncode == 0
            wait_until(lambda: any(i.rule.id == "air-raid" and i.reports == 20
                                   for i in incidents(kafka_settings).values()), 300,
                       "the twentieth report")
            raid = next(i for i in incidents(kafka_settings).values() if i.rule.id == "air-raid")
            written = len(records_of(kafka_settings, raid.id))
            wait_until(lambda: records_read(port) == written, 60, "notify read them all")
            assert hook.keys() == [f"desk/{raid.id}/open"]  # the updates are held
            set_clock(clock, start + 300)
            wait_until(lambda: len(hook.received) == 2, 60, "the held update")
            ends = feed_list(tmp_path / "ends.yaml", server, ["outlet-end"])
            assert run_vigie(kafka_settings, "ingest", "feeds", ends, "--once").returncode == 0
            wait_until(lambda: len(hook.received) == 3 and len(mail.received) == 3, 180,
                       "the close")
        finally:
            worker.stop()
    keys = [f"desk/{raid.id}/{kind}" for kind in ("open", "update-1", "closed")]
    assert hook.keys() == keys and mail.keys() == keys
    assert [m["type"] for m in hook.received] == ["failure", "failure", "success"]
    assert "20 reports · 20 sources" in hook.received[1]["message"]
    assert "Kyiv (UA-30)" in hook.received[0]["title"]
    assert records_of(kafka_settings, raid.id)[-1].status == "closed"


def records_of(settings, incident_id: str) -> list[Incident]:
    return [i for i in (decode(r.value, Incident) for r in
                        read_topic(settings, settings.topic_incidents, timeout=30, idle=3))
            if i.id == incident_id]
