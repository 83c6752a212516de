"""``lpsa sensitivity``: SALib Morris screening, then Sobol indices over the parameters it ranks
highest (``sensitivity``), and the report (``sensitivity_report``)."""

from __future__ import annotations

from lpsa.model import ScenarioError
from lpsa.model.outcomes import REGISTRY

from . import arguments, io
from .arguments import add_analysis_arguments, positive_int
from .command_context import CommandContext
from .design import check_run_count
from .sensitivity import (
    OUTPUTS,
    Stages,
    morris_screening,
    needs_twins,
    sobol_indices,
    top_parameters,
)
from .sensitivity_report import write_report
from .uncertainty import load_uncertain


def main(argv: list[str]) -> int:
    """Run ``lpsa sensitivity``; returns the exit status."""
    p = arguments.Parser(
        prog="lpsa sensitivity", description="Morris screening then Sobol indices (SALib)."
    )
    add_analysis_arguments(p)
    p.add_argument(
        "--trajectories", type=positive_int, default=10, help="Morris trajectories (default 10)"
    )
    p.add_argument(
        "--sobol-n",
        type=positive_int,
        default=128,
        help="Saltelli base sample size, a power of 2 (default 128)",
    )
    p.add_argument(
        "--sobol-top",
        type=positive_int,
        default=8,
        help="parameters carried to the Sobol stage (default 8)",
    )
    p.add_argument(
        "--outcomes",
        default=",".join(OUTPUTS),
        help=f"comma-separated registered outcomes (default {','.join(OUTPUTS)})",
    )
    args = p.parse_args(argv)
    if args.sobol_n & (args.sobol_n - 1):
        p.error(f"argument --sobol-n: got {args.sobol_n}; allowed: a power of 2 (Saltelli)")
    outputs = [o.strip() for o in args.outcomes.split(",") if o.strip()]
    unknown = [o for o in outputs if o not in REGISTRY]
    if unknown or not outputs:
        raise ScenarioError(f"--outcomes: got {unknown or outputs}; allowed: {', '.join(REGISTRY)}")
    twins = needs_twins(outputs)
    exp, params = load_uncertain(args.parameters)
    morris_points = args.trajectories * (len(params) + 1)
    check_run_count("--trajectories", morris_points, args.replications, args.max_runs, twins)
    sobol_points = args.sobol_n * (min(args.sobol_top, len(params)) + 2)
    check_run_count("--sobol-n", sobol_points, args.replications, args.max_runs, twins)
    ctx = CommandContext(
        "sensitivity",
        argv,
        args.out,
        default=f"sensitivity-{exp.base.name}",
        overwrite=args.overwrite,
    )
    out = ctx.out
    with ctx.executor(args) as executor:
        stages = Stages(exp.base, args.replications, args.seed, executor, outputs)
        morris = morris_screening(stages, params, args.trajectories)
        io.write_csv(out / "morris.csv", morris)
        top = [q for q in params if q.path in top_parameters(morris, args.sobol_top)]
        sobol = sobol_indices(stages, top, args.sobol_n)
    notes = stages.notes
    settings = {k: str(v) for k, v in vars(args).items() if k != "out"}
    write_report(out, morris, sobol, settings, outputs, notes)
    ctx.record(identity=exp.identity(), seed=args.seed, replications=args.replications)
    print(f"Report written to {out / 'sensitivity.md'}")
    return 0
