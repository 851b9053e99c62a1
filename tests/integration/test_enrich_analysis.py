"""The enrich worker's model process: real spaCy model, real child process."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vigie.enrich.analysis import AnalysisProcess
from vigie.shared.messages import RawArticle, Source

HOLDER = """
import os, sys
from vigie.enrich.analysis import AnalysisProcess
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


def test_batches_are_analysed_in_the_model_process():
    article = RawArticle(
        id="a", revision="r", source=Source(kind="file", name="t", path="t/a.txt"),
        title="Kyiv", text="Une alerte aérienne a été déclenchée à Kyiv lundi, selon "
                           "Volodymyr Zelensky.",
        published="2026-11-20T10:00:00Z", fetched_at="2026-11-20T10:00:00Z",
        ingested_at="2026-11-20T10:00:00Z",
    )
    analysis = AnalysisProcess("fr_core_news_sm", None)
    try:
        [result] = asyncio.run(analysis.enrich([article]))
    finally:
        analysis.close()
    assert {"Kyiv", "Volodymyr Zelensky"} <= {entity.name for entity in result.entities}
    assert result.language == "fr"
    assert result.hashes.exact
