"""Running the stream workers as real processes against the test broker."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

from vigie.shared.broker import free_port

from .helpers import start_vigie


def worker_env(settings, tmp_path: Path, service: str) -> dict[str, str]:
    """A worker of this test's own: app id (consumer group, internal topics), state, port."""
    tag = settings.topic_raw.removesuffix(".raw")
    return {
        f"VIGIE_{service.upper()}_APP_ID": f"{tag}-{service}",
        f"VIGIE_{service.upper()}_METRICS_PORT": str(free_port()),
        "VIGIE_FAUST_DATA_DIR": str(tmp_path / "faust"),
        "VIGIE_FAUST_SESSION_TIMEOUT_S": "6",
        # the Kafka client's and faust's INFO lines too: a worker's log then tells a stalled
        # group join or recovery step by step
        "VIGIE_LOG_LEVEL": "DEBUG",
    }


@contextlib.contextmanager
def running(settings, tmp_path: Path, *commands: tuple[str, ...], **env: str):
    """Start ``vigie`` processes (``("enrich",)``, ``("alert",)``…); SIGTERM them at the end."""
    processes = []
    try:
        for command in commands:
            extra = worker_env(settings, tmp_path, command[0]) | env
            log = tmp_path / f"{command[0]}-{len(processes)}.log"
            processes.append(start_vigie(settings, *command, log_path=log, **extra))
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except Exception:  # noqa: BLE001 - a worker that hangs on stop is killed
                process.kill()
