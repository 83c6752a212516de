"""``lpsa toc [experiments/theory_of_change.yaml]``: run the theory-of-change experiment
(``theory_of_change``) and write its report (``theory_of_change_report``)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from .arguments import (
    Parser,
    add_executor_arguments,
    add_forecast_arguments,
    add_overwrite,
    forecast_rule,
)
from .command_context import CommandContext
from .formatting import fixed
from .theory_of_change import DEFAULT_FILE, load_experiment, run_experiment, summarise_experiment
from .theory_of_change_report import write_report


def main(argv: list[str]) -> int:
    """Run ``lpsa toc``; returns the exit status."""
    p = Parser(
        prog="lpsa toc", description="Run the theory-of-change experiment and write its report."
    )
    p.add_argument(
        "experiment",
        nargs="?",
        type=Path,
        default=DEFAULT_FILE,
        help="experiment file with variants (default experiments/theory_of_change.yaml)",
    )
    p.add_argument("--out", type=Path, help="output folder (default results/<experiment>-<time>)")
    add_overwrite(p)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    add_forecast_arguments(p)
    add_executor_arguments(p)
    args = p.parse_args(argv)
    rule = forecast_rule(args)
    exp = load_experiment(args.experiment)
    ctx = CommandContext("toc", argv, args.out, default=exp.spec.name, overwrite=args.overwrite)
    out = ctx.out
    with ctx.executor(args) as executor:
        values = run_experiment(exp, executor, progress=not args.quiet, rule=rule)
    table = summarise_experiment(exp, values)
    write_report(out, exp, table, rule)
    ctx.record(
        experiment=exp.spec.name,
        identity=exp.identity(),
        seed=exp.spec.seed,
        replications=exp.spec.replications,
        forecast_rule=asdict(rule),
    )
    if not args.quiet:
        view = table[
            [
                "variant",
                "hypothesis",
                "reproduces_patterns",
                "patterns_failed",
                "delta_targets_met_share",
                "delta_retained_gain_3y",
                "delta_retained_gain_5y",
            ]
        ]
        print(view.to_string(index=False, float_format=lambda v: fixed(v, signed=True)))
        print(f"\nReport written to {out / 'theory_of_change.md'}")
    return 0
