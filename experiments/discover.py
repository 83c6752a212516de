"""``lpsa discover RESULTS --outcome retained_gain_3y --below 0.5``: scenario discovery (PRIM).

Finds the boxes of input space (swept parameters) where an outcome is poor, with the Patient Rule
Induction Method (the ``prim`` package, from the EMA Workbench line of scenario-discovery tools).
Each box is reported with its limits on the restricted inputs, its coverage (share of all cases of
interest that fall in the box), density (share of the box's runs that are cases of interest) and
mass (share of all runs in the box). The box chosen on each peeling trajectory is the one with the
largest coverage among those with at least ``--min-density``.

RESULTS is a sweep results folder (its ``runs.parquet``), a Parquet/CSV table with one row per run,
or a sweep file, which is run (or resumed) first so that the report regenerates in one command.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model import ScenarioError
from model.outcomes import REGISTRY

from . import io
from .arguments import fraction, positive_int
from .command_context import CommandContext
from .formatting import fixed, pct, significant

NOT_INPUTS = {
    "point",
    "point_id",
    "replication",
    "seed",
    "run",
    "run_id",
    "status",
    "error",
    "chunk",
    "elapsed_s",
    "name",
    "scenario",
    "replications",
}
"""Identifier columns; outcome columns (the registry's) are not inputs either."""


def load_runs(path: Path) -> pd.DataFrame:
    """The runs table from a sweep folder or a Parquet/CSV file."""
    if path.is_dir():
        candidates = [path / "runs.parquet", path / "runs.csv"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise ScenarioError(
                f"{path}: no runs.parquet or runs.csv in this folder; allowed: a sweep results "
                "folder or a table file"
            )
        path = found
    if not path.is_file():
        raise ScenarioError(
            f"{path}: not found; allowed: a sweep results folder or a .parquet/.csv table"
        )
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    raise ScenarioError(f"{path}: unknown table type {path.suffix!r}; allowed: .parquet, .csv")


def default_inputs(runs: pd.DataFrame, outcome: str) -> list[str]:
    """Numeric or boolean columns that vary and are neither outcomes nor identifiers: the swept
    parameters."""
    cols = []
    for c in runs.columns:
        if (
            c == outcome
            or c in NOT_INPUTS
            or c in REGISTRY
            or c.startswith(("retained_", "additionality", "true_"))
        ):
            continue
        s = runs[c]
        if (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and s.nunique(
            dropna=True
        ) > 1:
            cols.append(c)
    return cols


def choose_box(trajectory: pd.DataFrame, min_density: float) -> int:
    """Index on the peeling trajectory: largest coverage with density >= min_density, else the
    densest."""
    ok = trajectory[trajectory["density"] >= min_density]
    return int(ok["coverage"].idxmax()) if len(ok) else int(trajectory["density"].idxmax())


def discover(
    runs: pd.DataFrame,
    inputs: list[str],
    cases: np.ndarray,
    boxes: int,
    min_density: float,
    mass_min: float = 0.05,
) -> list[dict]:
    """Run PRIM for up to ``boxes`` boxes; each result has limits, coverage, density, mass and its
    peeling trajectory."""
    import prim

    x = runs[inputs].astype(float).reset_index(drop=True)
    p = prim.Prim(x, cases.astype(float), threshold=0.5, threshold_type=">", mass_min=mass_min)
    found = []
    for _ in range(boxes):
        try:
            box = p.find_box()
        except prim.PrimError:
            break
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        i = choose_box(traj, min_density)
        box.select(i)
        limits = box.limits.copy()
        found.append(
            {
                "limits": limits,
                "coverage": float(box.coverage),
                "density": float(box.density),
                "mass": float(box.mass),
                "trajectory": traj,
                "selected": i,
            }
        )
    return found


def _bounds(limits: pd.DataFrame, name: str) -> tuple[float, float]:
    return float(limits.loc[name, "min"]), float(limits.loc[name, "max"])


def write_report(
    out: Path,
    source: Path,
    runs: pd.DataFrame,
    inputs: list[str],
    outcome: str,
    rule: str,
    cases: np.ndarray,
    found: list[dict],
) -> None:
    """discovery.md and boxes.csv, then a figure per box."""
    lines = [
        f"# Scenario discovery: {outcome} {rule}",
        "",
        f"Source `{source}`: {len(runs)} runs, {int(cases.sum())} cases of interest "
        f"({pct(cases.mean(), 1)}); "
        f"inputs: {', '.join(f'`{c}`' for c in inputs)}. Method: PRIM (`prim` package), box chosen "
        "on each "
        "peeling trajectory with the largest coverage at the required density.",
        "",
    ]
    rows = []
    for k, b in enumerate(found, 1):
        lim = b["limits"]
        lines += [
            f"## Box {k}",
            "",
            f"Coverage {fixed(b['coverage'], 2)}, density {fixed(b['density'], 2)}, "
            f"mass {fixed(b['mass'], 2)}.",
            "",
            "| input | box min | box max | input range |",
            "|---|---|---|---|",
        ]
        for name in lim.index:
            lo, hi = _bounds(lim, name)
            lines.append(
                f"| `{name}` | {significant(lo, 4)} | {significant(hi, 4)} | "
                f"{significant(runs[name].min(), 4)} .. {significant(runs[name].max(), 4)} |"
            )
            rows.append(
                {
                    "box": k,
                    "input": name,
                    "min": lo,
                    "max": hi,
                    "coverage": b["coverage"],
                    "density": b["density"],
                    "mass": b["mass"],
                }
            )
        lines += ["", f"![box {k}](box_{k}.png)", ""]
    if not found:
        lines.append("PRIM found no box.")
    io.write_csv(
        out / "boxes.csv",
        pd.DataFrame(rows, columns=["box", "input", "min", "max", "coverage", "density", "mass"]),
    )
    io.write_text(out / "discovery.md", "\n".join(lines))
    for k, b in enumerate(found, 1):
        box_figure(out, k, b, runs, inputs, f"{outcome} {rule}", cases)


def box_figure(
    out: Path,
    k: int,
    b: dict,
    runs: pd.DataFrame,
    inputs: list[str],
    case_label: str,
    cases: np.ndarray,
) -> None:
    """The peeling trajectory and the box on its first two inputs (after the tables)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lim = b["limits"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    t = b["trajectory"]
    axes[0].plot(t["coverage"], t["density"], "o-", ms=3)
    axes[0].plot(
        t.loc[b["selected"], "coverage"],
        t.loc[b["selected"], "density"],
        "o",
        color="red",
        ms=8,
        label="chosen box",
    )
    axes[0].set_xlabel("coverage")
    axes[0].set_ylabel("density")
    axes[0].set_title("peeling trajectory")
    axes[0].legend()
    dims = (
        list(lim.index[:2])
        if len(lim.index) >= 2
        else list(lim.index) + [c for c in inputs if c not in lim.index][:1]
    )
    if len(dims) == 2:
        xs, ys = runs[dims[0]], runs[dims[1]]
        axes[1].scatter(xs[~cases], ys[~cases], s=6, c="#bbbbbb", label="other runs")
        axes[1].scatter(xs[cases], ys[cases], s=6, c="#e76f51", label=case_label)
        x0, x1 = _bounds(lim, dims[0]) if dims[0] in lim.index else (xs.min(), xs.max())
        y0, y1 = _bounds(lim, dims[1]) if dims[1] in lim.index else (ys.min(), ys.max())
        axes[1].add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ec="black"))
        axes[1].set_xlabel(dims[0])
        axes[1].set_ylabel(dims[1])
        axes[1].legend(fontsize=8, loc="best")
    fig.suptitle(f"Box {k}: coverage {fixed(b['coverage'], 2)}, density {fixed(b['density'], 2)}")
    fig.tight_layout()
    io.save_figure(out / f"box_{k}.png", fig)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="lpsa discover", description="Scenario discovery with PRIM on sweep results."
    )
    ap.add_argument(
        "results",
        type=Path,
        help="sweep results folder (runs.parquet), a .parquet/.csv table, or an experiment "
        "file (run or resumed first)",
    )
    ap.add_argument("--outcome", required=True, help="output column, e.g. retained_gain_3y")
    rule = ap.add_mutually_exclusive_group(required=True)
    rule.add_argument("--below", type=float, help="cases of interest: outcome below this value")
    rule.add_argument("--above", type=float, help="cases of interest: outcome above this value")
    ap.add_argument(
        "--inputs",
        help="comma-separated input columns (default: every varying numeric non-output column)",
    )
    ap.add_argument("--boxes", type=positive_int, default=1, help="boxes to find (default 1)")
    ap.add_argument(
        "--min-density",
        type=fraction,
        default=0.8,
        help="density required of a chosen box (default 0.8)",
    )
    ap.add_argument(
        "--out", type=Path, help="output folder (default <results>/discovery-<outcome>)"
    )
    args = ap.parse_args(argv)
    from .sweeps import results_for

    args.results = results_for(args.results)
    runs = load_runs(args.results)
    if "status" in runs:
        runs = runs[runs["status"] == "ok"]
    if args.outcome not in runs:
        numeric = [c for c in runs.columns if pd.api.types.is_numeric_dtype(runs[c])]
        raise ScenarioError(
            f"{args.results}: --outcome {args.outcome!r} is not a column; allowed: "
            f"{', '.join(numeric)}"
        )
    inputs = args.inputs.split(",") if args.inputs else default_inputs(runs, args.outcome)
    missing = [c for c in inputs if c not in runs]
    if missing or not inputs:
        raise ScenarioError(
            f"{args.results}: --inputs {missing or '(none found)'} not in the table; allowed: "
            f"{', '.join(default_inputs(runs, args.outcome))}"
        )
    runs = runs.dropna(subset=[args.outcome, *inputs]).reset_index(drop=True)
    values = runs[args.outcome].to_numpy()
    cases = values < args.below if args.below is not None else values > args.above
    rule_text = f"< {args.below:g}" if args.below is not None else f"> {args.above:g}"
    if cases.sum() == 0 or cases.all():
        raise ScenarioError(
            f"{args.results}: no contrast: {int(cases.sum())} of {len(cases)} runs have "
            f"{args.outcome} {rule_text}; "
            "allowed: a threshold that splits the runs"
        )
    found = discover(runs, inputs, cases, args.boxes, args.min_density)
    out = (
        args.out
        or (args.results if args.results.is_dir() else args.results.parent)
        / f"discovery-{args.outcome}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    ctx = CommandContext("discover", argv, out)
    write_report(out, args.results, runs, inputs, args.outcome, rule_text, cases, found)
    ctx.record(
        source=str(args.results),
        inputs=inputs,
        outcome=args.outcome,
        rule=rule_text,
        boxes=len(found),
    )
    for k, b in enumerate(found, 1):
        print(
            f"box {k}: coverage {fixed(b['coverage'], 2)}, density {fixed(b['density'], 2)}, "
            f"mass {fixed(b['mass'], 2)}"
        )
        print(b["limits"][["min", "max"]].to_string())
    print(f"Report written to {out / 'discovery.md'}")
    return 0
