"""Ukrainian, Russian and English phrasings with the shipped rules: inflections, plurals,
possessives and capitals match, near misses do not, offsets stay exact."""

from __future__ import annotations

import pytest

from vigie.alert.incidents.identity import track_key
from vigie.alert.tokens import phrase_keys, tokenize

# (text, article language, rules expected to alert)
CASES = [
    # Ukrainian: every case and number of "повітряна тривога", capitals
    ("Повітряна тривога в Києві", "uk", {"air-raid"}),
    ("У Харкові оголосили повітряну тривогу.", "uk", {"air-raid"}),
    ("Сигнал повітряної тривоги пролунав о 3:00.", "uk", {"air-raid"}),
    ("Під час повітряної тривоги метро працює як укриття.", "uk", {"air-raid"}),
    ("Місто жило в повітряній тривозі всю ніч.", "uk", {"air-raid"}),
    ("Повітряні тривоги тривали годинами.", "uk", {"air-raid"}),
    ("ПОВІТРЯНА ТРИВОГА У ЛЬВОВІ", "uk", {"air-raid"}),
    ("🔴 16:29 Повітряна тривога в Донецька область", "uk", {"air-raid"}),
    ("Повітряна тривога в Одесі", None, {"air-raid"}),  # language unknown: lemmas all the same
    ("По Дніпру випустили балістичні ракети.", "uk", {"ballistic-missile"}),
    ("Удар балістичною ракетою по Сумах", "uk", {"ballistic-missile"}),
    ("Росіяни скинули керовані авіабомби на Запоріжжя.", "uk", {"glide-bomb"}),
    ("Удари КАБами по Харкову", "uk", {"glide-bomb"}),
    ("Сили ППО збили 40 шахедів", "uk", {"attack-drones"}),
    ("Над Києвом — ударні дрони", "uk", {"attack-drones"}),
    ("Атака дронів-камікадзе на Одесу", "uk", {"attack-drones"}),
    # Ukrainian near misses
    ("Протиповітряна оборона збила ракету.", "uk", set()),
    ("Тривога і страх не минають.", "uk", set()),
    ("У школі пройшла навчальна повітряна тривога.", "uk", set()),
    ("Повітряні сили доповіли про тривожну ніч.", "uk", set()),
    ("Повітряна. Тривога", "uk", set()),
    # Russian
    ("Воздушная тревога в Киеве", "ru", {"air-raid"}),
    ("В Харькове объявили воздушную тревогу.", "ru", {"air-raid"}),
    ("Сирены воздушной тревоги звучали всю ночь.", "ru", {"air-raid"}),
    ("Во время воздушной тревоги люди спустились в метро.", "ru", {"air-raid"}),
    ("ВОЗДУШНЫЕ ТРЕВОГИ В ОДЕССЕ", "ru", {"air-raid"}),
    ("Удар баллистическими ракетами по Днепру", "ru", {"ballistic-missile"}),
    ("Армия сбросила управляемые авиабомбы на Запорожье.", "ru", {"glide-bomb"}),
    ("ПВО сбила 30 ударных беспилотников.", "ru", {"attack-drones"}),
    ("Атака дронов-камикадзе на Одессу", "ru", {"attack-drones"}),
    ("Над городом сбиты Шахеды.", "ru", {"attack-drones"}),
    # Russian near misses
    ("Противовоздушная оборона отразила атаку.", "ru", set()),
    ("Тревога за близких не отпускает.", "ru", set()),
    ("В школе прошла учебная воздушная тревога.", "ru", set()),
    ("Воздушные силы сообщили о тревожной ночи.", "ru", set()),
    # English: plurals, possessives, capitals, hyphens
    ("Air raid alerts sounded across Ukraine.", "en", {"air-raid"}),
    ("Kyiv's air raid alert lasted three hours.", "en", {"air-raid"}),
    ("The air-raid alert's duration grew.", "en", {"air-raid"}),
    ("AIR RAID WARNING IN KHARKIV", "en", {"air-raid"}),
    ("An air alert was declared in the capital.", "en", {"air-raid"}),
    ("Russia launched ballistic missiles at Dnipro.", "en", {"ballistic-missile"}),
    ("The city's ballistic missile threat", "en", {"ballistic-missile"}),
    ("Glide bombs hit Zaporizhzhia overnight.", "en", {"glide-bomb"}),
    ("Dozens of attack drones were shot down.", "en", {"attack-drones"}),
    ("Russia's Shaheds struck Odesa.", "en", {"attack-drones"}),
    # English near misses
    ("Ukraine's air defence shot down the missile.", "en", set()),
    ("The air defense systems arrived.", "en", set()),
    ("A travel alert was issued for the region.", "en", set()),
    ("An air raid alert drill took place at the school.", "en", set()),
    ("The air was raided by alerts", "en", set()),
]


@pytest.mark.parametrize(("text", "language", "expected"), CASES)
def test_phrasing(text, language, expected, shipped, make_article):
    alerts, _ = shipped.assess(make_article(text, language=language))
    assert {raised.alert.rule.id for raised in alerts} == expected
    for raised in alerts:
        for match in raised.alert.matches:
            assert text[match.start:match.end] == match.text


@pytest.mark.parametrize(("text", "language"), [
    ("🟢 16:50 Відбій тривоги в Донецька область", "uk"),
    ("Відбій повітряної тривоги у Києві.", "uk"),
    ("Отбой воздушной тревоги в Харькове.", "ru"),
    ("Отбой тревоги.", "ru"),
    ("All clear in Kyiv.", "en"),
    ("Fin de l'alerte aérienne à Kyiv.", "fr"),
])
def test_an_end_report_closes_and_alerts_no_one(text, language, shipped, make_article):
    alerts, ends = shipped.assess(make_article(text, language=language))
    assert "air-raid" not in {raised.alert.rule.id for raised in alerts}
    assert ends  # the end of the incident of its place


def test_the_channel_end_and_alert_share_the_track(shipped, make_article):
    """The channel's alert at 16:29 and its end at 16:50 go to the same track (rule and
    place), whose state puts them in one period."""
    started, _ = shipped.assess(make_article("🔴 16:29 Повітряна тривога в Донецька область",
                                             language="uk"))
    _, ends = shipped.assess(make_article("🟢 16:50 Відбій тривоги в Донецька область",
                                          id="a2", language="uk"))
    (end,) = ends
    assert track_key(started[0].alert.rule.id, started[0].place) == track_key(end.rule.id,
                                                                              end.place)


def test_matches_are_the_words_as_written(shipped, make_article):
    text = "Увага! У Львові оголошено ПОВІТРЯНУ ТРИВОГУ, прямуйте до укриття."
    alerts, _ = shipped.assess(make_article(text, language="uk"))
    (raised,) = alerts
    assert [m.text for m in raised.alert.matches] == ["ПОВІТРЯНУ ТРИВОГУ", "прямуйте до укриття"]
    assert [m.phrase for m in raised.alert.matches] == ["повітряна тривога", "прямуйте до укриття"]
    assert "«ПОВІТРЯНУ ТРИВОГУ»" in raised.alert.snippet


def test_every_form_of_a_phrase_has_the_phrase_key():
    (key,) = phrase_keys("повітряна тривога")
    for form in ("повітряну тривогу", "повітряної тривоги", "повітряній тривозі",
                 "Повітряна тривога", "повітряні тривоги", "повітряними тривогами"):
        assert tokenize(form).stream == key[0]
    (key,) = phrase_keys("воздушная тревога")
    for form in ("воздушной тревоги", "воздушную тревогу", "воздушной тревоге",
                 "Воздушные тревоги", "воздушными тревогами"):
        assert tokenize(form, "ru").stream == key[0]


def test_a_word_both_dictionaries_know_is_read_in_the_article_language():
    """"дронов" is the Russian genitive plural of "дрон", and a Ukrainian surname."""
    assert tokenize("дронов", "ru").stream == " дрон "
    assert tokenize("дронов", "uk").stream == " дронов "
    # So a phrase keys both readings, and "ударных дронов" matches in a Russian article.
    assert {key for key, _ in phrase_keys("дронов")} == {" дрон ", " дронов "}


def test_apostrophes_inside_ukrainian_words_and_english_possessives():
    text = "Об’єкт м'ясокомбінату, Kyiv's alerts’ end"
    tokens = tokenize(text)
    words = [text[slice(*tokens.span(i))] for i in range(len(tokens))]
    assert words == ["Об’єкт", "м'ясокомбінату", "Kyiv's", "alerts", "end"]
    assert tokens.stream.split()[-3:] == ["kyiv", "alert", "end"]


def test_offsets_survive_odd_white_space_and_punctuation():
    text = "  x\u00a0: «xx»\n\n x-x (Повітряну\u202fтривогу) "
    tokens = tokenize(text)
    words = [text[slice(*tokens.span(i))] for i in range(len(tokens))]
    assert words == ["x", "xx", "x", "x", "Повітряну", "тривогу"]


def test_the_table_is_large_enough():
    for language in ("uk", "ru", "en"):
        rows = [expected for _, lang, expected in CASES if lang == language]
        assert sum(1 for expected in rows if expected) >= 5
        assert sum(1 for expected in rows if not expected) >= 4
