"""Prometheus configuration and rules: valid for promtool, and every alert proven to fire."""

from __future__ import annotations

import yaml

from .catalog import PROMETHEUS_DIR, exported_series, exposition, metric_names
from .promtool import promtool

RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.test.yml"))


def rules(kind: str) -> list[dict]:
    return [rule for path in RULE_FILES
            for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if kind in rule]


def test_config_is_valid():
    result = promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULE_FILES)} rule files found" in result.stdout  # the rule_files glob works


def test_rules_are_valid():
    assert RULE_FILES
    result = promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass():
    assert RULE_TESTS
    result = promtool("test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_where_it_fires():
    fired = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    names = {rule["alert"] for rule in rules("alert")}
    assert names and names <= fired, f"never shown to fire: {sorted(names - fired)}"


def test_every_alert_can_be_routed():
    for rule in rules("alert"):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["labels"]["audience"] in {"operator", "newsroom"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_rules_read_only_exported_metrics():
    exported = exported_series() | {"up"}
    recorded = {rule["record"] for rule in rules("record")}
    for rule in rules("expr"):
        unknown = metric_names(rule["expr"]) - exported - recorded
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: {sorted(unknown)}"


def test_air_raid_alert_names_a_rule_that_exists():
    shipped = {rule["id"] for rule in yaml.safe_load(
        (PROMETHEUS_DIR.parent / "rules.yaml").read_text(encoding="utf-8"))}
    expr = next(r["expr"] for r in rules("alert") if r["alert"] == "VigieAirRaidAlertPublished")
    assert 'rule="air-raid"' in expr and "air-raid" in shipped


def test_exported_metrics_pass_the_prometheus_linter():
    """Naming conventions (base units, _total on counters only), as Prometheus itself checks."""
    result = promtool("check", "metrics", stdin=exposition())
    assert result.returncode == 0, result.stdout + result.stderr
