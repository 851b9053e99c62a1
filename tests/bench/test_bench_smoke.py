"""``make bench --quick`` end to end: every row is there with a positive figure.

This checks behaviour (the bench runs and reports), not speed.
"""

import json
import subprocess
import sys

import pytest

from tests.bench.run import FEED_CORPUS, ROOT

pytestmark = pytest.mark.integration

EXPECTED = {
    ("ingest", "files/s (vigie ingest files, acked)"),
    ("ingest", "feed entries/s (parse)"),
    ("enrich", "articles/s, 1 worker via Kafka"),
    ("enrich", "articles/s, Enricher in-process"),
    *(("enrich", f"ms per article, {language}") for language in ("fr", "uk", "ru", "en")),
    ("scaling", "articles/s, 2 workers, a core each"),
    ("scaling", "articles/s, 2 workers sharing all cores"),
    ("scaling", "2-worker ceiling, broker off the workers' cores"),
    ("alert", "rules: 1,000 generated"),
    *(("alert", f"rules: shipped, {language} articles") for language in ("fr", "en", "uk", "ru")),
    *(("latency", f"end-to-end {p} at {load} load") for p in ("p50", "p95", "p99")
      for load in ("50%", "90%")),
    ("latency", "push p50, hub POST → alert"), ("latency", "push p95, hub POST → alert"),
    *(("latency", f"channel {p}, post → incident, poll {s} s") for s in (10, 2)
      for p in ("p50", "p95")),
    ("polling", "mean delay, adaptive (simulated)"), ("polling", "polls/day, adaptive (simulated)"),
    *(("notify", f"incident record → message at the endpoint, {p}") for p in ("p50", "p95")),
    *(("memory", f"peak RSS {service}") for service in ("ingest", "enrich", "alert", "notify",
                                                         "broker")),
}


def test_quick_bench_reports_every_row(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--quick", "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [saved] = tmp_path.glob("*.json")
    rows = {(row["stage"], row["measure"]): row for row in json.loads(saved.read_text())["rows"]}
    assert EXPECTED <= set(rows)
    assert any(stage == "alert" and measure.startswith("rules: shipped") for stage, measure in rows)
    for key, row in rows.items():
        if key == ("ingest", "feed entries/s (parse)") and not FEED_CORPUS.is_dir():
            assert row["value"] is None and "skipped" in row["note"]
            continue
        assert row["value"] is not None and row["value"] > 0, row
        if row["baseline"]:
            assert row["baseline_value"] > 0 and row["ratio"] > 0, row
    assert "files/s" in result.stdout and str(saved.name) in result.stdout
