"""``lpsa calibrate``: ABC-SMC (pyabc) over the uncertain parameters, with held-out patterns.

Checks the options (held-out patterns, run counts, the ranges' corners), fits the posterior
(``calibrate_setup``, ``calibrate_run``), checks it (``calibrate_checks``) and writes the posterior
and the report (``calibrate_report``). Documented in docs/calibration.md. Exit status: 0 when the
held-out patterns pass a check that could fail (``calibrate_checks.held_out_verdict``), 1 when
they do not or a run fails, 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np

from . import arguments
from .arguments import (
    add_analysis_arguments,
    add_forecast_arguments,
    forecast_rule,
    non_negative_float,
    population_size,
    positive_int,
)
from .calibrate_checks import (
    LOW_ESS_SHARE,
    check_runs,
    held_out_verdict,
    identification,
    predictive_check,
)
from .calibrate_report import write_fit, write_report
from .calibrate_run import (
    fit_metadata,
    generations,
    mapper,
    posterior_from,
    run_abc,
    silence_pyabc,
)
from .calibrate_setup import (
    HELD_OUT,
    NO_HOLD_OUT,
    CalibrationRunFailed,
    CalibrationSettings,
    ParameterSpace,
    check_corners,
    fitted_patterns,
    parse_hold_out,
)
from .command_context import CommandContext, abc_failures
from .design import check_run_count
from .formatting import pct, significant
from .patterns import PatternValues
from .uncertainty import load_uncertain


def build_parser() -> argparse.ArgumentParser:
    """``lpsa calibrate``'s options."""
    ap = arguments.Parser(
        prog="lpsa calibrate",
        usage="lpsa calibrate [OPTIONS]  (see --help)",
        description="ABC-SMC calibration of the uncertain parameters against the fitted "
        "patterns, with a posterior predictive check of the held-out ones.",
    )
    add_analysis_arguments(ap)
    ap.add_argument(
        "--population", type=population_size, default=100, help="particles per generation (100)"
    )
    ap.add_argument(
        "--generations", type=positive_int, default=6, help="most generations (default 6)"
    )
    ap.add_argument(
        "--min-epsilon",
        type=non_negative_float,
        default=0.3,
        help="stop once a generation's epsilon is at most this (default 0.3)",
    )
    ap.add_argument(
        "--max-simulations",
        type=positive_int,
        default=3000,
        help="stop after the generation in which this many particles have been simulated, "
        "counting the prior sample (default 3000)",
    )
    ap.add_argument(
        "--hold-out",
        default=",".join(HELD_OUT),
        help=f"comma-separated pattern ids kept out of the fit and checked by posterior "
        f"prediction, or {NO_HOLD_OUT!r} (default {','.join(HELD_OUT)})",
    )
    ap.add_argument(
        "--check-worlds",
        type=positive_int,
        default=20,
        help="worlds drawn from the posterior, and as many from the prior, for the predictive "
        "check (default 20)",
    )
    ap.add_argument(
        "--check-replications",
        type=positive_int,
        default=4,
        help="replications of each world in the predictive check (default 4)",
    )
    add_forecast_arguments(ap)
    ap.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    return ap


def print_now(line: str) -> None:
    """Print ``line`` at once (the calibration's progress lines)."""
    print(line, flush=True)


def settings_of(args: argparse.Namespace) -> CalibrationSettings:
    """The calibration's settings from ``build_parser``'s options."""
    fields = CalibrationSettings.__dataclass_fields__
    return CalibrationSettings(**{name: getattr(args, name) for name in fields})


def main(argv: list[str]) -> int:
    """Run ``lpsa calibrate``; returns the exit status (``held_out_verdict``'s, 1 when a run
    fails)."""
    args = build_parser().parse_args(argv)
    settings = settings_of(args)
    held = parse_hold_out(args.hold_out)
    fitted = fitted_patterns(held)
    measure = PatternValues(forecast_rule(args))
    exp, params = load_uncertain(args.parameters)
    check_run_count("--max-simulations", args.max_simulations, args.replications, args.max_runs)
    check_run_count("--population", args.population, args.replications, args.max_runs)
    check_run_count("--check-worlds", args.check_worlds, args.check_replications, args.max_runs)
    base = exp.base
    check_corners(base, params)
    ctx = CommandContext(
        "calibrate", argv, args.out, default=f"calibration-{base.name}", overwrite=args.overwrite
    )
    out = ctx.out
    silence_pyabc()
    say: Callable[[str], None] = (lambda _: None) if args.quiet else print_now
    say(
        f"calibrating {base.name}: {len(params)} parameters; fitting {', '.join(fitted)}; "
        f"holding out {', '.join(held)}"
    )

    def report(t: int, accepted: int, sims: int, eps: float | None) -> None:
        """Print one population's line (generation -1: the prior sample)."""
        if t < 0:
            say(f"prior sample: {sims} particles (sets the first epsilon)")
        else:
            say(
                f"generation {t}: epsilon {significant(np.nan if eps is None else eps)}, "
                f"accepted {accepted} of {sims} ({pct(accepted / sims)})"
            )

    clock = time.perf_counter()
    with ctx.executor(args) as executor:
        try:
            with abc_failures("the calibration", out / "abc.db"):
                history = run_abc(
                    base,
                    params,
                    fitted,
                    settings,
                    out / "abc.db",
                    mapper(executor, ctx.health),
                    report,
                    measure,
                )
        except CalibrationRunFailed as exc:
            print(f"error: calibration stopped: {exc}", file=sys.stderr)
            return 1
        finally:
            ctx.note(out / "abc.db")
        seconds = time.perf_counter() - clock
        gens = generations(history)
        command = " ".join(["lpsa", "calibrate", *argv])
        meta = fit_metadata(settings, command, gens, held, fitted, measure.rule, seconds)
        posterior = posterior_from(history, ParameterSpace(params), base, meta)
        ident = identification(posterior, params)
        write_fit(out, posterior, gens, ident)
        say(
            f"predictive check: {args.check_worlds} worlds of the posterior and "
            f"{args.check_worlds} of the prior x {args.check_replications} replications"
        )
        runs, prior_runs = check_runs(
            base, posterior, params, settings, measure, executor, progress=not args.quiet
        )
    check = predictive_check(runs, held, prior_runs)
    path = write_report(out, base, settings, argv, meta, gens, ident, check)
    ctx.record(
        identity=exp.identity(),
        seed=args.seed,
        population=args.population,
        generations=meta["generations"],
        replications=args.replications,
        total_simulations=meta["total_simulations"],
        held_out=list(held),
    )
    say(f"Report written to {path}")
    if meta["effective_sample_size"] < LOW_ESS_SHARE * args.population:
        say(
            f"caution: the posterior rests on {meta['effective_sample_size']:.0f} effective "
            f"particles of {args.population}; a larger --population sharpens it"
        )
    status, line = held_out_verdict(check)
    print(line)
    return status
