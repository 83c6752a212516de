#!/usr/bin/env python
"""Sweep throughput: runs per second of the default scenario on 1 and 2 local worker processes and
on a Dask LocalCluster with 2 workers (process start-up included, as a user sees it).

    python benchmarks/bench_sweep.py [--runs 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lpsa.experiments.arguments import make_executor  # noqa: E402
from lpsa.experiments.design import Experiment  # noqa: E402
from lpsa.experiments.sweeps import run_sweep  # noqa: E402

BACKENDS = (
    ("1 local worker", 1, None),
    ("2 local workers", 2, None),
    ("Dask LocalCluster, 2 workers", 2, "local"),
)


def throughput(runs: int, backends=BACKENDS) -> list[tuple[str, float, float]]:
    """(backend, seconds, runs per second) of a ``runs``-run sweep of the default scenario, in
    chunks of the sweep files' default size (``chunk_size``, 20 runs)."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        sweep_file = Path(tmp) / "bench.yaml"
        sweep_file.write_text(
            f"name: bench\nbase: lpsa1_baseline\nreplications: {max(1, runs // 4)}\n"
            "levers:\n"
            "  funding.ppg_share: {values: [0.1, 0.4, 0.7, 1.0]}\n"
        )
        sweep = Experiment(sweep_file)
        n_runs = sweep.spec.n_points() * sweep.spec.replications
        for label, workers, dask in backends:
            with ExitStack() as stack:
                t0 = time.perf_counter()
                executor, backend, health = make_executor(stack, workers, dask)
                out = Path(tmp) / label.replace(" ", "_").replace(",", "")
                run_sweep(sweep, out, executor, backend, progress=False, health=health)
                elapsed = time.perf_counter() - t0
            results.append((label, elapsed, n_runs / elapsed))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    print(f"{max(1, args.runs // 4) * 4} runs of the default scenario (150 councils), no twins")
    print(f"{'backend':<28} {'seconds':>8} {'runs/s':>8}")
    for label, elapsed, rate in throughput(args.runs):
        print(f"{label:<28} {elapsed:>8.1f} {rate:>8.1f}")


if __name__ == "__main__":
    main()
