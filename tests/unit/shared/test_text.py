import pytest

from vigie.shared.text import digest, fold_text

CASES = [
    "L’Alerte  aérienne",
    "alertes\naériennes",
    "Œuvre d’art — cœur",
    "  espaces   en trop  ",
    "Kyïv, Zaporijjia",
]


@pytest.mark.parametrize("text", CASES)
def test_folding_words_one_by_one_gives_the_folded_text(text):
    # alert's tokenizer folds word by word: the words must fold as the whole text does
    assert " ".join(fold_text(word) for word in text.split()) == fold_text(text)


def test_fold_ignores_case_accents_apostrophes_and_spacing():
    assert fold_text("L’Alerte\n  Aérienne") == fold_text("l'alerte aerienne") == \
        "l'alerte aerienne"
    assert fold_text("Œuvre") == "oeuvre"
    assert fold_text("Kyïv — Zaporijjia\u00a0!") == "kyiv - zaporijjia !"
    assert fold_text("  ") == ""


def test_digest_is_stable_and_separates_parts():
    assert digest("a", "bc") == digest("a", "bc")
    assert digest("a", "bc") != digest("ab", "c")
