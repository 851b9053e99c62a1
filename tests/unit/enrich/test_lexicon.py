"""The ordinary words of the French model's language, from its package's lemmatizer tables."""

from __future__ import annotations

import pytest

from vigie.enrich.lexicon import lexicon_of


@pytest.fixture(scope="module")
def french():
    return lexicon_of("fr_core_news_sm")


@pytest.mark.parametrize("word", [
    "Danger", "Orage", "Lire", "Arrêter",  # lemmas
    "Échanges", "Exténués",  # forms the lookup table leads to a lemma
    "Soutenus",  # an exception (soutenir)
    "Affluences", "ORAGES",  # the suffix rules, in any case
])
def test_nouns_verbs_and_adjectives_in_any_form_are_ordinary_words(french, word):
    assert word in french


@pytest.mark.parametrize("word", ["Macron", "Zelensky", "Kharkiv", "Tchernihiv", "Mbappé"])
def test_names_are_not(french, word):
    assert word not in french


def test_a_model_without_lemmatizer_tables_knows_no_word():
    assert "orage" not in lexicon_of("no_such_model")
