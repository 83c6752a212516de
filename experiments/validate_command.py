"""``lpsa validate [SCENARIO]``: check the model against the evaluation's patterns P1-P8.

Runs the scenario (``validate.pattern_runs``), judges every pattern (``validate.evaluate``) and
writes the report (``validate_report``); with ``--discriminate``, also every rival variant
(``discrimination``). Exit status 1 if any pattern fails, naming it; 2 for bad input.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from lpsa.model import load_scenario

from . import arguments, discrimination_report
from .arguments import (
    add_executor_arguments,
    add_forecast_arguments,
    add_overwrite,
    forecast_rule,
    non_negative_int,
    replications,
)
from .arguments import seed as seed_arg
from .command_context import CommandContext
from .design import scenario_hash
from .discrimination import REFIT_WORLDS, discriminate, refit
from .patterns import judged
from .validate import (
    PRIOR_WORLDS,
    evaluate,
    pattern_power,
    pattern_runs,
    prior_pass_shares,
)
from .validate_report import format_table, write_report

DEFAULT_REPLICATIONS = 30


def main(argv: list[str]) -> int:
    """Run ``lpsa validate``; returns the exit status (1 when a pattern fails)."""
    p = arguments.Parser(
        prog="lpsa validate",
        description="Check a scenario against the evaluation's patterns P1-P8.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default="lpsa1_baseline",
        help="scenario file or shipped name (default lpsa1_baseline)",
    )
    p.add_argument(
        "--replications",
        type=replications,
        default=DEFAULT_REPLICATIONS,
        help=f"replications of each pattern run (default {DEFAULT_REPLICATIONS})",
    )
    p.add_argument("--seed", type=seed_arg, help="master seed (default: the scenario's)")
    p.add_argument(
        "--out", type=Path, help="output folder (default results/validation-<scenario>-<timestamp>)"
    )
    add_overwrite(p)
    p.add_argument(
        "--discriminate",
        action="store_true",
        help="also run every mechanism switched off alone and every theory-of-change variant, "
        "and write discrimination.csv: which variants the patterns reject",
    )
    p.add_argument(
        "--prior-worlds",
        type=non_negative_int,
        default=PRIOR_WORLDS,
        help="worlds drawn from the prior (experiments/uncertain_parameters.yaml) to tell which "
        f"patterns can fail at all, 2 replications each; 0 skips it (default {PRIOR_WORLDS})",
    )
    p.add_argument(
        "--refit-worlds",
        type=non_negative_int,
        default=REFIT_WORLDS,
        help="with --discriminate: worlds drawn from the prior to re-fit each rival theory (the "
        f"null, H1) at its own best parameters, the nearest tenth kept; 0 skips it (default "
        f"{REFIT_WORLDS})",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    add_forecast_arguments(p)
    add_executor_arguments(p)
    args = p.parse_args(argv)
    rule = forecast_rule(args)
    scenario = load_scenario(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    ctx = CommandContext(
        "validate", argv, args.out, default=f"validation-{scenario.name}", overwrite=args.overwrite
    )
    out = ctx.out
    with ctx.executor(args) as executor:
        runs = pattern_runs(
            scenario, args.replications, seed, executor, progress=not args.quiet, rule=rule
        )
        table, margins = evaluate(runs)
        prior = None
        if args.prior_worlds > 0:
            prior = prior_pass_shares(
                scenario, args.prior_worlds, 2, seed, executor, not args.quiet, rule
            )
        verdicts = None
        if args.discriminate:
            verdicts = discriminate(
                scenario,
                args.replications,
                seed,
                executor,
                progress=not args.quiet,
                rule=rule,
                reference_runs=runs,
            )
            theories = None
            if args.refit_worlds > 0:
                theories = refit(
                    scenario,
                    worlds=args.refit_worlds,
                    best=max(1, args.refit_worlds // 10),
                    seed=seed,
                    executor=executor,
                    progress=not args.quiet,
                    rule=rule,
                )
            discrimination_report.write_report(out, scenario, verdicts, args.replications, theories)
        power = pattern_power(table, prior, verdicts)
        write_report(out, scenario, table, args.replications, seed, rule, margins, power)
    ctx.record(
        scenario=scenario.name,
        scenario_sha256=scenario_hash(scenario),
        seed=seed,
        replications=args.replications,
        forecast_rule=asdict(rule),
    )
    failed = judged(table).loc[lambda t: ~t["passed"], "pattern"].tolist()
    if not args.quiet:
        print(format_table(table))
        if verdicts is not None:
            print()
            print(
                verdicts[
                    ["variant", "verdict", "emergent_failed", "input_checks_failed"]
                ].to_string(index=False)
            )
        print(f"\nReport written to {out / 'validation.md'}")
    if failed:
        print(f"validation failed: {', '.join(failed)}")
        return 1
    if not args.quiet:
        print("all patterns pass")
    return 0
