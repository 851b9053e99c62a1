"""The enrich worker's model process: real spaCy model, real child process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vigie.enrich.analysis_process import AnalysisProcess
from vigie.shared.messages import RawArticle, Source

HOLDER = """
import os, sys
from vigie.enrich.analysis_process import AnalysisProcess
analysis = AnalysisProcess("fr_core_news_sm", None)
analysis.warm_up()
print(" ".join(open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()),
      flush=True)
sys.stdin.read()
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_model_process_ends_with_the_worker(how):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        children = [int(pid) for pid in holder.stdout.readline().split()]
        assert children and all(alive(pid) for pid in children)
        holder.send_signal(how)
        holder.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in children), "model process outlived its worker"
    finally:
        holder.kill()
        holder.wait()


def article(number: int, text: str) -> RawArticle:
    return RawArticle(
        id=f"a{number}", revision="r", source=Source(kind="file", name="t", path=f"t/{number}.txt"),
        title="Kyiv", text=text, published="2026-11-20T10:00:00Z",
        fetched_at="2026-11-20T10:00:00Z", ingested_at="2026-11-20T10:00:00Z",
    )


PEOPLE = ["Volodymyr Zelensky", "Emmanuel Macron", "Olaf Scholz", "Giorgia Meloni",
          "Pedro Sánchez"]
BATCH = [article(number, f"Une alerte aérienne a été déclenchée à Kyiv lundi, selon {person}.")
         for number, person in enumerate(PEOPLE)]


async def analyse_in_chunks(analysis: AnalysisProcess, articles, before_awaiting=lambda: None):
    chunks = analysis.analyse(articles)
    before_awaiting()
    return [(chunk.articles, await chunk.analyses) for chunk in chunks]


def names(analysis) -> set[str]:
    return {entity.name for entity in analysis.entities}


def test_batches_are_analysed_in_the_model_process():
    analysis = AnalysisProcess("fr_core_news_sm", None)
    try:
        [result] = asyncio.run(analysis.enrich(BATCH[:1]))
    finally:
        analysis.close()
    assert {"Kyiv", "Volodymyr Zelensky"} <= names(result)
    assert result.language == "fr"
    assert result.hashes.exact


def test_a_batch_comes_back_chunk_by_chunk_in_order():
    analysis = AnalysisProcess("fr_core_news_sm", None, chunk_size=2)
    try:
        chunks = asyncio.run(analyse_in_chunks(analysis, BATCH))
    finally:
        analysis.close()
    assert [[a.id for a in articles] for articles, _ in chunks] == [["a0", "a1"], ["a2", "a3"],
                                                                    ["a4"]]
    results = [result for _, analyses in chunks for result in analyses]
    assert [person in names(result) for person, result in zip(PEOPLE, results, strict=True)] \
        == [True] * len(PEOPLE)


def test_chunks_survive_the_death_of_the_model_process():
    analysis = AnalysisProcess("fr_core_news_sm", None, chunk_size=2)
    analysis.warm_up()
    [model_pid] = analysis._pool._processes  # noqa: SLF001 - the process to kill

    def kill_model() -> None:
        os.kill(model_pid, signal.SIGKILL)

    try:
        chunks = asyncio.run(analyse_in_chunks(analysis, BATCH, kill_model))
        assert not alive(model_pid)
        assert list(analysis._pool._processes) != [model_pid]  # noqa: SLF001
    finally:
        analysis.close()
    results = [result for _, analyses in chunks for result in analyses]
    assert [person in names(result) for person, result in zip(PEOPLE, results, strict=True)] \
        == [True] * len(PEOPLE)


def test_a_batch_handed_over_after_the_model_process_died_is_analysed():
    # With two batches in flight, the next one can be handed over after the model process
    # died and before the previous batch's chunks found out and started another.
    analysis = AnalysisProcess("fr_core_news_sm", None, chunk_size=2)
    analysis.warm_up()
    [model_pid] = analysis._pool._processes  # noqa: SLF001 - the process to kill
    os.kill(model_pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not analysis._pool._broken and time.monotonic() < deadline:  # noqa: SLF001
        time.sleep(0.05)
    assert analysis._pool._broken  # noqa: SLF001 - the pool knows: a submit would raise
    try:
        chunks = asyncio.run(analyse_in_chunks(analysis, BATCH))
    finally:
        analysis.close()
    results = [result for _, analyses in chunks for result in analyses]
    assert [person in names(result) for person, result in zip(PEOPLE, results, strict=True)] \
        == [True] * len(PEOPLE)
