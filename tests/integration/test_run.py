"""``vigie run`` as the README tells a user: the command, then the commands of the block
"While ``make run`` runs", each as its own process, then Ctrl-C.

The run gets a fresh broker home, free ports and a copy of the seeds (so the copied file does
not land in the repository); everything else is the user's path: ``vigie run`` starts its own
broker, the services find their rules from the repository root, and each check below is the
README's command, run as a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vigie.shared.broker import free_port
from vigie.shared.timestamps import epoch

from .faults import wait_until
from .helpers import ROOT

pytestmark = pytest.mark.integration
VIGIE = str(Path(sys.executable).parent / "vigie")
SEED_RULES = {  # the seeds' alerts, as test_pipeline.py proves them through the workers
    ("000", "air-raid"), ("001", "air-raid"), ("003", "air-raid"),
    ("000", "ballistic-missile"), ("001", "ballistic-missile"), ("002", "ballistic-missile"),
    ("003", "glide-bomb"),
}
NEW_FILE = "100_copied_in.txt"
# How long a step may take on a loaded machine before the test calls it hung; not a speed.
HANG_S = 240
DAY_S = 86400


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    """A user's shell: no VIGIE_* of the caller's, this run's broker home, ports and seeds."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGIE_") and not k.lower().endswith("_proxy")}
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    env.update({
        "VIGIE_BROKER_HOME": str(tmp_path / "broker"),
        "VIGIE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "VIGIE_FAUST_DATA_DIR": str(tmp_path / "faust"),
        "VIGIE_INGEST_WATCH_DIRS": str(seeds),
        "VIGIE_INGEST_METRICS_PORT": str(free_port()),
        "VIGIE_ENRICH_METRICS_PORT": str(free_port()),
        "VIGIE_ALERT_METRICS_PORT": str(free_port()),
    })
    return env


def vigie(env: dict[str, str], *args: str) -> list[dict]:
    """``vigie ARGS`` to completion, its JSON lines (a pipe, not a terminal, gets JSON)."""
    done = subprocess.run([VIGIE, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=HANG_S)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def get(env: dict[str, str], service: str, path: str) -> bytes:
    port = env[f"VIGIE_{service.upper()}_METRICS_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return answer.read()


def processes_of(env: dict[str, str]) -> dict[int, str]:
    """The command lines of live processes started with this run's environment (the broker,
    the services and anything they started inherit it), by pid."""
    marker = f"VIGIE_BROKER_HOME={env['VIGIE_BROKER_HOME']}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return {pid: cmdline.decode() for pid, cmdline in found.items()}


def seed_rules(alerts: list[dict]) -> set[tuple[str, str]]:
    return {(a["article"]["source"]["path"][:3], a["rule"]["id"]) for a in alerts}


def test_vigie_run_as_the_readme_tells_then_ctrl_c_leaves_nothing(user_env, tmp_path):
    log = (tmp_path / "run.log").open("wb")
    # A session of its own, as a terminal's foreground job: Ctrl-C goes to the whole group.
    run = subprocess.Popen([VIGIE, "run"], cwd=ROOT, env=user_env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # a user reads the banner before typing the commands it lists
        wait_until(lambda: b"Vigie is running" in (tmp_path / "run.log").read_bytes(), HANG_S,
                   "the banner of vigie run")
        raw = vigie(user_env, "subscribe", "news.raw", "--from-beginning", "--format", "json",
                    "--max", "5")
        assert sorted(a["source"]["path"] for a in raw) == sorted(
            p.name for p in (ROOT / "seeds").glob("*.txt"))

        alerts = vigie(user_env, "subscribe", "news.alerts", "--from-beginning",
                       "--max", str(len(SEED_RULES)))
        assert seed_rules(alerts) == SEED_RULES

        incidents = vigie(user_env, "subscribe", "news.incidents", "--from-beginning",
                          "--timeout", "5")
        assert {i["id"] for i in incidents} == {a["incident_id"] for a in alerts}
        # nothing current closes; an incident of a day long past (the seeds' 2025-08-22) may
        # have closed quietly by event time, the quiet time after its last report
        latest = {i["id"]: i for i in incidents}
        assert all(i["status"] in ("open", "update") or (
            i["closed_by"] == "quiet" and epoch(i["updated_at"]) - epoch(i["ended_at"]) > DAY_S)
            for i in latest.values())

        for service in ("ingest", "enrich", "alert"):
            assert f"vigie_{service}_".encode() in get(user_env, service, "/metrics")
        latest = json.loads(get(user_env, "alert", "/alerts/latest"))
        assert {a["id"] for a in latest} == {a["id"] for a in alerts}
        cap = ET.fromstring(get(user_env, "alert", "/cap"))
        links = {link.get("href").rsplit("/", 1)[1].removesuffix(".xml")
                 for link in cap.iter("{http://www.w3.org/2005/Atom}link")
                 if link.get("type") == "application/cap+xml"}
        assert links == {i["id"] for i in incidents}

        shutil.copy(ROOT / "seeds" / "000_f7442d7db843244a.txt",
                    Path(user_env["VIGIE_INGEST_WATCH_DIRS"]) / NEW_FILE)
        raw = vigie(user_env, "subscribe", "news.raw", "--from-beginning", "--format", "json",
                    "--max", "6")
        assert NEW_FILE in {a["source"]["path"] for a in raw}

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        assert run.wait(HANG_S) == 0, (tmp_path / "run.log").read_text()
        logged = (tmp_path / "run.log").read_text()
        assert "broker stopped" in logged
        # each worker said which step of its start it was in, and when it was ready
        for step in ("joining the consumer group", "group joined", "tables recovered",
                     "ready, processing"):
            assert logged.count(step) == 2, step
        assert processes_of(user_env) == {}
    finally:
        for pid in processes_of(user_env):  # a failed run leaves nothing to the next test
            os.kill(pid, signal.SIGKILL)
        log.close()
