from __future__ import annotations

import json

from vigie.enrich.dedup import DedupIndex, signatures, similarity

BOILERPLATE = "\nLire aussi : toutes nos informations sur la guerre en Ukraine. Abonnez-vous."


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def edited_copies(text: str) -> dict[str, str]:
    parts = paragraphs(text)
    return {
        "header": "Publié par Le Courrier — mis à jour à 18h\n" + "\n".join(parts[1:]),
        "trimmed": "\n".join(parts[:-1]),
        "boilerplate": text + BOILERPLATE,
    }


def test_exact_hash_ignores_case_accents_and_spacing():
    assert signatures("L’OTAN  à Kiev.\n").exact == signatures("l'otan a kiev.").exact
    assert signatures("L’OTAN à Kiev.").exact != signatures("L’OTAN à Odessa.").exact


def test_exact_copy_is_a_duplicate_of_the_first(seeds):
    index = DedupIndex({})
    hashes = signatures(seeds["001"].text)
    assert index.check("first", hashes) == (None, None)
    assert index.check("copy", signatures(seeds["001"].text)) == ("first", None)


def test_redelivered_article_finds_itself():
    index = DedupIndex({})
    hashes = signatures("Une alerte aérienne a retenti à Kiev vendredi après-midi.")
    assert index.check("a1", hashes) == (None, None)
    assert index.check("a1", hashes) == (None, None)


def test_edited_copies_are_near_duplicates(seeds):
    for key, article in seeds.items():
        index = DedupIndex({})
        index.check(f"{key}-original", signatures(article.text))
        for edit, copy in edited_copies(article.text).items():
            verdict = index.check(f"{key}-{edit}", signatures(copy))
            assert verdict == (None, f"{key}-original"), (key, edit)


def test_redelivered_near_duplicate_keeps_its_verdict(seeds):
    index = DedupIndex({})
    index.check("original", signatures(seeds["000"].text))
    trimmed = signatures(edited_copies(seeds["000"].text)["trimmed"])
    assert index.check("copy", trimmed) == (None, "original")
    assert index.check("copy", trimmed) == (None, "original")


def test_copy_of_a_copy_points_to_the_original(seeds):
    index = DedupIndex({})
    text = seeds["003"].text
    index.check("original", signatures(text))
    index.check("copy", signatures(edited_copies(text)["trimmed"]))
    second = "\n".join(paragraphs(text)[:-2]) + BOILERPLATE
    assert index.check("copy-of-copy", signatures(second))[1] == "original"


def test_reports_of_the_same_event_are_not_duplicates(seeds):
    index = DedupIndex({})
    assert index.check("000", signatures(seeds["000"].text)) == (None, None)
    assert index.check("001", signatures(seeds["001"].text)) == (None, None)
    assert similarity(signatures(seeds["000"].text).near, signatures(seeds["001"].text).near) < 0.2


def test_no_seed_is_a_duplicate_of_another(seeds):
    index = DedupIndex({})
    assert all(index.check(k, signatures(a.text)) == (None, None) for k, a in seeds.items())


def test_state_is_json_serialisable(seeds):
    table: dict[str, object] = {}
    index = DedupIndex(table)
    for key, article in seeds.items():
        index.check(key, signatures(article.text))
    restored = json.loads(json.dumps(table))
    again = DedupIndex(restored)
    assert again.check("late-copy", signatures(seeds["002"].text)) == ("002", None)
    assert again.check("late-near", signatures(seeds["002"].text + BOILERPLATE)) == (None, "002")
