"""Grafana provisioning and dashboards: every query parses and reads metrics that exist."""

from __future__ import annotations

import yaml

from .catalog import (
    DASHBOARD_DIR,
    ROOT,
    dashboards,
    exported_series,
    metric_names,
    panels,
    prometheus_queries,
)
from .promtool import promtool

PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"


def datasources() -> dict[str, dict]:
    document = yaml.safe_load((PROVISIONING / "datasources" / "vigie.yml").read_text())
    return {ds["uid"]: ds for ds in document["datasources"]}


def test_every_promql_expression_parses(tmp_path):
    """promtool parses each expression as a recording rule: a syntax error fails the check."""
    queries = prometheus_queries()
    assert len(queries) > 20
    groups = [{"name": "dashboards", "rules": [
        {"record": f"dashboard_query_{i}", "expr": q.runnable()} for i, q in enumerate(queries)]}]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_query_reads_exported_metrics_only():
    exported = exported_series() | {"up"}
    for query in prometheus_queries():
        names = metric_names(query.expr)
        assert names, f"{query.dashboard} / {query.panel}: no metric"
        assert names <= exported, f"{query.dashboard} / {query.panel}: {sorted(names - exported)}"


def test_dashboards_cover_the_metrics():
    """Every exported metric is on some dashboard (up to its _bucket/_sum/_count series)."""
    from .catalog import exported_metrics

    used = set().union(*(metric_names(q.expr) for q in prometheus_queries()))
    for metric in exported_metrics():
        assert metric.series() & used, metric.name


def test_panels_use_provisioned_datasources():
    known = datasources()
    for name, board in dashboards().items():
        for panel in panels(board):
            for owner in (panel, *panel.get("targets", [])):
                uid = owner.get("datasource", {}).get("uid")
                assert uid in known, f"{name} / {panel['title']}: {uid}"
                assert owner["datasource"]["type"] == known[uid]["type"]


def test_dashboards_are_provisioned_and_unique():
    boards = dashboards()
    assert set(boards) == {"vigie-pipeline.json", "vigie-feeds.json", "vigie-alerts.json",
                           "vigie-enrich.json"}
    uids = [board["uid"] for board in boards.values()]
    assert len(set(uids)) == len(uids)
    for board in boards.values():
        ids = [panel["id"] for panel in panels(board)]
        assert len(set(ids)) == len(ids), board["uid"]
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "vigie.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert f"./deploy/grafana/dashboards:{path}:ro" in compose
    assert DASHBOARD_DIR.is_dir()


def test_the_text_panels_read_the_alert_endpoints():
    infinity = datasources()["vigie-alerts"]
    assert infinity["type"] == "yesoreyeram-infinity-datasource"
    assert infinity["url"] == "http://alert:9103"
    assert "yesoreyeram-infinity-datasource" in (ROOT / "docker-compose.yml").read_text()
    tables = [target for board in dashboards().values() for panel in panels(board)
              for target in panel.get("targets", []) if target["datasource"]["uid"] == "vigie-alerts"]
    # the latest alerts, and the incidents on a map and in a table (served by the alert
    # service: tests/integration/test_pipeline.py reads /incidents/latest)
    assert sorted(t["url"] for t in tables) == ["/alerts/latest", "/incidents/latest",
                                                "/incidents/latest"]


def test_article_fields_are_shown_as_text_never_as_links_or_markup():
    """What a feed wrote reaches the alert tables (titles, snippets, urls): no panel turns a
    field into a link or renders it as HTML or markdown."""
    for name, board in dashboards().items():
        for panel in panels(board):
            config = panel.get("fieldConfig", {})
            for options in [config.get("defaults", {}), *(
                    prop["value"] for override in config.get("overrides", [])
                    for prop in override.get("properties", [])
                    if isinstance(prop.get("value"), dict))]:
                assert not options.get("links"), (name, panel["title"])
                cell = (options.get("custom") or {}).get("cellOptions") or {}
                assert cell.get("type") not in ("html", "markdown"), (name, panel["title"])
            assert panel["type"] != "text" or panel.get("options", {}).get("mode") != "html"
