"""docker-compose.yml: valid for compose, and in agreement with the code's configuration."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from vigie.cli import parser
from vigie.settings_index import all_settings, settings_classes

from .catalog import CLUSTER_FILE, COMPOSE_FILE, ROOT, SASL_FILE, SERVICES, compose

SASL_ENV = {"VIGIE_KAFKA_BOOTSTRAP": "broker.example:9093", "VIGIE_KAFKA_SASL_USERNAME": "u",
            "VIGIE_KAFKA_SASL_PASSWORD": "p", "KAFKA_CA_FILE": str(COMPOSE_FILE)}


def compose_cli() -> list[str] | None:
    """`docker compose` (v2 plugin) or `docker-compose` (v1): both validate without an engine."""
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.parametrize("files", [[COMPOSE_FILE], [COMPOSE_FILE, SASL_FILE],
                                   [COMPOSE_FILE, CLUSTER_FILE]],
                         ids=["compose", "compose+sasl", "compose+cluster"])
def test_compose_config_is_valid(files, monkeypatch):
    cli = compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI (the structural tests below still run)")
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", **SASL_ENV}
    args = [a for f in files for a in ("-f", str(f))]
    result = subprocess.run([*cli, *args, "config", "-q"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_service_has_healthcheck_restart_and_limits():
    services = compose()["services"]
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test") or name == "topics", name
        assert svc.get("restart") in {"unless-stopped", "always", "on-failure", "no"}, name
        assert svc.get("deploy", {}).get("resources", {}).get("limits"), name
    assert services["topics"]["restart"] == "no"  # a one-shot job


def test_start_order_waits_for_health():
    services = compose()["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in SERVICES:
        assert services[name]["depends_on"] == {
            "topics": {"condition": "service_completed_successfully"}}, name
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_enrich_can_scale_out():
    enrich = compose()["services"]["enrich"]
    assert "container_name" not in enrich
    assert "ports" not in enrich  # a fixed host port would clash between replicas


def test_kafka_is_the_official_image_and_keeps_its_data():
    kafka = compose()["services"]["kafka"]
    pom = (ROOT / "shared" / "broker" / "pom.xml").read_text()
    version = re.search(r"<kafka.version>(.+)</kafka.version>", pom).group(1)
    # the local broker of `make run` and the tests runs the same version as the image
    assert kafka["image"].endswith(f"apache/kafka:{version}}}")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) == 67108864
    assert any(v.endswith(":" + env["KAFKA_LOG_DIRS"]) for v in kafka["volumes"])
    assert "kafka-data" in compose()["volumes"]


def test_commands_are_vigie_subcommands():
    services = compose()["services"]
    for name in ("topics", *SERVICES):
        command = services[name]["command"]
        command = shlex.split(command) if isinstance(command, str) else command
        args = parser().parse_args(command)  # exits (SystemExit) on an unknown command
        assert callable(args.func), name
    assert services["ingest"]["command"] == ["ingest", "serve"]
    assert services["topics"]["command"] == ["topics", "create"]


def test_environment_matches_the_settings():
    known = {name for name, *_ in all_settings()}
    services = compose()["services"]
    classes = settings_classes()
    for name in SERVICES:
        env = services[name]["environment"]
        vigie = {k for k in env if k.startswith("VIGIE_")}
        assert vigie <= known, f"{name}: unknown {sorted(vigie - known)}"
        wanted = {entry[0] for entry in classes[name].documented()}
        # every setting reaches the service, so .env can set any of them
        assert wanted <= vigie, f"{name}: missing {sorted(wanted - vigie)}"
        assert vigie <= wanted, f"{name}: not its settings {sorted(vigie - wanted)}"
    for name in ("topics", "kafka", "prometheus", "grafana"):
        env = services[name].get("environment") or {}
        assert {k for k in env if k.startswith("VIGIE_")} <= known, name


def test_ports_match_the_metrics_port_defaults():
    services = compose()["services"]
    for name in SERVICES:
        port = settings_classes()[name]().__getattribute__(f"{name}_metrics_port")
        svc = services[name]
        assert svc["environment"][f"VIGIE_{name.upper()}_METRICS_PORT"] == str(port)
        assert f"http://127.0.0.1:{port}/healthz" in " ".join(svc["healthcheck"]["test"])
        published = [p.rsplit(":", 1)[1] for p in svc.get("ports", [])]
        exposed = [str(p) for p in svc.get("expose", [])]
        assert str(port) in published + exposed, name


def test_paths_given_to_the_services_are_mounted():
    services = compose()["services"]
    ingest, alert, notify = services["ingest"], services["alert"], services["notify"]

    def targets(svc):  # host:container[:mode], the host part may hold ${VAR:-default}
        return {re.sub(r"\$\{[^}]*\}", "", v).split(":")[1] for v in svc["volumes"]}

    assert ingest["environment"]["VIGIE_INGEST_WATCH_DIRS"] in targets(ingest)
    assert alert["environment"]["VIGIE_ALERT_RULES_FILE"] in targets(alert)
    assert notify["environment"]["VIGIE_NOTIFY_FILE"] in targets(notify)


def test_the_cluster_override_replicates_like_the_local_cluster():
    """Three brokers, three replicas, two in sync for an acknowledgement, no unclean leader:
    the settings the failover test proves on the local cluster."""
    import yaml

    services = yaml.safe_load(CLUSTER_FILE.read_text(encoding="utf-8"))["services"]
    brokers = [services[name]["environment"] for name in ("kafka", "kafka-2", "kafka-3")]
    assert sorted(env["KAFKA_NODE_ID"] for env in brokers) == [1, 2, 3]
    for env in brokers:
        assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"],
                env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"]) == (3, 2, "false")
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
    for name in ("topics", "ingest", "enrich", "alert", "notify"):
        assert services[name]["environment"]["VIGIE_TOPIC_REPLICAS"] == "3"
