"""The dedup window on the real broker: an enrich worker forgets what left the window, and the
table's changelog says so with tombstones (so compaction frees them)."""

import datetime as dt

import pytest

from vigie.enrich.dedup import signatures
from vigie.shared.kafka import ensure_topics, make_producer
from vigie.shared.messages import EnrichedArticle, Source, decode, encode
from vigie.shared.timestamps import format_time

from .helpers import ROOT, read_topic
from .workers import running, worker_env

pytestmark = pytest.mark.integration
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
START = dt.datetime(2025, 8, 22, tzinfo=dt.timezone.utc)


def analysed(article_id: str, text: str, days: float) -> EnrichedArticle:
    """An article as the analyse agent hands it to dedup, ingested ``days`` after START, each
    from a source of its own (two items of one source are never duplicates)."""
    moment = format_time(START + dt.timedelta(days=days))
    return EnrichedArticle(id=article_id, revision="r1",
                           source=Source(kind="file", name=f"folder-{article_id}"),
                           text=text, fetched_at=moment, ingested_at=moment, language="fr",
                           hashes=signatures(text), enriched_at=moment)


def test_an_article_out_of_the_window_is_forgotten_and_tombstoned(kafka_settings, tmp_path):
    original, other = (path.read_text(encoding="utf-8") for path in SEEDS[:2])
    app_id = worker_env(kafka_settings, tmp_path, "enrich")["VIGIE_ENRICH_APP_ID"]
    dedup_topic = f"{app_id}.dedup"
    ensure_topics(kafka_settings, {dedup_topic: 1})
    stream = [analysed("first", original, 0), analysed("copy", original, 0.5),
              analysed("two-days-on", other, 2), analysed("late-copy", original, 2.1),
              analysed("copy-of-late", original, 2.5)]
    with running(kafka_settings, tmp_path, ("enrich",), VIGIE_DEDUP_WINDOW_DAYS="1"):
        producer = make_producer(kafka_settings)
        for article in stream:  # in order, on the single dedup partition
            producer.send(dedup_topic, key=article.id.encode(), value=encode(article))
        producer.flush()
        producer.close()
        records = read_topic(kafka_settings, kafka_settings.topic_enriched, expect=5,
                             timeout=180)
    verdicts = {a.id: a.duplicate_of for a in (decode(r.value, EnrichedArticle) for r in records)}
    assert verdicts == {"first": None, "copy": "first", "two-days-on": None,
                        "late-copy": None,  # "first" left the one-day window
                        "copy-of-late": "late-copy"}
    changelog = read_topic(kafka_settings, f"{app_id}-dedup-changelog", idle=2.0)
    deleted = {r.key.decode() for r in changelog if r.value is None}
    assert any("s:first" in key for key in deleted), deleted
    assert not any("late-copy" in key for key in deleted)
