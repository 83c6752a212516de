"""The command line: ``lpsa`` (installed) and ``python run.py`` (in a checkout) are this module.

    lpsa                                   # lpsa1_baseline, 20 replications -> results/
    lpsa ppg_heavy reward_heavy            # side by side on the same seeds, with the difference
    lpsa SCENARIO... [--seed N] [--replications N] [--out DIR] [--no-figures] [--no-twins] [--quiet]
    lpsa COMMAND --help                    # validate, toc, sensitivity, calibrate, discover,
                                           # compare, sweep, report, dashboard
    lpsa compare ppg_heavy reward_heavy    # the two regimes on the same plausible worlds

A wrong file or argument gets one message naming the file, the field, the bad value and what is
allowed, and exit status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SUBCOMMANDS: dict[str, str] = {
    "validate": "lpsa.experiments.validate_command",
    "toc": "lpsa.experiments.toc_command",
    "sensitivity": "lpsa.experiments.sensitivity_command",
    "calibrate": "lpsa.experiments.calibrate_command",
    "discover": "lpsa.experiments.discover_command",
    "compare": "lpsa.experiments.compare_command",
    "sweep": "lpsa.experiments.sweep_command",
    "report": "lpsa.experiments.report_command",
    "design": "lpsa.experiments.design_command",
    "dashboard": "lpsa.viz.serve",
}
"""Subcommand name -> module with ``main(argv: list[str]) -> int``."""

EXTRA_OF: dict[str, str] = {
    "solara": "dashboard",
    "solara_assets": "dashboard",
    "ipyvuetify": "dashboard",
    "reacton": "dashboard",
    "markdown": "dashboard",
    "pyabc": "calibrate",
    "dask": "dask",
    "distributed": "dask",
    "SALib": "analysis",
    "prim": "analysis",
    "optuna": "design",
}
"""A library a command needs beyond the core install -> the extra of ``lpsa-sim`` that brings it
(``pyproject.toml``)."""


def missing_extra(exc: ModuleNotFoundError, command: str) -> str | None:
    """One line saying which extra to install, when ``exc`` is a library of an extra."""
    library = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(library)
    if extra is None:
        return None
    return (
        f"error: '{command}' needs {library}, which the core install leaves out: "
        f"pip install 'lpsa-sim[{extra}]' (or 'lpsa-sim[all]')"
    )


DEFAULT_SCENARIO = "lpsa1_baseline"


class UsageError(Exception):
    """A combination of arguments that argparse cannot check by itself."""


def build_parser(prog: str = "lpsa") -> argparse.ArgumentParser:
    from .arguments import Parser, add_size_limits, replications, seed

    p = Parser(
        prog=prog,
        description="Run LPSA scenarios and write summary, tables and figures.",
        epilog=f"Other commands: {', '.join(SUBCOMMANDS)}; see '{prog} COMMAND --help'.",
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        default=[DEFAULT_SCENARIO],
        help=f"scenario files or shipped names (default {DEFAULT_SCENARIO}); several "
        "run on the same seeds",
    )
    p.add_argument("--seed", type=seed, help="master seed (default: the first scenario's seed)")
    p.add_argument(
        "--replications",
        type=replications,
        help="replications per scenario (default: the scenario's)",
    )
    p.add_argument("--out", type=Path, help="output folder (default results/<scenario>-<time>)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier run's results in --out (only the files its manifest records)",
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument(
        "--no-twins",
        action="store_true",
        help="skip the no-agreement twin runs (and so additionality and deadweight)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_size_limits(p)
    return p


def format_summary(table: pd.DataFrame) -> str:
    """The summary as a readable table: one column per scenario, plus the difference A - B for
    two, in the order the command names them, in people's units and with the registry's labels
    (``formatting.summary_text``, as ``lpsa compare`` and ``lpsa report`` write them)."""
    from .formatting import summary_text

    t = table.set_index("scenario")
    return summary_text(list(t.index), {c: t[c].tolist() for c in t.columns})


def check_scenario_names(refs: list[str], prog: str = "lpsa") -> None:
    """Name a misspelt command, or an experiment file given where a scenario is expected, before
    the scenario loader's 'not found' (which suggests the nearest shipped scenario itself)."""
    from lpsa.model.scenario import SCENARIO_DIR, did_you_mean

    from .design import EXPERIMENT_DIR

    for ref in refs:
        path = Path(ref)
        if path.is_file() or (SCENARIO_DIR / f"{path.stem}.yaml").is_file():
            continue
        if ref == refs[0]:
            hint = did_you_mean(ref, list(SUBCOMMANDS))
            if hint:
                commands = ", ".join(SUBCOMMANDS)
                raise UsageError(f"{ref}: not a command or a scenario{hint} (commands: {commands})")
        experiment = path if path.is_file() else EXPERIMENT_DIR / f"{path.stem}.yaml"
        if path.suffix in ("", ".yaml", ".yml") and experiment.is_file():
            raise UsageError(
                f"{ref}: an experiment file, not a scenario; allowed here: scenarios. Run it with "
                f"'{prog} sweep {ref}' (or '{prog} report {ref}')"
            )


def main_job(argv: list[str], prog: str = "lpsa") -> int:
    args = build_parser(prog).parse_args(argv)
    import pandas as pd

    from lpsa.model import load_scenario

    check_scenario_names([str(ref) for ref in args.scenarios], prog)

    from . import io
    from .arguments import default_out
    from .command_context import CommandContext
    from .design import scenario_hash
    from .runs import TABLES, check_size, main_job_size, run_scenarios, summary_table

    scenarios = [load_scenario(ref) for ref in args.scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise UsageError(
            f"scenarios: the same scenario name appears twice ({', '.join(names)}); "
            "allowed: distinct scenarios"
        )
    seed = args.seed if args.seed is not None else scenarios[0].seed
    reps = args.replications or scenarios[0].replications
    out = args.out or default_out("_vs_".join(names))
    memory, disk = main_job_size(scenarios, reps, twins=not args.no_twins)
    what = f"{' and '.join(names)} x {reps:,} replications" + (
        "" if args.no_twins else " with twins"
    )
    check_size(str(args.scenarios[-1]), what, memory, disk, out, args.max_memory, args.max_disk)
    ctx = CommandContext("run", [prog, *argv], out, overwrite=args.overwrite)
    out = ctx.out
    results = run_scenarios(
        scenarios, reps, seed, twins=not args.no_twins, progress=None if args.quiet else "runs"
    )
    from .main_job_report import summary_columns, with_difference

    summary = summary_table(results)
    io.write_csv(out / "summary.csv", with_difference(summary))
    io.write_csv(out / "summary_columns.csv", summary_columns(summary))
    io.write_parquet(out / "runs.parquet", pd.concat([r.runs for r in results], ignore_index=True))
    for table in TABLES:
        io.write_parquet(
            out / f"{table}.parquet",
            pd.concat([getattr(r, table) for r in results], ignore_index=True),
        )
    for sc in scenarios:
        io.write_scenario(out / f"scenario-{sc.name}.yaml", sc)
    if not args.no_figures:
        from .figures import FIGURES

        for filename, make in FIGURES.items():
            io.save_figure(out / filename, make(results))
    ctx.record(
        scenarios=names,
        seed=seed,
        replications=reps,
        twins=not args.no_twins,
        scenario_sha256={sc.name: scenario_hash(sc) for sc in scenarios},
    )
    if not args.quiet:
        from .main_job_report import opening

        print("\n".join(opening(results)), end="\n\n")
        print(f"Summary (mean of {reps} replications each, seed {seed}):")
        print(format_summary(summary))
        print(f"\nResults written to {out}")
    return 0


def main(argv: list[str] | None = None, prog: str = "lpsa") -> int:
    """Run a command; returns the exit status (0 ok, 1 a check or run failed, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from lpsa.model.scenario import ScenarioError

    from .arguments import without_huge_pages

    without_huge_pages()

    try:
        if argv and argv[0] in SUBCOMMANDS:
            return int(importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:]) or 0)
        return main_job(argv, prog)
    except (ScenarioError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        line = missing_extra(exc, " ".join([prog, *argv[:1]]))
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or ' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        from .command_context import release_folders

        release_folders()


def console() -> None:
    """Entry point of the ``lpsa`` console command."""
    sys.exit(main())
