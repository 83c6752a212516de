"""``lpsa toc [experiments/theory_of_change.yaml]``: which theory of change the evidence favours.

By default, ABC model selection over the experiment's theories, each at its own best parameters
(``model_selection``), reported by ``model_selection_report``: the first printed line is the
verdict. ``--at-reference`` runs the earlier experiment instead: each variant at the reference's
parameters, judged on the patterns, with paired differences (``theory_of_change``,
``theory_of_change_report``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .arguments import (
    Parser,
    add_executor_arguments,
    add_forecast_arguments,
    add_max_runs,
    add_overwrite,
    forecast_rule,
    non_negative_float,
    population_size,
    positive_int,
    replications,
    seed,
)
from .calibrate_run import mapper, silence_pyabc
from .calibrate_setup import CalibrationRunFailed
from .command_context import CommandContext, abc_failures
from .design import Experiment, check_run_count
from .formatting import fixed, pct, significant
from .model_selection import SelectionSettings, check_theories, select, theories
from .model_selection_report import terminal_text, verdict
from .model_selection_report import write_report as write_selection
from .theory_of_change import DEFAULT_FILE, load_experiment, run_experiment, summarise_experiment
from .theory_of_change_report import write_report
from .uncertainty import UNCERTAIN_FILE, load_uncertain

DATABASE = "model_selection.db"
"""pyabc's database of the model selection, in the job's own folder."""


def build_parser() -> argparse.ArgumentParser:
    """``lpsa toc``'s options."""
    p = Parser(
        prog="lpsa toc",
        description="Which theory of change the evidence favours: ABC model selection over the "
        "experiment's theories, each at its own best parameters (--at-reference: each variant "
        "at the reference's parameters, judged on the patterns).",
    )
    p.add_argument(
        "experiment",
        nargs="?",
        type=Path,
        default=DEFAULT_FILE,
        help="experiment file with variants (default experiments/theory_of_change.yaml)",
    )
    p.add_argument(
        "--at-reference",
        action="store_true",
        help="instead of comparing the theories by the evidence, run each variant at the "
        "reference's parameters (the file's replications and seed) and say which reproduce the "
        "patterns and how much each changes attainment and retained gain",
    )
    p.add_argument(
        "--parameters",
        type=Path,
        default=UNCERTAIN_FILE,
        help="experiment file whose 'uncertainties' are each theory's prior, less what the "
        "theory fixes (default experiments/uncertain_parameters.yaml)",
    )
    p.add_argument(
        "--seed", type=seed, help="master seed of the model selection (default: the file's seed)"
    )
    p.add_argument(
        "--replications",
        type=replications,
        default=2,
        help="replications per particle, each with its twin (default 2)",
    )
    p.add_argument(
        "--population",
        type=population_size,
        default=300,
        help="particles per generation, all theories together (default 300)",
    )
    p.add_argument(
        "--generations", type=positive_int, default=3, help="most generations (default 3)"
    )
    p.add_argument(
        "--min-epsilon",
        type=non_negative_float,
        default=0.3,
        help="stop once a generation's epsilon is at most this (default 0.3)",
    )
    p.add_argument(
        "--max-simulations",
        type=positive_int,
        default=4000,
        help="stop after the generation in which this many particles have been simulated, "
        "counting the prior sample (default 4000)",
    )
    p.add_argument("--out", type=Path, help="output folder (default results/<experiment>-<time>)")
    add_overwrite(p)
    add_max_runs(p)
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    add_forecast_arguments(p)
    add_executor_arguments(p)
    return p


def main(argv: list[str]) -> int:
    """Run ``lpsa toc``; returns the exit status."""
    args = build_parser().parse_args(argv)
    exp = load_experiment(args.experiment)
    if args.at_reference:
        return at_reference(args, argv, exp)
    return model_selection(args, argv, exp)


def model_selection(args: argparse.Namespace, argv: list[str], exp: Experiment) -> int:
    """``lpsa toc``: the model selection; prints the verdict first."""
    rule = forecast_rule(args)
    _, params = load_uncertain(args.parameters)
    models = theories(exp, params)
    check_theories(exp.base, models, exp.path)
    check_run_count(
        "--max-simulations", args.max_simulations, args.replications, args.max_runs, twins=True
    )
    settings = SelectionSettings(
        seed=exp.spec.seed if args.seed is None else args.seed,
        replications=args.replications,
        population=args.population,
        generations=args.generations,
        min_epsilon=args.min_epsilon,
        max_simulations=args.max_simulations,
    )
    ctx = CommandContext("toc", argv, args.out, default=exp.spec.name, overwrite=args.overwrite)
    out = ctx.out
    silence_pyabc()

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    def report(t: int, accepted: int, sims: int, eps: float | None) -> None:
        if t < 0:
            say(f"prior sample: {sims} particles (sets the first epsilon)")
        else:
            eps_text = significant(np.nan if eps is None else eps)
            say(
                f"generation {t}: epsilon {eps_text}, accepted {accepted} of {sims} "
                f"({pct(accepted / sims)})"
            )

    say(
        f"model selection over {len(models)} theories ({', '.join(t.name for t in models)}), "
        f"{len(params)} uncertain parameters"
    )
    db = out / DATABASE
    with ctx.executor(args) as executor:
        try:
            with abc_failures("the model selection", db):
                selection = select(
                    exp.base, models, settings, db, mapper(executor, ctx.health), report, rule
                )
        except CalibrationRunFailed as exc:
            print(f"error: model selection stopped: {exc}", file=sys.stderr)
            return 1
        finally:
            ctx.note(db)
    path = write_selection(out, selection, settings, argv, str(exp.path.name))
    ctx.record(
        experiment=exp.spec.name,
        identity=exp.identity(),
        seed=settings.seed,
        population=settings.population,
        generations=len(selection.generations),
        replications=settings.replications,
        total_simulations=int(selection.generations["simulations"].sum()),
        forecast_rule=asdict(rule),
        probabilities={k: float(v) for k, v in selection.probabilities.items()},
    )
    if args.quiet:
        print(verdict(selection))
    else:
        print(terminal_text(selection))
        print(f"\nReport written to {path}")
    return 0


def at_reference(args: argparse.Namespace, argv: list[str], exp: Experiment) -> int:
    """``lpsa toc --at-reference``: each variant at the reference's parameters."""
    rule = forecast_rule(args)
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
