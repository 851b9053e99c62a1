"""The enrich worker: ``news.raw`` → language, entities, dates, hashes → dedup → ``news.enriched``.

Two agents, so NER scales out and deduplication stays correct:

* ``analyse`` consumes the raw topic (its partitions shared by every worker), batches articles
  through spaCy's ``nlp.pipe`` in a thread (the event loop keeps heartbeating), and sends each
  analysed article to the internal ``<app id>.dedup`` topic.
* ``deduplicate`` consumes that topic, which has **one partition**, so exactly one worker owns
  the dedup table at a time: every article is checked against every earlier one, whatever raw
  partition it came from. The table is changelog-backed (state survives restarts and moves with
  the partition). Dedup costs microseconds per article, so one partition carries thousands of
  articles a second, far above what NER produces.

The agents are thin loops: their logic is in ``stages`` (``BatchAnalysis``, ``Deduplication``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections import deque
from pathlib import Path

from prometheus_client import CollectorRegistry

from vigie.shared.config import ConfigError
from vigie.shared.messages import encode
from vigie.shared.reach import wait_for_kafka
from vigie.shared.service import start_service
from vigie.shared.streams import (
    Agents,
    check_settings,
    health_route,
    make_app,
    prepare_group,
    run_worker,
    state_table,
)

from .metrics import EnrichMetrics
from .settings import EnrichSettings
from .stages import BatchAnalysis, Deduplication

log = logging.getLogger(__name__)
SERVICE = "enrich"
# The model tags one batch while the worker sends the other; more would only hold more
# articles unacknowledged.
BATCHES_IN_FLIGHT = 2


def dedup_topic_name(settings: EnrichSettings) -> str:
    return f"{settings.enrich_app_id}.dedup"


def build(settings: EnrichSettings, metrics: EnrichMetrics, analysis):
    """The faust app and its agents, thin loops over ``stages.BatchAnalysis`` and
    ``stages.Deduplication``; ``analysis`` runs the Enricher (``vigie.enrich.analysis_process``)."""
    app = make_app(settings, settings.enrich_app_id)
    dedup_topic = app.topic(dedup_topic_name(settings), partitions=1, internal=True)
    enriched_topic = app.topic(settings.topic_enriched)
    agents = Agents(app, app.topic(settings.topic_dlq), SERVICE, metrics.failed,
                    metrics.stream.agent_crashes)
    batches = BatchAnalysis(analysis, agents, dedup_topic, metrics,
                            settings.enrich_max_text_chars)
    dedup = Deduplication(state_table(app, "dedup", lambda: dedup.mark_stale(), partitions=1),
                          settings.dedup_window_s, settings.enrich_max_text_chars, metrics)

    @agents.stream(app.topic(settings.topic_raw))
    async def analyse(stream):
        # noack_take + ack after the batch's outputs are sent: only processed offsets can be
        # committed. (take_events acks a batch when the agent leaves it, even when SIGTERM
        # cancelled it mid-batch, and those articles were lost.) Two batches in flight: the
        # model process tags the next while this process completes, sends and acks the last.
        in_flight: deque[asyncio.Future] = deque()
        async for events in stream.noack_take(settings.faust_batch_size,
                                              within=settings.faust_batch_within_s):
            in_flight.append(asyncio.ensure_future(
                batches.handle(stream, events, in_flight[-1] if in_flight else None)))
            while in_flight and (in_flight[0].done() or len(in_flight) >= BATCHES_IN_FLIGHT):
                await in_flight.popleft()  # raises what a batch raised: the agent crashes

    @agents.each(dedup_topic)
    async def deduplicate(event):
        article = await dedup.verdict(event.value)
        await enriched_topic.send(key=article.id.encode(), value=encode(article))

    @app.timer(5.0)
    async def watch_stream():
        await metrics.stream.check(app, settings)

    return app


def check_inputs(settings: EnrichSettings) -> None:
    """What the worker is given, checked before it connects: the model and the aliases take
    seconds to load, after the broker answers."""
    check_settings(settings)
    if not _pipeline_exists(settings.enrich_model):
        raise ConfigError(f"VIGIE_ENRICH_MODEL: no spaCy pipeline {settings.enrich_model!r} is"
                          " installed (a package such as fr_core_news_sm, or the folder of one)")
    aliases = settings.enrich_aliases_file
    if aliases and not Path(aliases).is_file():
        raise ConfigError(f"VIGIE_ENRICH_ALIASES_FILE: no such file: {aliases}")


def _pipeline_exists(model: str) -> bool:
    """Is ``model`` an installed package or a folder, as ``spacy.load`` takes it?"""
    try:
        installed = importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):  # a dotted name whose parent is missing, or no name
        installed = False
    return bool(model) and (installed or Path(model).is_dir())


def main() -> int:
    settings = EnrichSettings.from_env()
    check_inputs(settings)
    wait_for_kafka(settings)
    from .analysis_process import AnalysisProcess  # spaCy: seconds to import, once Kafka answers

    metrics = EnrichMetrics(CollectorRegistry())
    analysis = AnalysisProcess(settings.enrich_model, settings.enrich_aliases_file or None,
                               settings.enrich_chunk_size)
    loading = time.monotonic()
    analysis.warm_up()  # the model loads before the worker joins the group
    loaded_s = time.monotonic() - loading
    prepare_group(settings, settings.enrich_app_id, [settings.topic_raw],
                  {dedup_topic_name(settings): 1}, {"dedup": 1})
    app = build(settings, metrics, analysis)
    server = start_service(settings, metrics.registry, settings.enrich_metrics_port,
                           {"/healthz": health_route(app, settings.faust_recovery_stall_s)})
    log.info("model %s loaded in %.1f s", settings.enrich_model, loaded_s,
             extra={"duration_s": round(loaded_s, 3)})
    try:
        return run_worker(app, settings)
    finally:
        server.stop()
        analysis.close()
