import json

import pytest

from vigie.shared import schema
from vigie.shared.messages import (
    CONTRACTS,
    DeadLetter,
    InvalidMessage,
    RawArticle,
    Source,
    dead_letter,
    decode,
    encode,
)
from vigie.shared.timestamps import parse_time, utc_now

CONTRACT_FIELDS = {
    "RawArticle": "schema_version id revision source url title summary text published language "
                  "fetched_at ingested_at",
    "EnrichedArticle": "language entities dates hashes duplicate_of near_duplicate_of enriched_at",
    "Alert": "schema_version id rule article story_id matches snippet entities dates detected_at "
             "latency_ms incident_id",
    "Incident": "schema_version id rule status place started_at updated_at ended_at closed_by "
                "reports sources alert_ids headline revision",
    "DeadLetter": "schema_version service topic partition offset key value_b64 error failed_at",
}


def raw(**changes) -> RawArticle:
    fields = dict(id="a1", revision="r1", source=Source(kind="file", name="seeds", path="x.txt"),
                  text="Une alerte aérienne à Kyiv.", fetched_at=utc_now(), ingested_at=utc_now())
    return RawArticle(**(fields | changes))


def test_raw_article_round_trips_as_utf8_json():
    article = raw(title="Titre", published="2023-10")
    data = encode(article)
    assert json.loads(data)["schema_version"] == 1
    assert "aérienne".encode() in data
    assert decode(data, RawArticle) == article


def test_decode_rejects_wrong_shapes_with_a_clear_error():
    with pytest.raises(InvalidMessage, match="not a RawArticle"):
        decode(b'{"id": 3}', RawArticle)
    with pytest.raises(InvalidMessage):
        decode(b"\xff\x00 garbage", RawArticle)


@pytest.mark.parametrize("cls", CONTRACTS, ids=lambda c: c.__name__)
def test_contract_field_names_are_present(cls):
    fields = set(cls.__struct_fields__)
    assert set(CONTRACT_FIELDS[cls.__name__].split()) <= fields


def test_checked_in_json_schema_matches_the_code():
    for name, text in schema.rendered().items():
        path = schema.SCHEMA_DIR / name
        assert path.exists(), f"{name} missing: run `make schema`"
        assert path.read_text(encoding="utf-8") == text, f"{name} drifted: run `make schema`"


def test_schema_top_level_describes_the_message():
    document = schema.schema_for(RawArticle)
    assert document["title"] == "RawArticle"
    assert {"id", "text", "source"} <= set(document["required"])
    assert "Source" in document["$defs"]


def test_dead_letter_keeps_the_original_bytes():
    original = b"\x00\xffnot json"
    letter = dead_letter(service="enrich", topic="news.raw", value=original,
                         error=ValueError("bad"), partition=2, offset=7, key=b"k")
    again = decode(encode(letter), DeadLetter)
    assert again.value == original
    assert again.error == "ValueError: bad"
    assert (again.partition, again.offset, again.key) == (2, 7, "k")


def test_a_value_too_large_for_a_letter_stays_where_it_is_and_the_letter_says_where():
    letter = dead_letter(service="enrich", topic="news.raw", value=b"x" * 11,
                         error=ValueError("bad"), partition=2, offset=7, max_value_bytes=10)
    again = decode(encode(letter), DeadLetter)
    assert not again.value_kept and again.value == b""
    assert again.error.startswith("ValueError: bad") and "news.raw[2]@7" in again.error
    kept = dead_letter(service="enrich", topic="news.raw", value=b"x" * 10, error="bad",
                       max_value_bytes=10)
    assert kept.value_kept and kept.value == b"x" * 10


def test_timestamps_are_rfc3339_utc():
    stamp = utc_now()
    assert stamp.endswith("Z")
    assert parse_time(stamp).utcoffset().total_seconds() == 0
