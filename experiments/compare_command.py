"""``lpsa compare A B``: two regimes on the same plausible worlds.

Draws ``--worlds`` parameter sets from a posterior ensemble (by default the one shipped for A's
base scenario), runs A and B in every world ``--replications`` times on common random numbers
(``compare.run_worlds``, with the no-agreement twin unless ``--no-twins``), and writes the tables,
``comparison.md`` and ``comparison.png`` (``compare_report``), the resolved scenarios and
``manifest.json``. See docs/compare.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lpsa.model import REGISTRY, ScenarioError, load_scenario
from lpsa.model.outcomes import outcome_names

from .arguments import (
    Parser,
    add_executor_arguments,
    add_max_runs,
    add_overwrite,
    add_unfitted,
    replications,
    seed,
    whole_number,
)
from .command_context import CommandContext
from .compare import (
    REGIMES,
    base_scenario_name,
    check_shared_parameters,
    comparison_table,
    display_names,
    headline_candidates,
    run_worlds,
    world_table,
)
from .compare_report import how_it_was_made, write_report, write_tables
from .constants import SCREEN_REPLICATIONS, screen_constants
from .design import check_run_count, scenario_hash, sha256_bytes
from .posterior import check_fits, load_posterior, unfitted_parameters, world_parameters

DEFAULT_WORLDS = 50


DEFAULT_REPLICATIONS = 10


MAX_WORLDS = 10_000
"""More worlds than this is refused at once: 10,000 worlds already describe a posterior finely."""


DEFAULT_OUTCOME = "retained_gain_3y"
"""The main headline outcome: the reported gain still there three years after the end."""


def worlds_count(text: str) -> int:
    """``--worlds``: a whole number from 1 to ``MAX_WORLDS``."""
    return whole_number(text, 1, MAX_WORLDS, f"a whole number from 1 to {MAX_WORLDS:,}")


def check_outcome(name: str, twins: bool) -> None:
    """Refuse a ``--outcome`` that is not registered, or that needs the twins without them."""
    allowed = outcome_names(twins)
    if name not in allowed:
        hint = " (it needs the twins: drop --no-twins)" if name in REGISTRY else ""
        raise ScenarioError(f"--outcome: got {name!r}{hint}; allowed: {', '.join(allowed)}")


def build_parser() -> argparse.ArgumentParser:
    """``lpsa compare``'s options."""
    ap = Parser(
        prog="lpsa compare",
        usage="lpsa compare A B [OPTIONS]  (see --help)",
        description="Compare two regimes on the same plausible worlds (posterior parameter "
        "sets), with common random numbers within each world.",
    )
    ap.add_argument("a", help="scenario A: a file or a shipped name (e.g. ppg_heavy)")
    ap.add_argument("b", help="scenario B: a file or a shipped name (e.g. reward_heavy)")
    ap.add_argument(
        "--worlds",
        type=worlds_count,
        default=DEFAULT_WORLDS,
        help=f"parameter sets drawn from the posterior (default {DEFAULT_WORLDS}, at most "
        f"{MAX_WORLDS:,})",
    )
    ap.add_argument(
        "--replications",
        type=replications,
        default=DEFAULT_REPLICATIONS,
        help=f"replications per world and regime (default {DEFAULT_REPLICATIONS})",
    )
    ap.add_argument(
        "--posterior",
        help="posterior CSV or shipped name (default: the one shipped for A's base scenario)",
    )
    ap.add_argument(
        "--seed", type=seed, help="master seed, also of the worlds' draw (default: A's seed)"
    )
    ap.add_argument(
        "--outcome",
        default=DEFAULT_OUTCOME,
        help=f"the main outcome: the headline and what flips it (default {DEFAULT_OUTCOME})",
    )
    ap.add_argument(
        "--no-twins",
        action="store_true",
        help="skip the no-agreement twin runs (and so the additionality outcomes)",
    )
    ap.add_argument(
        "--out", type=Path, help="output folder (default results/compare-A-vs-B-<time>)"
    )
    add_overwrite(ap)
    add_unfitted(ap)
    ap.add_argument(
        "--no-constants",
        action="store_true",
        help="skip the screen of fixed constants that move the headline (experiments/constants.py;"
        " about 600 runs in the posterior's central world)",
    )
    ap.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_max_runs(ap)
    add_executor_arguments(ap)
    return ap


def main(argv: list[str]) -> int:
    """Run ``lpsa compare``; returns the exit status."""
    args = build_parser().parse_args(argv)
    twins = not args.no_twins
    a, b = load_scenario(args.a), load_scenario(args.b)
    check_outcome(args.outcome, twins)
    posterior = load_posterior(args.posterior or base_scenario_name(args.a), base=a)
    check_fits(posterior.particles, b, posterior.path)
    unfitted = unfitted_parameters(posterior, args.unfitted)
    uncertain = world_parameters(posterior, unfitted)
    check_shared_parameters(a, b, uncertain)
    check_run_count("--worlds", len(REGIMES) * args.worlds, args.replications, args.max_runs, twins)
    names = display_names(a, b)
    seed_ = args.seed if args.seed is not None else a.seed
    ctx = CommandContext(
        "compare",
        argv,
        args.out,
        default=f"compare-{a.name}-vs-{b.name}",
        overwrite=args.overwrite,
    )
    out = ctx.out
    worlds = posterior.worlds(args.worlds, seed_, unfitted)
    with ctx.executor(args) as executor:
        runs = run_worlds(
            a,
            b,
            worlds,
            args.replications,
            seed_,
            twins,
            executor,
            None if args.quiet else "compare",
            ctx.health,
        )
        constants = None
        if not args.no_constants:
            constants = screen_constants(
                a,
                b,
                posterior.quantiles(0.5).to_dict(),
                uncertain,
                headline_candidates(args.outcome, twins),
                SCREEN_REPLICATIONS,
                seed_,
                twins,
                executor,
                None if args.quiet else "constants",
            )
    outcomes = outcome_names(twins)
    per_world = world_table(runs, outcomes, worlds)
    table = comparison_table(per_world, outcomes, names)
    write_tables(out, table, per_world, runs, a, b)
    posterior_sha = sha256_bytes(Path(posterior.path).read_bytes()) if posterior.path else ""
    made = how_it_was_made(
        a, b, posterior, args.worlds, args.replications, seed_, len(runs), twins, unfitted
    )
    headline, report = write_report(
        out, table, per_world, uncertain, args.outcome, names, made, constants, seed_
    )
    ctx.record(
        scenarios=[a.name, b.name],
        scenario_sha256={"A": scenario_hash(a), "B": scenario_hash(b)},
        posterior=str(posterior.path),
        posterior_sha256=posterior_sha,
        worlds=args.worlds,
        unfitted=[p.path for p in unfitted],
        seed=seed_,
        replications=args.replications,
        twins=twins,
        outcome=args.outcome,
    )
    if not args.quiet:
        print("\n".join(headline))
        print(f"Report written to {report}")
    return 0
