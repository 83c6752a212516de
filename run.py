#!/usr/bin/env python
"""LPSA simulator, command line.

    python run.py                                   # baseline scenario, 20 replications
    python run.py scenarios/ppg_heavy.yaml scenarios/reward_heavy.yaml   # side by side, same seeds
    python run.py SCENARIO... [--seed N] [--replications N] [--out DIR] [--no-figures] [--quiet]

Other jobs are subcommands: ``python run.py COMMAND --help`` (see SUBCOMMANDS).
Writes results under results/<scenario>-<timestamp>/ (or --out DIR): summary.csv, tidy Parquet
tables (targets, authorities, quarters, trajectory), PNG figures and the resolved scenarios.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SUBCOMMANDS: dict[str, str] = {
    "validate": "experiments.validate",
    "toc": "experiments.theory_of_change",
    "sensitivity": "experiments.sensitivity",
    "calibrate": "experiments.calibrate",
    "discover": "experiments.discover",
    "sweep": "experiments.sweeps",
    "report": "experiments.report",
    "dashboard": "viz.serve",
}
"""Subcommand name -> module with ``main(argv: list[str]) -> int``."""

DEFAULT_SCENARIO = "lpsa1_baseline"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a whole number >= 1") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: a whole number >= 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a whole number from 0 to 2**63-1") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: a whole number from 0 to 2**63-1")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run.py", description="Run LPSA scenarios and write summary, tables and figures.",
        epilog=f"Other commands: {', '.join(SUBCOMMANDS) or '(none)'}; see 'python run.py COMMAND --help'.")
    p.add_argument("scenarios", nargs="*", default=[DEFAULT_SCENARIO],
                   help=f"scenario files or shipped names (default {DEFAULT_SCENARIO}); several run on the same seeds")
    p.add_argument("--seed", type=_seed, help="master seed (default: the first scenario's seed)")
    p.add_argument("--replications", type=_positive_int, help="replications per scenario (default: the scenario's)")
    p.add_argument("--out", type=Path, help="output folder (default results/<scenario>-<timestamp>)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--no-twins", action="store_true",
                   help="skip the no-agreement twin runs (and so additionality and deadweight)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def format_summary(table: pd.DataFrame) -> str:
    """The summary as a readable table: one column per scenario, plus the difference for two."""
    import pandas as pd  # imported late: `run.py --help` and bad arguments answer quickly

    t = table.set_index("scenario").T
    if t.shape[1] == 2:
        a, b = t.columns
        diff = pd.to_numeric(t[b], errors="coerce") - pd.to_numeric(t[a], errors="coerce")
        t[f"{b} - {a}"] = diff

    def fmt(name: str, v: object) -> str:
        if pd.isna(v):
            return "-"
        if name in ("ppg_spent", "reward_paid"):
            return f"£{v / 1e6:,.1f}m"
        if name == "replications":
            return f"{int(v)}"
        if name == "sustained_gain_per_million":
            return f"{v:.2f} per £m"
        if name in ("additionality_mean", "deadweight_mean", "reporting_gap_mean"):
            return f"{v:+.3f} of stretch"
        return f"{100 * v:.1f}%"

    rows = {name: [fmt(name, v) for v in t.loc[name]] for name in t.index}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(t.columns)).to_string()


def main_job(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from tqdm.auto import tqdm

    from experiments import io
    from experiments.runs import run_replications, summary_table
    from model import load_scenario

    scenarios = [load_scenario(ref) for ref in args.scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise_usage(f"scenarios: the same scenario name appears twice ({', '.join(names)}); allowed: distinct scenarios")
    seed = args.seed if args.seed is not None else scenarios[0].seed
    reps = args.replications or scenarios[0].replications
    out = args.out or Path("results") / f"{'_vs_'.join(names)}-{time.strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and not out.is_dir():
        raise_usage(f"--out: {out} exists and is not a folder; allowed: a new or existing folder")

    results = []
    with tqdm(total=reps * len(scenarios), desc="runs", unit="run", delay=2, disable=args.quiet) as bar:
        for sc in scenarios:
            results.append(run_replications(sc, reps, seed, progress=bar, twins=not args.no_twins))

    summary = summary_table(results)
    io.write_csv(out / "summary.csv", summary)
    import pandas as pd

    for table in ("targets", "authorities", "quarters", "trajectory"):
        io.write_parquet(out / f"{table}.parquet", pd.concat([getattr(r, table) for r in results], ignore_index=True))
    for sc in scenarios:
        import yaml

        io.write_text(out / f"scenario-{sc.name}.yaml", yaml.safe_dump(sc.model_dump(), sort_keys=False))
    io.write_json(out / "run.json", {"scenarios": names, "seed": seed, "replications": reps,
                                     "command": ["run.py", *argv]})
    if not args.no_figures:
        from experiments.figures import FIGURES

        for filename, make in FIGURES.items():
            io.save_figure(out / filename, make(results))
    if not args.quiet:
        print(f"Summary ({reps} replications each, seed {seed}):")
        print(format_summary(summary))
        print(f"\nResults written to {out}")
    return 0


class UsageError(Exception):
    pass


def raise_usage(message: str) -> None:
    raise UsageError(message)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from model.scenario import ScenarioError

    try:
        if argv and argv[0] in SUBCOMMANDS:
            return int(importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:]) or 0)
        return main_job(argv)
    except (ScenarioError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
