"""File ingest on the real broker, through the ``vigie`` command as a user runs it."""

import json
import shutil
import socket
import time
import urllib.request

import pytest

from vigie.shared.broker import free_port
from vigie.shared.messages import RawArticle, decode

from .helpers import ROOT, read_topic, run_vigie, start_vigie

pytestmark = pytest.mark.integration
SEEDS = ROOT / "seeds"


def seed_articles(kafka_settings, expect):
    records = read_topic(kafka_settings, kafka_settings.topic_raw, expect=expect)
    return [decode(r.value, RawArticle) for r in records], records


def test_seeds_flow_into_the_raw_topic_and_reingest_keeps_ids(kafka_settings):
    done = run_vigie(kafka_settings, "ingest", "files", str(SEEDS))
    assert done.returncode == 0, done.stderr
    articles, records = seed_articles(kafka_settings, expect=5)
    assert len(articles) == 5
    by_path = {a.source.path: a for a in articles}
    assert sorted(by_path) == sorted(p.name for p in SEEDS.iterdir())
    published = [by_path[name].published for name in sorted(by_path)]
    assert published == ["2025-08-22", "2025-08-22", None, None, "2023-10"]
    title_002 = by_path["002_2b18f08d636d7a6e.txt"].title
    assert title_002.startswith("Le chef de l'OTAN Mark Rutte")
    for article, record in zip(articles, records, strict=True):
        assert record.key == article.id.encode()
        assert not article.text.lstrip().startswith("date ")
        assert article.source.kind == "file" and article.source.name == "seeds"
        assert article.ingested_at.endswith("Z")
    assert "Odessa" not in (by_path["000_f7442d7db843244a.txt"].title or "")

    again = run_vigie(kafka_settings, "ingest", "files", str(SEEDS))
    assert again.returncode == 0, again.stderr
    articles_twice, _ = seed_articles(kafka_settings, expect=10)
    assert len(articles_twice) == 10
    first_ids = {a.id for a in articles}
    assert {a.id for a in articles_twice} == first_ids
    assert len(first_ids) == 5


def test_bad_files_are_skipped_and_counted_while_good_ones_flow(kafka_settings, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(SEEDS / "003_c969c52df54374a3.txt", folder / "good.txt")
    (folder / "junk.bin").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "huge.txt").write_bytes(b"Une phrase. " * 300_000)
    (folder / "latin1.txt").write_bytes(
        "Alerte aérienne à Kharkiv\nLes sirènes ont retenti à l'aube.".encode("latin-1"))
    (folder / "utf16.txt").write_bytes("Titre\nUne alerte aérienne à Odessa.".encode("utf-16"))
    port = free_port()
    process = start_vigie(kafka_settings, "ingest", "files", str(folder), "--watch",
                          log_path=tmp_path / "ingest.log", VIGIE_INGEST_METRICS_PORT=str(port),
                          VIGIE_INGEST_MAX_FILE_BYTES="1000000")
    try:
        articles, _ = seed_articles(kafka_settings, expect=3)
        assert sorted(a.source.path for a in articles) == ["good.txt", "latin1.txt", "utf16.txt"]
        latin1 = next(a for a in articles if a.source.path == "latin1.txt")
        assert latin1.title == "Alerte aérienne à Kharkiv"
        assert "sirènes" in latin1.text

        (folder / "late.txt").write_text("Titre tardif\nUn nouvel article arrive.", "utf-8")
        later, _ = seed_articles(kafka_settings, expect=4)
        assert "late.txt" in {a.source.path for a in later}

        metrics = scrape(port)
        assert metrics['vigie_ingest_files_total{result="published"}'] == 4
        assert metrics['vigie_ingest_files_total{result="undecodable"}'] == 1
        assert metrics['vigie_ingest_files_total{result="empty"}'] == 1
        assert metrics['vigie_ingest_files_total{result="too_large"}'] == 1
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read())
        assert health["status"] == "ok"
    finally:
        process.terminate()
        assert process.wait(30) == 0
    log = (tmp_path / "ingest.log").read_text()
    assert "junk.bin" in log and "undecodable" in log


def scrape(port: int, wait: float = 10.0) -> dict[str, float]:
    deadline = time.monotonic() + wait
    while True:
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_a_watch_restart_publishes_only_new_and_changed_files(kafka_settings, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("same.txt", "edited.txt"):
        (folder / name).write_text(f"Titre {name}\nUne alerte aérienne à Kyiv.", "utf-8")

    def watch_once(expect_published: int, expect_unchanged: int, run: int) -> None:
        """Start a watch, let its first scan finish (its counters say so), stop it."""
        port = free_port()
        process = start_vigie(kafka_settings, "ingest", "files", str(folder), "--watch",
                              log_path=tmp_path / f"ingest-{run}.log",
                              VIGIE_INGEST_METRICS_PORT=str(port))
        try:
            deadline = time.monotonic() + 60
            while True:
                metrics = scrape(port, wait=30)
                counts = (metrics.get('vigie_ingest_files_total{result="published"}', 0),
                          metrics.get('vigie_ingest_files_total{result="unchanged"}', 0))
                if counts == (expect_published, expect_unchanged):
                    break
                assert time.monotonic() < deadline, counts
                time.sleep(0.2)
        finally:
            process.terminate()
            assert process.wait(30) == 0

    watch_once(expect_published=2, expect_unchanged=0, run=1)
    (folder / "edited.txt").write_text("Titre edited.txt\nFin de l'alerte à Kyiv.", "utf-8")
    (folder / "new.txt").write_text("Titre new.txt\nUn nouvel article arrive.", "utf-8")
    watch_once(expect_published=2, expect_unchanged=1, run=2)

    articles, _ = seed_articles(kafka_settings, expect=4)
    assert sorted(a.source.path for a in articles) == [
        "edited.txt", "edited.txt", "new.txt", "same.txt"]
    assert len(read_topic(kafka_settings, kafka_settings.topic_raw, idle=2.0)) == 4
    state = {r.key.decode(): r.value.decode() for r in
             read_topic(kafka_settings, kafka_settings.topic_raw + ".watch-state", idle=1.0)}
    latest = {a.source.path: a.revision for a in articles}  # the last of each path wins
    assert state == latest


def test_a_one_shot_ingest_runs_while_a_running_ingest_holds_the_metrics_port(kafka_settings):
    """`vigie ingest files seeds` beside `make run`'s ingest: one-shot runs serve no /metrics."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", free_port()))
        held.listen()
        port = held.getsockname()[1]
        result = run_vigie(kafka_settings, "ingest", "files", str(ROOT / "seeds"),
                           VIGIE_INGEST_METRICS_PORT=str(port))
    assert result.returncode == 0, result.stderr
    assert len(read_topic(kafka_settings, kafka_settings.topic_raw, expect=5)) == 5
