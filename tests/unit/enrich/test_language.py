from __future__ import annotations

import pytest

from vigie.enrich.language import detect


@pytest.mark.parametrize(("text", "expected"), [
    ("Le secrétaire général de l'OTAN s'est rendu à Kiev pour rencontrer le président.", "fr"),
    ("The NATO secretary general travelled to Kyiv to meet the president on Friday.", "en"),
    ("Генеральний секретар НАТО прибув до Києва, щоб зустрітися з президентом.", "uk"),
    ("Der NATO-Generalsekretär ist nach Kiew gereist, um den Präsidenten zu treffen.", "de"),
])
def test_detects_language(text, expected):
    assert detect(text, None) == expected


def test_confident_detection_beats_the_hint():
    text = "The NATO secretary general travelled to Kyiv to meet the president on Friday."
    assert detect(text, "fr") == "en"


@pytest.mark.parametrize("text", ["Mark Rutte à Kiev", "OTAN", "", "2025"])
def test_hint_wins_on_short_or_unsure_text(text):
    assert detect(text, "fr-FR") == "fr"


def test_empty_text_without_hint_is_undetermined():
    assert detect("  ", None) == "und"


def test_seeds_are_french(seeds):
    assert {detect(article.text, None) for article in seeds.values()} == {"fr"}
