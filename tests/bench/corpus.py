"""A deterministic benchmark corpus: the seeds and the labelled set, varied into thousands.

Each article is built from one source text by synthetic edits: its sentences shuffled, some
replaced by sentences of other texts, place and person names swapped, numbers changed. The
same ``seed`` always gives the same articles. ``alert=True`` adds a sentence that the shipped
rules alert on, with its own names and numbers, so the articles are distinct stories.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from vigie.ingest.files import parse_text

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
LABELLED = ROOT / "tests" / "data" / "labelled" / "articles.jsonl"

SENTENCE = re.compile(r"(?<=[.!?…»])\s+(?=[A-ZÀ-ÖØ-Þ«])")
NUMBER = re.compile(r"\b\d{1,3}\b")
PLACES = ("Kharkiv", "Kyiv", "Odesa", "Soumy", "Dnipro", "Lviv", "Kherson", "Poltava",
          "Mykolaïv", "Zaporijia", "Tchernihiv", "Kramatorsk", "Vinnytsia", "Jytomyr")
PEOPLE = ("Volodymyr Zelensky", "Mark Rutte", "Emmanuel Macron", "Olaf Scholz",
          "Andriï Sybiha", "Denys Chmyhal", "Ursula von der Leyen", "Antonio Guterres")
PLACE = re.compile("|".join(re.escape(p) for p in PLACES))
PERSON = re.compile("|".join(re.escape(p) for p in PEOPLE))
ALERT_SENTENCES = (
    "Une alerte aérienne a été déclenchée à {place} vers {hour} heures, et les habitants ont "
    "dû rejoindre les abris pendant {minutes} minutes.",
    "Selon {person}, un missile balistique a visé la région de {place} dans la nuit, faisant "
    "{count} blessés.",
    "L'armée russe a largué {count} bombes planantes sur les faubourgs de {place}, a indiqué "
    "le gouverneur.",
    "Les sirènes d'alerte ont retenti à {place} peu avant {hour} heures, selon {person}.",
    "Des drones Shahed ont été abattus au-dessus de {place}, a annoncé l'armée de l'air, qui "
    "en a compté {count}.",
)


@dataclass(frozen=True)
class Source:
    text: str
    published: str | None


@dataclass(frozen=True)
class Article:
    name: str
    title: str
    text: str
    published: str

    def file_text(self) -> str:
        """The article as a seed-style file: a title line, then the body."""
        return f"{self.title}\n{self.text}\n"


def sources() -> list[Source]:
    """The seeds (header parsed as ingest does) and whatever the labelled set holds."""
    found = []
    for path in sorted(SEEDS.glob("*.txt")):
        parsed = parse_text(path.read_text(encoding="utf-8", errors="replace"))
        found.append(Source(parsed.text, parsed.published))
    if LABELLED.exists():
        for line in LABELLED.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                found.append(Source(item["text"], item.get("published")))
    return found


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text.replace("\n", " ")) if s.strip()]


def generate(count: int, *, seed: int = 0, alert: bool = False, prefix: str = "a"
             ) -> list[Article]:
    rng = random.Random(seed)
    pool = sources()
    every_sentence = [s for source in pool for s in sentences(source.text)]
    return [_variant(rng, rng.choice(pool), every_sentence, f"{prefix}{index:05d}", alert)
            for index in range(count)]


def _variant(rng: random.Random, source: Source, pool: list[str], name: str, alert: bool
             ) -> Article:
    body = sentences(source.text)
    rng.shuffle(body)
    # Short sources grow to a typical article; a third of the sentences come from elsewhere.
    while len(body) < 8:
        body.append(rng.choice(pool))
    for index in rng.sample(range(len(body)), k=len(body) // 3):
        body[index] = rng.choice(pool)
    if alert:
        body.insert(rng.randrange(len(body) + 1), _alert_sentence(rng))
    text = " ".join(_edit(rng, sentence) for sentence in body)
    title = _edit(rng, body[0]).split(",")[0].rstrip(".!?…:;")[:120]
    return Article(name, title, text, _published(rng, source))


def _alert_sentence(rng: random.Random) -> str:
    return rng.choice(ALERT_SENTENCES).format(
        place="{place}", person="{person}", hour=rng.randint(1, 23),
        minutes=rng.randint(10, 90), count=rng.randint(2, 60),
    ).replace("{place}", rng.choice(PLACES)).replace("{person}", rng.choice(PEOPLE))


def _edit(rng: random.Random, sentence: str) -> str:
    """Names swapped and small numbers changed; years and dates keep their shape."""
    sentence = PLACE.sub(lambda _: rng.choice(PLACES), sentence)
    sentence = PERSON.sub(lambda _: rng.choice(PEOPLE), sentence)
    return NUMBER.sub(lambda m: str(_number(rng, len(m.group()))), sentence)


def _number(rng: random.Random, digits: int) -> int:
    """Same digit count; two-digit numbers stay valid days of the month."""
    return rng.randint(10 ** (digits - 1) if digits > 1 else 1, 28 if digits == 2 else
                       10 ** digits - 1)


def _published(rng: random.Random, source: Source) -> str:
    if source.published and len(source.published) == 10:
        return source.published
    return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def write_files(articles: list[Article], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / f"{article.name}.txt").write_text(article.file_text(), encoding="utf-8")
    return folder
