"""Plain-text news files → RawArticle: decode, parse the header, publish.

A file is ``[ date YYYY-MM(-DD) <text>]`` on its first line (optional header, text may follow
on the same line), otherwise a first line that may be a title, then the body. Files come in any
encoding and may end with stray junk lines. A file that cannot be decoded, is empty or is over
the size limit is logged, counted and skipped: nothing else stops.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from vigie.shared.errors import VigieError
from vigie.shared.ids import article_id, revision
from vigie.shared.messages import RawArticle, Source
from vigie.shared.text import nfc, strip_controls
from vigie.shared.timestamps import utc_now

log = logging.getLogger(__name__)

HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b[ \t]*(.*)$", re.IGNORECASE)
SENTENCE_END = tuple(".!?…:;»\"'”)")
MAX_TITLE_CHARS = 200
# Trailing lines this short and unpunctuated are page furniture ("Today", "Partager").
MAX_JUNK_WORDS = 3
# cp1252 leaves these bytes undefined: their presence means latin-1 (C1 controls), not cp1252.
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
MAX_CONTROL_RATIO = 0.01
# What counts as binary junk: categories Cc (except \n \r \t \f), Cs and Co, in one regex
# pass (same set as unicodedata.category over every code point, 10x faster than a loop).
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff"
                     "\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


class FileRejected(VigieError, ValueError):
    """A file that is skipped; ``reason`` is the metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ParsedText:
    title: str | None
    text: str
    published: str | None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a news file; returns (text, encoding). Raises FileRejected for binary junk."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _checked(_decode(data, encoding), encoding)
    encoding = _sniff_utf16(data) or _sniff_single_byte(data)
    return _checked(_decode(data, encoding), encoding)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileRejected("undecodable", f"not valid {encoding}: {exc.reason}") from None


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.7 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.7 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _sniff_single_byte(data: bytes) -> str:
    if b"\x00" in data:
        raise FileRejected("undecodable", "binary data (NUL bytes)")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: the Western single-byte encodings French news files use. cp1252 is latin-1
    # plus printable characters (’ « € …) in 0x80–0x9F, so it is right unless a byte it
    # leaves undefined appears.
    return "latin-1" if CP1252_UNDEFINED & set(data) else "cp1252"


def _checked(text: str, encoding: str) -> tuple[str, str]:
    controls = len(CONTROL.findall(text))
    if text and controls > MAX_CONTROL_RATIO * len(text):
        raise FileRejected("undecodable", f"binary data ({controls} control characters as {encoding})")
    return text, encoding


def parse_text(text: str) -> ParsedText:
    """Split a decoded file into title, body and published date (see module docstring)."""
    lines = nfc(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _drop_trailing_junk(lines)
    if not lines:
        return ParsedText(None, "", None)
    title, published = None, None
    header = HEADER.match(lines[0])
    if header:
        published, rest = header.groups()
        lines[0] = rest
    elif _is_title(lines):
        title, lines = lines[0].strip(), lines[1:]
    body = "\n".join(lines).strip()
    return ParsedText(title, body, published)


def _is_title(lines: list[str]) -> bool:
    first = lines[0].strip()
    has_body = any(line.strip() for line in lines[1:])
    return bool(first) and has_body and len(first) <= MAX_TITLE_CHARS and not first.endswith(
        SENTENCE_END
    )


def _drop_trailing_junk(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    while len(lines) > 1 and _is_junk(lines[-1]):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    return lines


def _is_junk(line: str) -> bool:
    stripped = line.strip()
    return len(stripped.split()) <= MAX_JUNK_WORDS and not stripped.endswith(SENTENCE_END)


def read_article(path: Path, root: Path, max_bytes: int) -> RawArticle:
    """Read one file into a RawArticle (not yet published). Raises FileRejected."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FileRejected("too_large", f"{size} bytes, over the {max_bytes}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected("unreadable", str(exc)) from None
    text, _ = decode_bytes(data)
    parsed = parse_text(text)
    if not parsed.text:
        raise FileRejected("empty", "no text")
    relative = path.relative_to(root).as_posix() if path != root else path.name
    now = utc_now()
    return RawArticle(
        id=article_id("file", relative),
        revision=revision(parsed.title, parsed.text),
        source=Source(kind="file", name=root.name if root.is_dir() else root.parent.name,
                      path=relative),
        title=parsed.title and strip_controls(parsed.title),
        text=strip_controls(parsed.text),
        published=parsed.published,
        fetched_at=now,
        ingested_at=now,
        text_source="file",
    )


def news_files(root: Path) -> list[Path]:
    """The files under a folder (or the file itself), hidden ones skipped, in a stable order."""
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
