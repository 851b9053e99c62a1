"""The test channel speaks the official channel's grammar (``../shared/sirens/README.md``), and
its live replay adds posts in their order and stops when asked."""

from __future__ import annotations

import datetime as dt
import threading
import time

from tests.channel_server import (
    ChannelServer,
    hashtag,
    period_posts,
    play,
    read_periods,
    start_post,
)

UTC = dt.timezone.utc


def test_each_period_is_a_start_and_an_end_post_naming_its_most_precise_place():
    periods = read_periods()
    posts = period_posts(periods)
    assert len(periods) == 87 and len(posts) == 2 * len(periods)
    assert [post.id for post in posts] == list(range(1000, 1000 + len(posts)))
    assert [post.time for post in posts] == sorted(post.time for post in posts)
    first = posts[0]  # 2022-03-15 16:10:34 UTC, winter: Kyiv is UTC+2
    assert first.time == dt.datetime(2022, 3, 15, 16, 10, 34, tzinfo=UTC)
    assert first.lines == ("🔴 18:10 Повітряна тривога в Вінницька область",
                           "Слідкуйте за подальшими повідомленнями.", "#Вінницька_область")
    by_time = {post.time: post for post in posts}
    hromada = next(p for p in periods if p.level == "hromada" and p.started_at.year == 2023)
    start, end = by_time[hromada.started_at], by_time[hromada.finished_at]
    kyiv = dt.timedelta(hours=3)  # late October 2023: still summer time
    assert start.lines[0] == (f"🔴 {hromada.started_at + kyiv:%H:%M} Повітряна тривога в "
                              f"{hromada.hromada}")
    assert end.lines[0] == f"🟢 {hromada.finished_at + kyiv:%H:%M} Відбій тривоги в {hromada.hromada}."
    raion = next(p for p in periods if p.level == "raion")
    assert by_time[raion.started_at].lines[0].endswith(f"в {raion.raion}")


def test_hashtags_are_written_as_the_channel_writes_them():
    assert hashtag("Івано-Франківська область") == "#ІваноФранківська_область"
    assert hashtag("м. Кривий Ріг та Криворізька територіальна громада") == (
        "#м_Кривий_Ріг_та_Криворізька_територіальна_громада")
    assert hashtag("Кам’янський район") == "#Камянський_район"


def test_a_live_replay_adds_posts_in_order_and_stops_when_asked():
    moment = dt.datetime(2023, 10, 24, 3, 0, tzinfo=UTC)
    posts = [start_post(n, moment + dt.timedelta(hours=n), "м. Київ") for n in range(1, 4)]
    with ChannelServer() as server:
        stop = threading.Event()
        replay = play(server, "c", posts, speed=1.0, stop=stop)  # the second is an hour away
        deadline = time.monotonic() + 10
        while "c" not in server.posts and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        replay.join(timeout=10)
        assert not replay.is_alive()
        assert list(server.posts["c"]) == [1]

        stop = threading.Event()
        play(server, "d", posts, speed=1e9, stop=stop).join(timeout=10)
        assert list(server.posts["d"]) == [1, 2, 3]
