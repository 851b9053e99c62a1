"""What the deployment files are checked against: the metrics the services declare, the PromQL
of the dashboards, the compose file, and the generated ``.env.example`` and metric table.

    python -m tests.deploy.catalog env      > .env.example
    python -m tests.deploy.catalog metrics  # the metric table of docs/metrics.md (markdown)
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SASL_FILE = ROOT / "deploy" / "compose.sasl.yml"
CLUSTER_FILE = ROOT / "deploy" / "compose.cluster.yml"
ENV_EXAMPLE = ROOT / ".env.example"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARD_DIR = ROOT / "deploy" / "grafana" / "dashboards"

# Grafana's own variables, replaced by fixed values wherever a query must run outside Grafana.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h",
                     "$feed": ".*"}

# The services whose settings classes configure a compose service of the same name.
SERVICES = ("ingest", "enrich", "alert", "notify")

# Compose's own variables (not Vigie settings): images, host ports, host files.
COMPOSE_VARIABLES = {
    "COMPOSE_PROJECT_NAME": "compose project name (prefix of containers, volumes, network)",
    "APP_IMAGE": "image of the Vigie services, built from deploy/Dockerfile",
    "KAFKA_IMAGE": "Kafka image: the official one, same version as the local broker (4.1.1)",
    "KAFKA_HEAP_OPTS": "JVM heap of the broker",
    "KAFKA_HOST_PORT": "Kafka listener for clients on this machine (127.0.0.1 only)",
    "INBOX_DIR": "host folder that ingest watches (mounted read-only)",
    "FEEDS_FILE": "host feed list that ingest polls (mounted read-only; default: no feed)",
    "RULES_FILE": "host alert rules file (mounted read-only; edits reload without a restart)",
    "NOTIFY_FILE": "host subscriptions file of notify (mounted read-only; default: nobody)",
    "NOTIFY_ENV_FILE": "host file of the secrets the subscriptions name (one variable a line)",
    "INGEST_HOST_PORT": "host port of ingest's /metrics and /healthz",
    "ALERT_HOST_PORT": "host port of alert's /metrics, /healthz and /alerts/latest",
    "NOTIFY_HOST_PORT": "host port of notify's /metrics and /healthz",
    "PROMETHEUS_IMAGE": "Prometheus image",
    "PROMETHEUS_HOST_PORT": "host port of Prometheus",
    "PROMETHEUS_RETENTION": "how long Prometheus keeps samples",
    "GRAFANA_IMAGE": "Grafana image",
    "GRAFANA_HOST_PORT": "host port of Grafana",
    "GRAFANA_ADMIN_USER": "Grafana administrator",
    "GRAFANA_ADMIN_PASSWORD": "Grafana administrator's password: change it",
    "HTTP_PROXY": "proxy for http:// feeds, pages, the webhook and notifications",
    "HTTPS_PROXY": "proxy for https:// feeds, pages, the webhook and notifications (a CONNECT"
                   " tunnel)",
    "NO_PROXY": "hosts reached without the proxy, comma-separated",
}
COMPOSE_PROJECT = "vigie"
SUBSTITUTION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}")


# --- metrics -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Metric:
    service: str
    name: str          # as exposed (counters with their _total)
    type: str
    labels: tuple[str, ...]
    help: str

    def series(self) -> set[str]:
        """Every sample name Prometheus stores for this metric."""
        if self.type == "counter":
            return {self.name, self.name.removesuffix("_total") + "_created"}
        if self.type == "histogram":
            return {self.name + s for s in ("_bucket", "_sum", "_count", "_created")}
        return {self.name}


def metric_objects():
    """(service, metric wrapper) for every metric the services declare, on fresh registries."""
    from vigie.alert.metrics import AlertMetrics
    from vigie.enrich.metrics import EnrichMetrics
    from vigie.ingest.metrics import IngestMetrics
    from vigie.notify.metrics import NotifyMetrics

    for service, cls in (("ingest", IngestMetrics), ("enrich", EnrichMetrics),
                         ("alert", AlertMetrics), ("notify", NotifyMetrics)):
        holder = cls(CollectorRegistry())
        for value in vars(holder).values():
            for wrapped in getattr(value, "collectors", (value,)):  # StreamWatch holds two
                if hasattr(wrapped, "_labelnames") and hasattr(wrapped, "_type"):
                    yield service, holder.registry, wrapped


def exported_metrics() -> list[Metric]:
    found = []
    for service, _registry, m in metric_objects():
        name = m._name + "_total" if m._type == "counter" else m._name
        found.append(Metric(service, name, m._type, tuple(m._labelnames), m._documentation))
    return sorted(found, key=lambda m: (SERVICES.index(m.service), m.name))


def exported_series() -> set[str]:
    return {s for m in exported_metrics() for s in m.series()}


def exposition() -> str:
    """The /metrics text of every service, as freshly started."""
    from prometheus_client import generate_latest

    registries = {id(r): r for _s, r, _m in metric_objects()}
    return "".join(generate_latest(r).decode() for r in registries.values())


def metrics_table() -> str:
    rows = ["| metric | type | labels | meaning |", "|---|---|---|---|"]
    for m in exported_metrics():
        labels = ", ".join(f"`{label}`" for label in m.labels) or "—"
        rows.append(f"| `{m.name}` | {m.type} | {labels} | {m.help} |")
    return "\n".join(rows) + "\n"


# --- dashboards ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    expr: str

    def runnable(self) -> str:
        """The expression with Grafana's variables replaced, for Prometheus itself."""
        expr = self.expr
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        return expr


def dashboards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def panels(dashboard: dict):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # panels inside collapsed rows


def prometheus_queries() -> list[Query]:
    """Every PromQL expression of every panel and template variable."""
    queries = []
    for name, board in dashboards().items():
        for panel in panels(board):
            for target in panel.get("targets", []):
                if "expr" in target:
                    queries.append(Query(name, panel["title"], target["expr"]))
        for variable in board.get("templating", {}).get("list", []):
            query = variable.get("query")
            query = query.get("query") if isinstance(query, dict) else query
            inner = re.fullmatch(r"label_values\((.+),\s*\w+\)", query or "")
            if inner:  # Grafana's label_values(selector, label): the selector is PromQL
                queries.append(Query(name, f"variable {variable['name']}", inner.group(1)))
    return queries


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: Vigie's, `up`, and recording rules (a:b:c)."""
    names = r"[a-z_]+:[a-z0-9_:]*[a-z0-9_]|vigie_[a-z0-9_]+|up"
    return set(re.findall(rf"(?<![\w:])({names})(?![\w:])(?!\s*\()", expr))


# --- compose -------------------------------------------------------------------------------

def compose() -> dict:
    """The compose file as compose reads it (YAML anchors and merge keys resolved)."""
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def substitutions(text: str) -> dict[str, str | None]:
    """Every ${NAME:-default} of a compose file: name → default (None if it has none)."""
    found: dict[str, str | None] = {}
    for name, default in SUBSTITUTION.findall(text):
        found.setdefault(name, default)
    return found


def env_example() -> str:
    """The content of .env.example: compose's variables, then every Vigie setting."""
    from vigie.settings_index import all_settings

    used = substitutions(COMPOSE_FILE.read_text(encoding="utf-8"))
    service_env = {name: value for svc in compose()["services"].values()
                   for name, value in (svc.get("environment") or {}).items()}
    lines = [
        "# Vigie with docker compose: copy to .env and change what you need; every line is",
        "# optional (commented lines show the default).",
        "# Generated from docker-compose.yml and the code's settings by",
        "#   python -m tests.deploy.catalog env > .env.example",
        "# (tests/deploy/test_envfile.py fails when it is out of date).",
        "",
        "## Compose: images, host ports and files",
        "",
        "# " + COMPOSE_VARIABLES["COMPOSE_PROJECT_NAME"],
        f"COMPOSE_PROJECT_NAME={COMPOSE_PROJECT}",
    ]
    for name, doc in COMPOSE_VARIABLES.items():
        if name == "COMPOSE_PROJECT_NAME":
            continue
        lines += ["# " + doc, f"# {name}={used.get(name) or ''}"]
    lines += ["", "## Vigie settings (VIGIE_*; `vigie config` lists them too)", ""]
    for name, default, doc, secret in all_settings():
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        compose_default = used.get(name)
        if name in used and compose_default:
            shown = compose_default
        lines.append(f"# {doc}" + (" (secret: never logged)" if secret else ""))
        if name in used or name not in service_env:
            lines.append(f"# {name}={'' if secret else shown}")
        else:
            lines.append(f"#   {name} is fixed by docker-compose.yml: {service_env[name]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    what = argv[0] if argv else ""
    if what == "env":
        sys.stdout.write(env_example())
    elif what == "metrics":
        sys.stdout.write(metrics_table())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
