"""Spellings of one name from a Cyrillic-script country share one key; other names do not."""

from __future__ import annotations

import pytest

from vigie.enrich.translit import english_form, name_key, to_latin

SAME_NAME = [
    ("Vitali Klitschko", "Vitaliy Klychko", "Witali Klitschko", "Віталій Кличко"),
    ("Serhiy Lyssak", "Serhiy Lysak", "Serhii Lysak", "Сергій Лисак"),
    ("Sergueï Lavrov", "Sergey Lavrov", "Sergei Lawrow", "Сергей Лавров"),
    ("Dmitri Peskov", "Dmitry Peskov", "Dmitriy Peskow", "Дмитрий Песков"),
    ("Volodymyr Zelensky", "Volodymyr Zelenskyy", "Wolodymyr Zelenskyj",
     "Володимир Зеленський"),
    ("Anton Silouanov", "Anton Siluanov"),
    ("Timour Tkatchenko", "Tymur Tkachenko", "Тимур Ткаченко"),
    ("Ioulia Svyrydenko", "Yulia Svyrydenko", "Юлія Свириденко"),
    ("Andriï Iermak", "Andriy Yermak", "Andrii Yermak"),
    ("Denys Chmyhal", "Denys Shmyhal"),
    ("Mikhaïl Khodorkovski", "Mikhail Khodorkovsky", "Mikhail Hodorkovsky"),
    ("Smirnoff", "Smirnov", "Smirnow"),
]
DIFFERENT = [("Vitali Klitschko", "Wladimir Klitschko"), ("Serhiy Lysak", "Serhiy Lysenko"),
             ("Emmanuel Macron", "Emmanuel Maron"), ("Anton Siluanov", "Anton Silanov")]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda s: s[0])
def test_spellings_of_one_name_share_a_key(spellings):
    assert len({name_key(s) for s in spellings}) == 1, [name_key(s) for s in spellings]


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_different_names_keep_different_keys(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize("french, english", [
    ("Anton Silouanov", "Anton Siluanov"), ("Elvira Nabioullina", "Elvira Nabiullina"),
    ("Oleh Syniehoubov", "Oleh Syniehubov"), ("Roustem Oumerov", "Rustem Umerov"),
    ("Serhiy Lyssak", "Serhiy Lysak"), ("Kassym-Jomart Tokaïev", "Kassym-Jomart Tokayev"),
    ("Andriï Kovalenko", "Andrii Kovalenko"), ("Ioulia Svyrydenko", "Yulia Svyrydenko"),
    ("Timour Tkatchenko", "Timur Tkachenko"),
])
def test_french_romanisation_is_written_the_english_way(french, english):
    assert english_form(french) == english


@pytest.mark.parametrize("name", ["Emmanuel Macron", "Jean-Louis Bourlanges", "Radosław Sikorski",
                                  "Marine Le Pen", "Kassym-Jomart Tokayev", "Vitaliy Klychko",
                                  "Christine Boutin", "Loïc Hervé", "Jacqueline Gourault",
                                  "Antoine Dupont"])
def test_other_and_english_names_are_left_alone(name):
    assert english_form(name) == name


def test_cyrillic_names_get_english_letters():
    # Ukrainian names by Ukraine's official romanisation (KMU 2010), as English news writes them
    assert to_latin("Віталій Кличко") == "Vitalii Klychko"
    assert to_latin("Олег Синєгубов") == "Oleh Syniehubov"
    assert to_latin("Юлія Свириденко") == "Yuliia Svyrydenko"
    assert to_latin("Згурівка") == "Zghurivka"
    assert to_latin("Олександр Сирський", "uk") == "Oleksandr Syrskyi"
    assert to_latin("Сергей Лавров") == "Sergey Lavrov"
    assert to_latin("Kyiv") == "Kyiv"
