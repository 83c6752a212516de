#!/usr/bin/env python
"""Memory held by one worker process as it runs model after model (a sweep worker's life).

    python benchmarks/bench_memory.py [--runs 10000] [--authorities 150] [--no-release]
                                      [--max-kb-per-run KB]

Runs ``LPSAModel.from_scenario(scenario, seed=s).run()``, measures every registered outcome and
releases the model (``LPSAModel.release``) for seeds 1..runs in this one process, as a sweep
worker does (``experiments.runner.run_chunk``). Prints the resident set size (RSS) at the start
(after one warm-up run, which loads modules and caches) and after every 10% of the runs, with the
growth since the start in MB and per run, and how many models are still alive. With
``--no-release`` finished models are only dropped, as before ``release`` existed: a model is a
web of reference cycles, so they wait for the cyclic garbage collector (some 70 MB of them at any
time) and the process levels off after a few hundred runs. One that keeps models grows in a
straight line (a default model is about 1.7 MB). With ``--max-kb-per-run`` the exit status is 1
when the growth per run is above that many KB: give it enough runs (2,000 or more) that a one-off
level-off does not count as growth.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lpsa.model import LPSAModel  # noqa: E402
from lpsa.model.single_run import run_outcomes  # noqa: E402

MB = 2**20


def rss_mb() -> float:
    """Resident set size of this process in MB (psutil if installed, else /proc/self/statm)."""
    try:
        import psutil
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    return psutil.Process().memory_info().rss / MB


def live_models() -> int:
    """Models still reachable after a full collection (0 or 1 when nothing keeps them)."""
    gc.collect()
    return sum(isinstance(o, LPSAModel) for o in gc.get_objects())


def one_run(scenario: str, seed: int, authorities: int, release: bool = True) -> None:
    m = LPSAModel.from_scenario(scenario, seed=seed, scheme={"n_authorities": authorities})
    run_outcomes(m.run())
    if release:
        m.release()


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--runs", type=int, default=10_000, help="model runs (default 10000)")
    p.add_argument("--authorities", type=int, default=150, help="councils per run (default 150)")
    p.add_argument("--scenario", default="lpsa1_baseline", help="scenario name or path")
    p.add_argument(
        "--no-release",
        action="store_true",
        help="drop each model without releasing it (left to the cyclic garbage collector)",
    )
    p.add_argument(
        "--max-kb-per-run",
        type=float,
        default=None,
        help="exit with status 1 if RSS grows by more than this many KB per run",
    )
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")

    before_warm_up = rss_mb()
    one_run(args.scenario, 0, args.authorities)
    gc.collect()
    start = rss_mb()
    print(
        f"{args.runs} runs of {args.scenario!r}, {args.authorities} councils, in one process "
        f"(pid {os.getpid()}, Python {sys.version.split()[0]}), each model "
        + ("dropped" if args.no_release else "released")
    )
    print(
        f"RSS before warm-up {before_warm_up:.1f} MB, at start (after one warm-up run) "
        f"{start:.1f} MB"
    )
    print(
        f"{'runs':>8} {'done':>5} {'RSS MB':>9} {'growth MB':>10} {'MB/run':>8} "
        f"{'live models':>12} {'s/run':>7}"
    )
    checkpoints = {max(1, round(args.runs * k / 10)) for k in range(1, 11)}
    t0 = time.perf_counter()
    growth, overhead = 0.0, 0.0
    for seed in range(1, args.runs + 1):
        one_run(args.scenario, seed, args.authorities, release=not args.no_release)
        if seed in checkpoints:
            now = rss_mb()  # read before live_models(), whose gc.collect() a worker never calls
            growth = now - start
            t = time.perf_counter()
            per_run_s = (t - t0 - overhead) / seed  # time in runs only, not in these checks
            live = live_models()
            overhead += time.perf_counter() - t
            print(
                f"{seed:>8} {seed / args.runs:>5.0%} {now:>9.1f} {growth:>10.1f} "
                f"{growth / seed:>8.3f} {live:>12} {per_run_s:>7.3f}",
                flush=True,
            )
    per_run_kb = growth / args.runs * 1024
    print(
        f"growth {growth:.1f} MB over {args.runs} runs = {growth / args.runs:.4f} MB "
        f"({per_run_kb:.1f} KB) per run"
    )
    if args.max_kb_per_run is not None and per_run_kb > args.max_kb_per_run:
        print(f"FAIL: {per_run_kb:.1f} KB per run is above --max-kb-per-run {args.max_kb_per_run}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
