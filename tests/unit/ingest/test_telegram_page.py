"""A channel's preview page read as posts: the text a reader sees, the post's own time, the
cursor of older posts; nothing crashes on a page without posts or on junk, and a page cut short
keeps the posts before the cut."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from tests.channel_server import (
    Post,
    edited,
    multi_place_post,
    page_html,
    partial_end_post,
    start_post,
)
from vigie.ingest.feeds.telegram_page import parse_channel_page

UTC = dt.timezone.utc

# As t.me writes it, indented and broken over lines, with a quoted reply, a photo without
# text, an edited post and the link to older posts.
REAL_SHAPED = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Повітряна Тривога – Telegram</title></head>
<body class="widget_frame_base tgme_webpage_body"><main class="tgme_main">
<section class="tgme_channel_history js-message_history">
  <div class="tgme_widget_message_centered js-messages_more_wrap">
    <a href="/s/air_alert_ua?before=41207" class="tme_messages_more js-messages_more"
       data-before="41207"></a>
  </div>
  <div class="tgme_widget_message_wrap js-widget_message_wrap">
    <div class="tgme_widget_message text_not_supported_wrap js-widget_message"
         data-post="air_alert_ua/41207" data-view="eyJjIjotMTAw">
      <div class="tgme_widget_message_bubble">
        <div class="tgme_widget_message_text js-message_text" dir="auto"><i class="emoji"
          style="background-image:url('//telegram.org/img/emoji/40/F09F94B4.png')"><b>🔴</b></i>
          16:29 Повітряна тривога в Донецька область<br/>Слідкуйте за подальшими
          повідомленнями.<br/><a href="?q=HASHTAG">#Донецька_область</a></div>
        <div class="tgme_widget_message_footer compact js-message_footer">
          <div class="tgme_widget_message_info short js-message_info">
            <span class="tgme_widget_message_views">15.1K</span>
            <span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
              href="https://t.me/air_alert_ua/41207"><time datetime="2023-10-24T13:29:07+00:00"
              class="time">13:29</time></a></span>
          </div>
        </div>
      </div>
    </div>
  </div>
  <div class="tgme_widget_message_wrap js-widget_message_wrap">
    <div class="tgme_widget_message js-widget_message" data-post="air_alert_ua/41208">
      <div class="tgme_widget_message_bubble">
        <a class="tgme_widget_message_reply" href="https://t.me/air_alert_ua/41207">
          <div class="tgme_widget_message_text js-message_reply_text" dir="auto">quoted</div></a>
        <div class="tgme_widget_message_text js-message_text" dir="auto">🟢 17:02 Відбій
          тривоги в Донецька область.<br>Слідкуйте за подальшими повідомленнями.<br>
          <a href="?q=%23x">#Донецька_область</a> &amp; <b>далі</b></div>
        <span class="tgme_widget_message_meta">edited <a class="tgme_widget_message_date"
          href="https://t.me/air_alert_ua/41208"><time datetime="2023-10-24T17:02:41+03:00"
          class="time">14:02</time></a></span>
      </div>
    </div>
  </div>
  <div class="tgme_widget_message_wrap js-widget_message_wrap">
    <div class="tgme_widget_message js-widget_message" data-post="air_alert_ua/41209">
      <a class="tgme_widget_message_photo_wrap" style="background-image:url('x.jpg')"></a>
      <span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
        href="https://t.me/air_alert_ua/41209"><time datetime="2023-10-24T14:10:00+00:00"
        class="time">14:10</time></a></span>
    </div>
  </div>
</section></main></body></html>""".replace("HASHTAG", quote("#Донецька_область"))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_a_real_shaped_page_gives_each_post_its_id_time_and_text():
    page = parse_channel_page(REAL_SHAPED.encode(), "text/html; charset=utf-8")
    assert [post.id for post in page.posts] == [41207, 41208, 41209]
    start, end, photo = page.posts
    assert start.text == ("🔴 16:29 Повітряна тривога в Донецька область\n"
                          "Слідкуйте за подальшими повідомленнями.\n#Донецька_область")
    assert start.time == dt.datetime(2023, 10, 24, 13, 29, 7, tzinfo=UTC)
    assert not start.edited
    # The quoted reply is not the post's text; markup white space is one space.
    assert end.text == ("🟢 17:02 Відбій тривоги в Донецька область.\n"
                        "Слідкуйте за подальшими повідомленнями.\n#Донецька_область & далі")
    assert end.edited and end.time == at("2023-10-24T14:02:41+00:00")
    assert photo.text == "" and page.incomplete == 0
    assert page.before == 41207


def test_the_test_servers_pages_read_back_as_the_posts_it_was_given():
    moment = dt.datetime(2023, 10, 24, 3, 22, 5, tzinfo=UTC)
    posts = [
        start_post(7, moment, "м. Кривий Ріг та Криворізька територіальна громада"),
        partial_end_post(8, moment, "Дніпропетровська область",
                         ["Нікопольський район", "м. Нікополь та Нікопольська територіальна громада"]),
        multi_place_post(9, moment, ["Мелітопольський район", "Василівський район"], start=False),
        edited(start_post(10, moment, "Івано-Франківська область"), ["🔴 06:22 <b>&amp; 'x'"]),
    ]
    page = parse_channel_page(page_html("air_alert_ua", posts, 7, None).encode())
    assert [(p.id, p.time, p.text, p.edited) for p in page.posts] == [
        (post.id, post.time, post.text, post.edited) for post in posts]
    assert posts[1].text.splitlines()[1:3] == ["Зверніть увагу, тривога ще триває у:",
                                              "• Нікопольський район"]
    assert posts[0].lines[-1] == "#м_Кривий_Ріг_та_Криворізька_територіальна_громада"
    assert page.before == 7


def test_the_newer_link_of_an_older_page_is_not_a_cursor():
    moment = dt.datetime(2023, 10, 24, 3, 22, 5, tzinfo=UTC)
    page = parse_channel_page(page_html("c", [start_post(5, moment, "м. Київ")], 5, 6).encode())
    assert page.before == 5


@pytest.mark.parametrize("body", [
    b"",
    b"   ",
    b"\x00\xff\xfe garbage \x81",
    b"<html><body><div class='tgme_page'>Channel card, no preview</div></body></html>",
    b"{\"json\": true}",
    b"<?xml version='1.0' encoding='utf-8'?><rss><channel></channel></rss>",
])
def test_a_page_without_posts_gives_none_and_no_cursor(body):
    page = parse_channel_page(body, "text/html")
    assert (page.posts, page.before, page.incomplete) == ([], None, 0)


def test_a_page_cut_short_keeps_the_posts_before_the_cut():
    moment = dt.datetime(2023, 10, 24, 3, 22, 5, tzinfo=UTC)
    posts = [start_post(n, moment + dt.timedelta(minutes=n), "Сумська область")
             for n in range(1, 4)]
    body = page_html("c", posts, None, None).encode()
    cut = body[:body.rindex(b"<time")]  # the last post loses its time and everything after
    page = parse_channel_page(cut)
    assert [post.id for post in page.posts] == [1, 2]
    assert page.posts[1].text == posts[1].text
    assert page.incomplete == 1


def test_posts_without_a_readable_id_or_time_are_left_out_and_counted():
    moment = dt.datetime(2023, 10, 24, 3, 22, 5, tzinfo=UTC)
    good = page_html("c", [Post(3, moment, ("ok",))], None, None)
    bad_id = good.replace('data-post="c/3"', 'data-post="c/x3"')
    bad_time = good.replace(moment.isoformat(timespec="seconds"), "yesterday")
    for html in (bad_id, bad_time):
        page = parse_channel_page(html.encode())
        assert (page.posts, page.incomplete) == ([], 1)


def test_invalid_bytes_become_replacement_characters_not_another_encoding():
    moment = dt.datetime(2023, 10, 24, 3, 22, 5, tzinfo=UTC)
    body = page_html("c", [Post(3, moment, ("Київ XX",))], None, None).encode()
    page = parse_channel_page(body.replace(b"XX", b"\xff\xfe"), "text/html; charset=utf-8")
    assert page.posts[0].text == "Київ \ufffd\ufffd"
