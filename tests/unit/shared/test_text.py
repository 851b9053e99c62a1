import pytest

from vigie.shared.text import digest, fold

CASES = [
    "L’Alerte  aérienne",
    "alertes\naériennes",
    "Œuvre d’art — cœur",
    "  espaces   en trop  ",
    "Kyïv, Zaporijjia",
]


@pytest.mark.parametrize("text", CASES)
def test_every_folded_slice_maps_back_into_the_original(text):
    folded = fold(text)
    assert len(folded.origin) == len(folded.text)
    for word in folded.text.split():
        start = folded.text.index(word)
        a, b = folded.span(start, start + len(word))
        assert fold(text[a:b]).text == word


def test_fold_ignores_case_accents_apostrophes_and_spacing():
    assert fold("L’Alerte\n  Aérienne").text == fold("l'alerte aerienne").text == \
        "l'alerte aerienne"
    assert fold("Œuvre").text == "oeuvre"


def test_digest_is_stable_and_separates_parts():
    assert digest("a", "bc") == digest("a", "bc")
    assert digest("a", "bc") != digest("ab", "c")
