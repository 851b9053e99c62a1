"""What every long-running service does at start and stop: logs, settings, metrics, signals."""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import CollectorRegistry

from .config import ConfigError, KafkaSettings
from .logs import configure_logging
from .metrics import MetricsServer, RequestRoute, Route

log = logging.getLogger(__name__)


def start_service(settings: KafkaSettings, registry: CollectorRegistry, metrics_port: int,
                  routes: dict[str, Route] | None = None,
                  request_routes: dict[str, RequestRoute] | None = None,
                  max_body: int = 1_000_000) -> MetricsServer:
    """Configure logging and serve /metrics and /healthz; the settings are logged, secrets hidden."""
    configure_logging(settings.log_level, settings.log_format)
    try:
        server = MetricsServer(registry, metrics_port, routes=routes,
                               request_routes=request_routes, max_body=max_body).start()
    except OSError as exc:
        raise ConfigError(
            f"cannot serve /metrics on port {metrics_port}: {exc.strerror} (another"
            f" {settings.service}, `make run`'s perhaps, may hold it; VIGIE_"
            f"{settings.service.upper()}_METRICS_PORT chooses another)") from None
    log.info("%s started", settings.service, extra={"settings": repr(settings),
                                                    "metrics_port": server.port})
    return server


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so loops finish their work and flush before exiting."""
    stop = threading.Event()

    def handle(signum, _frame):
        log.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
