"""Ingest throughput: ``vigie ingest files`` over generated files, against kafka-python alone
producing the very same payloads; and feed parsing from ``feeds_bench`` on the feed corpus."""

from __future__ import annotations

from pathlib import Path

from vigie.ingest.feeds.errors import ParseError
from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.parse import parse_feed
from vigie.ingest.files import news_files, read_article
from vigie.shared.broker import free_port
from vigie.shared.messages import encode

from .feeds_bench import FETCHED_AT, HEADERS, _feed_files, bench_feeds
from .kafka_io import bench_settings, message_count, produce_rate
from .proc import run_vigie_measured


class IngestFailed(RuntimeError):
    pass


def bench_files(bootstrap: str, workdir: Path, folder: Path) -> dict:
    """Files/s of one ``vigie ingest files`` run, its fixed start-up cost (a run over an empty
    folder) taken out; every article is checked to be on the raw topic."""
    settings = bench_settings(bootstrap, "ingest")
    files = len(news_files(folder))
    empty = workdir / "empty"
    empty.mkdir(exist_ok=True)
    startup = _ingest(settings, empty, workdir)
    full = _ingest(settings, folder, workdir)
    published = message_count(settings, settings.topic_raw)
    if published != files:
        raise IngestFailed(f"{published} of {files} files on the raw topic; see {workdir}")
    work_s = max(full.wall_s - startup.wall_s, 1e-3)
    return {"files": files, "wall_s": round(full.wall_s, 2), "startup_s": round(startup.wall_s, 2),
            "files_per_s": files / work_s, "files_per_s_with_startup": files / full.wall_s,
            "peak_rss_mb": full.peak_rss_mb,
            "raw_produce_per_s": _raw_produce(bootstrap, folder)}


def _ingest(settings, folder: Path, workdir: Path):
    finished = run_vigie_measured(settings, "ingest", "files", str(folder),
                                  log_path=workdir / "ingest.log",
                                  VIGIE_INGEST_METRICS_PORT=str(free_port()))
    if finished.returncode != 0:
        raise IngestFailed(f"vigie ingest files exited {finished.returncode}; see {workdir}")
    return finished


def _raw_produce(bootstrap: str, folder: Path) -> float:
    """kafka-python alone, with the producer settings ingest uses, on the same payloads."""
    settings = bench_settings(bootstrap, "produce")
    payloads = []
    for path in news_files(folder):
        article = read_article(path, folder, max_bytes=10_000_000)
        payloads.append((article.id.encode(), encode(article)))
    return produce_rate(settings, settings.topic_raw, payloads)


def bench_feed_entries(corpus: Path, *, max_files: int, polls: int) -> dict:
    """``bench_feeds`` figures, plus entries/s: the corpus' entry count over the parse time."""
    figures = bench_feeds(corpus, max_files=max_files, polls=polls)
    entries = _entry_count(_feed_files(corpus)[:max_files])
    seconds = figures["feed_files"] / figures["feeds_parsed_per_s"]
    alone_s = figures["feed_files"] / figures["feedparser_alone_per_s"]
    return figures | {"entries": entries, "entries_per_s": entries / seconds,
                      "feedparser_alone_entries_per_s": entries / alone_s}


def _entry_count(files: list[Path]) -> int:
    feed = FeedConfig(url="http://127.0.0.1/feed.xml", name="bench", interval_s=60)
    count = 0
    for path in files:
        try:
            count += len(parse_feed(path.read_bytes(), HEADERS, feed,
                                    fetched_at=FETCHED_AT).entries)
        except ParseError:
            pass
    return count
