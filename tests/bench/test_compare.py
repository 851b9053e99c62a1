"""Saved runs side by side: rows matched by stage and measure, ratios compared."""

from __future__ import annotations

import json

from tests.bench.compare import compare, load, main


def saved(path, rows) -> None:
    path.write_text(json.dumps({"rows": rows}), encoding="utf-8")


def row(stage, measure, value, ratio=None) -> dict:
    return {"stage": stage, "measure": measure, "value": value, "ratio": ratio}


def test_rows_are_matched_by_stage_and_measure_and_ratios_preferred(tmp_path):
    saved(tmp_path / "a.json", [row("enrich", "articles/s", 40.0, 0.8),
                                row("latency", "p99", 500.0)])
    saved(tmp_path / "b.json", [row("latency", "p99", 375.0),
                                row("enrich", "articles/s", 50.0, 0.9),
                                row("memory", "rss", 400.0)])
    compared = compare([load(tmp_path / "a.json"), load(tmp_path / "b.json")])
    assert compared == [
        (("enrich", "articles/s"), [0.8, 0.9], "+12%"),
        (("latency", "p99"), [500.0, 375.0], "-25%"),
        (("memory", "rss"), [None, 400.0], "-"),
    ]


def test_the_command_prints_one_line_per_row_and_needs_two_runs(tmp_path, capsys):
    saved(tmp_path / "a.json", [row("enrich", "articles/s", 40.0, 0.8)])
    saved(tmp_path / "b.json", [row("enrich", "articles/s", 50.0, 0.9)])
    assert main([str(tmp_path / "a.json")]) == 2
    assert main([str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [cell.strip() for cell in lines[0].split(" | ")][2:] == ["a", "b", "change"]
    assert [cell.strip() for cell in lines[1].split(" | ")] == ["enrich", "articles/s", "0.8",
                                                                 "0.9", "+12%"]
