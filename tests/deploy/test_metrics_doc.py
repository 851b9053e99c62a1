"""Every exported metric is documented: the metric table in the docs is the generated one."""

from __future__ import annotations

from .catalog import ROOT, exported_metrics, metrics_table

HEADER = "| metric | type | labels | meaning |"


def test_metric_table_is_up_to_date():
    for doc in (ROOT / "deploy" / "README-deploy.md", ROOT / "README.md"):
        if doc.exists() and HEADER in doc.read_text(encoding="utf-8"):
            assert metrics_table() in doc.read_text(encoding="utf-8"), (
                f"{doc.name}: regenerate with python -m tests.deploy.catalog metrics")
    assert metrics_table() in (ROOT / "deploy" / "README-deploy.md").read_text(encoding="utf-8")


def test_every_metric_says_what_it_means():
    metrics = exported_metrics()
    assert {m.service for m in metrics} == {"ingest", "enrich", "alert"}
    for metric in metrics:
        assert metric.help.strip(), metric.name
        assert metric.name.startswith(f"vigie_{metric.service}_"), metric.name
