"""The documentation's files: the README and the pages under ``docs/``."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def doc_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def documentation() -> list[Path]:
    """Every Markdown file a reader follows links through."""
    return [README, *doc_pages(), ROOT / "deploy" / "README-deploy.md"]
