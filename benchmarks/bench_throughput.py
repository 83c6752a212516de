#!/usr/bin/env python
"""Every throughput figure, side by side in one run, against its target (issues 11 and 23).

    python benchmarks/bench_throughput.py [--repeats 21] [--sweep-runs 4000] [--memory-runs 10000]

- one default run end to end in process on one core: building the model, running it, and its
  public ``summary()`` (every registered outcome), medians of ``--repeats`` runs;
- a bare numpy kernel of the same size (targets x quarters, a dozen vectorised operations a
  quarter, including drawing one normal per target), and the ratio of the run to it (target: at
  most 2.5x); beside it, the ratio of the model's compiled quarters alone (no build, no summary);
- sweep throughput on 1 and 2 local workers, no twins (``bench_sweep.py``), over a sweep of
  ``--sweep-runs`` runs (default 4,000: the issue's comparison of two regimes), worker start-up
  and writing the results included (target on 2 workers: at least 500 runs a second);
- the dashboard's server time per Step click (``bench_dashboard.step_ms``; target: at most
  25 ms);
- the growth of one worker's memory over ``--memory-runs`` runs (``bench_memory.py``);
- one run (build + run) with 1,000 and with 10,000 councils: the median of ``--big-repeats``
  (default 7), with the fastest and slowest. At 10,000 councils a run writes about 80 MB of
  fresh history, and numpy's request for transparent huge pages makes some runs stall where
  Linux compacts memory to find them: 10,000 councils are timed as numpy does by default, then
  as the ``lpsa`` command runs them (``experiments.arguments.without_huge_pages``), and the
  target is judged on the latter.
Figures only: nothing here is a test, and no test times anything.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_dashboard import step_ms  # noqa: E402
from bench_model import scenario_of_size, time_phases  # noqa: E402
from bench_sweep import BACKENDS, throughput  # noqa: E402

from lpsa.experiments.arguments import without_huge_pages  # noqa: E402
from lpsa.model import LPSAModel, Scenario  # noqa: E402
from lpsa.model.quarter import run_quarters  # noqa: E402


def numpy_kernel(n_targets: int, quarters: int, seed: int = 0) -> None:
    """A dozen vectorised operations a quarter on arrays of ``n_targets``: the floor of a run."""
    rng = np.random.default_rng(seed)
    effort = rng.random(n_targets)
    ceiling = 1.0 + rng.random(n_targets)
    exposure = rng.random(n_targets)
    core = np.zeros(n_targets)
    shock = np.zeros(n_targets)
    background = np.zeros(n_targets)
    history = np.zeros((quarters, n_targets))
    for t in range(quarters):
        z = rng.standard_normal(n_targets)  # 1
        shock = 0.7 * shock + 0.05 * z  # 2, 3
        active = effort > 0.1 * (t % 3)  # 4
        room = np.maximum(ceiling - core - background, 0.0)  # 5, 6, 7
        gain = 0.3 * effort * room  # 8, 9
        core = core + np.where(active, gain, 0.0)  # 10, 11
        background = background + 0.005  # 12
        history[t] = core + background + exposure * shock  # 13, 14, 15


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def compiled_quarters_only(sc: Scenario, repeats: int) -> float:
    """Median ms of the model's compiled quarters alone (``quarter.run_quarters``), without the
    build (which makes its inputs, ``quarter.dynamics``) or the summary: the floor the run's own
    dynamics set, to read the ratio target against."""
    times = []
    for seed in range(repeats):
        m = LPSAModel(sc, seed=seed)
        t0 = time.perf_counter()
        run_quarters(m.quarter, m.n_quarters, *m.dynamics)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def one_default_run(repeats: int) -> dict[str, float]:
    """Median build, run and ``summary()`` times [ms] of the default scenario (parsed once), the
    compiled quarters alone, and the bare kernel of the same size."""
    sc = scenario_of_size(150)
    t = time_phases(sc, repeats)
    med = {phase: t[phase] * 1e3 for phase in ("build", "run", "summary")}
    med["total"] = med["build"] + med["run"] + med["summary"]
    med["quarters only"] = compiled_quarters_only(sc, repeats)
    med["kernel"] = median_ms(lambda: numpy_kernel(t["targets"], t["quarters"]), repeats)
    med["targets"], med["quarters"] = t["targets"], t["quarters"]
    return med


def spread(t: dict[str, float], repeats: int) -> str:
    return f"median of {repeats} build + run; {t['fastest']:.2f}-{t['slowest']:.2f} s"


def memory_growth(runs: int) -> float:
    """Growth [MB] of one process's memory over ``runs`` default runs (bench_memory.py)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "bench_memory.py"), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"growth ([\d.]+) MB", out).group(1))


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--sweep-runs", type=int, default=4000)
    p.add_argument("--memory-runs", type=int, default=10_000)
    p.add_argument("--big-repeats", type=int, default=7, help="runs timed at 1,000 and 10,000")
    p.add_argument(
        "--big-councils",
        type=int,
        default=10_000,
        help="councils of the large run (default 10,000, the size its target is set for)",
    )
    p.add_argument("--step-quarters", type=int, default=40, help="dashboard Steps timed")
    args = p.parse_args()

    one = one_default_run(args.repeats)
    ratio = one["total"] / one["kernel"]
    step = step_ms(args.step_quarters)
    rates = {label: rate for label, _, rate in throughput(args.sweep_runs, BACKENDS[:2])}
    growth = memory_growth(args.memory_runs)
    n_big = args.big_councils
    big = {n: time_phases(scenario_of_size(n), args.big_repeats) for n in (1_000, n_big)}
    without_huge_pages()
    big["lpsa"] = time_phases(scenario_of_size(n_big), args.big_repeats)
    for t in big.values():
        t["one run"] = t["build"] + t["run"]
    verdict = " (met)" if big["lpsa"]["one run"] <= 0.3 else " (not met)"
    big_target = "at most 0.3 s" + (verdict if n_big == 10_000 else " at 10,000: not judged here")

    rows = [
        ("one default run: build", f"{one['build']:.1f} ms", ""),
        ("one default run: run", f"{one['run']:.1f} ms", ""),
        ("one default run: summary()", f"{one['summary']:.1f} ms", ""),
        ("one default run: total", f"{one['total']:.1f} ms", ""),
        (
            f"bare numpy kernel ({one['targets']:,} targets x {one['quarters']} quarters)",
            f"{one['kernel']:.1f} ms",
            "",
        ),
        (
            "run end to end / kernel",
            f"{ratio:.1f}x",
            "at most 2.5x" + (" (met)" if ratio <= 2.5 else " (not met)"),
        ),
        (
            "the model's compiled quarters alone / kernel",
            f"{one['quarters only'] / one['kernel']:.1f}x",
            f"{one['quarters only']:.2f} ms: no build, no summary, no Python around the call",
        ),
        (
            f"sweep of {args.sweep_runs:,} runs, 1 worker, no twins",
            f"{rates['1 local worker']:.0f} runs/s",
            "",
        ),
        (
            f"sweep of {args.sweep_runs:,} runs, 2 workers, no twins",
            f"{rates['2 local workers']:.0f} runs/s",
            "at least 500" + (" (met)" if rates["2 local workers"] >= 500 else " (not met)"),
        ),
        (
            "dashboard: server time per Step (median)",
            f"{step:.0f} ms",
            "at most 25 ms" + (" (met)" if step <= 25 else " (not met)"),
        ),
        (
            f"one worker's memory growth over {args.memory_runs:,} runs",
            f"{growth:.1f} MB",
            "under 50 MB" + (" (met)" if growth < 50 else " (not met)"),
        ),
        (
            "1,000 councils, one run",
            f"{big[1_000]['one run']:.3f} s",
            spread(big[1_000], args.big_repeats),
        ),
        (
            f"{n_big:,} councils, one run, numpy's huge pages",
            f"{big[n_big]['one run']:.2f} s",
            spread(big[n_big], args.big_repeats),
        ),
        (
            f"{n_big:,} councils, one run, as lpsa runs it",
            f"{big['lpsa']['one run']:.2f} s",
            f"{big_target}; {spread(big['lpsa'], args.big_repeats)}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'now':>12}  target")
    for name, now, target in rows:
        print(f"{name:<{width}}  {now:>12}  {target}")


if __name__ == "__main__":
    main()
