"""``vigie run`` (``make run``): the whole pipeline on this machine, until Ctrl-C.

Starts the local broker unless one already answers at ``VIGIE_KAFKA_BOOTSTRAP``, then one
enrich worker, one alert worker and ingest (watching ``VIGIE_INGEST_WATCH_DIRS``, ``seeds`` by
default), and a notify worker when ``VIGIE_NOTIFY_FILE`` names subscriptions, each as its own
process with its own metrics port, and stops everything it started. Feeds are polled only when
``VIGIE_FEEDS_FILE`` is set, so a first run touches no network.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import client_options, ensure_topics
from vigie.shared.streams import RESTART_STATUS

SERVICES = (("enrich", ["enrich"]), ("alert", ["alert"]), ("ingest", ["ingest", "serve"]))
NOTIFY = ("notify", ["notify"])  # only with subscriptions to serve


def services() -> tuple:
    return (*SERVICES, NOTIFY) if os.environ.get("VIGIE_NOTIFY_FILE") else SERVICES


def broker_answers(settings: KafkaSettings) -> bool:
    try:
        KafkaAdminClient(**client_options(settings), request_timeout_ms=3000,
                         bootstrap_timeout_ms=3000).close()
        return True
    except (KafkaError, OSError, ValueError):
        return False


def run_pipeline() -> int:
    from vigie.cli import _local_broker

    settings = KafkaSettings.from_env()
    broker = None
    if not broker_answers(settings):
        broker = _local_broker(1)
        print(f"starting the local Kafka broker on {broker.bootstrap} …", flush=True)
        broker.start(fresh=True)
        # A fresh broker has no changelogs: stale local table state would confuse recovery.
        shutil.rmtree(os.environ.get("VIGIE_FAUST_DATA_DIR", ".vigie/faust"), ignore_errors=True)
    ensure_topics(settings)
    env = dict(os.environ)
    env.setdefault("VIGIE_LOG_FORMAT", "text")
    commands = {name: [sys.executable, "-m", "vigie.cli", *args] for name, args in services()}

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen(commands[name], env=env)

    processes = {name: start(name) for name in commands}
    print(_banner(settings), flush=True)
    try:
        failed = _wait(processes, start)
    finally:
        _stop(processes)
        if broker is not None:
            broker.stop()
            print("broker stopped", flush=True)
    return 1 if failed else 0


def _banner(settings: KafkaSettings) -> str:
    from vigie.alert.settings import AlertSettings
    from vigie.enrich.settings import EnrichSettings
    from vigie.ingest.settings import IngestSettings
    from vigie.notify.settings import NotifySettings

    ingest = IngestSettings.from_env().ingest_metrics_port
    enrich = EnrichSettings.from_env().enrich_metrics_port
    alert = AlertSettings.from_env().alert_metrics_port
    notify = (f"to the subscriptions of {os.environ['VIGIE_NOTIFY_FILE']} (metrics: curl"
              f" 127.0.0.1:{NotifySettings.from_env().notify_metrics_port}/metrics)"
              if os.environ.get("VIGIE_NOTIFY_FILE") else "none (set VIGIE_NOTIFY_FILE)")
    return f"""
Vigie is running (Ctrl-C stops everything).
  alerts:    vigie subscribe {settings.topic_alerts} --from-beginning
  incidents: vigie subscribe {settings.topic_incidents} --from-beginning
  articles:  vigie subscribe {settings.topic_enriched} --from-beginning --format json
  metrics:   curl 127.0.0.1:{ingest}/metrics (ingest), :{enrich} (enrich), :{alert} (alert)
  latest alerts as JSON: curl 127.0.0.1:{alert}/alerts/latest
  incidents as CAP 1.2:  curl 127.0.0.1:{alert}/cap
  notifications: {notify}
"""


def _wait(processes: dict[str, subprocess.Popen], start) -> str | None:
    """Until Ctrl-C, SIGTERM or a process exits (its name is returned); a worker that asks to
    be restarted (status ``RESTART_STATUS``: its table recovery stalled) is started again.

    SIGINT is handled like SIGTERM rather than as KeyboardInterrupt: a shell that starts
    ``vigie run`` in the background ignores SIGINT, and Ctrl-C reaches the services too, so
    one of them may exit first; the flag set by the handler tells that apart from a crash."""
    stopping = []
    handlers = {sig: signal.signal(sig, lambda *_: stopping.append(True))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is None or stopping:
                    continue
                if process.returncode == RESTART_STATUS:
                    print(f"{name} asked to be restarted; restarting it", flush=True)
                    processes[name] = start(name)
                    continue
                print(f"{name} exited with status {process.returncode}", flush=True)
                return name
            time.sleep(0.5)
        return None
    finally:
        for sig, previous in handlers.items():
            signal.signal(sig, previous)


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    sys.exit(run_pipeline())
