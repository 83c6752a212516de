"""``lpsa discover RESULTS --outcome retained_gain_3y --below 0.5``: scenario discovery (PRIM).

RESULTS is a sweep results folder (its ``runs.parquet``), a Parquet/CSV table with one row per run,
or a sweep file, which is run (or resumed) first so that the report regenerates in one command.
The boxes are found by ``discover.discover`` and reported by ``discover_report``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from lpsa.model import ScenarioError

from . import arguments, io
from .arguments import add_overwrite, fraction, positive_int
from .command_context import CommandContext
from .discover import default_inputs, discover
from .discover_report import write_report
from .formatting import fixed
from .sweeps import load_finished_sweep, results_for


def read_runs(path: Path) -> pd.DataFrame:
    """The runs table of a sweep's folder (checked as ``lpsa report`` checks it), or of a
    Parquet/CSV file; a file that cannot be read is refused in one line naming it."""
    if path.is_dir():
        if (path / "manifest.json").is_file():
            return load_finished_sweep(path)[0]
        found = next((path / n for n in ("runs.parquet", "runs.csv") if (path / n).is_file()), None)
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
    if path.suffix not in (".parquet", ".csv"):
        raise ScenarioError(f"{path}: unknown table type {path.suffix!r}; allowed: .parquet, .csv")
    return io.read_table(path, "a table of runs")


def main(argv: list[str]) -> int:
    """Run ``lpsa discover``; returns the exit status."""
    ap = arguments.Parser(
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
    add_overwrite(ap)
    args = ap.parse_args(argv)

    args.results = results_for(args.results)
    runs = read_runs(args.results)
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
    if not pd.api.types.is_numeric_dtype(runs[args.outcome]):
        bad = runs[args.outcome][pd.to_numeric(runs[args.outcome], errors="coerce").isna()]
        shown = f": got {str(bad.iloc[0])[:50]!r}" if len(bad) else ""
        raise ScenarioError(
            f"{args.results}: column {args.outcome!r} is not numbers{shown}; allowed: an "
            "outcome column of numbers"
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
    out = (
        args.out
        or (args.results if args.results.is_dir() else args.results.parent)
        / f"discovery-{args.outcome}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    ctx = CommandContext("discover", argv, out, overwrite=args.overwrite)
    found = discover(runs, inputs, cases, args.boxes, args.min_density)
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
