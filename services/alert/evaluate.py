"""Turn an enriched article into alerts: one per matching rule, with a deterministic id.

``Evaluator(rulebook).evaluate(article)`` runs every rule over the article in one pass
(``vigie.alert.matcher``), keeps the rules whose entity conditions the article meets, and
returns ``(alert, topic)`` pairs: the alert for ``news.alerts`` and the rule's extra topic or
None. It has no state besides the compiled rules, so any worker gives the same answer.

Alert ids
---------
``story_id`` is the first article of the duplicate group:
``article.duplicate_of or article.near_duplicate_of or article.id``.

The id is ``alert_id(rule.id, story)`` where ``story`` is the story id plus the sorted set of
the rule's phrases the article matched (phrase *keys*: "alerte aérienne" and "Alertes
aériennes" are one phrase; how often and where they occur does not count). Hence:

- a redelivered article and an exact duplicate match the same phrases: same id, so a
  subscriber (or a compacted topic keyed by id) sees the alert once;
- a near duplicate or the same story from another feed shares the story id and, in the
  usual case of the same wording, the same phrases: same id;
- an article updated under the same id alerts again only if the rule now matches a
  different set of phrases (new information, e.g. "missiles balistiques" added to an
  air-raid story); an edit elsewhere in the text, or more occurrences of phrases already
  reported, keeps the id and alerts no one twice.

The cost of staying stateless: a near duplicate that matches a different set of phrases
counts as new information and alerts again. Remembering "what the first alert said" would
need shared state between workers that at-least-once redelivery could not keep consistent.

One place or several: a channel post naming several places reports each (``incidents.identity``)
and raises one alert per place, so that each alert's ``incident_id`` names its own incident;
their ids add the place to the story (``alert_id(rule, story + phrases + place)``). An article
naming one place keeps the id above.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from vigie.shared.ids import alert_id
from vigie.shared.messages import (
    Alert,
    ArticleRef,
    EnrichedArticle,
    Match,
    Place,
    RuleRef,
)
from vigie.shared.text import web_link
from vigie.shared.timestamps import format_time, parse_time

from .drills import Veto
from .incidents.identity import continuing_places, event_time, is_exact, place_key, said_places
from .matcher import Matcher, RuleMatches
from .rules import Rule, RuleBook
from .snippet import snippet
from .tokens import phrase_key


class Raised(NamedTuple):
    """An alert (its incident is decided by its track), the rule's extra topic (or None), the
    place and event time it reports, whether it comes from a channel post (``exact``) and
    whether it names a place still under alert (``continues``)."""

    alert: Alert
    topic: str | None
    place: Place | None
    when: str
    exact: bool = False
    continues: bool = False


class Ended(NamedTuple):
    """An end phrase of a rule at a place, and the event time it gives."""

    rule: RuleRef
    place: Place | None
    when: str


def story_id(article: EnrichedArticle) -> str:
    """The first article of the duplicate group this article belongs to."""
    return article.duplicate_of or article.near_duplicate_of or article.id


def story_alert_id(rule_id: str, story: str, matches: list[Match],
                   place: str | None = None) -> str:
    """Same rule, same story, same set of matched phrases (and place, when the article names
    several) → same id (see module notes)."""
    phrases = sorted({phrase_key(match.phrase)[0].strip() for match in matches})
    return alert_id(rule_id, "\x1e".join([story, *phrases, *([place] if place else [])]))


def rule_ref(rule: Rule) -> RuleRef:
    return RuleRef(id=rule.id, severity=rule.severity, description=rule.description)


def latency_ms(ingested_at: str, detected: dt.datetime) -> float:
    try:
        return round((detected - parse_time(ingested_at)).total_seconds() * 1000, 3)
    except ValueError:
        return 0.0  # a malformed timestamp must not stop the alert


class Evaluator:
    """Evaluates articles against a ``RuleBook`` (its current rules at each call)."""

    def __init__(self, rulebook: RuleBook):
        self.rulebook = rulebook
        self._compiled: tuple[tuple[Rule, ...], Matcher] | None = None

    @property
    def matcher(self) -> Matcher:
        """The matcher of the rulebook's current rules, compiled again after a reload."""
        rules = self.rulebook.rules
        if self._compiled is None or self._compiled[0] is not rules:
            self._compiled = (rules, Matcher(rules))
        return self._compiled[1]

    def evaluate(self, article: EnrichedArticle, now: dt.datetime | None = None
                 ) -> list[tuple[Alert, str | None]]:
        """Alerts for this article and, for each, the rule's extra topic (or None)."""
        return [(raised.alert, raised.topic) for raised in self.assess(article, now)[0]]

    def assess(self, article: EnrichedArticle, now: dt.datetime | None = None
               ) -> tuple[list[Raised], list[Ended]]:
        """The alerts (with what their track needs), and the ends the article reports ("fin
        de l'alerte" in Kyiv), one per place. One scan of the text for both."""
        detected = now or dt.datetime.now(dt.timezone.utc)
        if detected.tzinfo is None:
            detected = detected.replace(tzinfo=dt.timezone.utc)  # naive means UTC here
        raised, ended = [], []
        for found in self.matcher.find(article.text, article.language, article.title):
            if found.rule.wants_entities(article.entities):
                raised += self._raised(article, found, detected)
                ended += self._ended(article, found)
        return raised, ended

    def vetoes(self, article: EnrichedArticle) -> list[tuple[Rule, Veto]]:
        """The matches vetoed as drills, by rule (of the rules the article's entities meet):
        what ``vigie alert replay --vetoed`` lists."""
        return [(found.rule, veto)
                for found in self.matcher.examine(article.text, article.language, article.title)
                if found.rule.wants_entities(article.entities) for veto in found.vetoed]

    def _raised(self, article: EnrichedArticle, found: RuleMatches,
                detected: dt.datetime) -> list[Raised]:
        exact = is_exact(article)
        cut = found.continues[0].start if found.continues else len(article.text)
        groups = [(found.matches, said_places(article, found.matches, exact, cut), False),
                  (found.continues, continuing_places(article, found.continues, exact), True)]
        raised = []
        for matches, places, continues in groups:
            if not matches or not places:
                continue
            when = event_time(article, matches, exact)
            for place in places:
                alert = self._alert(article, found.rule, matches, detected,
                                    place_key(place) if len(places) > 1 else None)
                raised.append(Raised(alert, found.rule.topic, place, when, exact, continues))
        return raised

    @staticmethod
    def _ended(article: EnrichedArticle, found: RuleMatches) -> list[Ended]:
        if not found.ends:
            return []
        exact = is_exact(article)
        cut = found.continues[0].start if found.continues else len(article.text)
        when = event_time(article, found.ends, exact)
        return [Ended(rule_ref(found.rule), place, when)
                for place in said_places(article, found.ends, exact, cut)]

    @staticmethod
    def _alert(article: EnrichedArticle, rule: Rule, matches: list[Match],
               detected: dt.datetime, place: str | None) -> Alert:
        story = story_id(article)
        return Alert(
            id=story_alert_id(rule.id, story, matches, place),
            rule=rule_ref(rule),
            article=ArticleRef(id=article.id, title=article.title, url=web_link(article.url),
                               published=article.published, source=article.source,
                               fetched_at=article.fetched_at),
            story_id=story,
            matches=matches,
            snippet=snippet(article.text, matches),
            entities=article.entities,
            dates=article.dates,
            detected_at=format_time(detected),
            latency_ms=latency_ms(article.ingested_at, detected),
        )
