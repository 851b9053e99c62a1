"""Language detection: py3langid restricted to the languages Vigie expects, with a fallback.

``detect(text, hint)`` returns an ISO 639-1 code. The source's hint (feed language, folder
setting) wins when the text is too short to judge or the classifier is unsure; with neither a
confident guess nor a hint the guess is returned anyway, and ``"und"`` only for empty text.
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from vigie.shared.languages import language_code

LANGUAGES = ("fr", "en", "uk", "ru", "de", "es", "it", "nl", "pl", "pt", "ar", "ro")
# Below these, a guess is a coin toss on news text (names, figures, a headline).
MIN_CONFIDENCE = 0.90
MIN_LETTERS = 20
UNDETERMINED = "und"


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _letter_count(text: str) -> int:
    return sum(char.isalpha() for char in text)


def guess(text: str) -> tuple[str, float]:
    """The classifier's best language among ``LANGUAGES`` and its probability."""
    return _identifier().classify(text)


def detect(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of ``text``; ``hint`` is used when detection is unsure.

    Unsure means fewer than ``MIN_LETTERS`` letters or a probability under
    ``MIN_CONFIDENCE``.
    """
    hint = language_code(hint)
    if _letter_count(text) < MIN_LETTERS:
        return hint or (guess(text)[0] if text.strip() else UNDETERMINED)
    language, probability = guess(text)
    if probability < MIN_CONFIDENCE and hint:
        return hint
    return language
