"""A real single-node Apache Kafka (KRaft) on 127.0.0.1, started by Vigie itself.

The broker jars are resolved from Maven Central by ``mvn`` into a cache folder on first use
(``pom.xml`` beside this file pins the version, the same as docker-compose's image). The same
launcher serves ``make run`` (``vigie broker start``), the integration tests and the benchmarks.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import VigieError

HERE = Path(__file__).parent
POM = HERE / "pom.xml"
LOG4J = HERE / "log4j2.properties"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
READY_LINE = "Kafka Server started"


class BrokerError(VigieError, RuntimeError):
    """The local broker could not be resolved, formatted or started."""


def kafka_version() -> str:
    return re.search(r"<kafka.version>([^<]+)<", POM.read_text()).group(1)


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("VIGIE_BROKER_CACHE") or Path(base) / "vigie")


def require_tools() -> None:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        raise BrokerError(
            f"{' and '.join(missing)} not found: the local broker needs Java 17 and Maven "
            "(Debian: apt-get install openjdk-17-jre-headless maven), or point "
            "VIGIE_KAFKA_BOOTSTRAP at a running Kafka."
        )


def resolve_jars(cache: Path | None = None) -> Path:
    """The folder of broker jars, downloaded by Maven on first use."""
    libs = (cache or default_cache()) / f"kafka-{kafka_version()}" / "libs"
    if (libs / ".complete").exists():
        return libs
    require_tools()
    libs.mkdir(parents=True, exist_ok=True)
    command = [
        "mvn", "-B", "-q", "-f", str(POM), f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={libs}",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BrokerError(f"mvn could not resolve the Kafka jars:\n{result.stdout}{result.stderr}")
    (libs / ".complete").touch()
    return libs


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free on 127.0.0.1, below the kernel's ephemeral range.

    A port from ``bind(0)`` is ephemeral: until the server binds it, any client socket can take
    it (a worker's metrics port was lost that way in a fault test, to a Kafka connection).
    """
    low, high = 20000, ephemeral_ports()[0] - 1
    for _ in range(1000 if high > low else 0):
        port = random.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as sock:  # no room below the ephemeral range
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def server_properties(port: int, controller_port: int, data: Path) -> str:
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={data}",
        "num.partitions=4",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "log.cleaner.dedupe.buffer.size=16777216",
        "message.max.bytes=67108864",
        "auto.create.topics.enable=true",
        "",
    ])


@dataclass
class LocalBroker:
    """One broker process, its config and data under ``home``."""

    home: Path
    port: int = 9092
    controller_port: int | None = None
    heap: str = "512m"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    def pid(self) -> int | None:
        """The pid of a broker started from this home that is still alive."""
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def start(self, *, fresh: bool = False, timeout: float = 90.0) -> None:
        if self.pid():
            raise BrokerError(f"a broker is already running from {self.home} (pid {self.pid()})")
        libs = resolve_jars()
        data = self.home / "data"
        if fresh and data.exists():
            shutil.rmtree(data)
        self.home.mkdir(parents=True, exist_ok=True)
        self.controller_port = self.controller_port or free_port()
        config = self.home / "server.properties"
        config.write_text(server_properties(self.port, self.controller_port, data))
        classpath = f"{libs}/*"
        if not (data / "meta.properties").exists():  # a restart keeps its storage and cluster id
            self._format(classpath, config)
        command = [
            "java", "-Xms256m", f"-Xmx{self.heap}", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={LOG4J}", "-cp", classpath, "kafka.Kafka", str(config),
        ]
        with self.log_file.open("ab") as log:
            log_start = log.tell()  # the log is appended to: only this launch's lines count
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid_file.write_text(str(process.pid))
        self._wait_ready(process, timeout, log_start)

    def _format(self, classpath: str, config: Path) -> None:
        tool = ["java", "-cp", classpath, "kafka.tools.StorageTool"]
        cluster_id = subprocess.run(
            [*tool, "random-uuid"], capture_output=True, text=True, check=True
        ).stdout.strip()
        result = subprocess.run(
            [*tool, "format", "-t", cluster_id, "-c", str(config), "--ignore-formatted"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise BrokerError(f"formatting the broker storage failed:\n{result.stderr}")

    def _wait_ready(self, process: subprocess.Popen, timeout: float, log_start: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BrokerError(f"the broker exited at start; see {self.log_file}:\n{self._tail()}")
            if READY_LINE.encode() in self.log_file.read_bytes()[log_start:]:
                return
            time.sleep(0.2)
        self.stop()
        raise BrokerError(f"the broker was not ready after {timeout:.0f} s; see {self.log_file}")

    def _tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker cleanly (SIGTERM, then SIGKILL after ``timeout``). False if none ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL, for outage tests."""
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
