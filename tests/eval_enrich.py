"""Measure the enrichment core on the labelled sets and the seeds.

    .venv/bin/python tests/eval_enrich.py [--models fr_core_news_sm fr_core_news_md] [--repeat 20] [--errors]

Prints, per model: entity precision/recall/F1 on (canonical name, label) for raw spaCy (its
surface text taken as the name) and for ``EntityExtractor``, overall, per label and per class
of the texts written for one error each (``CLASSES``; with ``--errors``, each article's missed
and spurious entities), and place accuracy (country and
region of the placed LOC entities); date precision/recall on (text, value), event times and
ranges included; near-duplicate precision/recall on the labelled pairs (plus false alarms among
all pairs of distinct labelled articles); ``nlp.pipe`` speed on the seeds repeated N times.
Then, per language of the Ukrainian, Russian and English set (``articles_uk_ru_en.jsonl``,
through the whole enrichment as the worker runs it): entity precision/recall/F1, the gold
places whose country and whose town or region are right, the common words among the
entities, date precision/recall/F1, and the cost per article beside French.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import spacy

from vigie.enrich.canonical import normalise_label
from vigie.enrich.dates import find_dates
from vigie.enrich.dedup import DedupIndex, signatures, similarity
from vigie.enrich.enricher import Enricher
from vigie.enrich.entities import EntityExtractor
from vigie.enrich.junk import junk_class
from vigie.enrich.morphology import Morphology
from vigie.ingest.files import read_article
from vigie.shared.messages import RawArticle, Source
from vigie.shared.text import normalize_apostrophes

LABELS = ("PER", "LOC", "ORG", "MISC")
# The French texts written for one class of error each, by the prefix of their ids.
CLASSES = {"hd": "headlines, common words", "by": "bylines and newspapers",
           "ns": "towns with a namesake"}
ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "labelled"
MULTILINGUAL = LABELLED / "articles_uk_ru_en.jsonl"  # Ukrainian, Russian and English
SEEDS = ROOT / "seeds"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def prf(found: list[set], gold: list[set]) -> tuple[float, float, float]:
    hits = sum(len(f & g) for f, g in zip(found, gold, strict=True))
    total_found, total_gold = sum(map(len, found)), sum(map(len, gold))
    precision = hits / total_found if total_found else 0.0
    recall = hits / total_gold if total_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def line(name: str, scores: tuple[float, ...]) -> str:
    return f"  {name:<34}" + "  ".join(f"{s:.2f}" for s in scores)


def evaluate_entities(extractor: EntityExtractor, articles: list[dict],
                      show_errors: bool = False) -> None:
    texts = [a["text"] for a in articles]
    gold = [{(e["name"], e["label"]) for e in a["entities"]} for a in articles]
    docs = list(extractor.docs(texts))
    raw = [{(" ".join(e.text.split()), normalise_label(e.label_)) for e in d.ents} for d in docs]
    ours = [{(e.name, e.label) for e in extractor.entities_of(t, d)}
            for t, d in zip(texts, docs, strict=True)]
    print("  entities (name+label)            P     R     F1")
    print(line("raw spaCy (surface as name)", prf(raw, gold)))
    print(line("EntityExtractor", prf(ours, gold)))
    names = lambda sets: [{n for n, _ in s} for s in sets]  # noqa: E731
    print(line("EntityExtractor, names only", prf(names(ours), names(gold))))
    for label in LABELS:
        print(line(f"EntityExtractor, {label}", prf(with_label(ours, label), with_label(gold, label))))
    for prefix, title in CLASSES.items():
        chosen = [i for i, a in enumerate(articles) if a["id"].startswith(f"{prefix}-")]
        print(line(f"{title} ({len(chosen)})", prf([ours[i] for i in chosen],
                                                   [gold[i] for i in chosen])))
    if show_errors:
        print_errors(articles, ours, gold)
    evaluate_places(extractor, articles, docs)


def with_label(sets: list[set], label: str) -> list[set]:
    return [{entity for entity in s if entity[1] == label} for s in sets]


def print_errors(articles: list[dict], found: list[set], gold: list[set]) -> None:
    """What each article got wrong: ``-`` a gold entity missed, ``+`` a spurious one."""
    for article, f, g in zip(articles, found, gold, strict=True):
        for sign, wrong in (("-", g - f), ("+", f - g)):
            for name, label in sorted(wrong):
                print(f"    {article['id']:<7} {sign} {label:<4} {name}")


@dataclass
class FrenchPlaces:
    gold: int  # labelled LOC entities with a place
    placed: list[tuple[dict, object]]  # (gold entity, the place found under its name)

    @property
    def countries_right(self) -> int:
        return sum(e["place"]["country"] == p.country for e, p in self.placed)


def french_places(extractor: EntityExtractor, articles: list[dict], docs: list) -> FrenchPlaces:
    gold = [(i, e) for i, a in enumerate(articles) for e in a["entities"] if "place" in e]
    found = [{e.name: e.place for e in extractor.entities_of(a["text"], d) if e.place}
             for a, d in zip(articles, docs, strict=True)]
    return FrenchPlaces(len(gold), [(e, found[i][e["name"]]) for i, e in gold
                                    if e["name"] in found[i]])


def french_entities(extractor: EntityExtractor, articles: list[dict], docs: list) -> tuple:
    """Precision, recall, F1 of ``EntityExtractor`` on (canonical name, label)."""
    gold = [{(e["name"], e["label"]) for e in a["entities"]} for a in articles]
    ours = [{(e.name, e.label) for e in extractor.entities_of(a["text"], d)}
            for a, d in zip(articles, docs, strict=True)]
    return prf(ours, gold)


def evaluate_places(extractor: EntityExtractor, articles: list[dict], docs: list) -> None:
    """Of the labelled LOC entities found under their name with a place: the share whose
    country (and region, where labelled) is right, and how many of them got a place."""
    places = french_places(extractor, articles, docs)
    placed, gold, countries = places.placed, places.gold, places.countries_right
    with_region = [(e, p) for e, p in placed if e["place"]["region"]]
    regions = sum(e["place"]["region"] == p.region for e, p in with_region)
    print(f"  places: country right {countries}/{len(placed)} "
          f"({countries / max(len(placed), 1):.2f}) of the placed labelled LOC entities; "
          f"region right {regions}/{len(with_region)}; placed {len(placed)}/{gold}")
    for e, p in placed:
        if e["place"]["country"] != p.country:
            print(f"    wrong country: {e['name']} → {p.country} ({p.name}, {p.kind})")


def evaluate_dates(articles: list[dict]) -> None:
    def key(text: str, value: str) -> tuple[str, str]:
        return normalize_apostrophes(text), value

    gold = [{key(d["text"], d["value"]) for d in a["dates"]} for a in articles]
    found = [{key(d.text, d.value) for d in find_dates(a["text"], a["published"],
                                                         a.get("fetched_at"))}
             for a in articles]
    print(line("dates (text+value)", prf(found, gold)))


def pair_texts(pair: dict, by_id: dict[str, str]) -> tuple[str, str]:
    b = pair.get("b_text") or by_id[pair["b"]]
    return by_id[pair["a"]], b


def near_verdict(a: str, b: str) -> bool:
    index = DedupIndex({})
    index.check("a", signatures(a))
    return any(index.check("b", signatures(b)))


def evaluate_near_duplicates(articles: list[dict], pairs: list[dict]) -> None:
    by_id = {a["id"]: a["text"] for a in articles}
    by_id.update({f"seed:{p.name[:3]}": read_article(p, SEEDS, 10**6).text
                  for p in SEEDS.glob("*.txt")})
    predicted, expected = [], []
    for pair in pairs:
        a, b = pair_texts(pair, by_id)
        score = similarity(signatures(a).near, signatures(b).near)
        predicted.append(near_verdict(a, b))
        expected.append(pair["near"])
        print(f"    {score:.2f} {'near' if predicted[-1] else '----'}  {pair['kind']}")
    hits = sum(p and e for p, e in zip(predicted, expected, strict=True))
    precision = hits / sum(predicted) if any(predicted) else 0.0
    print(line("near duplicates (pairs)", (precision, hits / sum(expected))))
    texts = [a["text"] for a in articles]
    alarms = sum(near_verdict(a, b) for a, b in itertools.combinations(texts, 2))
    top = max(similarity(signatures(a).near, signatures(b).near)
              for a, b in itertools.combinations(texts, 2))
    pairs_count = len(texts) * (len(texts) - 1) // 2
    print(f"  false alarms among {pairs_count} distinct labelled pairs: {alarms} "
          f"(highest similarity {top:.2f})")


def seed_texts() -> list[str]:
    return [read_article(p, SEEDS, 10**6).text for p in sorted(SEEDS.glob("*.txt"))]


def speed(nlp, texts: list[str], rounds: int = 3) -> float:
    """Best of a few rounds: the machine may be shared, the best round is the least disturbed."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=16):
            pass
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def evaluate_speed(model: str, extractor: EntityExtractor, repeat: int) -> None:
    texts = seed_texts() * repeat
    full = speed(spacy.load(model), texts)
    lean = speed(extractor.nlp, texts)
    print(f"  nlp.pipe speed, seeds x{repeat} ({len(texts)} articles, best of 3): "
          f"full pipeline {full:.1f}/s, NER-only pipeline {lean:.1f}/s")


def raw_article(article: dict) -> RawArticle:
    """A labelled article as ingest would publish it (its source's time zone included)."""
    return RawArticle(id=article["id"], revision="1", text=article["text"],
                      source=Source(kind="feed", name="labelled",
                                    timezone=article.get("timezone")),
                      published=article["published"], language=None,
                      fetched_at=article["published"], ingested_at=article["published"])


@dataclass
class LanguageScores:
    """The figures of one language's labelled articles through the whole enrichment."""

    language: str
    articles: int
    detected: int  # articles whose language was detected right
    entities: tuple[float, float, float]  # precision, recall, F1 on (name, label)
    gold_places: int
    country_right: int
    gold_regions: int  # gold places with an ISO 3166-2 region (towns and regions)
    region_right: int
    common_words: list[str]  # spurious entities that are ordinary words
    dates: tuple[float, float, float]
    errors: list[str] = field(default_factory=list)

    @property
    def country_share(self) -> float:
        return self.country_right / max(self.gold_places, 1)

    @property
    def region_share(self) -> float:
        return self.region_right / max(self.gold_regions, 1)


def is_common_word(entity, text: str, language: str) -> bool:
    """One word a reader would not call a name: a calendar word, a demonym, a word the text
    also writes in lower case, or (Ukrainian, Russian) one the dictionary knows only as an
    ordinary word."""
    words = {m.text for m in entity.mentions}
    if any(" " in word for word in words):
        return False
    for word in words:
        if junk_class(word) or re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", text):
            return True
        if language in ("uk", "ru"):
            morphology = Morphology(language)
            if morphology.is_common(word) and not morphology.is_proper(word):
                return True
    return False


def score_language(enricher: Enricher, language: str, articles: list[dict]) -> LanguageScores:
    analyses = enricher.enrich([raw_article(a) for a in articles])
    found = [{(e.name, e.label) for e in r.entities} for r in analyses]
    gold = [{(e["name"], e["label"]) for e in a["entities"]} for a in articles]
    placed = [{e.name: e.place for e in r.entities if e.place} for r in analyses]
    gold_places = [(i, e) for i, a in enumerate(articles) for e in a["entities"] if "place" in e]
    country = sum(placed[i].get(e["name"]) is not None
                  and placed[i][e["name"]].country == e["place"]["country"] for i, e in gold_places)
    with_region = [(i, e) for i, e in gold_places if e["place"]["region"]]
    region = sum(placed[i].get(e["name"]) is not None
                 and placed[i][e["name"]].region == e["place"]["region"] for i, e in with_region)
    common = [f"{a['id']}: {e.name}" for a, r in zip(articles, analyses, strict=True)
              for e in r.entities if (e.name, e.label) not in {(g["name"], g["label"])
                                                               for g in a["entities"]}
              and is_common_word(e, a["text"], language)]
    gold_dates = [{(d["text"], d["value"]) for d in a["dates"]} for a in articles]
    found_dates = [{(normalize_apostrophes(d.text), d.value) for d in r.dates} for r in analyses]
    errors = [f"{a['id']:<7} {sign} {label:<4} {name}"
              for a, f, g in zip(articles, found, gold, strict=True)
              for sign, wrong in (("-", g - f), ("+", f - g)) for name, label in sorted(wrong)]
    errors += [f"{a['id']:<7} {sign} date {text!r} {value}"
               for a, f, g in zip(articles, found_dates, gold_dates, strict=True)
               for sign, wrong in (("-", g - f), ("+", f - g)) for text, value in sorted(wrong)]
    return LanguageScores(
        language=language, articles=len(articles),
        detected=sum(r.language == language for r in analyses),
        entities=prf(found, gold), gold_places=len(gold_places), country_right=country,
        gold_regions=len(with_region), region_right=region, common_words=common,
        dates=prf(found_dates, gold_dates), errors=errors)


def by_language(articles: list[dict]) -> dict[str, list[dict]]:
    languages: dict[str, list[dict]] = {}
    for article in articles:
        languages.setdefault(article.get("language", "fr"), []).append(article)
    return languages


def cost_per_article(enricher: Enricher, articles: list[dict], rounds: int = 3) -> float:
    """Seconds per article of the whole enrichment (language, entities, dates, hashes), best
    of a few rounds after a first one that loads what the language needs."""
    raws = [raw_article(a) for a in articles]
    enricher.enrich(raws)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        enricher.enrich(raws)
        best = min(best, (time.perf_counter() - started) / len(raws))
    return best


def print_language(scores: LanguageScores, show_errors: bool) -> None:
    p, r, f1 = scores.entities
    print(f"\n{scores.language}: {scores.articles} articles (language detected right: "
          f"{scores.detected}/{scores.articles})")
    print(f"  entities (name+label)            P {p:.2f}  R {r:.2f}  F1 {f1:.2f}")
    print(f"  places: country right {scores.country_right}/{scores.gold_places} "
          f"({scores.country_share:.2f}), town/region right {scores.region_right}/"
          f"{scores.gold_regions} ({scores.region_share:.2f}) of the gold places")
    print(f"  common words among the entities: {len(scores.common_words)} "
          f"{scores.common_words or ''}")
    print("  dates (text+value)               P {:.2f}  R {:.2f}  F1 {:.2f}".format(*scores.dates))
    if show_errors:
        for error in scores.errors:
            print(f"    {error}")


def evaluate_languages(enricher: Enricher, show_errors: bool) -> None:
    """Ukrainian, Russian and English through the analysers, and the cost per article of
    every language beside French."""
    languages = by_language(read_jsonl(MULTILINGUAL))
    for language, articles in languages.items():
        print_language(score_language(enricher, language, articles), show_errors)
    languages["fr"] = read_jsonl(LABELLED / "articles.jsonl")
    print("\ncost per article (whole enrichment, best of 3)")
    for language, articles in languages.items():
        print(f"  {language}: {cost_per_article(enricher, articles) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["fr_core_news_sm", "fr_core_news_md"])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--errors", action="store_true", help="list each article's misses")
    options = parser.parse_args()
    articles = read_jsonl(LABELLED / "articles.jsonl")
    pairs = read_jsonl(LABELLED / "near_pairs.jsonl")
    print(f"labelled set: {len(articles)} articles, {len(pairs)} near-duplicate pairs")
    for model in options.models:
        print(f"\n{model}")
        extractor = EntityExtractor(model)
        evaluate_entities(extractor, articles, options.errors)
        evaluate_speed(model, extractor, options.repeat)
    evaluate_languages(Enricher(), options.errors)
    print("\nmodel-independent")
    print("                                    P     R     F1")
    evaluate_dates(articles)
    evaluate_near_duplicates(articles, pairs)


if __name__ == "__main__":
    main()
