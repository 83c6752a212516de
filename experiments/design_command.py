"""``lpsa design``: the best regime design across the posterior's plausible worlds.

Draws ``--worlds`` parameter sets from the posterior shipped for the actual rules
(``lpsa1_baseline``), runs the actual rules and the two named regimes in each, then searches the
regime's levers with NSGA-II (Optuna) for ``--trials`` designs, each run in every world
``--replications`` times on common random numbers with the no-agreement twin, judged by the
robustness ``--measure`` chosen (``regime_design``). The study is kept in ``study.journal`` in the
output folder; ``--resume`` continues it. Then the recommended design and the references run again
on fresh replication seeds in the same worlds (a check on the search's luck), and the report is
written (``regime_design_report``). See docs/design.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import optuna  # noqa: F401 - the 'design' extra: a missing one is named before anything runs

from lpsa.model import ScenarioError, load_scenario

from . import io, provenance
from .arguments import (
    Parser,
    add_executor_arguments,
    add_max_runs,
    add_unfitted,
    default_out,
    number_in,
    positive_int,
    replications,
    seed,
    whole_number,
)
from .command_context import CommandContext
from .design import check_run_count, scenario_hash, sha256_bytes
from .posterior import check_fits, load_posterior, unfitted_parameters, world_parameters
from .regime_design import (
    ACTUAL,
    MEASURES,
    OBJECTIVES,
    REFERENCES,
    Judging,
    check_identity,
    check_levers,
    collect,
    judge,
    lever_ranges,
    model_evaluator,
    open_study,
    parse_range,
    reference_levers,
    search,
    stored_identity,
)
from .regime_design_report import write_report

DEFAULT_TRIALS = 160
DEFAULT_POPULATION = 32
DEFAULT_WORLDS = 30
DEFAULT_REPLICATIONS = 3
CONFIRM_RUNS = 1 + len(REFERENCES)
"""Designs run again on fresh seeds after the search: the recommended one and the references."""

STUDY = "study.journal"


def fresh_seed(seed_: int) -> int:
    """The seed of the check after the search: other worlds and other replication seeds."""
    return int(np.random.SeedSequence([seed_, 1]).generate_state(1, dtype=np.uint64)[0] >> 1)


def generation_size(text: str) -> int:
    """``--population``: NSGA-II's generation size, 2 to 1,000."""
    return whole_number(text, 2, 1000, "a whole number from 2 to 1,000")


def percentile(text: str) -> float:
    """``--percentile``: from 0 to 50."""
    return number_in(text, 0.0, 50.0, "0 to 50")


def parse_threshold(text: str) -> tuple[str, float]:
    """``--threshold OBJECTIVE=VALUE`` (satisficing), or a one-line ``ScenarioError``."""
    names = [o.name for o in OBJECTIVES]
    name, sep, value = text.partition("=")
    try:
        if not sep or name not in names:
            raise ValueError
        return name, float(value)
    except ValueError:
        raise ScenarioError(
            f"--threshold: got {text!r}; allowed: OBJECTIVE=VALUE with OBJECTIVE one of "
            f"{', '.join(names)}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    """``lpsa design``'s options."""
    ap = Parser(
        prog="lpsa design",
        usage="lpsa design [OPTIONS]  (see --help)",
        description="Search the regime's levers for the designs that do best across the "
        "posterior's plausible worlds (NSGA-II, Optuna), and compare the recommended one with "
        "the actual rules and the named regimes on the same worlds.",
    )
    ap.add_argument(
        "--trials",
        type=positive_int,
        default=DEFAULT_TRIALS,
        help=f"designs to evaluate in all (default {DEFAULT_TRIALS})",
    )
    ap.add_argument(
        "--population",
        type=generation_size,
        default=DEFAULT_POPULATION,
        help=f"designs per NSGA-II generation (default {DEFAULT_POPULATION})",
    )
    ap.add_argument(
        "--worlds",
        type=positive_int,
        default=DEFAULT_WORLDS,
        help=f"parameter sets drawn from the posterior (default {DEFAULT_WORLDS})",
    )
    ap.add_argument(
        "--replications",
        type=replications,
        default=DEFAULT_REPLICATIONS,
        help=f"replications per design and world (default {DEFAULT_REPLICATIONS})",
    )
    ap.add_argument(
        "--measure",
        choices=MEASURES,
        default="mean",
        help="robustness measure across worlds the search optimises (default mean); the report "
        "gives all four",
    )
    ap.add_argument(
        "--percentile",
        type=percentile,
        default=10.0,
        help="the percentile measure's q: the q-th worst world (default 10)",
    )
    ap.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="OBJECTIVE=VALUE",
        help="satisficing threshold of an objective (repeatable; default: the actual rules' "
        "value in each world)",
    )
    ap.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="LEVER=LOW:HIGH",
        help="narrow a lever's range (repeatable), e.g. funding.ppg_share=0.05:0.6",
    )
    ap.add_argument("--posterior", help="posterior CSV or shipped name (default: the baseline's)")
    add_unfitted(ap)
    ap.add_argument("--seed", type=seed, help="master seed (default: the baseline's)")
    ap.add_argument("--out", type=Path, help="output folder (default results/design-<time>)")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="continue the study in --out (same inputs; more --trials extends it)",
    )
    ap.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier design study and its results in --out",
    )
    ap.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_max_runs(ap)
    add_executor_arguments(ap)
    return ap


def claim_mode(out: Path, resume: bool, overwrite: bool) -> bool:
    """Whether to let the folder's claim replace the earlier manifest: on ``--resume`` of a design
    study (its journal is no recorded file, so it stays) or ``--overwrite``. Refuses ``--resume``
    with nothing to resume, and a design study's folder without either option, in one line."""
    old = io.read_manifest(out / io.MANIFEST_NAME)
    has_study = (out / STUDY).is_file()
    if resume and overwrite:
        raise ScenarioError("--resume and --overwrite: allowed: one of them")
    if resume:
        if old is None or old.get("command") != "design" or not has_study:
            raise ScenarioError(f"{out}: no design study to resume; allowed: a design's --out")
        return True
    if old is not None and old.get("command") == "design" and not overwrite:
        raise ScenarioError(
            f"{out}: holds a design study; allowed: --resume to continue it, --overwrite to "
            "replace it, or another --out"
        )
    return overwrite


def main(argv: list[str]) -> int:
    """Run ``lpsa design``; returns the exit status."""
    args = build_parser().parse_args(argv)
    ranges = {name: (low, high) for name, low, high in map(parse_range, args.range)}
    levers = lever_ranges(ranges)
    thresholds = dict(map(parse_threshold, args.threshold))
    judging = Judging(args.measure, args.percentile, thresholds or None)
    bases = {name: load_scenario(name) for name in REFERENCES}
    actual = bases[ACTUAL]
    posterior = load_posterior(args.posterior or ACTUAL, base=actual)
    for sc in bases.values():
        check_fits(posterior.particles, sc, posterior.path)
    unfitted = unfitted_parameters(posterior, args.unfitted)
    check_levers(levers, world_parameters(posterior, unfitted))
    points = (args.trials + len(REFERENCES) + CONFIRM_RUNS) * args.worlds
    check_run_count("--trials", points, args.replications, args.max_runs, twins=True)
    seed_ = args.seed if args.seed is not None else actual.seed
    out = args.out or default_out("design")
    worlds = posterior.worlds(args.worlds, seed_, unfitted)
    posterior_sha = sha256_bytes(Path(posterior.path).read_bytes()) if posterior.path else ""
    identity = {
        "seed": seed_,
        "worlds": worlds["particle"].tolist(),
        "unfitted": [p.path for p in unfitted],
        "replications": args.replications,
        "population": args.population,
        "levers": {p: [lv.low, lv.high] for p, lv in levers.items()},
        "measure": args.measure,
        "percentile": args.percentile,
        "thresholds": thresholds,
        "scenarios": {name: scenario_hash(sc) for name, sc in bases.items()},
        "posterior_sha256": posterior_sha,
        "code": provenance.code_fingerprint(),
    }
    replace = claim_mode(out, args.resume, args.overwrite)
    if args.resume:  # before the claim, which replaces the finished manifest: refuse first
        check_identity(out / STUDY, stored_identity(out / STUDY) or {}, identity)
    ctx = CommandContext("design", argv, out, overwrite=replace)
    if args.overwrite:
        (out / STUDY).unlink(missing_ok=True)
    say = None if args.quiet else print
    study = open_study(out / STUDY, identity)
    with ctx.executor(args) as executor:
        progress = None if args.quiet else "design"
        evaluate = model_evaluator(
            bases, worlds, args.replications, seed_, executor, progress, ctx.health
        )
        search(study, levers, evaluate, judging, args.trials, args.population, seed_, say)
        known = {name: reference_levers(sc, levers) for name, sc in bases.items()}
        frame, values = collect(study, levers, known)
        results = judge(frame, values, judging)
        chosen = results.designs.iloc[results.recommended]
        params = {p: float(chosen[p]) for p in levers}
        fresh = posterior.worlds(args.worlds, fresh_seed(seed_), unfitted)
        confirm = model_evaluator(
            bases, fresh, args.replications, fresh_seed(seed_), executor, progress, ctx.health
        )([("lpsa1_baseline", params), *((name, {}) for name in REFERENCES)])
    headline, report = write_report(out, results, levers, worlds, confirm, identity)
    ctx.record(
        study=STUDY,
        seed=seed_,
        worlds=args.worlds,
        replications=args.replications,
        trials=int((results.designs["kind"] == "design").sum()),
        population=args.population,
        measure=args.measure,
        posterior=str(posterior.path),
        posterior_sha256=posterior_sha,
        scenario_sha256=identity["scenarios"],
    )
    if not args.quiet:
        print("\n".join(headline))
        print(f"Report written to {report}")
    return 0
