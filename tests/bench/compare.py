"""Saved benchmark runs side by side.

    .venv/bin/python -m tests.bench.compare bench-results/A.json bench-results/B.json [...]

Rows are matched by stage and measure. Each run shows the row's ratio to its baseline where it
has one (the figure that compares across runs, the baseline being measured in the same run),
else its value; the last column is the last run against the first. A row missing from a run
shows as "-".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

Key = tuple[str, str]


def load(path: Path) -> dict[Key, float | None]:
    """The comparable figure of each row of a saved run: its ratio, else its value."""
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return {(row["stage"], row["measure"]): _figure(row) for row in rows}


def _figure(row: dict) -> float | None:
    return row["ratio"] if row.get("ratio") is not None else row["value"]


def compare(runs: list[dict[Key, float | None]]) -> list[tuple[Key, list[float | None], str]]:
    """Each row of any run, in first-seen order, with its figure per run and the change."""
    keys = list(dict.fromkeys(key for run in runs for key in run))
    compared = []
    for key in keys:
        figures = [run.get(key) for run in runs]
        compared.append((key, figures, _change(figures[0], figures[-1])))
    return compared


def _change(first: float | None, last: float | None) -> str:
    if first is None or last is None or first == 0:
        return "-"
    return f"{(last - first) / abs(first):+.0%}"


def render(names: list[str], compared) -> str:
    header = ["stage", "measure", *names, "change"]
    lines = [header] + [[stage, measure, *(_cell(f) for f in figures), change]
                        for (stage, measure), figures, change in compared]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                     .rstrip() for line in lines)


def _cell(figure: float | None) -> str:
    if figure is None:
        return "-"
    return f"{figure:,.0f}" if abs(figure) >= 100 else f"{figure:.3g}"


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    if len(paths) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(render([path.stem for path in paths], compare([load(path) for path in paths])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
