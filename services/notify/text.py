"""The text of a message, in the subscription's language (fr, en, uk) and time zone.

Every message says what (the rule, the headline), where (the place, with its region), when
(the start, and the end of a closed incident), how many reports and sources, and links the
first report and the CAP document. ``title`` and ``short`` fit a push notification; ``full``
is for email and webhooks. Region and country names come localised from pycountry's ISO 3166
translations; dates from CLDR (Babel).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from dataclasses import dataclass

import pycountry
from babel import Locale
from babel.dates import format_datetime

from vigie.shared.messages import Incident, Place
from vigie.shared.timestamps import parse_time

from .subscriptions import Subscription

HEADLINE_SHORT = 160
ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵", "closed": "🟢"}
# Apprise's notification types: the colour and icon a service shows.
TYPES = {"critical": "failure", "warning": "warning", "info": "info", "closed": "success"}
WORDS = {
    "en": {"update": "update", "ended": "Ended", "what": "What", "where": "Where",
           "started": "Started", "nowhere": "no place named", "report": "an end report",
           "quiet": "no new report for a while", "first": "First report",
           "cap": "CAP document", "ref": "Reference",
           "reports": {"one": "{n} report", "other": "{n} reports"},
           "sources": {"one": "{n} source", "other": "{n} sources"}},
    "fr": {"update": "mise à jour", "ended": "Fin", "what": "Quoi", "where": "Où",
           "started": "Début", "nowhere": "aucun lieu nommé", "report": "un avis de fin",
           "quiet": "plus de signalement depuis un moment", "first": "Premier signalement",
           "cap": "Document CAP", "ref": "Référence",
           "reports": {"one": "{n} signalement", "other": "{n} signalements"},
           "sources": {"one": "{n} source", "other": "{n} sources"}},
    "uk": {"update": "оновлення", "ended": "Завершено", "what": "Що", "where": "Де",
           "started": "Початок", "nowhere": "місце не назване", "report": "повідомлення про"
           " відбій", "quiet": "давно немає нових повідомлень", "first": "Перше повідомлення",
           "cap": "Документ CAP", "ref": "Посилання",
           "reports": {"one": "{n} повідомлення", "few": "{n} повідомлення",
                       "many": "{n} повідомлень", "other": "{n} повідомлення"},
           "sources": {"one": "{n} джерело", "few": "{n} джерела", "many": "{n} джерел",
                       "other": "{n} джерела"}},
}


@dataclass(frozen=True)
class Text:
    title: str
    short: str  # the body of a push notification
    full: str  # the body of an email or a webhook
    notify_type: str

    def body(self, full: bool) -> str:
        return self.full if full else self.short


def compose(record: Incident, kind: str, subscription: Subscription, key: str,
            cap_base_url: str = "") -> Text:
    """The message of ``kind`` (``open``, ``update`` or ``closed``) about ``record``."""
    lang = subscription.language
    words = WORDS[lang]
    closed = kind == "closed"
    what = record.rule.description or record.rule.id
    where = place_text(record.place, lang) if record.place else words["nowhere"]
    icon, subject = ICONS["closed" if closed else record.rule.severity], f"{what} · {where}"
    title = {"open": f"{icon} {subject}", "update": f"{icon} {subject} · {words['update']}",
             "closed": f"{icon} {words['ended']}: {subject}"}[kind]
    counts = (f"{plural(words['reports'], record.reports, lang)} · "
              f"{plural(words['sources'], len(record.sources), lang)}")
    when = local_time(record.ended_at if closed and record.ended_at else record.started_at,
                      subscription, "d MMM, HH:mm z")
    links = [(words["first"], record.first_report_url),
             (words["cap"], cap_base_url and f"{cap_base_url.rstrip('/')}/cap/{record.id}.xml")]
    short = "\n".join(filter(None, [f"{when} · {counts}", trimmed(record.headline),
                                    record.first_report_url]))
    full = "\n".join(filter(None, [
        f"{words['what']}: {what} ({record.rule.severity})",
        f"{words['where']}: {where}{country_suffix(record.place, lang)}",
        f"{words['started']}: {local_time(record.started_at, subscription)}",
        closed and record.ended_at and f"{words['ended']}: "
        f"{local_time(record.ended_at, subscription)} ({words.get(record.closed_by or '', '')})",
        f"{counts}: {', '.join(record.sources)}",
        f"« {record.headline} »",
        *(f"{label}: {url}" for label, url in links if url),
        f"{words['ref']}: {key}"]))
    return Text(title, short, full, TYPES["closed" if closed else record.rule.severity])


def plural(forms: dict[str, str], n: int, lang: str) -> str:
    form = Locale.parse(lang).plural_form(n)
    return forms.get(form, forms["other"]).format(n=n)


def local_time(stamp: str, subscription: Subscription, pattern: str = "d MMMM y, HH:mm") -> str:
    moment = parse_time(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    text = format_datetime(moment, pattern, tzinfo=subscription.zone, locale=subscription.language)
    return text if "z" in pattern else f"{text} ({subscription.zone.key})"


def trimmed(text: str, limit: int = HEADLINE_SHORT) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def place_text(place: Place, lang: str) -> str:
    """"Kharkiv, Kharkivska oblast (UA-63)"; "Kyiv (UA-30)" where the region is the place."""
    if not place.region:
        return place.name
    region = region_name(place.region, lang)
    if region and region != place.name:
        return f"{place.name}, {region} ({place.region})"
    return f"{place.name} ({place.region})"


def country_suffix(place: Place | None, lang: str) -> str:
    if place is None or not place.country or place.kind == "country":
        return ""
    country = pycountry.countries.get(alpha_2=place.country)
    return f", {translation('iso3166-1', lang)(country.name)}" if country else ""


def region_name(code: str, lang: str) -> str | None:
    region = pycountry.subdivisions.get(code=code)
    return translation("iso3166-2", lang)(region.name) if region else None


@functools.cache
def translation(domain: str, lang: str):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang],
                               fallback=True).gettext
