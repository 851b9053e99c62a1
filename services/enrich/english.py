"""Names in English text without a model: the tables, then the cues English news gives.

spaCy's English pipelines are not published on PyPI by their authors (the ``en-core-web-sm-*``
packages there are re-uploads by third parties), so English is read by rule:

- places and known names: the longest stretch of capitalised words the alias table or the
  gazetteer knows ("Kharkiv", "Kharkiv Oblast", "the Kharkiv region", "Volodymyr Zelensky");
- organisations: a run of capitalised words with an institution's word in it ("State
  Emergency Service", "Ministry of Defence", "Naftogaz Group"), "of" joining its parts;
- people: two or three capitalised words that English marks as a person: a title before them
  ("Governor Oleh Syniehubov", "Defence Minister Rustem Umerov"), a verb of saying after them
  ("Ihor Terekhov said"), an apposition (", the mayor"), or their last word alone elsewhere in
  the article ("Terekhov"); a lone surname after a title or of a person named in full.

Nothing else: a capitalised word opening a sentence, a weekday, a demonym ("Russian") or a
thing ("Shahed", "Patriot") is never a name.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from .aliases import alias_key
from .junk import junk_class
from .mentions import Span
from .names import KnownNames, Word, words

TITLES = frozenset("""
president prime minister governor mayor general chancellor secretary foreign defence defense
head chief commander spokesman spokeswoman spokesperson mr mrs ms dr sir king queen pope coach
captain senator lt gen col colonel ambassador envoy deputy interior finance premier vice
manager striker midfielder forward defender goalkeeper champion speaker chairman chairwoman
commissioner marshal admiral lieutenant major sergeant judge prosecutor ombudsman director
officer adviser advisor aide analyst professor economist leader minister's governor's mayor's
""".split())
ORG_WORDS = frozenset("""
ministry service agency council bank company group party committee court office administration
forces force command commission union federation association institute university club fc
corporation authority parliament police guard army navy department fund organisation headquarters
organization league airlines railways railway energy holding bureau cabinet assembly senate
congress government inc ltd plc
""".split())
SAYING = re.compile(r"\s*(?:,\s*(?:the|a|an|who)\b|\s(?:said|says|told|wrote|added|announced|"
                    r"warned|confirmed|reported|stated|urged|called)\b)")
APPOSITION = re.compile(r",\s*(?P<title>[a-z]+)\b")  # "Tymur Tkachenko, head of the ..."
REGION_LIST = re.compile(r"(?:(?:\s*,\s*|\s+and\s+)[A-Z][\w'-]*)*\s+(?:regions|oblasts)\b")
POSSESSIVE = ("'s", "’s")
CONNECTORS = ("of", "of the", "for")


class EnglishAnalyser:
    def __init__(self, known: KnownNames):
        self.known = known

    def spans(self, text: str) -> list[Span]:
        all_words = [_without_possessive(w) for w in words(text)]
        spans, unknown = self.known.scan(text, all_words, accept=self._not_a_common_word)
        spans = [self._listed_region(text, span) for span in spans]
        unknown = _join_connectors(text, unknown)
        people = {id(run): self._person(text, run) for run in unknown}
        surnames = {name[-1].text for name in people.values() if name and len(name) > 1}
        surnames |= {text[s.start:s.end].split()[-1] for s in spans if s.label == "PER"}
        for run in unknown:
            span = self._organisation(run)
            name = people[id(run)]
            if span is None and name is not None and (
                    len(name) > 1 or name[0].text in surnames
                    or (not name[0].initial and _titled(text, name[0]))):
                span = Span(name[0].start, name[-1].end, "PER")
            if span is not None:
                spans.append(span)
        return sorted(spans)

    @staticmethod
    def _not_a_common_word(first: Word, found) -> bool:
        """A name opening a sentence, unless an ordinary English word ("Most were aimed")."""
        return not first.initial or " " in found.name or found.name.lower() not in STOP_WORDS

    def _listed_region(self, text: str, span: Span) -> Span:
        """"the Murmansk and Irkutsk regions": each is a region, not its town."""
        if span.label == "LOC" and REGION_LIST.match(text, span.end):
            region = self.known.known(f"{text[span.start:span.end]} region", single=False)
            if region is not None:
                return span._replace(name=region.name)
        return span

    @staticmethod
    def _organisation(run: list[Word]) -> Span | None:
        core = _without_leading(run, lambda w: alias_key(w.text) == "the")
        if core and any(alias_key(w.text) in ORG_WORDS for w in core) and (
                len(core) > 1 or not core[0].initial):
            return Span(core[0].start, core[-1].end, "ORG")
        return None

    def _person(self, text: str, run: list[Word]) -> list[Word] | None:
        """The words of a person the run names, its titles left out."""
        titled = _without_leading(run, lambda w: alias_key(w.text) in TITLES or junk_class(w.text))
        name = [w for w in titled if "-" not in w.text or w.text[0].isupper()]
        if not name or len(name) > 3 or any(junk_class(w.text) for w in name):
            return None
        if len(name) == 1:
            return name
        apposition = APPOSITION.match(text, name[-1].end)
        cued = (titled is not run or _titled(text, name[0])
                or SAYING.match(text, name[-1].end) is not None
                or (apposition is not None and apposition.group("title") in TITLES))
        repeated = re.search(rf"(?<![\w-]){re.escape(name[-1].text)}(?![\w-])",
                             text[:name[0].start] + " " + text[name[-1].end:]) is not None
        return name if cued or repeated else None


def _without_possessive(word: Word) -> Word:
    if word.text.endswith(POSSESSIVE):
        return Word(word.start, word.end - 2, word.text[:-2], word.initial)
    return word


def _without_leading(run: list[Word], drop) -> list[Word]:
    index = 0
    while index < len(run) and drop(run[index]):
        index += 1
    return run if index == 0 else run[index:]


def _titled(text: str, word: Word) -> bool:
    before = text[max(0, word.start - 30):word.start].split()
    return bool(before) and alias_key(before[-1]) in TITLES


def _join_connectors(text: str, runs: list[list[Word]]) -> list[list[Word]]:
    """"Ministry" "Defence" → "Ministry of Defence" where "of" is all that parts them."""
    joined_runs: list[list[Word]] = []
    for run in runs:
        if joined_runs and any(alias_key(w.text) in ORG_WORDS for w in joined_runs[-1]):
            gap = " ".join(text[joined_runs[-1][-1].end:run[0].start].split())
            if gap in CONNECTORS and "\n" not in text[joined_runs[-1][-1].end:run[0].start]:
                joined_runs[-1] = joined_runs[-1] + run
                continue
        joined_runs.append(run)
    return joined_runs

