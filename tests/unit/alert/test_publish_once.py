from vigie.alert.publish_once import PublishedIds

HOUR = 3600.0


def test_an_alert_id_is_seen_within_the_window_only():
    published = PublishedIds({}, window_s=HOUR)
    assert not published.seen("a", 0.0)
    published.record("a", 0.0, partition=0)
    assert published.seen("a", HOUR / 2)
    assert not published.seen("a", HOUR + 1)  # the same story a window later alerts again


def test_expired_ids_leave_the_table_from_their_own_partition_only():
    table: dict = {}
    published = PublishedIds(table, window_s=HOUR)
    published.record("p0-old", 0.0, partition=0)
    published.record("p1-old", 0.0, partition=1)
    published.seen("p0-new", 2 * HOUR)
    published.record("p0-new", 2 * HOUR, partition=0)
    assert set(table) == {"p1-old", "p0-new"}  # p1's entry waits for an event of partition 1
    published.seen("p1-new", 2 * HOUR)
    published.record("p1-new", 2 * HOUR, partition=1)
    assert set(table) == {"p0-new", "p1-new"}


def test_the_table_stays_bounded_by_the_window():
    table: dict = {}
    published = PublishedIds(table, window_s=HOUR)
    for minute in range(24 * 60):
        at = minute * 60.0
        assert not published.seen(f"alert-{minute}", at)
        published.record(f"alert-{minute}", at, partition=minute % 4)
    assert len(table) <= 60 + 4 * 4  # the last hour, and a few due on each partition


def test_a_recovered_table_expires_what_it_held():
    table: dict = {}
    PublishedIds(table, window_s=HOUR).record("a", 0.0, partition=2)
    restored = PublishedIds(dict(table), window_s=HOUR)  # another worker, same changelog
    assert restored.seen("a", 10.0)
    assert not restored.seen("b", 2 * HOUR)
    restored.record("b", 2 * HOUR, partition=2)
    assert set(restored.table) == {"b"}


def test_ids_published_before_entries_had_a_time_stay_published():
    table = {"legacy": "2025-08-22T12:00:00.000Z"}
    published = PublishedIds(table, window_s=HOUR)
    assert published.seen("legacy", 10 * HOUR)
    published.record("new", 10 * HOUR, partition=0)
    assert "legacy" in table
