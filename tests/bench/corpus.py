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


# Small corpora in the other languages the rules speak: news-like sentences with places and
# numbers to vary, and sentences the shipped rules alert on, in inflected forms.
LANGUAGE_SENTENCES = {
    "en": {
        "places": ("Kyiv", "Kharkiv", "Odesa", "Dnipro", "Lviv", "Sumy", "Poltava", "Kherson"),
        "news": (
            "Officials in {place} said repairs to the power grid would take {count} days.",
            "The regional governor of {place} met volunteers who run the city's shelters.",
            "Trains to {place} were delayed by about {count} minutes on Tuesday morning.",
            "Schools in {place} reopened after {count} weeks of remote lessons.",
            "Farmers near {place} expect a smaller harvest than last year, the ministry said.",
            "The city council of {place} voted a budget for {count} new buses.",
            "Prices of bread rose by {count} percent in {place}, according to statistics.",
            "A concert for the soldiers' families took place in {place} on Sunday.",
            "Volunteers in {place} collected {count} tonnes of aid for the front-line towns.",
            "The mayor of {place} said the water supply was restored at {hour} o'clock.",
        ),
        "alerts": (
            "Air raid alerts sounded in {place} at {hour} o'clock and lasted {count} minutes.",
            "Russia fired {count} ballistic missiles at {place} overnight, the air force said.",
            "Glide bombs hit the outskirts of {place}, wounding {count} people.",
            "Air defence shot down {count} attack drones over {place}.",
        ),
    },
    "uk": {
        "places": ("Києві", "Харкові", "Одесі", "Дніпрі", "Львові", "Сумах", "Полтаві"),
        "news": (
            "У {place} ремонт енергомережі триватиме ще {count} днів, повідомили в обласній адміністрації.",
            "Голова військової адміністрації у {place} зустрівся з волонтерами.",
            "Поїзди до міста затримуються приблизно на {count} хвилин.",
            "Школи у {place} відновили навчання після {count} тижнів дистанційки.",
            "Фермери поблизу міста очікують меншого врожаю, ніж торік.",
            "Міська рада у {place} ухвалила бюджет на {count} нових автобусів.",
            "Ціни на хліб зросли на {count} відсотків, свідчить статистика.",
            "У {place} відбувся концерт для родин військових.",
            "Волонтери зібрали {count} тонн допомоги для прифронтових громад.",
            "Водопостачання у {place} відновили о {hour} годині.",
        ),
        "alerts": (
            "У {place} о {hour} годині оголосили повітряну тривогу, яка тривала {count} хвилин.",
            "Росія випустила по {place} {count} балістичних ракет, повідомили Повітряні сили.",
            "Окупанти скинули {count} керованих авіабомб на околиці міста.",
            "Сили ППО збили {count} ударних дронів над {place}.",
        ),
    },
    "ru": {
        "places": ("Киеве", "Харькове", "Одессе", "Днепре", "Львове", "Сумах", "Полтаве"),
        "news": (
            "В {place} ремонт энергосети продлится ещё {count} дней, сообщили в администрации.",
            "Глава военной администрации в {place} встретился с волонтёрами.",
            "Поезда в город задерживаются примерно на {count} минут.",
            "Школы в {place} возобновили занятия после {count} недель дистанционки.",
            "Фермеры рядом с городом ожидают меньшего урожая, чем в прошлом году.",
            "Городской совет в {place} утвердил бюджет на {count} новых автобусов.",
            "Цены на хлеб выросли на {count} процентов, свидетельствует статистика.",
            "В {place} прошёл концерт для семей военных.",
            "Волонтёры собрали {count} тонн помощи для прифронтовых общин.",
            "Водоснабжение в {place} восстановили в {hour} часов.",
        ),
        "alerts": (
            "В {place} в {hour} часов объявили воздушную тревогу, которая длилась {count} минут.",
            "Россия выпустила по {place} {count} баллистических ракет, сообщили Воздушные силы.",
            "Армия сбросила {count} управляемых авиабомб на окраины города.",
            "ПВО сбила {count} ударных беспилотников над {place}.",
        ),
    },
}


def generate_language(language: str, count: int, *, seed: int = 0) -> list[str]:
    """``count`` texts in ``language`` (en, uk, ru) of about 1,000 characters, the French
    corpus's mean: sentences drawn from its pool with names and numbers varied; 4 texts in 10
    carry an alert sentence."""
    rng = random.Random(seed)
    pool = LANGUAGE_SENTENCES[language]

    def sentence(template: str) -> str:
        return template.format(place=rng.choice(pool["places"]), count=rng.randint(2, 90),
                               hour=rng.randint(1, 23))

    texts = []
    for _ in range(count):
        body = [sentence(rng.choice(pool["news"]))]
        while sum(map(len, body)) < 1000:
            body.append(sentence(rng.choice(pool["news"])))
        if rng.random() < 0.4:
            body[rng.randrange(len(body))] = sentence(rng.choice(pool["alerts"]))
        texts.append(" ".join(body))
    return texts
