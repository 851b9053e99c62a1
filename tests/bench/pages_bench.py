"""Full-text pages: ingest's page path (robots.txt, fetch over local HTTP, extraction) against
trafilatura alone on the same pages.

The pages are the test site's article page (menu, cookie banner, an aside, footer, scripts)
with the benchmark corpus' texts as their body, served on 127.0.0.1.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

import trafilatura
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds.fetch import FetchLimits
from vigie.ingest.feeds.pages import PageFetcher
from vigie.ingest.metrics import IngestMetrics
from vigie.shared.addresses import NetworkPolicy
from vigie.shared.messages import RawArticle, Source
from vigie.shared.timestamps import utc_now

from ..local_http import LocalServer, serve
from . import corpus

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "pages" / "kyiv.html"


def page_html(text: str) -> bytes:
    """The template page around ``text``'s paragraphs (its own body taken out)."""
    template = TEMPLATE.read_text(encoding="utf-8")
    start, end = template.index("<p>Une alerte"), template.index("<aside")
    body = "".join(f"<p>{escape(sentence)}</p>\n" for sentence in corpus.sentences(text))
    return (template[:start] + body + template[end:]).encode()


def bench_pages(count: int) -> dict:
    pages = [page_html(article.text) for article in corpus.generate(count, seed=11, prefix="p")]
    fetcher = PageFetcher(FetchLimits(network=NetworkPolicy.parse("127.0.0.0/8")),
                          IngestMetrics(CollectorRegistry()), min_chars=600,
                          robots_ttl_s=3600, gap_s=0.0)
    now = utc_now()
    with LocalServer() as server:
        for n, body in enumerate(pages):
            server.routes[f"/{n}.html"] = serve(body, "text/html; charset=utf-8")
        teasers = [RawArticle(id=str(n), revision="r", source=Source(kind="feed", name="bench"),
                              url=server.url(f"/{n}.html"), text="Un résumé.", fetched_at=now,
                              ingested_at=now) for n in range(count)]
        fetcher.complete(teasers[0], "always")  # robots.txt once, imports warm
        wall, cpu = time.perf_counter(), time.process_time()
        completed = [fetcher.complete(teaser, "always") for teaser in teasers]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    alone = time.perf_counter()
    for body in pages:
        trafilatura.extract(body, favor_precision=True, include_comments=False,
                            include_tables=False)
    alone = time.perf_counter() - alone
    used = sum(article.text_source == "page" for article in completed)
    return {"pages": count, "pages_used": used, "pages_per_s": count / wall,
            "ms_per_page": 1000 * wall / count, "cpu_ms_per_page": 1000 * cpu / count,
            "trafilatura_alone_per_s": count / alone,
            "trafilatura_alone_ms_per_page": 1000 * alone / count}
