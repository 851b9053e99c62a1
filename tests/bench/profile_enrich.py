"""Where enrich's time goes, stage by stage, on the benchmark corpus (no broker).

    .venv/bin/python -m tests.bench.profile_enrich [--articles 150] [--pyinstrument]

Times each step ``Enricher.enrich`` runs (NER, entity cleaning, language, dates, hashes) in
ms per article; with ``--pyinstrument`` (``pip install pyinstrument``) also prints the call
tree of one whole ``enrich`` pass.
"""

from __future__ import annotations

import argparse
import time

from vigie.enrich.dates import find_dates
from vigie.enrich.dedup import signatures
from vigie.enrich.enricher import Enricher
from vigie.enrich.entities import EntityExtractor
from vigie.enrich.language import detect

from . import corpus
from .enrich_bench import articles_for


def stage_times(enricher: Enricher, raws) -> dict[str, float]:
    """Seconds spent in each stage over all the articles."""
    extractor = enricher.extractor
    texts = [raw.text for raw in raws]
    times: dict[str, float] = {}

    def timed(name: str, work):
        started = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - started
        return result

    docs = timed("spaCy nlp.pipe (tok2vec + ner)",
                 lambda: list(extractor.docs(texts, enricher.batch_size)))
    timed("entities: clean, gazetteer, fold", lambda: [
        extractor.entities_of(text, doc) for text, doc in zip(texts, docs, strict=True)])
    timed("language", lambda: [detect(raw.text, raw.language) for raw in raws])
    timed("dates", lambda: [find_dates(raw.text, raw.published) for raw in raws])
    timed("hashes (SHA-256 + MinHash)", lambda: [signatures(raw.text) for raw in raws])
    return times


def print_stages(times: dict[str, float], articles: int) -> None:
    total = sum(times.values())
    print(f"{'stage':36} {'ms/article':>10} {'share':>6}")
    for name, seconds in times.items():
        print(f"{name:36} {seconds / articles * 1000:10.1f} {seconds / total:6.0%}")
    print(f"{'total':36} {total / articles * 1000:10.1f}   ({articles / total:.1f} articles/s)")


def call_tree(enricher: Enricher, raws) -> str:
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    enricher.enrich(raws)
    profiler.stop()
    return profiler.output_text(unicode=True, color=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    raws = articles_for(corpus.generate(args.articles, seed=3, prefix="e"), "profile")
    enricher = Enricher(extractor=EntityExtractor())
    enricher.enrich(raws[:8])  # first calls build caches and tables
    print_stages(stage_times(enricher, raws), len(raws))
    if args.pyinstrument:
        print(call_tree(enricher, raws))


if __name__ == "__main__":
    main()
