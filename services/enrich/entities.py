"""Named entities: spaCy NER for the model's language (French), cleaned, folded to canonical
names; the articles of other languages go to their own analysers (``analysers``).

``EntityExtractor(model, aliases_path).extract_many(texts)`` runs one ``nlp.pipe`` over all
texts with only the components NER needs (tok2vec, ner: the tagger, parser and lemmatizer
are excluded, 9 → 14 articles/s on the seeds with fr_core_news_sm, same entities).

Per text:
- typographic apostrophes become ' before NER, one character for one, so offsets still point
  into the original text (this alone removes most "s’"/"L’" fragments);
- a gazetteer of the alias tables' and the place list's capitalised forms (case-sensitive)
  adds the known names the model missed, and replaces model spans that swallowed them with
  ordinary words ("Soumy le dimanche des Rameaux" → "Soumy");
- spans are trimmed and junk dropped (``mentions``), and so are the ordinary words of the
  model's language that no table knows as a name (``lexicon``: "Danger", "Orage"); a compound
  the model calls a person that is a town's own name is the town ("Pontault-Combault");
- spans are grouped under canonical names with one label each (``canonical``); a location
  takes its place on the map (``places``).

The work is split in two: ``EntityExtractor.find_many`` is what needs the model and the Doc
(spans and gazetteer matches, cheap to ship between processes), ``EntityCleaner`` the rest,
which needs the alias tables and the place index (built once, about 3 s and 100 MB).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

from vigie.shared.messages import Entity, Place
from vigie.shared.text import normalize_apostrophes

from .aliases import AliasTable, load_aliases, load_junk
from .analysers import Analysers, model_language
from .canonical import Point, group_mentions
from .capitals import with_capital
from .lexicon import lexicon_of
from .mentions import MentionFilter, Span, without_common_words
from .places import Gazetteer, named_forms
from .ua_admin import UkraineAdmin

DEFAULT_MODEL = "fr_core_news_sm"
# NER needs only tok2vec and ner; the rest costs a third of the time for nothing here.
NOT_NEEDED = ["morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter", "tagger"]
NAME_PARTICLES = {"de", "du", "des", "la", "le", "d'", "von", "van", "der", "al", "ben", "bin"}
LOWER_WORD = re.compile(r"(?<![\w'])([a-zà-ÿ][\w'-]*)")


def load_pipeline(model: str = DEFAULT_MODEL) -> spacy.language.Language:
    return spacy.load(model, exclude=NOT_NEEDED)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _swallowed_words(text: str, outer: Span, inner: list[Span]) -> bool:
    """Does ``outer`` hold, besides the known names ``inner``, ordinary lower-case words?"""
    rest = text[outer.start:outer.end]
    for span in sorted(inner, reverse=True):
        a, b = span.start - outer.start, span.end - outer.start
        rest = rest[:a] + " " + rest[b:]
    return any(w not in NAME_PARTICLES for w in LOWER_WORD.findall(rest))


def merge_gazetteer(text: str, model_spans: list[Span], known: list[Span]) -> list[Span]:
    """Model spans plus the known names they missed or swallowed; a known name the model
    found as it is, or cut short, keeps the gazetteer's label and bounds ("Kryvyï Rih" is a
    place, whatever the model says)."""
    merged: list[Span] = []
    used: set[Span] = set()
    by_bounds = {(k.start, k.end): k for k in known}
    for span in model_spans:
        if (span.start, span.end) in by_bounds:
            merged.append(by_bounds[span.start, span.end])
            used.add(merged[-1])
            continue
        wider = [k for k in known if k.start <= span.start and span.end <= k.end]
        if wider:  # the model cut a known name short: "La France" of "La France insoumise"
            continue
        inside = [k for k in known if span.start <= k.start and k.end <= span.end]
        if inside and len(inside) == len([k for k in known if _overlaps(k, span)]) and (
            _swallowed_words(text, span, inside)
        ):
            merged.extend(inside)
            used.update(inside)
        else:
            merged.append(span)
            used.update(k for k in known if _overlaps(k, span))
    merged.extend(k for k in known if k not in used)
    return sorted(merged)


def with_place_names(aliases: AliasTable) -> AliasTable:
    """The alias table plus the place names worth looking for (``named_forms``): known names
    keep their lower-case words when trimmed ("mer Noire") and are never junk."""
    table = AliasTable(dict(aliases.entries), set(aliases.forms))
    for form in named_forms():
        if form not in table:
            table.add(form, "LOC", [])
    return table


class Found(NamedTuple):
    """What the model process finds in one text: the model's spans and the known names, and
    the text's language (None: the model's)."""

    model: list[Span]
    known: list[Span]
    language: str | None = None


class EntityCleaner:
    """From what was found to canonical entities: trimming, junk, gazetteer merge, grouping.

    Needs no model, so the worker runs it while its NER process tags the next batch.
    """

    def __init__(self, aliases_path: str | Path | None = None,
                 places: Gazetteer | None = None, model: str = DEFAULT_MODEL):
        self.aliases: AliasTable = load_aliases(aliases_path)
        self.filter = MentionFilter(with_place_names(self.aliases), load_junk())
        self.places = places or Gazetteer()
        self.model_language = model_language(model)
        self.ukraine = UkraineAdmin(self.places)
        self.analysers = Analysers(self.aliases, self.places, self.ukraine)
        self.lexicon = lexicon_of(model)

    def _model_spans(self, text: str, found: Found) -> list[Span]:
        spans, junk = self.filter.clean(text, found.model)
        known = [k for k in found.known if not any(_overlaps(k, j) for j in junk)]
        spans = without_common_words(text, merge_gazetteer(text, spans, known),
                                     self.is_common_word)
        return [self._town_not_person(text, span) for span in spans]

    def _town_not_person(self, text: str, span: Span) -> Span:
        """A compound the model calls a person that is a town's own name and no known person's
        ("Pontault-Combault", "Villeneuve-d'Ascq") is the town: people's compound names are first
        names, followed by a surname."""
        surface = text[span.start:span.end]
        if span.label != "PER" or " " in surface or "-" not in surface or surface in self.aliases:
            return span
        towns = [c for c in self.places.candidates(surface) if c.primary and c.place.kind == "city"]
        return span._replace(label="LOC") if towns else span

    def is_common_word(self, surface: str) -> bool:
        """Does the surface start with an ordinary word of the model's language, and no table
        know it as a name ("Orage" is common; "Tours", "Paris" and "Kremlin" are names)?"""
        return surface.split()[0] in self.lexicon and self.analysers.known.known(
            surface, single=" " not in surface) is None

    def resolve_place(self, name: str, named: frozenset[str],
                      near: tuple[Point, ...] = ()) -> Place | None:
        """Ukraine's oblasts, raions and hromadas by their Ukrainian names, else the
        gazetteer's places."""
        return self.ukraine.resolve(name, named) or self.places.resolve(name, named, near)

    def entities(self, text: str, found: Found) -> list[Entity]:
        """The model's findings cleaned, for a text of its language; for another, what the
        analyser of that language finds (``analysers``)."""
        if found.language in (None, self.model_language):
            spans = self._model_spans(text, found)
        else:
            spans = self.analysers(found.language).spans(text)
        entities = group_mentions(text, spans, self.aliases, self.resolve_place)
        return with_capital(text, entities, self.places.capitals)


class EntityExtractor:
    """Loads the model once; ``extract_many`` is safe to call for every batch of articles."""

    def __init__(self, model: str = DEFAULT_MODEL, aliases_path: str | Path | None = None):
        self.model = model
        self.aliases_path = aliases_path
        self.nlp = load_pipeline(model)
        self.aliases = load_aliases(aliases_path)
        self.gazetteer = self._build_gazetteer()

    @cached_property
    def cleaner(self) -> EntityCleaner:
        """Built on first use: the model process only finds spans and never needs it."""
        return EntityCleaner(self.aliases_path, model=self.model)

    def _build_gazetteer(self) -> PhraseMatcher:
        matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        # Lower-case single words only where an organisation is so written ("dpa"): others
        # would match common words.
        forms = [f for f in self.aliases.forms
                 if f[0].isupper() or " " in f or self.aliases.lookup(f).label == "ORG"]
        forms += [f for f in named_forms() if f[0].isupper() or " " in f]
        patterns = [self.nlp.make_doc(normalize_apostrophes(f)) for f in forms]
        matcher.add("KNOWN", patterns)
        return matcher

    def _known_spans(self, doc: Doc) -> list[Span]:
        found = filter_spans([doc[a:b] for _, a, b in self.gazetteer(doc)])
        spans = []
        for found_span in found:
            entry = self.aliases.lookup(found_span.text)
            label = (entry.label or "MISC") if entry else "LOC"  # not an alias: a place name
            spans.append(Span(found_span.start_char, found_span.end_char, label))
        return spans

    def raw_spans(self, doc: Doc) -> list[Span]:
        """What the model tagged, untouched (for evaluation of the raw model)."""
        return [Span(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def found(self, doc: Doc) -> Found:
        return Found(self.raw_spans(doc), self._known_spans(doc))

    def entities_of(self, text: str, doc: Doc) -> list[Entity]:
        return self.cleaner.entities(text, self.found(doc))

    def docs(self, texts: list[str], batch_size: int = 16):
        """``nlp.pipe`` over the texts with apostrophes normalised (offsets unchanged)."""
        return self.nlp.pipe((normalize_apostrophes(t) for t in texts), batch_size=batch_size)

    def find_many(self, texts: list[str], batch_size: int = 16) -> list[Found]:
        """The model's part only (what needs the Doc), for each text in order."""
        return [self.found(doc) for doc in self.docs(texts, batch_size)]

    def extract_many(self, texts: list[str], batch_size: int = 16) -> list[list[Entity]]:
        """Canonical entities of each text, in order; one ``nlp.pipe`` pass over all of them."""
        return [self.cleaner.entities(text, found)
                for text, found in zip(texts, self.find_many(texts, batch_size), strict=True)]

    def extract(self, text: str) -> list[Entity]:
        return self.extract_many([text])[0]
