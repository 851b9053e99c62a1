from __future__ import annotations

import json

from vigie.enrich.dedup import DedupIndex, signatures, similarity
from vigie.shared.messages import Source

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


DAY = 86_400.0


def test_copies_count_within_the_window_only(seeds):
    index = DedupIndex({}, window_s=7 * DAY)
    text = seeds["003"].text
    assert index.check("original", signatures(text), at=0.0) == (None, None)
    assert index.check("copy", signatures(text), at=6 * DAY) == ("original", None)
    assert index.check("near", signatures(text + BOILERPLATE), at=6 * DAY) == (None, "original")
    # eight days on, the original is out of the window, its near copy is not: the group lives
    assert index.check("late", signatures(text), at=8 * DAY) == (None, "original")
    # once every member left the window, a copy starts a new group
    assert index.check("fresh", signatures(text), at=16 * DAY) == (None, None)
    assert index.check("fresh-near", signatures(text + BOILERPLATE), at=16 * DAY) == (None, "fresh")


def test_the_table_follows_the_window(seeds):
    """Ten windows of articles, two a day: the table never holds much more than one window's
    entries (two per article), and the band index forgets what the table forgot."""
    table: dict = {}
    index = DedupIndex(table, window_s=7 * DAY)
    texts = [a.text for a in seeds.values()]
    sizes = []
    for day in range(70):
        for n in range(2):
            text = f"Dépêche {day}-{n}. " + texts[(2 * day + n) % len(texts)] + f" Fin {day}-{n}."
            index.check(f"{day}-{n}", signatures(text), at=day * DAY + n)
        sizes.append(len(table))
    assert max(sizes[20:]) <= 2 * 2 * 8  # entries of the last 7-8 days
    assert len(index._buckets) <= 32 * 2 * 8
    assert all(key[2:].split("-")[0] in {str(d) for d in range(61, 70)} for key in table
               if key.startswith("s:"))


def test_a_recovered_table_rebuilds_in_steps_and_keeps_the_window(seeds, monkeypatch):
    import vigie.enrich.dedup as dedup

    monkeypatch.setattr(dedup, "REBUILD_STEP", 3)
    table: dict = {}
    first = DedupIndex(table, window_s=7 * DAY)
    for n, (key, article) in enumerate(seeds.items()):
        first.check(key, signatures(article.text), at=n * DAY)
    restored = DedupIndex(json.loads(json.dumps(table)), window_s=7 * DAY)
    assert not restored.in_step
    steps = sum(1 for _ in restored.rebuild())
    assert restored.in_step and steps == -(-len(table) // 3)
    keys = list(seeds)
    last = len(keys) - 1
    assert restored.check("copy-of-last", signatures(seeds[keys[last]].text),
                          at=last * DAY) == (keys[last], None)
    if last >= 8:  # the first seed left the window when the last arrived
        assert restored.check("copy-of-first", signatures(seeds[keys[0]].text),
                              at=last * DAY) == (None, None)


def test_entries_without_a_time_leave_at_once(seeds):
    text = seeds["001"].text
    hashes = signatures(text)
    table = {f"x:{hashes.exact}": "old", "s:old": [hashes.near, "old"]}  # an earlier version's
    index = DedupIndex(table, window_s=7 * DAY)
    assert index.check("new", hashes, at=DAY) == (None, None)
    assert "s:old" not in table and table[f"x:{hashes.exact}"] == ["new", None, DAY]


CHANNEL = Source(kind="channel", name="air_alert_ua", url="https://t.me/air_alert_ua/1")
SIREN = "🔴 {} Повітряна тривога в Донецька область\nСлідкуйте за подальшими повідомленнями.\n" \
        "#Донецька_область"


def feed(name: str) -> Source:
    return Source(kind="feed", name=name, url=f"https://{name}.example.org/rss")


def test_posts_of_one_source_are_never_duplicates_of_each_other():
    """Two sirens for one oblast differ only by the time: two stories, as their ids say; the
    very same text under another id too."""
    index = DedupIndex({})
    first, second = signatures(SIREN.format("16:29")), signatures(SIREN.format("18:02"))
    assert similarity(first.near, second.near) >= 0.4  # near duplicates by their texts alone
    assert index.check("post-1", first, 0.0, CHANNEL) == (None, None)
    assert index.check("post-2", second, 60.0, CHANNEL) == (None, None)
    assert index.check("post-3", first, 120.0, CHANNEL) == (None, None)
    assert index.check("post-2", second, 60.0, CHANNEL) == (None, None)  # redelivered


def test_the_same_story_in_two_feeds_is_still_a_duplicate(seeds):
    index = DedupIndex({})
    text = seeds["001"].text
    assert index.check("afp", signatures(text), 0.0, feed("afp")) == (None, None)
    assert index.check("copy", signatures(text), 1.0, feed("lesoir")) == ("afp", None)
    assert index.check("edited", signatures(text + BOILERPLATE), 2.0, feed("letemps")) == (
        None, "afp")


def test_a_group_begun_by_a_source_takes_no_other_item_of_that_source(seeds):
    """afp-1 began the group; lesoir's copy joined it; afp-2, near both, is afp's own new
    item, not a copy of its earlier one through lesoir."""
    index = DedupIndex({})
    text = seeds["002"].text
    index.check("afp-1", signatures(text), 0.0, feed("afp"))
    assert index.check("lesoir", signatures(text + BOILERPLATE), 1.0, feed("lesoir")) == (
        None, "afp-1")
    assert index.check("afp-2", signatures("Dépêche.\n" + text), 2.0, feed("afp")) == (
        None, None)
    assert index.check("other", signatures(text + " Fin."), 3.0, feed("other")) == (
        None, "afp-1")


def test_sources_without_a_name_and_entries_of_before_are_compared_as_ever(seeds):
    text = seeds["003"].text
    nameless = Source(kind="feed", url="https://example.org/rss")
    index = DedupIndex({})
    index.check("a", signatures(text), 0.0, nameless)
    assert index.check("b", signatures(text), 1.0, nameless) == ("a", None)
    hashes = signatures(text)
    earlier = {f"x:{hashes.exact}": ["old", 0.0], "s:old": [hashes.near, "old", 0.0]}
    index = DedupIndex(earlier)  # a table written before sources were kept
    assert index.check("new", hashes, 1.0, feed("afp")) == ("old", None)
