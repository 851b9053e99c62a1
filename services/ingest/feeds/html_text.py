"""HTML reduced to clean text: paragraphs kept as line breaks, markup, scripts and styles gone,
entities decoded, white space collapsed, NFC-normalised (the form every stage expects)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from vigie.shared.text import nfc, strip_controls

BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "pre", "hr",
}
SKIPPED = {"script", "style", "noscript", "template", "iframe", "object"}
SPACES = re.compile(r"[^\S\n]+")
BLANK_LINES = re.compile(r"\n\s*\n+")
MARKUP = re.compile(r"<[a-zA-Z!/]")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Clean text from an HTML (or plain text) fragment; "" for None."""
    if not html:
        return ""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return clean_whitespace("".join(collector.parts))


def clean_whitespace(text: str) -> str:
    """Runs of spaces collapsed, blank lines limited, control characters removed, NFC."""
    lines = (SPACES.sub(" ", line).strip() for line in strip_controls(text).split("\n"))
    joined = "\n".join(lines)
    return nfc(BLANK_LINES.sub("\n\n", joined).strip())


def plain(text: str | None) -> str:
    """A title or a short field: markup removed if there is any, on one line."""
    if not text:
        return ""
    cleaned = html_to_text(text) if MARKUP.search(text) or "&" in text else clean_whitespace(text)
    return " ".join(cleaned.split())
