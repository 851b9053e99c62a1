"""Run every test that starts faust workers N times, each run a fresh pytest session on a fresh
broker, then N times more beside a CPU hog busy on one core; print ``N of N runs passed`` for
each round (``make test-repeat N=10``).

A flaky delivery test is a bug: this is how one shows before it reaches a newcomer's first
``make test``. Each run's output is kept in ``--results-dir`` (run-NN.log, hog-NN.log).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The tests that start faust workers: faults (SIGKILL, SIGTERM, poison, takeover), the stalled
# and stranded worker, the recovery race, the unacknowledged head, group offsets, the pipeline,
# the dedup window, incidents, failover, security, bad records on every topic, the short soak,
# the official channel's sirens, WebSub pushes, notifications.
WORKER_TESTS = [
    "tests/integration/test_faults.py",
    "tests/integration/test_read_stall.py",
    "tests/integration/test_recovery_race.py",
    "tests/integration/test_unacked_head.py",
    "tests/integration/test_group_offsets.py",
    "tests/integration/test_pipeline.py",
    "tests/integration/test_alert_worker.py",
    "tests/integration/test_windowed_state.py",
    "tests/integration/test_incidents.py",
    "tests/integration/test_failover.py",
    "tests/integration/test_security.py",
    "tests/integration/test_run.py",
    "tests/integration/test_bad_records.py",
    "tests/integration/test_soak.py",
    "tests/integration/test_sirens_replay.py",
    "tests/integration/test_websub.py",
    "tests/integration/test_notify.py",
]
HOG = "import os\nos.sched_setaffinity(0, {0})\nwhile True:\n    pass\n"


@contextlib.contextmanager
def cpu_hog():
    """A process that keeps core 0 busy (these machines have two)."""
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def run_once(log: Path) -> tuple[bool, float, str]:
    """One pytest session over the worker tests: (passed, seconds, its closing line)."""
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               *WORKER_TESTS], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              ).returncode
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    return code == 0, time.monotonic() - started, lines[-1] if lines else ""


def round_of(runs: int, label: str, results: Path) -> int:
    passed = 0
    for n in range(1, runs + 1):
        ok, seconds, closing = run_once(results / f"{label}-{n:02d}.log")
        passed += ok
        print(f"  {label} {n}/{runs}: {'passed' if ok else 'FAILED'} in {seconds:.0f} s"
              f" ({closing.strip('= ')})", flush=True)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int, nargs="?", default=10)
    parser.add_argument("--results-dir", default=str(ROOT / ".vigie" / "repeat"))
    parser.add_argument("--rounds", choices=("both", "alone", "hog"), default="both",
                        help="run both rounds (default), or only one of them")
    args = parser.parse_args(argv)
    results = Path(args.results_dir)
    results.mkdir(parents=True, exist_ok=True)
    print(f"{len(WORKER_TESTS)} test files, {args.runs} runs each round, on {os.cpu_count()}"
          f" cores; logs in {results}", flush=True)
    summary = []
    if args.rounds in ("both", "alone"):
        alone = round_of(args.runs, "run", results)
        summary.append(f"{alone} of {args.runs} runs passed")
    if args.rounds in ("both", "hog"):
        with cpu_hog():
            hogged = round_of(args.runs, "hog", results)
        summary.append(f"{hogged} of {args.runs} runs passed beside a CPU hog on one core")
    print("\n".join(summary))
    return 0 if all(line.startswith(f"{args.runs} of") for line in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
