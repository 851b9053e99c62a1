"""Stream workers (``vigie enrich``, ``vigie alert``) as real processes, with their metrics."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.helpers import start_vigie
from tests.integration.workers import worker_env
from vigie.shared.streams import RESTART_STATUS

from .proc import peak_rss_mb


class WorkerFailed(RuntimeError):
    """A worker exited or never became ready."""


@dataclass
class Worker:
    service: str
    process: subprocess.Popen
    port: int
    log: Path
    launch: Callable[[], subprocess.Popen]

    def metric(self, name: str) -> float:
        """The sum of every sample called ``name`` on the worker's /metrics (0 if unreachable)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return 0.0
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples if sample.name == name)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.process.pid)

    def check_alive(self) -> None:
        """Fail if the worker exited; one that asks to be restarted (``RESTART_STATUS``, its
        start stalled) is started again, as ``vigie run`` and the compose file do."""
        if self.process.poll() == RESTART_STATUS:
            self.process = self.launch()
        elif self.process.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
            raise WorkerFailed(f"{self.service} exited ({self.process.returncode}):\n{tail}")


@contextlib.contextmanager
def running(settings, workdir: Path, *services: str, **env: str):
    """Start one worker per name in ``services`` (same app id, so one consumer group per
    service), each with its own metrics port; SIGTERM them at the end."""
    workers: list[Worker] = []
    try:
        for index, service in enumerate(services):
            extra = worker_env(settings, workdir, service) | env
            port = int(extra[f"VIGIE_{service.upper()}_METRICS_PORT"])
            log = workdir / f"{service}-{index}.log"

            def launch(service=service, log=log, extra=extra) -> subprocess.Popen:
                return start_vigie(settings, service, log_path=log, **extra)

            workers.append(Worker(service, launch(), port, log, launch))
        yield workers
    finally:
        _stop(workers)


def _stop(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.process.wait(60)
        except subprocess.TimeoutExpired:  # a worker that hangs on stop is killed
            worker.process.kill()
            worker.process.wait()


def wait_until(condition, workers: list[Worker], *, timeout: float, what: str,
               every: float = 0.5) -> None:
    """Poll ``condition()`` until true; fail early if a worker died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            worker.check_alive()
        if condition():
            return
        time.sleep(every)
    raise WorkerFailed(f"timed out after {timeout:.0f} s waiting for {what}")
