"""``lpsa calibrate``: approximate Bayesian computation by rejection against P1-P8.

Method (documented in docs/calibration.md):
1. Prior: independent uniforms over the ranges in ``experiments/uncertain_parameters.yaml``; a
   scrambled Latin hypercube (scipy.stats.qmc, seeded) of ``--samples`` points.
2. Each point runs ``--replications`` times on common seeds; its summary statistics are the mean
   P1-P8 statistics of ``experiments/validate.py``.
3. Distance: the root mean square of standardised discrepancies: for the level patterns, the
   distance
   from the evidence's value (P1a 0.40, P1b 0.25, P4 0.90, P7 0.39) over half the tolerance band;
   for the direction patterns, how far below zero the difference falls, over 0.05.
4. Rejection: a point is accepted when every pattern is inside its tolerance and its distance is in
   the lowest ``--accept`` fraction of all points. The accepted points are the posterior sample; the
   accepted region is summarised by their 5-95 % quantiles.
5. The calibrated point is the posterior median (a central point of the accepted region, less noisy
   than the single closest point); it is run again with ``--check-replications`` to report its fit.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

import numpy as np
import pandas as pd

from . import io, provenance
from .arguments import default_out, fraction, make_executor, positive_int
from .design import check_run_count, sample_unit_cube
from .uncertainty import add_analysis_arguments, evaluate_points, load_uncertain, to_points
from .validate import PATTERNS, check_patterns, pattern_values

TARGETS = {"P1a": 0.40, "P1b": 0.25, "P4": 0.90, "P7": 16 / 41}
"""Where the evidence puts the level patterns (001:127, 003:418)."""
DIRECTION_SCALE = 0.05


def discrepancy(stats: pd.DataFrame) -> pd.Series:
    """Root mean square of standardised discrepancies from the evidence, one value per point."""
    parts = []
    for p in PATTERNS:
        v = stats[p.id]
        if p.kind == "level":
            parts.append((v - TARGETS[p.id]) / ((p.high - p.low) / 2))
        else:
            parts.append(np.maximum(0.0, p.low - v) / DIRECTION_SCALE)
    return np.sqrt(pd.concat(parts, axis=1).pow(2).mean(axis=1))


def within_tolerance(stats: pd.DataFrame) -> pd.Series:
    ok = pd.Series(True, index=stats.index)
    for p in PATTERNS:
        ok &= (
            (stats[p.id] >= p.low) & (stats[p.id] <= p.high)
            if p.kind == "level"
            else stats[p.id] > p.low
        )
    return ok


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="lpsa calibrate", description="ABC rejection calibration against P1-P8."
    )
    add_analysis_arguments(ap)
    ap.add_argument(
        "--samples", type=positive_int, default=400, help="prior sample size (default 400)"
    )
    ap.add_argument(
        "--accept",
        type=fraction,
        default=0.1,
        help="fraction of points kept by distance (default 0.1)",
    )
    ap.add_argument(
        "--check-replications",
        type=positive_int,
        default=20,
        help="replications to check the calibrated point (default 20)",
    )
    args = ap.parse_args(argv)
    exp, params = load_uncertain(args.parameters)
    check_run_count("--samples", args.samples, args.replications, args.max_runs)
    base = exp.base
    out = args.out or default_out(f"calibration-{base.name}")
    io.prepare_folder(out)
    started = provenance.now()
    points = to_points(params, sample_unit_cube("lhs", len(params), args.samples, args.seed))
    with ExitStack() as stack:
        executor, backend, _ = make_executor(
            stack, args.workers, args.dask, args.retries, args.worker_timeout
        )
        runs = evaluate_points(
            base,
            points,
            args.replications,
            args.seed,
            pattern_values,
            executor,
            progress="calibrate",
        )
    names = [p.path for p in params]
    stats = runs.groupby("point")[[p.id for p in PATTERNS] + names].mean()
    stats["distance"] = discrepancy(stats)
    stats["within_tolerance"] = within_tolerance(stats)
    cutoff = stats["distance"].quantile(args.accept)
    stats["accepted"] = stats["within_tolerance"] & (stats["distance"] <= cutoff)
    accepted = stats[stats["accepted"]]
    io.write_csv(out / "calibration_points.csv", stats.reset_index())
    if accepted.empty:
        print(
            f"no point reproduced every pattern within tolerance ({len(stats)} points); see "
            f"{out / 'calibration_points.csv'}"
        )
        return 1
    calibrated = {n: float(accepted[n].median()) for n in names}
    with ExitStack() as stack:
        executor, _, _ = make_executor(
            stack, args.workers, args.dask, args.retries, args.worker_timeout
        )
        check_runs = evaluate_points(
            base,
            [calibrated],
            args.check_replications,
            args.seed,
            pattern_values,
            executor,
            progress="check",
        )
    checked = check_patterns({p.id: check_runs[p.id].tolist() for p in PATTERNS})
    region = pd.DataFrame(
        {
            "parameter": names,
            "prior_low": [p.low for p in params],
            "prior_high": [p.high for p in params],
            "posterior_5%": [accepted[n].quantile(0.05) for n in names],
            "posterior_median": [accepted[n].median() for n in names],
            "posterior_95%": [accepted[n].quantile(0.95) for n in names],
            "calibrated": [calibrated[n] for n in names],
            "reason": [p.reason for p in params],
        }
    )
    region["narrowing"] = 1 - (region["posterior_95%"] - region["posterior_5%"]) / (
        0.9 * (region["prior_high"] - region["prior_low"])
    )
    fit = pd.DataFrame(
        {
            "pattern": [p.id for p in PATTERNS],
            "evidence": [p.evidence for p in PATTERNS],
            "tolerance": [f"{p.low:g} .. {p.high:g}" for p in PATTERNS],
            "calibrated point": checked["model"].to_numpy(),
            "95% CI low": checked["ci_low"].to_numpy(),
            "95% CI high": checked["ci_high"].to_numpy(),
            "passes": np.where(checked["passed"], "yes", "NO"),
            "accepted 5%": [accepted[p.id].quantile(0.05) for p in PATTERNS],
            "accepted 95%": [accepted[p.id].quantile(0.95) for p in PATTERNS],
        }
    )
    io.write_csv(out / "accepted_region.csv", region)
    lines = [
        "# Calibration (ABC rejection)",
        "",
        (__doc__ or "").split("Method (documented in docs/calibration.md):")[1].strip(),
        "",
        f"Run: `lpsa calibrate {' '.join(argv)}`; {len(stats)} prior points x {args.replications} "
        "replications, "
        f"{int(stats['within_tolerance'].sum())} inside every tolerance, {len(accepted)} accepted "
        f"(distance <= {cutoff:.3f}). The calibrated point (posterior median) was checked with "
        f"{args.check_replications} replications.",
        "",
        "## Accepted region",
        "",
        region.to_markdown(index=False, floatfmt=".3f"),
        "",
        "## Fit of each pattern",
        "",
        fit.to_markdown(index=False, floatfmt=".3f"),
        "",
        "## Calibrated point as scenario overrides",
        "",
        "```yaml",
    ]
    for n in names:
        lines.append(f"{n}: {calibrated[n]:.4g}")
    lines += ["```", ""]
    io.write_text(out / "calibration.md", "\n".join(lines))
    provenance.record(
        out,
        "calibrate",
        argv,
        started,
        identity=exp.identity(),
        seed=args.seed,
        samples=args.samples,
        replications=args.replications,
        backend=backend,
    )
    print("\n".join(lines[-len(names) - 3 :]))
    print(f"Report written to {out / 'calibration.md'}")
    if not checked["passed"].all():
        print(
            f"the calibrated point fails: {', '.join(checked.loc[~checked['passed'], 'pattern'])}"
        )
        return 1
    return 0
