"""Alert evaluation speed: articles per second on one core, shipped rules and 1,000 rules,
and the shipped rules over French (the texts given), English, Ukrainian and Russian articles.

``bench_rules(texts)`` returns the figures as a dict; run as a script it measures the seeds
(or the files given) and prints JSON::

    .venv/bin/python -m tests.bench.alert_bench [file ...]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import RuleBook
from vigie.alert.tokens import WORD
from vigie.shared.messages import EnrichedArticle, Hashes, Source
from vigie.shared.timestamps import utc_now

from . import corpus

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RULES = ROOT / "deploy" / "rules.yaml"
MIN_SECONDS = 1.0
FILLER = ("frappe", "convoi", "centrale", "pont", "port", "barrage", "usine", "dépôt", "gare",
          "colonne", "brigade", "incendie", "explosion", "évacuation", "coupure", "électricité")


def articles(texts: list[str], language: str | None = None) -> list[EnrichedArticle]:
    now = utc_now()
    return [
        EnrichedArticle(
            id=f"bench-{index}", revision="r1", source=Source(kind="file", name="bench"),
            text=text, fetched_at=now, ingested_at=now, hashes=Hashes(exact="", near=""),
            enriched_at=now, language=language,
        )
        for index, text in enumerate(texts)
    ]


def generated_rules(texts: list[str], count: int = 1000, seed: int = 0) -> list[dict]:
    """``count`` rules of 1 to 4 two- or three-word phrases; about 1 phrase in 50 is taken
    from the texts, so some rules match and the per-alert work is measured too."""
    rng = random.Random(seed)
    words = [w for text in texts for w in WORD.findall(text)] or list(FILLER)
    vocabulary = sorted({w.lower() for w in words if len(w) > 3} | set(FILLER))

    def phrase() -> str:
        if rng.random() < 0.02:
            start = rng.randrange(max(1, len(words) - 2))
            return " ".join(words[start:start + 2])
        return " ".join(rng.choice(vocabulary) for _ in range(rng.choice((2, 3))))

    rules = []
    for index in range(count):
        rule = {"id": f"gen-{index}", "severity": rng.choice(("info", "warning", "critical")),
                "description": "generated", "phrases": [phrase() for _ in range(rng.randint(1, 4))]}
        if index % 10 == 0:
            rule["exclude"] = [phrase()]
        if index % 7 == 0:
            rule["near"], rule["within"] = [rng.choice(vocabulary)], 8
        rules.append(rule)
    return rules


def rate(work, batch: list[EnrichedArticle]) -> tuple[float, int]:
    """Articles/s of ``work(article)`` over the batch, repeated for at least MIN_SECONDS;
    and the total of what it returned per article."""
    done, found, started = 0, 0, time.perf_counter()
    while True:
        for article in batch:
            found += len(work(article))
        done += len(batch)
        elapsed = time.perf_counter() - started
        if elapsed >= MIN_SECONDS:
            return done / elapsed, found / done


def measure(path: Path, batch: list[EnrichedArticle]) -> dict:
    started = time.perf_counter()
    evaluator = Evaluator(RuleBook(path))
    matcher = evaluator.matcher  # compiled here, outside the timed loops
    load_s = time.perf_counter() - started
    for article in batch:
        evaluator.evaluate(article)  # the caches of words filled first, as in a running service
    evaluated, alerts = rate(evaluator.evaluate, batch)
    matched, _ = rate(lambda article: matcher.find(article.text), batch)
    return {
        "rules": len(matcher.rules),
        "load_and_compile_s": round(load_s, 3),
        "articles_per_s": round(evaluated, 1),
        "ms_per_article": round(1000 / evaluated, 3),
        "alerts_per_article": round(alerts, 2),
        "matching_only_articles_per_s": round(matched, 1),
    }


def by_language(texts: list[str]) -> dict:
    """Shipped rules, articles/s on one core per language: the French texts given and as
    many generated ones in each other language."""
    evaluator = Evaluator(RuleBook(SHIPPED_RULES))
    corpora = {"fr": texts, **{language: corpus.generate_language(language, len(texts), seed=3)
                              for language in ("en", "uk", "ru")}}
    figures = {}
    for language, found in corpora.items():
        batch = articles(found, language)
        for article in batch:
            evaluator.evaluate(article)  # as in measure(): the caches filled first
        evaluated, alerts = rate(evaluator.evaluate, batch)
        figures[language] = {"articles_per_s": round(evaluated, 1),
                             "alerts_per_article": round(alerts, 2)}
    return figures


def bench_rules(texts: list[str]) -> dict:
    """Articles/s on one core (one thread) for the shipped rules and for 1,000 rules, and
    for the shipped rules per language."""
    batch = articles(texts)
    with tempfile.TemporaryDirectory() as folder:
        generated = Path(folder) / "rules.yaml"
        generated.write_text(yaml.safe_dump(generated_rules(texts), allow_unicode=True), "utf-8")
        return {
            "articles": len(batch),
            "mean_chars": round(sum(map(len, texts)) / max(1, len(texts))),
            "shipped": measure(SHIPPED_RULES, batch),
            "generated_1000": measure(generated, batch),
            "languages": by_language(texts),
        }


def main(paths: list[str]) -> None:
    files = [Path(p) for p in paths] or sorted((ROOT / "seeds").glob("*.txt"))
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    print(json.dumps(bench_rules(texts), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
