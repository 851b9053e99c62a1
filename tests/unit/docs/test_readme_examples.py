"""Every YAML example of the README loads as written, with the loader a user would feed it to
(chosen by the section it appears in), so an example cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vigie.alert.rules import parse_text
from vigie.ingest.feeds.feedlist import load_feed_list

README = Path(__file__).resolve().parents[3] / "README.md"
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def load_feeds(text: str, tmp_path: Path) -> list:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return load_feed_list(path, default_interval_s=300)


LOADERS = {
    "Feeds": load_feeds,
    "Alert rules": lambda text, tmp_path: parse_text(text, "README"),
}


def yaml_examples() -> list[tuple[str, str]]:
    """(section, block) for every ```yaml block, the section being its ``## `` heading."""
    examples = []
    for section in re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.M)[1:]:
        heading = section.split("\n", 1)[0].strip()
        examples += [(heading, block) for block in BLOCK.findall(section)]
    return examples


def test_the_readme_has_yaml_examples():
    assert {heading for heading, _ in yaml_examples()} >= set(LOADERS)


@pytest.mark.parametrize(("heading", "block"), yaml_examples())
def test_a_readme_yaml_example_loads_as_written(heading, block, tmp_path):
    assert heading in LOADERS, f"no loader known for YAML examples in '## {heading}'"
    assert LOADERS[heading](block, tmp_path)  # at least one feed or rule, no error
