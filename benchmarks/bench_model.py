#!/usr/bin/env python
"""Speed of one model run, in process, on one core.

    python benchmarks/bench_model.py [--repeats N] [--sizes 150 388 1000 10000]

Prints the median wall time of a default run (150 councils x 12 targets, negotiation, 12 quarters of
implementation and 5 years of follow-up) and of runs with 388, 1,000 and 10,000 councils, with the
cost per target-quarter so that linearity can be read off. Aims (issue 2): <= 25 ms per default run,
10,000 councils within 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lpsa.model import LPSAModel, Scenario, load_scenario  # noqa: E402


def scenario_of_size(n_authorities: int) -> Scenario:
    """The default scenario with ``n_authorities`` councils. The central team's capacity scales
    with the scheme so that the timeline (and the number of quarters) stays the same."""
    scale = n_authorities / 150
    return load_scenario(
        "lpsa1_baseline",
        {
            "scheme": {
                "n_authorities": n_authorities,
                "n_pilots": round(20 * scale),
                "negotiation_capacity": max(1, round(20 * scale)),
            }
        },
    )


def time_phases(sc: Scenario, repeats: int) -> dict[str, float]:
    """Median seconds to build, run and summarise (``summary()``: every outcome) one run of
    ``sc``, after a warm-up; the ``fastest`` and ``slowest`` build + run; the run's ``targets``
    and ``quarters``."""
    warm_up = LPSAModel(sc, seed=0).run()
    warm_up.summary()
    size = {"targets": warm_up.targets.shape[0] * warm_up.targets.shape[1]}
    size["quarters"] = warm_up.n_quarters
    del warm_up  # as in a sweep, where a run's model is dropped before the next is built
    times: dict[str, list[float]] = {"build": [], "run": [], "summary": []}
    for seed in range(repeats):
        t0 = time.perf_counter()
        m = LPSAModel(sc, seed=seed)
        t1 = time.perf_counter()
        m.run()
        t2 = time.perf_counter()
        m.summary()
        t3 = time.perf_counter()
        del m
        for phase, seconds in zip(times, (t1 - t0, t2 - t1, t3 - t2)):
            times[phase].append(seconds)
    runs = [b + r for b, r in zip(times["build"], times["run"])]
    medians = {phase: statistics.median(v) for phase, v in times.items()}
    return {**medians, "fastest": min(runs), "slowest": max(runs), **size}


def time_runs(n_authorities: int, repeats: int) -> tuple[float, float, int]:
    """Median build + run seconds, median build seconds, and quarters of a run of that size."""
    t = time_phases(scenario_of_size(n_authorities), repeats)
    return t["build"] + t["run"], t["build"], t["quarters"]


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=21,
        help="runs timed per size (a third of them, at least 1, above 1,000 councils)",
    )
    p.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[150, 388, 1000, 10_000],
        help="councils per run (default 150 388 1000 10000)",
    )
    args = p.parse_args()
    print(
        f"{'councils':>9} {'targets':>8} {'quarters':>8} {'median run':>11} "
        f"{'of which build':>15} {'per target-quarter':>19}"
    )
    for n in args.sizes:
        reps = args.repeats if n <= 1000 else max(1, args.repeats // 3)
        total, build, quarters = time_runs(n, reps)
        per_tq = total / (n * 12 * quarters) * 1e9
        print(
            f"{n:>9,} {n * 12:>8,} {quarters:>8} "
            f"{total * 1e3:>9.1f}ms {build * 1e3:>13.1f}ms {per_tq:>16.0f} ns"
        )


if __name__ == "__main__":
    main()
