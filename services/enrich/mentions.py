"""Cleaning of raw NER spans into mentions, keeping ``text[start:end] == mention`` exact.

The French models tag elision fragments ("s’", "L’"), photo credits ("Photo AFP"), role
phrases ("Premier ministre") and sentence-initial common words ("Discussions") as entities,
and glue leading elisions, titles, bylines' roles and calendar words to names ("l’OTAN",
"M. Rutte", "Défense Lloyd Austin", "Reportage Jeanne Martin", "Bleus samedi"). Each span is
trimmed (never extended) and cut at its first line break, bracket or spaced dash ("AFP) -
Deux"), and after a headline's colon ("Orage : la Gironde"), then dropped if what remains is
junk (``junk``: calendar words, demonyms, page chrome; a ministry's portfolio: "ministre des
Finances"). An organisation the model took for a person keeps the label its context gives it
("l'entreprise Naftogaz"); in a credit line ("Par Jeanne Martin, Le Courrier de Toulon", "©
Nice-Matin") the medium is an organisation and no fragment of its name a place. Ordinary
words of the language ("Orage", "Alerte rouge" opening a sentence) are dropped by
``without_common_words``, given the language's lexicon (``lexicon``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from spacy.lang.fr.stop_words import STOP_WORDS

from .aliases import AliasTable, alias_key
from .junk import is_calendar, junk_class

ELISION = re.compile(r"(?:[lLdDjJmMnNsStTcC]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu)['’]")
EDGE_PUNCTUATION = " \t\n\"'«»“”‘’()[]{}–—-,;:!?*•|/"
HONORIFICS = {"m.", "mm.", "mme", "mmes", "mlle", "me", "dr", "dr.", "mgr", "pr", "pr."}
TITLE_WORDS = {
    "president", "presidente", "premier", "premiere", "ministre", "secretaire", "general",
    "generale", "defense", "chancelier", "chanceliere", "gouverneur", "maire", "senateur",
    "depute", "deputee", "roi", "reine", "pape", "prince", "princesse", "colonel",
    "commandant", "capitaine", "lieutenant", "sergent", "porte-parole", "ambassadeur",
    # "présidente du Conseil Giorgia Meloni", "chef de l'État", "maire de la Ville de Bruxelles"
    "conseil", "etat", "ville",
}
WORD = re.compile(r"\S+")
CLAUSE_END = re.compile(r"[\n()]| [-–—] ")
SENTENCE_START = re.compile(r"(?:^|[.!?:…\n])[\s«“\"'-]*$")
ARTICLES = {"le", "la", "les", "un", "une"}
TRAILING_PARTICLES = {"de", "du", "des", "la", "le", "les", "d'", "l'", "à", "et"}
# A byline's role before the name: "Par Jeanne Martin", "Correspondante à Kyiv".
BYLINE_ROLE = re.compile(
    r"(?:par|reportage|texte|propos recueillis par|(?:de notre |de nos )?(?:envoyée?s? spéciale?s?|"
    r"correspondante?s?)(?: permanente?)?(?: (?:à|au|aux|en))?)(?:\s+|$)", re.IGNORECASE)
# "ministre des Finances", "ministère de la Transition écologique": a portfolio, not a name.
PORTFOLIO_BEFORE = re.compile(r"minist(?:re|ère)(?: \w+)? (?:de la |de l'|des |du |de )$", re.IGNORECASE)
# "l'entreprise Naftogaz", "la tempête Éowyn": the word before says what the name is.
LABEL_BEFORE = {
    "ORG": re.compile(
        r"(?:entreprise|groupe|société|opérateur|agence|constructeur|banque|compagnie|firme|"
        r"fabricant|club|parti|syndicat|quotidien|journal|chaîne|géant|distributeur|énergéticien) $",
        re.IGNORECASE),
    "MISC": re.compile(r"(?:tempête|dépression|ouragan|cyclone|typhon|tornade|opération) $",
                       re.IGNORECASE),
}
# A credit line: "Par Jeanne Martin, Ouest-France", "Par Jeanne Martin (Le Courrier de Toulon)",
# "© Nice-Matin", "Source : La Voix du Nord". What follows the author or the sign is the medium.
CREDIT = re.compile(
    r"(?m)^[ \t]*(?:(?i:par|texte|reportage)\s+[A-ZÀ-Ý][\w'-]*(?:\s+[A-ZÀ-Ý][\w'-]*){1,3}"
    r"(?:\s*[,(/–—]|\s+-)\s*|(?:©|(?i:source|crédits?)\s*:)\s*)(?P<medium>[A-ZÀ-Ý0-9][^\n()]*)")


class Span(NamedTuple):
    start: int
    end: int
    label: str
    name: str | None = None  # the name the text inflects, in the nominative ("Києві" → Київ)


def _strip_edges(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in EDGE_PUNCTUATION:
        start += 1
    while end > start and text[end - 1] in EDGE_PUNCTUATION:
        end -= 1
    return start, end


def _strip_elision(text: str, start: int, end: int) -> tuple[int, int]:
    match = ELISION.match(text, start, end)
    return (match.end(), end) if match else (start, end)


def _words(text: str, start: int, end: int) -> list[re.Match]:
    return list(WORD.finditer(text, start, end))


def _strip_titles(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop honorifics always; role words only before a name of at least two words
    ("Conseil Giorgia Meloni", not "Conseil de l'Europe")."""
    words = _words(text, start, end)
    while words and words[0].group().lower() in HONORIFICS:
        words.pop(0)
    skipped = 0
    while skipped < len(words) and alias_key(words[skipped].group()) in TITLE_WORDS:
        skipped += 1
    if len(words) - skipped >= 2 and words[skipped].group()[0].isupper():
        words = words[skipped:]
    return (words[0].start(), words[-1].end()) if words else (end, end)


def _one_clause(text: str, start: int, end: int) -> tuple[int, int]:
    """A name never spans a line break, a bracket or a spaced dash (what comes before it is
    kept: "Reportage Jeanne Martin\n\nLe Premier", "AFP) - Deux", "Marc Olivier - La Voix du
    Nord"), nor a headline's colon (what comes after it is kept: "Orage : la Gironde")."""
    cut = CLAUSE_END.search(text, start, end)
    if cut is not None and cut.start() > start:
        end = cut.start()
    kicker = text.rfind(" : ", start, end)
    return (kicker + 3, end) if kicker >= 0 else (start, end)


def _strip_byline_role(text: str, start: int, end: int) -> tuple[int, int]:
    match = BYLINE_ROLE.match(text, start, end)
    return (match.end(), end) if match else (start, end)


def _strip_calendar_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """"Bleus samedi", "Dimanche Kylian Mbappé" → the name (a span all calendar is junk)."""
    words = _words(text, start, end)
    while len(words) > 1 and is_calendar(words[-1].group()):
        words.pop()
    while len(words) > 1 and is_calendar(words[0].group()):
        words.pop(0)
    return words[0].start(), words[-1].end()


def _strip_lowercase_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """"la France", "barrage de Kakhovka", "la Ville de" → the capitalised core."""
    words = _words(text, start, end)
    capitalised = [i for i, w in enumerate(words) if w.group()[0].isupper()]
    if not capitalised:
        return start, end
    first, last = capitalised[0], len(words) - 1
    while last > first and words[last].group().lower() in TRAILING_PARTICLES:
        last -= 1
    return words[first].start(), words[last].end()


def _strip_known_article(text: str, start: int, end: int,
                         known: AliasTable | None) -> tuple[int, int]:
    """"Le Pentagone" at the start of a sentence → "Pentagone", when that is a known name
    ("Le Pen" alone stays)."""
    words = _words(text, start, end)
    if known is None or len(words) < 2 or words[0].group().lower() not in ARTICLES:
        return start, end
    rest = words[1].start()
    return (rest, end) if text[rest:end] in known else (start, end)


def trim(text: str, span: Span, known: AliasTable | None = None) -> Span:
    """Trimmed span; a known name ("mer Noire", "bande de Gaza") keeps its lower-case words."""
    start, end = _strip_edges(text, span.start, span.end)
    start, end = _one_clause(text, start, end)
    start, end = _strip_elision(text, start, end)
    start, end = _strip_byline_role(text, start, end)
    start, end = _strip_edges(text, start, end)
    if start < end:
        start, end = _strip_calendar_edges(text, start, end)
    if known is not None and text[start:end] in known:
        return Span(start, end, span.label)
    start, end = _strip_lowercase_edges(text, start, end)
    start, end = _strip_known_article(text, start, end, known)
    start, end = _strip_titles(text, start, end)
    return Span(start, end, span.label)


def _is_name_like(surface: str) -> bool:
    """Some word starts with a capital that is not a role word ("Premier ministre" is not)
    nor a function word ("Un incendie" is not)."""
    return any(
        word[0].isupper() and alias_key(word) not in TITLE_WORDS and word.lower() not in STOP_WORDS
        for word in surface.split()
    )


def _common_word(text: str, surface: str) -> bool:
    """One capitalised word also written in lower case in the article: "Discussions"."""
    if " " in surface or surface.isupper():
        return False
    return re.search(rf"(?<!\w){re.escape(surface.lower())}(?!\w)", text) is not None


def _as_credits(kept: list[Span], media: list[tuple[int, int]]) -> list[Span]:
    """In a credit line, the name the medium starts with is an organisation (a newspaper,
    whatever place its name holds: "Le Courrier de Toulon"), and any other span within the
    medium a fragment of its name, dropped ("Toulon")."""
    credited, fragments = [], set()
    for start, end in media:
        inside = [span for span in kept if start <= span.start and span.end <= end]
        credited.extend(inside[:1])
        fragments.update(inside[1:])
    rest = [span for span in kept if span not in fragments and span not in credited]
    return sorted(rest + [span._replace(label="ORG") for span in credited])


def _opens_a_sentence(text: str, span: Span) -> bool:
    return SENTENCE_START.search(text, max(0, span.start - 8), span.start) is not None


def _is_common(text: str, span: Span, surnames: set[str],
               is_common: Callable[[str], bool]) -> bool:
    """One ordinary word of the language ("Orage"), unless it ends a longer name of the text
    (the surname "Borne" of "Élisabeth Borne"); or, opening a sentence, an ordinary word and
    lower-case words only ("Alerte rouge", "Affluence historique"). ``is_common`` says whether
    a surface starts with an ordinary word and is no name the tables know."""
    surface = text[span.start:span.end]
    words = surface.split()
    if len(words) == 1:
        return surface not in surnames and is_common(surface)
    return (all(word[0].islower() for word in words[1:]) and _opens_a_sentence(text, span)
            and is_common(surface))


def without_common_words(text: str, spans: list[Span],
                         is_common: Callable[[str], bool]) -> list[Span]:
    """The spans that are not ordinary words of the language (``_is_common``)."""
    surnames = {words[-1] for span in spans
                if len(words := text[span.start:span.end].split()) > 1}
    return [span for span in spans if not _is_common(text, span, surnames, is_common)]


class MentionFilter:
    """Trims spans and drops junk; known aliases are never junk."""

    def __init__(self, aliases: AliasTable, junk: dict[str, set[str]]):
        self.aliases = aliases
        self.junk = junk

    def is_junk(self, text: str, span: Span) -> bool:
        surface = text[span.start:span.end]
        if sum(char.isalpha() for char in surface) < 2 or "@" in surface or "://" in surface:
            return True
        junk_labels = self.junk.get(alias_key(surface), set())
        if "*" in junk_labels or span.label in junk_labels:
            return True
        if surface in self.aliases:
            return False
        return (
            not _is_name_like(surface)
            or _common_word(text, surface)
            or junk_class(surface) is not None
            or PORTFOLIO_BEFORE.search(text, max(0, span.start - 40), span.start) is not None
        )

    @staticmethod
    def with_context_label(text: str, span: Span) -> Span:
        """The label the word before gives ("l'entreprise", "la tempête"), else the model's."""
        before = text[max(0, span.start - 20):span.start].replace("'", " ")
        for label, pattern in LABEL_BEFORE.items():
            if pattern.search(before):
                return Span(span.start, span.end, label)
        return span

    def clean(self, text: str, spans: list[Span]) -> tuple[list[Span], list[Span]]:
        """The trimmed spans worth keeping, and the junk ones (known names inside junk such
        as "Photo AFP" must not come back through the gazetteer)."""
        kept, junk = [], []
        media = [match.span("medium") for match in CREDIT.finditer(text)]
        for span in spans:
            trimmed = trim(text, span, self.aliases)
            if trimmed.end > trimmed.start and not self.is_junk(text, trimmed):
                kept.append(self.with_context_label(text, trimmed))
            else:
                junk.append(span)
        return _as_credits(kept, media), junk
