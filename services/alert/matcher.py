"""One pass over an article's text finds every phrase of every rule.

Every phrase, exclusion and proximity term of every rule is reduced to its token key
(``vigie.alert.tokens``; a Cyrillic phrase may have two, as Ukrainian and as Russian would
read its words) and added to a single Aho-Corasick automaton (pyahocorasick). An
article is tokenised once, the automaton runs once over its token stream, and each hit is
routed to the rules that own that key. The cost per article is one scan of its text plus the
work on actual hits, whatever the number of rules.

Per rule, a phrase hit then
- is dropped if one of the rule's ``exclude``, ``ends`` or ``continues`` hits overlaps it
  (shares a word: "fin de l'alerte aérienne" is no air-raid alert);
- needs, when the rule has ``near`` terms, one of them at most ``within`` words away
  (words strictly between the two; overlapping counts as 0);
- is dropped if another hit of the same rule covers it ("sirènes des raids aériens" keeps
  the long match, not also "raid aérien" inside it).

A phrase, end or continue hit that would count is then *vetoed* (kept aside with the reason,
``Veto``) when it is told as a drill (``drills``, below): a drill is not an alert, nor is its
end, nor a test post's "Тестовий Регіон".

Offsets map back to the original text: ``text[match.start:match.end] == match.text``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from vigie.shared.messages import Match

from .drills import Drills, Veto
from .rules import Rule
from .tokens import CYRILLIC_LANGUAGES, TokenStream, phrase_keys, tokenize

Role = Literal["phrase", "exclude", "unless", "drill", "live", "not_drill", "end", "continue",
               "near"]
SAYS = ("phrase", "end", "continue")  # the roles that make a rule report something


@dataclass(frozen=True)
class Hit:
    """A key found in the text: token range [first, last] and the owner's phrase."""

    rule: int
    role: Role
    phrase: str
    first: int
    last: int

    def overlaps(self, other: Hit) -> bool:
        return self.first <= other.last and other.first <= self.last

    def covers(self, other: Hit) -> bool:
        return self.first <= other.first and other.last <= self.last and self != other

    def gap(self, other: Hit) -> int:
        """Words strictly between two hits (0 when they touch or overlap)."""
        return max(0, other.first - self.last - 1, self.first - other.last - 1)


@dataclass(frozen=True)
class RuleMatches:
    rule: Rule
    matches: list[Match]
    ends: list[Match] = ()  # the rule's end phrases found ("fin de l'alerte")
    continues: list[Match] = ()  # its "still under alert" phrases ("тривога ще триває у:")
    vetoed: list[Veto] = ()  # the hits that would have counted but for a drill, and why

    @property
    def says(self) -> bool:
        return bool(self.matches or self.ends or self.continues)


class Matcher:
    """Compiled rules; ``find(text)`` gives the rules that match and their matches."""

    def __init__(self, rules: tuple[Rule, ...] | list[Rule]):
        self.rules = tuple(rules)
        # key → (number of words, owners); an owner is (rule index, role, phrase as written).
        self._owners: dict[str, list[tuple[int, Role, str]]] = defaultdict(list)
        self._words: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            for role, phrases in (("phrase", rule.phrases), ("exclude", rule.exclude),
                                  ("unless", rule.unless), ("drill", rule.drill),
                                  ("live", rule.live), ("not_drill", rule.not_drill),
                                  ("end", rule.ends),
                                  ("continue", rule.continues), ("near", rule.near)):
                for phrase in phrases:
                    self._own(phrase, index, role)
        self._automaton = ahocorasick.Automaton()
        for key in self._owners:
            self._automaton.add_word(key, key)
        if self._owners:
            self._automaton.make_automaton()

    def _own(self, phrase: str, rule: int, role: Role) -> None:
        for key, words in phrase_keys(phrase):
            owners = self._owners[key]
            # Singular and plural spellings of one phrase share a key: keep the first.
            if not any(o[0] == rule and o[1] == role for o in owners):
                owners.append((rule, role, phrase))
            self._words[key] = words

    def _hits(self, tokens: TokenStream, rules: set[int] | None = None
              ) -> dict[int, list[Hit]]:
        """Hits per rule, for ``rules`` or else the rules with at least one phrase hit (the
        only ones that can match: common near or exclude words alone cost no more than the
        scan)."""
        if not self._owners:
            return {}
        found = list(self._automaton.iter(tokens.stream))
        candidates = rules if rules is not None else {
            rule for _, key in found for rule, role, _ in self._owners[key]
            if role in SAYS
        }
        by_rule: dict[int, list[Hit]] = defaultdict(list)
        for end, key in found:
            owners = [owner for owner in self._owners[key] if owner[0] in candidates]
            if owners:
                first = tokens.token_at(end - len(key) + 2)  # skip the key's leading space
                last = first + self._words[key] - 1
                for rule, role, phrase in owners:
                    by_rule[rule].append(Hit(rule, role, phrase, first, last))
        return by_rule

    def find(self, text: str, language: str | None = None, headline: str = ""
             ) -> list[RuleMatches]:
        """Rules whose phrases occur in ``text`` and count (in rule-file order), with their
        matches; ``language``, the article's, decides a Cyrillic word both dictionaries know;
        a drill named in the ``headline`` vetoes the whole text."""
        return [found for found in self.examine(text, language, headline) if found.says]

    def examine(self, text: str, language: str | None = None, headline: str = ""
                ) -> list[RuleMatches]:
        """As ``find``, with the rules whose every hit was vetoed as a drill too."""
        cyrillic = language if language in CYRILLIC_LANGUAGES else "uk"
        tokens = tokenize(text, cyrillic)
        by_rule = self._hits(tokens)
        titled = [index for index in by_rule if self.rules[index].drill]
        headline_tokens = tokenize(headline, cyrillic) if headline and titled else None
        in_headline = self._hits(headline_tokens, set(titled)) if headline_tokens else {}
        found = []
        for index, hits in sorted(by_rule.items()):
            drills = Drills(text, tokens, hits, headline_tokens, in_headline.get(index, []))
            kept = _kept(self.rules[index], hits)
            vetoes = {role: [(hit, drills.veto(hit)) for hit in role_hits]
                      for role, role_hits in kept.items()}
            said = {role: [_to_match(text, tokens, hit) for hit, veto in pairs if veto is None]
                    for role, pairs in vetoes.items()}
            vetoed = [Veto(_to_match(text, tokens, hit), role, *veto)
                      for role, pairs in vetoes.items() for hit, veto in pairs if veto]
            if any(said.values()) or vetoed:
                found.append(RuleMatches(self.rules[index], said["phrase"], said["end"],
                                         said["continue"], vetoed))
        return found


def _kept(rule: Rule, hits: list[Hit]) -> dict[str, list[Hit]]:
    """The phrase, end and continue hits that count, by role, before drills are looked at."""
    kept = {role: [hit for hit in hits if hit.role == role] for role in ("end", "continue")}
    kept["phrase"] = _kept_phrases(rule, hits)
    return kept


def _kept_phrases(rule: Rule, hits: list[Hit]) -> list[Hit]:
    phrases = [h for h in hits if h.role == "phrase"]
    # an end or a continue is no alert by itself
    excludes = [h for h in hits if h.role in ("exclude", "end", "continue")]
    nears = [h for h in hits if h.role == "near"]
    kept = [
        hit for hit in phrases
        if not any(hit.overlaps(veto) for veto in excludes)
        and (not rule.near or any(hit.gap(term) <= rule.within for term in nears))
    ]
    unique = {(hit.first, hit.last): hit for hit in reversed(kept)}.values()
    return sorted(
        (hit for hit in unique if not any(other.covers(hit) for other in unique)),
        key=lambda hit: hit.first,
    )


def _to_match(text: str, tokens: TokenStream, hit: Hit) -> Match:
    start, end = tokens.span(hit.first)[0], tokens.span(hit.last)[1]
    return Match(phrase=hit.phrase, text=text[start:end], start=start, end=end)
