"""Every exported metric and setting is documented: the tables of docs/metrics.md and
docs/configuration.md are the generated ones."""

from __future__ import annotations

from vigie.settings_index import markdown_table

from .catalog import ROOT, exported_metrics, metrics_table

HEADER = "| metric | type | labels | meaning |"


def test_metric_table_is_up_to_date():
    page = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert HEADER in page
    assert metrics_table() in page, "docs/metrics.md: regenerate with `make metrics-doc`"


def test_every_metric_says_what_it_means():
    metrics = exported_metrics()
    assert {m.service for m in metrics} == {"ingest", "enrich", "alert", "notify"}
    for metric in metrics:
        assert metric.help.strip(), metric.name
        assert metric.name.startswith(f"vigie_{metric.service}_"), metric.name


def test_settings_table_is_up_to_date():
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert markdown_table() in page, "docs/configuration.md: regenerate with `vigie config --markdown`"
