"""Names from Cyrillic-script countries across romanisations.

One person is spelled "Vitali Klitschko" (German, English usage), "Vitaliy Klychko" (English
transliteration), "Witali Klitschko" (German), "Віталій Кличко" (Ukrainian); "Serhiy Lyssak"
(French) and "Serhiy Lysak" (English). ``name_key`` maps all of these to one comparison key;
``english_form`` rewrites a French or German romanisation the English way ("Anton Silouanov"
→ "Anton Siluanov", "Andriï" → "Andrii"), and a Cyrillic name to Latin letters.

Cyrillic → Latin is Ukraine's official romanisation for Ukrainian (a name with a
Ukrainian-only letter, or read in a Ukrainian text), else cyrtranslit's Russian scheme; the
rest are the few spelling conventions that tell the romanisations apart. Both functions are
cached: they run for every mention.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cyrtranslit

from vigie.shared.text import fold_text

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
# cyrtranslit's schemes write Klyčko, Jurij, Zelens'kij (Ukrainian), Dmitrij, CZoj (Russian):
# English letters instead ("c" before "č" brings new ones).
TO_ENGLISH_LETTERS = {"ru": {"cz": "ts", "shh": "shch", "j": "y", "'": ""}}
KMU = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'’ʼ", [
    "a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m", "n",
    "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia", "", "",
    ""], strict=True))
KMU_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
# Comparison key: every spelling of a sound becomes one letter, in this order.
KEY_RULES = [
    (r"t?s?ch|sh", "c"),  # ч and ш: tsch/tch/sch/ch (German, French) and ch/sh (English)
    (r"kh", "h"),
    (r"zh", "j"),
    (r"ou", "u"),
    (r"w", "v"),
    (r"gu(?=[ei])", "g"),  # French "Sergueï"
    (r"[yj]", "i"),
    (r"\b(?:ie|ye)", "e"),  # Yermak / Iermak
    (r"(\w)\1", r"\1"),  # double letters: Lyssak / Lysak, Zelenskii / Zelensky
    (r"f\b", "v"),  # -off / -ov
    (r"'", ""),
]
# A surname (a name's last word) with one of these endings is taken for a Slavic or Central
# Asian one. Not -ine, nor a ï alone: Christine Boutin and Loïc Hervé are French.
SLAVIC_SURNAME = re.compile(
    r"(?:ov|ova|ev|eva|iev|ïev|enko|ouk|uk|yk|ski|sky|skyi|ska|vitch|vich|ytch|ych|"
    r"ak|ina|yn|ko|off)$", re.IGNORECASE)
# French romanisation → English, applied only to such names, in this order. French "ch" (ш)
# is left alone: English writes ч so, and a name rarely says which one it is (aliases do).
ENGLISH_RULES = [
    (r"tsch|tch", "ch"),
    (r"ou", "u"),
    (r"Ou", "U"),
    (r"\bIu", "Yu"),  # Ioulia → Yulia
    (r"\bI(?=[aeo])", "Y"),  # Iermak → Yermak
    (r"(?<=[aeiou])ï(?=[aeiou])", "y"),  # Tokaïev → Tokayev
    (r"ï", "i"),
    (r"gu(?=[ei])", "g"),  # Sergueï → Sergei
    (r"(?<=y)ss(?=[aeiou])", "s"),  # French ss keeps an s voiceless: Lyssak
    (r"(?<=o)ff\b", "v"),  # Smirnoff
]


def _rewrite(rules: list[tuple[str, str]], text: str) -> str:
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def _ukrainian_letter(letter: str, initial: bool) -> str:
    lower = letter.lower()
    latin = KMU_INITIAL.get(lower) if initial and lower in KMU_INITIAL else KMU.get(lower, lower)
    return latin.capitalize() if letter.isupper() else latin


def ukrainian_latin(name: str) -> str:
    """Ukraine's official romanisation (KMU 2010), which English news uses for Ukrainian names:
    "Віталій Кличко" → Vitalii Klychko, "Олег Синєгубов" → Oleh Syniehubov, "Юлія" → Yuliia."""
    name = re.sub(r"[Зз](?=[Гг])", lambda m: m.group() + "\0", name)  # зг → zgh
    letters = []
    for index, letter in enumerate(name):
        initial = index == 0 or not name[index - 1].isalpha() and name[index - 1] not in "'’ʼ"
        letters.append(_ukrainian_letter(letter, initial))
    return "".join(letters).replace("z\0h", "zgh").replace("Z\0h", "Zgh")


@lru_cache(maxsize=65536)
def to_latin(name: str, language: str | None = None) -> str:
    """A Cyrillic name in Latin letters, English digraphs: Ukrainian ("uk", or a name with
    Ukrainian-only letters) by ``ukrainian_latin``, Russian ("Сергей Лавров" → Sergey Lavrov)
    by cyrtranslit's scheme; a Latin name unchanged."""
    if not CYRILLIC.search(name):
        return name
    if language == "uk" or (language is None and UKRAINIAN_LETTERS.search(name)):
        return " ".join(word[:1].upper() + word[1:] for word in ukrainian_latin(name).split())
    scheme = "ru"
    latin = cyrtranslit.to_latin(name, scheme)
    for letters, english in TO_ENGLISH_LETTERS[scheme].items():
        latin = latin.replace(letters, english).replace(letters.upper(), english.capitalize())
    return " ".join(word.capitalize() for word in latin.split())


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The comparison key of a name, the same for its French, English, German and Cyrillic
    spellings; hyphens are spaces, case and accents ignored."""
    folded = " ".join(fold_text(to_latin(name)).replace("-", " ").split())
    return _rewrite(KEY_RULES, folded)


def looks_slavic(name: str) -> bool:
    words = name.split()
    return bool(words) and SLAVIC_SURNAME.search(words[-1]) is not None


@lru_cache(maxsize=65536)
def english_form(name: str) -> str:
    """The name as English writes it: Cyrillic transliterated, a French or German
    romanisation of a Slavic-looking name rewritten; other names unchanged."""
    name = to_latin(name)
    return _rewrite(ENGLISH_RULES, name) if looks_slavic(name) else name


def foreign_marks(name: str) -> int:
    """How far a spelling is from the English one (0: already English)."""
    return sum(a != b for a, b in zip(name, english_form(name), strict=False)) + abs(
        len(name) - len(english_form(name)))
