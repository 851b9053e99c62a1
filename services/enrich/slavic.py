"""Names in Ukrainian and Russian text: pymorphy3's parses, chosen by the tables.

``SlavicAnalyser(language, known).spans(text)``:

- places and known names: each capitalised word stands for every nominative its parses give
  (``morphology``), and the stretch whose nominative the alias table or the gazetteer knows is
  the name: "в Києві" → Київ (the dictionary's first parse is кий, a first name: the
  gazetteer decides), "по Сумам" → Суми, "в Харьковской области" → Харьковская область, "на
  Сумщині" → Сумщина, "Зеленському" → Зеленський (the alias table: Volodymyr Zelensky);
- people the tables do not know: a first name (the dictionary's ``Name``) and the capitalised
  words after it, put in the nominative by the first name's case ("Олега Синєгубова" → Олег
  Синєгубов); a lone surname (``Surn``) inside a sentence; a surname opening a sentence only
  where the article gives that person's full name elsewhere; a person the alias table does not
  know is written in Latin letters (Ukrainian names by Ukraine's official romanisation);
- Russian places and organisations the dictionary tags (``Geox``, ``Orgn``) inside a sentence;
- a capitalised word in quotes (« », " ") is an organisation: «Нафтогаз», "Шахтар".

Nothing else: a capitalised word opening a sentence ("Повітряна тривога", "Сирени") or an
unknown one is never a name. A known name opening a sentence is kept unless the dictionary
knows the word as an ordinary one ("Суми" is also "sums").
"""

from __future__ import annotations

import re

from .mentions import Span
from .morphology import Form, Morphology, capitalised_like
from .names import Known, KnownNames, Word, joined, words
from .translit import to_latin

# What may follow an oblast's adjective in a list until the shared noun.
REGION_LIST = re.compile(r"(?:\s*,\s*|\s+(?:та|і|й|и)\s+)(?:[А-ЯІЇЄҐ][\w'’-]*(?:\s*,\s*|\s+(?:та|і|й|и)\s+))*"
                         r"[А-ЯІЇЄҐ][\w'’-]*\s+област")
PERSON = frozenset({"Name", "Surn", "Patr"})
QUOTES_BEFORE = ("«", '"', "“", "„")
QUOTES_AFTER = ("»", '"', "”", "“")


class SlavicAnalyser:
    def __init__(self, language: str, known: KnownNames):
        self.language = language
        self.morphology = Morphology(language)
        self.known = known

    def forms_of(self, word: Word) -> list[str]:
        return [form.text for form in self.morphology.forms(word.text)]

    def _accept(self, first: Word, found: Known) -> bool:
        """A place opening a sentence, unless also an ordinary word there ("Суми")."""
        return (found.label != "LOC" or not first.initial or " " in found.name
                or not self.morphology.is_common(first.text))

    def spans(self, text: str) -> list[Span]:
        all_words = words(text)
        spans, unknown = self.known.scan(text, all_words, self.forms_of, self._accept)
        spans, unknown = self._surnames_not_towns(text, all_words, spans, unknown)
        people = [self._person(run) for run in unknown]
        surnames = {name.split()[-1].lower() for name in
                    [n for _, n in filter(None, people)] + [s.name or "" for s in spans
                                                            if s.label == "PER"]
                    if " " in name}
        for run, person in zip(unknown, people, strict=True):
            if person is not None:
                run_words, name = person
                if " " in name or not run_words[0].initial or name.lower() in surnames:
                    spans.append(_span(run_words, "PER", to_latin(name, self.language)))
            else:
                spans.extend(self._other(text, run))
        return sorted(spans)

    def _surnames_not_towns(self, text: str, all_words: list[Word], spans: list[Span],
                            unknown: list[list[Word]]):
        """A first name followed by a word the gazetteer knows is a person: "Александр
        Гусев" (Gusev is also a town)."""
        towns = {s.start: s for s in spans if s.label == "LOC" and " " not in (s.name or " ")}
        following = {w.start: w for w in all_words}
        for run in unknown:
            first = self.morphology.first_name(run[-1].text)
            word = next((w for w in all_words if w.start > run[-1].start), None)
            if first is not None and word is not None and word.start in towns and joined(
                    text, run[-1], word):
                spans.remove(towns.pop(word.start))
                run.append(following[word.start])
        return spans, unknown

    def _person(self, run: list[Word]) -> tuple[list[Word], str] | None:
        """(words, nominative name) of a person the run names: from its first name on, or a
        lone surname."""
        for index, word in enumerate(run[:-1]):
            first = self.morphology.first_name(word.text) or self._surname_pair(run[index:])
            if first is not None:
                person = run[index:index + 3]
                rest = [self.morphology.surname(w.text, first.case, first.gender)
                        for w in person[1:]]
                name = " ".join([first.text, *rest])
                return person, capitalised_like(name, " ".join(w.text for w in person))
        if len(run) == 1 and self.morphology.is_proper(run[0].text, frozenset({"Surn"})):
            surname = next(f.text for f in self.morphology.forms(run[0].text) if "Surn" in f.proper)
            return run, capitalised_like(surname, run[0].text)
        return None

    def _surname_pair(self, run: list[Word]) -> Form | None:
        """Two proper names the dictionary tags as surnames or first names ("Герман
        Галущенко": its Герман is a surname): a person in the first word's case."""
        first = next((f for f in self.morphology.forms(run[0].text) if f.proper & PERSON), None)
        if first is not None and self.morphology.is_proper(run[1].text, PERSON):
            return first
        return None

    def _other(self, text: str, run: list[Word]):
        """Oblasts listed before their shared noun ("у Львівській, Волинській та Рівненській
        областях"), quoted names (organisations), and the places and organisations the
        dictionary tags, inside a sentence."""
        word = run[0]
        if len(run) == 1 and REGION_LIST.match(text, word.end):
            for form in self.forms_of(word):
                known = self.known.known(f"{form} область", single=False)
                if known is not None:
                    yield _span(run, "LOC", capitalised_like(known.name, f"{word.text} область"))
                    return
        if len(run) == 1 and text[word.start - 1:word.start] in QUOTES_BEFORE and (
                text[word.end:word.end + 1] in QUOTES_AFTER):
            yield _span(run, "ORG", capitalised_like(self.forms_of(word)[0], word.text))
            return
        if word.initial or len(run) > 1:
            return
        for form in self.morphology.forms(word.text):
            for grammeme, label in (("Geox", "LOC"), ("Orgn", "ORG")):
                if grammeme in form.proper:
                    yield _span(run, label, capitalised_like(form.text, word.text))
                    return


def _span(run: list[Word], label: str, name: str) -> Span:
    return Span(run[0].start, run[-1].end, label, name)
