from pathlib import Path

import pytest

from vigie.ingest.files import FileRejected, decode_bytes, parse_text, read_article

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
FRENCH = "L’alerte aérienne a retenti à Kyïv, près du siège de l’État-major. « Abri », dit-il."


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32", "cp1252"])
def test_news_files_decode_in_the_encodings_newsrooms_use(encoding):
    text, _ = decode_bytes(FRENCH.encode(encoding))
    assert text == FRENCH


def test_latin1_without_typographic_quotes_decodes():
    plain = "Alerte aérienne à Kharkiv, défense antiaérienne activée. Ça continue."
    text, _ = decode_bytes(plain.encode("latin-1"))
    assert text == plain


def test_latin1_with_c1_bytes_is_not_mistaken_for_cp1252():
    data = "Été".encode("latin-1") + b"\x81" + " fin de l'article.".encode("latin-1") * 20
    text, encoding = decode_bytes(data)
    assert encoding == "latin-1"
    assert text.startswith("Été")


@pytest.mark.parametrize("junk", [
    bytes(range(256)) * 8,
    b"\x89PNG\r\n\x1a\n" + bytes(range(0, 256, 3)) * 50,
    b"PK\x03\x04\x14\x00\x06\x00" + b"\x00\x01\x02\x03" * 300,
])
def test_binary_junk_is_rejected_as_undecodable(junk):
    with pytest.raises(FileRejected) as caught:
        decode_bytes(junk)
    assert caught.value.reason == "undecodable"


def test_header_gives_published_date_and_is_removed_from_text():
    parsed = parse_text(" date 2025-08-22 Mark Rutte à Kiev.\n\nUne alerte aérienne.\n")
    assert parsed.published == "2025-08-22"
    assert parsed.title is None
    assert parsed.text == "Mark Rutte à Kiev.\n\nUne alerte aérienne."


def test_partial_header_date_is_kept_partial():
    assert parse_text(" date 2023-10 Il s’agit d’une visite.").published == "2023-10"


def test_first_line_is_a_title_when_it_reads_like_one():
    parsed = parse_text("Le chef de l'OTAN en visite à Odessa\nLe soutien reste entier.\n")
    assert parsed.title == "Le chef de l'OTAN en visite à Odessa"
    assert parsed.text == "Le soutien reste entier."
    sentence = parse_text("Rutte s’est engagé mardi à soutenir l’Ukraine.\nIl a rencontré Zelensky.")
    assert sentence.title is None


def test_stray_trailing_lines_are_dropped():
    parsed = parse_text("Titre\nLe corps de l'article se termine ici.\nToday\n\n\n")
    assert parsed.text == "Le corps de l'article se termine ici."


def test_text_is_nfc_normalised():
    decomposed = "Titre\nAle\u0301rte ae\u0301rienne."
    assert parse_text(decomposed).text == "Alérte aérienne."


def test_empty_and_oversized_files_are_rejected(tmp_path):
    with pytest.raises(FileRejected) as empty:
        read_article(write(tmp_path, "empty.txt", b"\n \n"), tmp_path, 1000)
    assert empty.value.reason == "empty"
    with pytest.raises(FileRejected) as large:
        read_article(write(tmp_path, "big.txt", b"a" * 2000), tmp_path, 1000)
    assert large.value.reason == "too_large"


def test_seed_articles_parse_as_expected():
    articles = {p.name[:3]: read_article(p, SEEDS, 1_000_000) for p in sorted(SEEDS.iterdir())}
    assert [articles[k].published for k in sorted(articles)] == [
        "2025-08-22", "2025-08-22", None, None, "2023-10"]
    assert articles["002"].title.startswith("Le chef de l'OTAN Mark Rutte réaffirme")
    assert not articles["002"].text.rstrip().endswith("Today")
    assert articles["000"].text.startswith("Mark Rutte (Photo AFP)")
    assert all(" date " not in a.text[:20] for a in articles.values())


def test_ids_are_stable_and_depend_on_the_root_relative_path(tmp_path):
    (tmp_path / "a").mkdir()
    first = read_article(write(tmp_path / "a", "x.txt", FRENCH.encode()), tmp_path, 10_000)
    again = read_article(tmp_path / "a" / "x.txt", tmp_path, 10_000)
    copy = read_article(write(tmp_path, "y.txt", FRENCH.encode()), tmp_path, 10_000)
    assert first.id == again.id and first.revision == again.revision
    assert copy.id != first.id and copy.revision == first.revision
    assert first.source.path == "a/x.txt" and first.source.kind == "file"
