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


def test_shorten_cuts_on_a_word_with_an_ellipsis():
    from vigie.shared.text import shorten

    assert shorten("Alerte aérienne à Kyiv", 100) == "Alerte aérienne à Kyiv"
    assert shorten("Alerte aérienne à Kyiv cette nuit", 20) == "Alerte aérienne à…"
    assert len(shorten("x" * 50, 10)) == 10  # one long word is cut inside


def test_control_characters_go_tab_and_newline_stay():
    from vigie.shared.text import strip_controls

    assert strip_controls("a\x00b\x1bc\x7fd\x85e\tf\r\ng\rh") == "abcde\tf\ng\nh"


def test_only_http_and_https_links_with_a_host_are_web_links():
    from vigie.shared.text import web_link

    assert web_link(" https://news.example.org/a ") == "https://news.example.org/a"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd",
                "https://:80/x", "http://[::1", "", None):
        assert web_link(bad) is None, bad
