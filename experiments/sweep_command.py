"""``lpsa sweep EXPERIMENT``: run an experiment file's sweep, resumable, on any executor
(``sweeps``)."""

from __future__ import annotations

import time
from pathlib import Path

from . import arguments
from .arguments import add_executor_arguments, add_max_runs, add_overwrite, add_size_limits
from .design import Experiment
from .sweeps import check_sweep_file, check_sweep_size, sweep_with_retries


def main(argv: list[str]) -> int:
    """Run ``lpsa sweep``; returns the exit status (1 when some run failed)."""
    ap = arguments.Parser(prog="lpsa sweep", description="Run a scenario sweep (resumable).")
    ap.add_argument(
        "experiment", type=Path, help="experiment file, e.g. experiments/ppg_vs_reward.yaml"
    )
    add_executor_arguments(ap)
    add_max_runs(ap)
    ap.add_argument("--out", type=Path, help="results folder (default results/<experiment name>)")
    add_overwrite(ap)
    add_size_limits(ap)
    ap.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = ap.parse_args(argv)
    experiment = Experiment(args.experiment, args.max_runs)
    check_sweep_file(experiment, args.max_runs)
    out = args.out or Path("results") / experiment.spec.name
    check_sweep_size(experiment, out, args.workers, args.dask, args.max_memory, args.max_disk)
    start = time.perf_counter()
    runs, backend = sweep_with_retries(
        experiment,
        out,
        args.workers,
        args.dask,
        args.retries,
        args.worker_timeout,
        progress=not args.quiet,
        overwrite=args.overwrite,
    )
    failed = runs[runs["status"] != "ok"]
    if not args.quiet:
        print(
            f"{experiment.spec.name}: {len(runs)} runs ({len(experiment.points)} points x "
            f"{experiment.spec.replications}) in {time.perf_counter() - start:.1f} s on "
            f"{backend}; results in {out / 'runs.parquet'}"
        )
    if len(failed):
        print(
            f"{len(failed)} run(s) failed; their parameters and errors are in "
            f"{out / 'runs.parquet'} (status == 'failed'):"
        )
        print(failed[["run_id", "point", "replication", "error"]].head(10).to_string(index=False))
        return 1
    return 0
