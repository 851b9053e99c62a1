"""docker-compose.yml run for real, with podman, on a machine without a Docker engine.

`make test-deploy` runs it (the marker `deploy` keeps it out of `make test`). The images come
from what the machine reaches: a Debian bookworm base made by debootstrap, Vigie's image from
deploy/Dockerfile on it, Kafka from the local broker's Maven jars on Debian's Java, Prometheus
from Debian's package (deploy/podman/). The project's own compose file then runs every service
but Grafana (no reachable registry serves it) under podman-compose, and the test checks what a
user would: every healthcheck passes, a file dropped into the inbox comes out as an alert on
the host's Kafka port, Prometheus scrapes every target and answers every dashboard query, and
a second enrich replica is discovered and scraped. Everything is removed at the end, volumes
included, whatever failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from vigie.shared.broker import free_port

from .catalog import ROOT, prometheus_queries

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(2400)]

PODMAN_DIR = ROOT / "deploy" / "podman"
COMPOSE_TOOL = Path(os.environ.get("VIGIE_PODMAN_COMPOSE")
                    or ROOT / ".vigie" / "podman-compose" / "bin" / "podman-compose")
PROJECT = "vigie-deploy-test"
BASE_IMAGE = "localhost/vigie-debian:bookworm"
IMAGES = {  # compose variable -> (image, Dockerfile, context, build arguments)
    "APP_IMAGE": ("localhost/vigie:0.1.0", "deploy/Dockerfile", ".",
                  {"PYTHON_IMAGE": BASE_IMAGE, "DEBIAN_PYTHON": "1"}),
    "KAFKA_IMAGE": ("localhost/vigie-kafka:4.1.1", "deploy/podman/Dockerfile.kafka", ".",
                    {"BASE_IMAGE": BASE_IMAGE}),
    "PROMETHEUS_IMAGE": ("localhost/vigie-prometheus:bookworm",
                         "deploy/podman/Dockerfile.prometheus", "deploy/podman",
                         {"BASE_IMAGE": BASE_IMAGE}),
}
# Everything but grafana: its image comes from no registry this machine reaches.
HEALTHY = ["kafka", "ingest", "enrich", "alert", "notify", "prometheus"]
JOBS = ["ingest", "enrich", "alert", "notify", "prometheus"]
SEED = "003_c969c52df54374a3.txt"
# No feed list (so no channel) and no notify subscription in this deployment: the per-feed,
# per-channel and per-subscription panels have no series (test_observability.py shows them
# with feeds, a channel and a subscription).
FEED_ONLY = ("vigie_ingest_feed_", "vigie_ingest_entry_fixes_", "vigie_ingest_channel_pages_",
             "vigie_notify_messages_", "vigie_notify_attempts_")
# The host's CA store, for builds behind a TLS-inspecting proxy (pip and Maven need it).
HOST_CERTS = Path("/etc/ssl/certs")


def say(message: str) -> None:
    print(f"[test-deploy] {message}", file=sys.__stdout__, flush=True)


def podman_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env["CONTAINERS_CONF"] = str(PODMAN_DIR / "containers.conf")
    return env


def run(*args, check: bool = True, timeout: float = 900, env=None, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=timeout, env=env or podman_env(), cwd=ROOT, **kwargs)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {result.returncode}\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def podman(*args, **kwargs):
    return run("podman", *args, **kwargs)


# --- images --------------------------------------------------------------------------------

def build_base_image() -> None:
    if podman("image", "exists", BASE_IMAGE, check=False).returncode == 0:
        return
    with tempfile.TemporaryDirectory(prefix="vigie-rootfs-") as rootfs:
        run("debootstrap", "--variant=minbase", "bookworm", rootfs,
            "http://deb.debian.org/debian", timeout=900)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["podman", "import", "-", BASE_IMAGE], stdin=tar.stdout,
                                  capture_output=True, text=True, env=podman_env())
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            pytest.fail(f"podman import failed: {imported.stderr}")


def build_command(image: str, dockerfile: str, context: str, build_args: dict) -> list[str]:
    command = ["podman", "build", "--network", "host", "-f", dockerfile, "-t", image]
    ignore = ROOT / f"{dockerfile}.dockerignore"
    if ignore.exists():
        command += ["--ignorefile", str(ignore)]
    args = dict(build_args)
    if (HOST_CERTS / "ca-certificates.crt").exists():
        command += ["--volume", f"{HOST_CERTS}:/run/host-certs:ro"]
        args["PIP_CERT"] = "/run/host-certs/ca-certificates.crt"
        if (HOST_CERTS / "java" / "cacerts").exists():
            args["MAVEN_OPTS"] = "-Djavax.net.ssl.trustStore=/run/host-certs/java/cacerts"
    for name, value in args.items():
        command += ["--build-arg", f"{name}={value}"]
    return [*command, context]


def build_images(logs: Path) -> None:
    """The three images at once: their time goes mostly to downloads."""
    build_base_image()
    running = {}
    for variable, (image, dockerfile, context, build_args) in IMAGES.items():
        log = (logs / f"build-{variable.lower()}.log").open("w")
        running[image] = (subprocess.Popen(build_command(image, dockerfile, context, build_args),
                                           stdout=log, stderr=subprocess.STDOUT,
                                           env=podman_env(), cwd=ROOT), log)
    failed = []
    for image, (process, log) in running.items():
        if process.wait(timeout=1800) != 0:
            failed.append(image)
        log.close()
    if failed:
        pytest.fail("image builds failed: " + ", ".join(failed) + "\n" + "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(logs.glob("build-*.log"))))


# --- compose -------------------------------------------------------------------------------

class Stack:
    def __init__(self, tmp: Path):
        self.inbox = tmp / "inbox"
        self.inbox.mkdir()
        self.inbox.chmod(0o755)  # read by the image's user (uid 10001), not only root
        self.ports = {name: free_port() for name in
                      ("KAFKA_HOST_PORT", "PROMETHEUS_HOST_PORT", "INGEST_HOST_PORT",
                       "ALERT_HOST_PORT", "GRAFANA_HOST_PORT")}
        self.env = podman_env() | {k: str(v) for k, v in self.ports.items()} | {
            "COMPOSE_PROJECT_NAME": PROJECT, "INBOX_DIR": str(self.inbox),
            **{variable: image for variable, (image, *_) in IMAGES.items()},
        }

    def compose(self, *args, check: bool = True, timeout: float = 900):
        return run(COMPOSE_TOOL, "-f", ROOT / "docker-compose.yml", *args, check=check,
                   timeout=timeout, env=self.env)

    def containers(self, service: str | None = None) -> list[str]:
        labels = ["--filter", f"label=io.podman.compose.project={PROJECT}"]
        if service:
            labels += ["--filter", f"label=com.docker.compose.service={service}"]
        out = podman("ps", "-a", *labels, "--format", "{{.Names}}").stdout
        return sorted(out.split())

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{podman('logs', '--tail', '40', name, check=False).stdout}"
            f"{podman('logs', '--tail', '40', name, check=False).stderr}"
            for name in self.containers())

    def wait_healthy(self, names: list[str], timeout: float) -> None:
        """podman runs healthchecks from systemd timers; without systemd, run them here."""
        waiting, deadline = set(names), time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                if podman("healthcheck", "run", name, check=False, timeout=60).returncode == 0:
                    waiting.discard(name)
            if waiting:
                time.sleep(3)
        if waiting:
            pytest.fail(f"not healthy after {timeout:.0f} s: {sorted(waiting)}\n{self.logs()}")

    def wait_exited(self, name: str, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name)
            status, code = state.stdout.split()
            if status in ("exited", "stopped"):
                return int(code)
            time.sleep(2)
        pytest.fail(f"{name} still running after {timeout:.0f} s\n{self.logs()}")

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "-t", "10", check=False)
        for name in self.containers():  # whatever compose left behind
            podman("rm", "-f", "-t", "5", name, check=False)
        volumes = podman("volume", "ls", "-q", "--filter",
                         f"label=io.podman.compose.project={PROJECT}", check=False).stdout.split()
        if volumes:
            podman("volume", "rm", "-f", *volumes, check=False)
        podman("network", "rm", "-f", f"{PROJECT}_default", check=False)
        podman("pod", "rm", "-f", f"pod_{PROJECT}", check=False)


def prometheus(stack: Stack, path: str, **params) -> dict:
    query = urllib.parse.urlencode(params)
    url = f"http://127.0.0.1:{stack.ports['PROMETHEUS_HOST_PORT']}/api/v1/{path}?{query}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def wait_for(check, timeout: float, what: str, stack: Stack):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last is True:
                return
        except OSError as exc:  # Prometheus not listening yet
            last = exc
        time.sleep(3)
    pytest.fail(f"{what}: not after {timeout:.0f} s (last: {last})\n{stack.logs()}")


# --- the test ------------------------------------------------------------------------------

@pytest.fixture
def stack(tmp_path):
    if shutil.which("podman") is None or not COMPOSE_TOOL.exists():
        pytest.fail("podman or podman-compose missing: run `make test-deploy`")
    instance = Stack(tmp_path)
    instance.down()  # a run that was killed left its containers
    yield instance
    started = time.monotonic()
    instance.down()
    say(f"torn down, volumes included, in {time.monotonic() - started:.0f} s")
    left = instance.containers()
    assert not left, f"containers left behind: {left}"


def test_compose_stack_runs_for_real(stack, tmp_path):
    started = time.monotonic()
    build_images(tmp_path)
    built = time.monotonic()
    say(f"images built in {built - started:.0f} s")

    # The order compose's depends_on gives, step by step: podman 4.3 can neither wait for
    # `service_healthy` nor start a dependency's dependencies (podman-compose's --requires).
    stack.compose("up", "-d", "--no-deps", "kafka", "prometheus")
    stack.wait_healthy(stack.containers("kafka"), 180)
    stack.compose("up", "-d", "--no-deps", "topics")
    [topics] = stack.containers("topics")
    code = stack.wait_exited(topics, 180)
    assert code == 0, f"the topics job exited {code}\n{stack.logs()}"
    stack.compose("up", "-d", "--no-deps", "ingest", "enrich", "alert", "notify")
    stack.wait_healthy([name for service in HEALTHY for name in stack.containers(service)], 300)
    up = time.monotonic()
    say(f"stack up and healthy in {up - built:.0f} s")

    # a file dropped into the inbox comes out as an alert on the host's Kafka port
    staged = tmp_path / SEED
    shutil.copy(ROOT / "seeds" / SEED, staged)
    staged.chmod(0o644)
    os.replace(staged, stack.inbox / SEED)
    subscribe = run(
        ROOT / ".venv" / "bin" / "vigie", "subscribe", "news.alerts", "--from-beginning",
        "--max", "1", "--timeout", "180", "--format", "json", timeout=300,
        env=os.environ | {"VIGIE_KAFKA_BOOTSTRAP": f"127.0.0.1:{stack.ports['KAFKA_HOST_PORT']}"})
    assert subscribe.stdout.strip(), f"no alert\n{subscribe.stderr}\n{stack.logs()}"
    alert = json.loads(subscribe.stdout.splitlines()[0])
    say(f"alert received: rule {alert['rule']['id']}")

    # Prometheus scrapes every target, and every dashboard query evaluates
    def targets_up():
        active = prometheus(stack, "targets")["data"]["activeTargets"]
        jobs = {t["labels"]["job"] for t in active if t["health"] == "up"}
        down = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in active
                if t["health"] != "up"]
        return (set(JOBS) <= jobs and not down) or (sorted(jobs), down)

    wait_for(targets_up, 120, "every Prometheus target up", stack)
    queries = prometheus_queries()

    def dashboards_answer():
        empty = []
        for query in queries:
            answer = prometheus(stack, "query", query=query.runnable())
            assert answer["status"] == "success", (query, answer)
            if not answer["data"]["result"] and not any(m in query.expr for m in FEED_ONLY):
                empty.append(f"{query.dashboard} / {query.panel}: {query.expr}")
        return not empty or empty

    wait_for(dashboards_answer, 180, "every dashboard query answering", stack)
    rules = prometheus(stack, "rules")["data"]["groups"]
    broken = [(r["name"], r.get("lastError")) for g in rules for r in g["rules"]
              if r["health"] == "err"]
    assert rules and not broken, broken

    # a second enrich replica: healthy, found by Prometheus's DNS discovery and scraped
    stack.compose("up", "-d", "--no-deps", "--scale", "enrich=2", "enrich", timeout=300)
    replicas = stack.containers("enrich")
    assert len(replicas) == 2, replicas
    stack.wait_healthy(replicas, 240)

    def both_scraped():
        series = prometheus(stack, "query", query='up{job="enrich"} == 1')["data"]["result"]
        return len(series) == 2 or [s["metric"]["instance"] for s in series]

    wait_for(both_scraped, 120, "both enrich replicas scraped", stack)
    scaled = time.monotonic()
    say(f"build {built - started:.0f} s, bring-up {up - built:.0f} s, "
        f"checks and scaling {scaled - up:.0f} s, total {scaled - started:.0f} s")
