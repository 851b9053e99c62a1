from __future__ import annotations

import pytest

from vigie.shared.languages import language_code


@pytest.mark.parametrize("tag, code", [
    ("fr", "fr"), ("fr-FR", "fr"), ("FR", "fr"), ("fr_BE", "fr"), (" en-us ", "en"),
    ("fra", "fr"), ("fre", "fr"), ("ukr", "uk"), ("rus", "ru"), ("uk-UA", "uk"),
    ("und", None), ("français", None), ("xx", None), ("", None), (None, None), (7, None),
])
def test_a_tag_becomes_its_iso_639_1_code(tag, code):
    assert language_code(tag) == code
