"""``make bench``: throughput, scaling, latency and memory of Vigie on a fresh local broker.

    .venv/bin/python -m tests.bench.run [--quick] [--results-dir DIR]

Starts its own broker (fresh, free port, temporary folders) and the services as real
processes, prints a table, and saves every figure to ``bench-results/<timestamp>.json`` so
runs can be compared. Figures are given as ratios against baselines measured in the same run.
``--quick`` is a smoke run (small sizes, about three minutes) for the tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from vigie.shared.broker import LocalBroker, free_port

from . import (
    channel_bench,
    corpus,
    enrich_bench,
    ingest_bench,
    latency_bench,
    notify_bench,
    polling_bench,
    push_bench,
)
from .alert_bench import bench_rules
from .languages_bench import bench_languages
from .machine import busy_cores, describe
from .pages_bench import bench_pages
from .proc import peak_rss_mb
from .report import build_rows, table, write_json

ROOT = Path(__file__).resolve().parents[2]
FEED_CORPUS = ROOT.parent / "shared" / "corpus"
LOAD_LEVELS = {"50%": 0.5, "90%": 0.9}
CHANNEL_POLLS_S = (10.0, 2.0)  # VIGIE_TELEGRAM_POLL_S: its default, and a tight one
# Cores busy with other work when a step starts (the benchmark idle): figures are unreliable
# above this, and the run says so.
NOISY_CORES = 0.3
BUSY_AT_STEP: dict[str, float] = {}


@dataclasses.dataclass(frozen=True)
class Plan:
    files: int  # generated files for ``vigie ingest files``
    enrich_articles: int  # articles handed at once to the enrich workers, per run
    enrich_rounds: int  # interleaved rounds of every enrich run (the median is reported)
    latency_seconds: float  # paced load per level
    rule_texts: int
    feed_files: int
    feed_polls: int
    pages: int
    pushes: int  # timed WebSub pushes, one at a time
    polling_days: int  # simulated days of publishing, adaptive against fixed polling
    notifications: int  # incident records sent to the notify worker, one message each
    channel_posts: int  # timed channel posts per poll interval, one at a time (≤ 11)


FULL = Plan(files=3000, enrich_articles=400, enrich_rounds=5, latency_seconds=45,
            rule_texts=300, feed_files=2000, feed_polls=300, pages=300, pushes=30,
            polling_days=14, notifications=300,
            channel_posts=10)
QUICK = Plan(files=300, enrich_articles=60, enrich_rounds=1, latency_seconds=12,
             rule_texts=50, feed_files=100, feed_polls=20, pages=20, pushes=5, polling_days=3,
             notifications=30, channel_posts=2)


def measure(plan: Plan, broker: LocalBroker, workdir: Path) -> dict:
    results: dict = {}
    step("ingest: vigie ingest files")
    folder = corpus.write_files(corpus.generate(plan.files, seed=1, prefix="f"),
                                workdir / "files")
    results["ingest_files"] = ingest_bench.bench_files(broker.bootstrap, workdir, folder)
    measure_feeds(plan, results)
    step("ingest: full-text pages")
    results["pages"] = bench_pages(plan.pages)
    step("ingest: adaptive against fixed polling (simulated)")
    results["polling"] = polling_bench.measure(plan.polling_days)
    step("alert: rule throughput")
    texts = [a.text for a in corpus.generate(plan.rule_texts, seed=2, prefix="r")]
    results["rules"] = bench_rules(texts)
    measure_enrich(plan, broker, workdir, results)
    step("enrich: cost per article per language")
    results["languages"] = bench_languages(rounds=plan.enrich_rounds)
    measure_latency(plan, broker, workdir, results)
    step("latency: WebSub push, hub POST → alert")
    results["push"] = push_bench.measure(broker.bootstrap, workdir, plan.pushes)
    for poll_s in CHANNEL_POLLS_S:
        step(f"latency: channel post → incident, polled every {poll_s:g} s")
        results[f"channel_{poll_s:g}s"] = channel_bench.measure(
            broker.bootstrap, workdir, plan.channel_posts, poll_s)
    step("notify: incident record → message at the endpoint")
    results["notify"] = notify_bench.measure(broker.bootstrap, workdir, plan.notifications)
    results["peak_rss_mb"] = {
        "ingest": results["ingest_files"]["peak_rss_mb"],
        "enrich": max(results["enrich"]["peak_rss_mb"], results["latency"]["peak_rss_mb"]["enrich"]),
        "alert": results["latency"]["peak_rss_mb"]["alert"],
        "notify": results["notify"]["peak_rss_mb"],
        "broker": peak_rss_mb(broker.pid()),
    }
    return results


def measure_feeds(plan: Plan, results: dict) -> None:
    if not FEED_CORPUS.is_dir():
        results["feeds_note"] = f"skipped: no feed corpus at {FEED_CORPUS}"
        return
    step("ingest: feed parsing")
    results["feeds"] = ingest_bench.bench_feed_entries(FEED_CORPUS, max_files=plan.feed_files,
                                                       polls=plan.feed_polls)


def measure_enrich(plan: Plan, broker: LocalBroker, workdir: Path, results: dict) -> None:
    step("enrich: baselines, then workers")
    results["enrich"] = enrich_bench.measure(broker.bootstrap, broker.pid(), workdir,
                                             rounds=plan.enrich_rounds,
                                             articles=plan.enrich_articles, step=step)


def measure_latency(plan: Plan, broker: LocalBroker, workdir: Path, results: dict) -> None:
    step("latency: enrich + alert under a paced load")
    top = enrich_bench.median_round(results["enrich"], "ratio_to_pipe")["one"]["articles_per_s"]
    rates = {level: top * share for level, share in LOAD_LEVELS.items()}
    loads = {
        level: enrich_bench.articles_for(
            corpus.generate(max(10, round(rate * plan.latency_seconds)), seed=5 + index,
                            alert=True, prefix=f"l{index}"), f"load{index}")
        for index, (level, rate) in enumerate(rates.items())
    }
    warm = enrich_bench.articles_for(corpus.generate(20, seed=9, alert=True, prefix="lw"),
                                     "latency-warm")
    results["latency"] = latency_bench.measure(broker.bootstrap, workdir, loads, warm, rates)


def step(what: str) -> None:
    BUSY_AT_STEP[what] = busy = busy_cores()
    print(f"[{time.strftime('%H:%M:%S')}] {what} (other work: {busy} cores busy)",
          file=sys.stderr, flush=True)


def noise_warning() -> str:
    noisy = {what: busy for what, busy in BUSY_AT_STEP.items() if busy > NOISY_CORES}
    if not noisy:
        return ""
    return ("\nWARNING: other processes kept the CPUs busy at the start of "
            + ", ".join(f"'{what}' ({busy} cores)" for what, busy in noisy.items())
            + ": these figures are noisy; rerun on an idle machine to compare.")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small smoke run (~3 minutes)")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench-results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.ERROR)  # malformed test feeds would flood the output
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    broker = LocalBroker(workdir / "broker", port=free_port())
    step(f"broker on {broker.bootstrap}")
    try:
        broker.start(fresh=True)
        results = measure(plan, broker, workdir)
    except BaseException:
        print(f"bench failed; logs kept in {workdir}", file=sys.stderr)
        raise
    finally:
        broker.stop()
    shutil.rmtree(workdir, ignore_errors=True)  # kept above, for the logs, when a step fails
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["busy_cores_at_step"] = BUSY_AT_STEP
    rows = build_rows(results)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = write_json(args.results_dir / f"{stamp}.json", describe(),
                      dataclasses.asdict(plan) | {"quick": args.quick}, results, rows)
    print(table(rows))
    print(f"\n{describe()['summary']}; {results['duration_s']} s; results: {path}"
          + noise_warning())
    return 0


if __name__ == "__main__":
    sys.exit(main())
