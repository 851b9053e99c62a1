"""A real Apache Kafka (KRaft) on 127.0.0.1, started by Vigie itself: one node, or a cluster.

The broker jars are resolved from Maven Central by ``mvn`` into a cache folder on first use
(``pom.xml`` beside this file pins the version, the same as docker-compose's image). The same
launcher serves ``make run`` (``vigie broker start``), the integration tests and the benchmarks.

``LocalCluster`` runs several nodes, each a broker and a controller with its own ports and
folder, in one KRaft quorum: topics get three replicas (fewer with fewer nodes), an
acknowledged write is on at least two (``min.insync.replicas``), and a replica that missed
writes never becomes leader (unclean leader election off, checked at start), so losing one node
loses no acknowledged record.
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
from .security import Security

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


def port_taken(port: int) -> bool:
    """Is a process listening on ``port`` of 127.0.0.1? (Bound as the broker binds it, with
    SO_REUSEADDR, so connections of a broker just stopped do not count.)"""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def server_properties(port: int, controller_port: int, data: Path, *, node_id: int = 1,
                      voters: str | None = None, replicas: int = 1,
                      security: Security | None = None) -> str:
    """A combined broker and controller; ``voters`` lists the quorum (this node alone if
    None), ``replicas`` the replication factor of every topic; PLAINTEXT unless ``security``."""
    in_sync = min(2, replicas)
    listeners = security.listener_properties(port, controller_port) if security else [
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    ]
    return "\n".join([
        "process.roles=broker,controller",
        f"node.id={node_id}",
        f"controller.quorum.voters={voters or f'{node_id}@127.0.0.1:{controller_port}'}",
        "controller.listener.names=CONTROLLER",
        *listeners,
        f"log.dirs={data}",
        "num.partitions=4",
        f"default.replication.factor={replicas}",
        f"min.insync.replicas={in_sync}",
        "unclean.leader.election.enable=false",
        f"offsets.topic.replication.factor={replicas}",
        "offsets.topic.num.partitions=4",
        f"transaction.state.log.replication.factor={replicas}",
        f"transaction.state.log.min.isr={in_sync}",
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
    node_id: int = 1
    voters: str | None = None  # the quorum, for a node of a cluster
    replicas: int = 1
    cluster_id: str | None = None  # shared by a cluster's nodes
    security: Security | None = None  # SASL_SSL and ACLs instead of PLAINTEXT

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
        process, log_start = self.launch(fresh=fresh)
        self.wait_ready(process, timeout, log_start)

    def launch(self, *, fresh: bool = False) -> tuple[subprocess.Popen, int]:
        """Start the process without waiting: a cluster's nodes are ready only together."""
        if self.pid():
            raise BrokerError(f"a broker is already running from {self.home} (pid {self.pid()})")
        if port_taken(self.port):
            raise BrokerError(
                f"port {self.port} on 127.0.0.1 is taken by another process: stop it (a Kafka"
                " already running there needs no `vigie broker start`), or choose another port"
                " with VIGIE_KAFKA_BOOTSTRAP")
        libs = resolve_jars()
        data = self.home / "data"
        if fresh and data.exists():
            shutil.rmtree(data)
        self.home.mkdir(parents=True, exist_ok=True)
        self.controller_port = self.controller_port or free_port()
        config = self.home / "server.properties"
        config.write_text(server_properties(self.port, self.controller_port, data,
                                            node_id=self.node_id, voters=self.voters,
                                            replicas=self.replicas, security=self.security))
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
        return process, log_start

    def _format(self, classpath: str, config: Path) -> None:
        tool = ["java", "-cp", classpath, "kafka.tools.StorageTool"]
        cluster_id = self.cluster_id or new_cluster_id(classpath)
        result = subprocess.run(
            [*tool, "format", "-t", cluster_id, "-c", str(config), "--ignore-formatted",
             *(self.security.format_arguments() if self.security else [])],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise BrokerError(f"formatting the broker storage failed:\n{result.stderr}")

    def wait_ready(self, process: subprocess.Popen, timeout: float, log_start: int) -> None:
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


def new_cluster_id(classpath: str | None = None) -> str:
    classpath = classpath or f"{resolve_jars()}/*"
    return subprocess.run(["java", "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                          capture_output=True, text=True, check=True).stdout.strip()


class LocalCluster:
    """``nodes`` KRaft nodes on 127.0.0.1, each a broker and a controller, under ``home``
    (``node-1``…); every topic replicated ``min(3, nodes)`` times."""

    def __init__(self, home: Path, nodes: int = 3, ports: list[int] | None = None) -> None:
        ports = ports or [free_port() for _ in range(nodes)]
        controllers = [free_port() for _ in range(nodes)]
        voters = ",".join(f"{n}@127.0.0.1:{port}" for n, port in enumerate(controllers, 1))
        self.home = home
        self.nodes = [
            LocalBroker(home / f"node-{n}", port=ports[n - 1], controller_port=controllers[n - 1],
                        node_id=n, voters=voters, replicas=min(3, nodes))
            for n in range(1, nodes + 1)]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> LocalBroker:
        return self.nodes[node_id - 1]

    def start(self, *, fresh: bool = False, timeout: float = 120.0) -> None:
        cluster_id = new_cluster_id()
        for node in self.nodes:
            node.cluster_id = cluster_id
        launched = [node.launch(fresh=fresh) for node in self.nodes]
        try:
            for node, (process, log_start) in zip(self.nodes, launched, strict=True):
                node.wait_ready(process, timeout, log_start)
            self.check_replication()
        except BaseException:
            self.stop()
            raise

    def restart(self, node_id: int, timeout: float = 120.0) -> None:
        """Start a node that was stopped or killed, on its own storage."""
        self.node(node_id).start(timeout=timeout)

    def stop(self) -> bool:
        return any([node.stop() for node in self.nodes])

    def check_replication(self) -> None:
        """Refuse a cluster that could lose acknowledged writes (see the module)."""
        from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            for node in self.nodes:
                resource = ConfigResource(ConfigResourceType.BROKER, str(node.node_id))
                described = admin.describe_configs([resource], config_filter="all")
                configs = {key: entry["value"]
                           for key, entry in described["broker"][str(node.node_id)].items()}
                wanted = {"unclean.leader.election.enable": "false",
                          "min.insync.replicas": str(min(2, node.replicas))}
                wrong = {k: configs.get(k) for k, v in wanted.items() if configs.get(k) != v}
                if wrong:
                    raise BrokerError(f"node {node.node_id} could lose acknowledged writes: "
                                      f"{wrong} (wanted {wanted})")
        finally:
            admin.close()

    def active_controller(self) -> int:
        """The node id of the quorum's leader."""
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            quorum = admin.describe_metadata_quorum()
        finally:
            admin.close()
        return quorum["topics"][0]["partitions"][0]["leader_id"]

    def leader_of(self, topic: str, partition: int = 0) -> int:
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            (described,) = admin.describe_topics([topic])
        finally:
            admin.close()
        return next(p["leader_id"] for p in described["partitions"]
                    if p["partition_index"] == partition)


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
