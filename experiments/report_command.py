"""``lpsa report results/<sweep>``: a markdown report with figures for any sweep
(``sweep_summary``, ``sweep_summary_report``); an experiment file is run or resumed first.

The report is written beside the sweep's results, under the folder's lock (a sweep still writing
there, or another report, is refused at once), with its own ``report-manifest.json``; the sweep's
``runs.parquet`` is checked against the checksum its manifest records before it is read."""

from __future__ import annotations

from pathlib import Path

from .arguments import Parser
from .command_context import CommandContext
from .sweep_summary import compare_scenarios, one_parameter_set, parameter_set_caveat
from .sweep_summary_report import write_report
from .sweeps import load_finished_sweep, results_for


def main(argv: list[str]) -> int:
    """Run ``lpsa report``; returns the exit status."""
    ap = Parser(prog="lpsa report", description="Write a markdown report with figures for a sweep.")
    ap.add_argument(
        "results",
        type=Path,
        help="a sweep's results folder (e.g. results/ppg_vs_reward), or an experiment file, "
        "which is run or resumed first",
    )
    ap.add_argument(
        "--no-compare", action="store_true", help="skip running the sweep file's compare scenarios"
    )
    args = ap.parse_args(argv)

    ctx = CommandContext("report", argv)
    folder = results_for(args.results)
    ctx.use_folder(folder, inside="sweep")
    runs, manifest = load_finished_sweep(folder)
    comp = None
    if manifest.get("compare") and not args.no_compare:
        comp = compare_scenarios(
            manifest["compare"],
            int(manifest["replications"]),
            int(manifest["seed"]),
            bool(manifest.get("twins")),
            Path(manifest["experiment_file"]).parent if "experiment_file" in manifest else None,
        )
    path = write_report(folder, runs, manifest, comp)
    ctx.record(sweep_id=manifest.get("sweep_id"), compare=manifest.get("compare"))
    if one_parameter_set(manifest):
        print(parameter_set_caveat(manifest))
    print(f"Report written to {path}")
    return 0
