"""End to end: the pipeline on the real broker, scraped by a real Prometheus that loads the
shipped rules; after the seeds, a few feeds and a channel have gone through, every PromQL
expression of every dashboard panel returns data, and the latest-alerts endpoint serves what
the table shows.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from tests.channel_server import ChannelServer, period_posts, read_periods
from tests.integration.helpers import start_vigie
from vigie.shared.broker import free_port

from .catalog import PROMETHEUS_DIR, ROOT, dashboards, panels, prometheus_queries

pytestmark = pytest.mark.integration

FEEDS_DATA = ROOT / "tests" / "data" / "feeds"
JOBS = ("ingest", "enrich", "alert")


class FeedServer:
    """Feeds on 127.0.0.1 (one good RSS, one good Atom, one 404), and a webhook receiver."""

    def __init__(self) -> None:
        self.hooks: list[bytes] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = FEEDS_DATA / self.path.lstrip("/")
                if self.path in ("/rss2.xml", "/atom.xml") and path.exists():
                    self._answer(200, path.read_bytes(), "application/xml")
                else:
                    self._answer(404, b"not found", "text/plain")

            def do_POST(self):
                owner.hooks.append(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                self._answer(204, b"", "text/plain")

            def _answer(self, status, body, kind):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def prometheus_config(ports: dict[str, int]) -> dict:
    """The shipped prometheus.yml, its targets moved to this test's processes, scraping every
    second, and the shipped rule files (so the rules evaluate against real series too)."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(p) for p in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(JOBS) <= set(jobs)
    config["scrape_configs"] = [
        {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{ports[name]}"]}]}
        for name in JOBS]
    return config


def api(port: int, path: str, **params) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as exc:  # not listening yet
            last = exc
        time.sleep(1.0)
    pytest.fail(f"timed out waiting for {what}: {last}")


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_every_dashboard_query_returns_data(kafka_settings, tmp_path, processes):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is missing: run deploy/install-system-deps.sh")
    feeds = FeedServer()
    try:
        with ChannelServer({"air_alert_ua": period_posts(read_periods()[:5])}) as channel:
            run_pipeline_and_check(kafka_settings, tmp_path, processes, feeds, channel)
    finally:
        feeds.stop()


def run_pipeline_and_check(settings, tmp_path, processes, feeds, channel):
    ports = {name: free_port() for name in (*JOBS, "prometheus")}
    tag = uuid.uuid4().hex[:8]
    feed_list = tmp_path / "feeds.yaml"
    feed_list.write_text(yaml.safe_dump({"feeds": [
        {"url": feeds.url("/rss2.xml"), "name": "Exemple RSS", "interval": "1m"},
        {"url": feeds.url("/atom.xml"), "name": "Exemple Atom", "interval": "1m"},
        {"url": feeds.url("/missing.xml"), "name": "Absent", "interval": "1m"},
        {"telegram": "air_alert_ua", "name": "Sirens", "timezone": "Europe/Kyiv"},
    ]}))
    env = {
        "VIGIE_FAUST_DATA_DIR": str(tmp_path / "faust"),
        "VIGIE_ENRICH_APP_ID": f"obs-enrich-{tag}", "VIGIE_ALERT_APP_ID": f"obs-alert-{tag}",
        "VIGIE_FAUST_SESSION_TIMEOUT_S": "6",
        "VIGIE_ENRICH_METRICS_PORT": str(ports["enrich"]),
        "VIGIE_ALERT_METRICS_PORT": str(ports["alert"]),
        "VIGIE_INGEST_METRICS_PORT": str(ports["ingest"]),
        "VIGIE_ALERT_WEBHOOK_URL": feeds.url("/hook"),
        "VIGIE_INGEST_WATCH_DIRS": str(ROOT / "seeds"),
        "VIGIE_FEEDS_FILE": str(feed_list),
        "VIGIE_FEEDS_MIN_INTERVAL_S": "1",
        "VIGIE_FEEDS_PER_HOST_DELAY_S": "0",
        "VIGIE_FEEDS_STATE_TOPIC": f"obs-feed-state-{tag}",
        "VIGIE_TELEGRAM_BASE_URL": channel.base_url,
    }
    for name, args in (("enrich", ["enrich"]), ("alert", ["alert"]),
                       ("ingest", ["ingest", "serve"])):
        processes.append(start_vigie(settings, *args, log_path=tmp_path / f"{name}.log", **env))

    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(ports)))
    processes.append(subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{ports['prometheus']}"],
        stdout=(tmp_path / "prometheus.log").open("wb"), stderr=subprocess.STDOUT))

    def logs() -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(tmp_path.glob("*.log")))

    # the seeds went through: the alert service holds the alerts they raised
    latest_url = f"http://127.0.0.1:{ports['alert']}/alerts/latest"
    try:
        latest = wait_for(lambda: get_json(latest_url), 240, "alerts at /alerts/latest")
    except pytest.fail.Exception:
        pytest.fail("no alert came through\n" + logs())

    # what the Infinity table selects is in every alert
    table = next(panel for board in dashboards().values() for panel in panels(board)
                 if panel["datasource"]["uid"] == "vigie-alerts")
    for column in table["targets"][0]["columns"]:
        for alert in latest:
            value = alert
            for part in column["selector"].split("."):
                value = value[part]
    assert any(alert["rule"]["id"] == "air-raid" for alert in latest)

    for job in JOBS:
        wait_for(lambda job=job: [r for r in api(ports["prometheus"], "query",
                                                 query=f'up{{job="{job}"}} == 1')["data"]["result"]],
                 60, f"Prometheus scraping {job}")

    # every panel's expression returns at least one series
    queries = prometheus_queries()

    def empty() -> list[str]:
        missing = []
        for query in queries:
            answer = api(ports["prometheus"], "query", query=query.runnable())
            assert answer["status"] == "success", (query, answer)
            if not answer["data"]["result"]:
                missing.append(f"{query.dashboard} / {query.panel}: {query.expr}")
        return missing

    deadline = time.monotonic() + 120
    missing = empty()
    while missing and time.monotonic() < deadline:
        time.sleep(2)
        missing = empty()
    assert not missing, "no data for:\n" + "\n".join(missing) + "\n" + logs()

    # and the shipped rules evaluate without error against the real series
    groups = api(ports["prometheus"], "rules")["data"]["groups"]
    broken = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"]
              if r["health"] == "err"]
    assert groups and not broken, broken
