"""Language tags as sources write them, reduced to the ISO 639-1 code messages carry.

Feeds (``<language>``, ``xml:lang``, ``dc:language``), feed lists and folder settings write
``fr``, ``fr-FR``, ``FR``, ``fr_BE``, or ISO 639-2/3 codes (``fra``, ``fre``, ``ukr``). The
primary subtag is looked up in ISO 639 (``pycountry``); a language without a two-letter code,
``und`` and anything unknown (``français``, ``xx``) give None, so a bad tag never passes for a
language.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1024)
def language_code(tag: str | None) -> str | None:
    """``fr-FR``, ``FR``, ``fr_BE``, ``fra``, ``fre`` → ``fr``; unknown or absent → None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if len(primary) == 2:
        language = pycountry.languages.get(alpha_2=primary)
    elif len(primary) == 3:
        language = (pycountry.languages.get(alpha_3=primary)
                    or pycountry.languages.get(bibliographic=primary))
    else:
        return None
    return getattr(language, "alpha_2", None)
