"""The notify worker: ``news.incidents`` → subscriptions → messages through Apprise.

One agent, ``notify``, reads ``news.incidents`` and the internal ``<app id>.jobs`` topic
together: the two have as many partitions and faust gives a worker the same partitions of
both, so the ticks and replayed messages of a partition meet its incidents' records and their
table entries there (``notices``). A timer sends a tick to every partition of the jobs topic
each ``VIGIE_NOTIFY_TICK_S``. The agent is a thin loop over ``notices.Notifier``; a record it
cannot process goes to the dead-letter topic, as in every worker (``Agents``).
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry

from vigie.shared.config import ConfigError
from vigie.shared.kafka import partition_count
from vigie.shared.messages import Incident, dead_letter, decode, encode
from vigie.shared.reach import wait_for_kafka
from vigie.shared.service import start_service
from vigie.shared.streams import (
    Agents,
    check_settings,
    health_route,
    make_app,
    prepare_group,
    run_worker,
    state_table,
)

from .delivery import Failure, Sender
from .metrics import NotifyMetrics
from .notices import Job, NotDelivered, Notifier, decode_job, describe
from .plan import Outgoing
from .settings import NotifySettings
from .subscriptions import SubscriptionFile, load

log = logging.getLogger(__name__)
SERVICE = "notify"
clock = time.time  # the throttle's clock (a test worker sets its own)


def jobs_topic_name(settings: NotifySettings) -> str:
    return f"{settings.notify_app_id}.jobs"


def load_subscriptions(settings: NotifySettings) -> SubscriptionFile:
    """The subscriptions, checked: a mistake is fatal at start (it names file and line)."""
    if not settings.notify_file:
        raise ConfigError("name the subscriptions file: VIGIE_NOTIFY_FILE=notify.yaml (see the"
                          " README, Notifications)")
    subscriptions = load(settings.notify_file)
    for name in ("apprise", "urllib3"):  # the libraries that see the URLs
        subscriptions.secrets.guard(logging.getLogger(name))
    return subscriptions


def build(settings: NotifySettings, metrics: NotifyMetrics, subscriptions: SubscriptionFile):
    app = make_app(settings, settings.notify_app_id)
    jobs = app.topic(jobs_topic_name(settings), internal=True,
                     partitions=settings.topic_partitions)
    dlq = app.topic(settings.topic_dlq)
    agents = Agents(app, dlq, SERVICE, metrics.failed, metrics.stream.agent_crashes)

    async def letter(message: Outgoing, failures: list[Failure]) -> None:
        job = Job(message=message, urls=[f.endpoint.shown for f in failures])
        sent = dead_letter(service=SERVICE, topic=jobs.get_topic_name(), value=encode(job),
                           key=message.record.id, error=NotDelivered(describe(failures)))
        await (await dlq.send(key=message.record.id.encode(), value=encode(sent)))
        log.warning("message dead-lettered: %s", sent.error, extra={"key": message.key})

    sender = Sender(metrics, subscriptions.secrets, attempts=settings.notify_attempts,
                    backoff_s=settings.notify_backoff_s, timeout_s=settings.notify_timeout_s,
                    cap_base_url=settings.notify_cap_base_url)
    notifier = Notifier(state_table(app, "notices", lambda: None), subscriptions, sender,
                        metrics, max_age_s=settings.notify_max_age_s,
                        keep_s=settings.dedup_window_s, dead_letter=letter,
                        flush=app.producer.flush, clock=clock)

    @agents.each(app.topic(settings.topic_incidents, jobs_topic_name(settings)))
    async def notify(event):
        partition = event.message.partition
        with metrics.stream.working():  # retries can take a while
            if event.message.topic == settings.topic_incidents:
                await notifier.on_record(decode(event.value, Incident), partition)
                return
            job = decode_job(event.value)
            if job.tick:
                await notifier.on_tick(partition)
            else:
                await notifier.on_replay(job, partition)

    @app.timer(settings.notify_tick_s)
    async def tick():
        for partition in range(settings.topic_partitions):
            await jobs.send(key=b"tick", partition=partition, value=encode(Job(tick=True)))

    @app.timer(5.0)
    async def watch_stream():
        await metrics.stream.check(app, settings)

    return app


def check_partitions(settings: NotifySettings) -> None:
    """The jobs topic and the table follow ``news.incidents``'s partitions."""
    found = partition_count(settings, settings.topic_incidents)
    if found != settings.topic_partitions:
        raise ConfigError(
            f"{settings.topic_incidents} has {found} partitions, VIGIE_TOPIC_PARTITIONS is "
            f"{settings.topic_partitions}: set it to match (notify keeps each incident's"
            " messages in the partition of its records)")


def main() -> int:
    settings = NotifySettings.from_env()
    metrics = NotifyMetrics(CollectorRegistry())
    subscriptions = load_subscriptions(settings)  # a mistake is told before connecting
    metrics.show([s.name for s in subscriptions.subscriptions])
    check_settings(settings)
    wait_for_kafka(settings)
    check_partitions(settings)
    prepare_group(settings, settings.notify_app_id, [settings.topic_incidents],
                  {jobs_topic_name(settings): settings.topic_partitions},
                  {"notices": settings.topic_partitions})
    app = build(settings, metrics, subscriptions)
    routes = {"/healthz": health_route(app, settings.faust_recovery_stall_s)}
    server = start_service(settings, metrics.registry, settings.notify_metrics_port, routes)
    log.info("notify: %d subscription(s): %s", len(subscriptions.subscriptions),
             ", ".join(s.name for s in subscriptions.subscriptions))
    try:
        return run_worker(app, settings)
    finally:
        server.stop()
