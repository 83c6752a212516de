"""``python run.py toc [experiments/theory_of_change.yaml]``: test theory-of-change hypotheses.

Each variant in the experiment file is a set of mechanism switches (and parameters) over a base
scenario. Every variant runs on the same seeds; the report says which variants reproduce the
evaluation's patterns P1-P8 (experiments/patterns.py) and how much each changes attainment and
retained gain against the reference, with paired 95 % bootstrap intervals.
"""

from __future__ import annotations

import argparse
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import LPSAModel, ScenarioError
from model.single_run import run_outcomes

from . import io
from .arguments import (
    add_executor_arguments,
    add_forecast_arguments,
    forecast_rule,
)
from .command_context import CommandContext
from .design import Experiment
from .formatting import estimate, fixed
from .patterns import (
    FORECAST,
    PATTERNS,
    ForecastRule,
    bootstrap_ci,
    check_patterns,
    describe_rule,
    pattern_statistics,
    run_view,
)
from .runner import require_success, run_table

DEFAULT_FILE = Path(__file__).resolve().parent / "theory_of_change.yaml"
METRICS = ["targets_met_share", "mean_share_of_stretch", "retained_gain_3y", "retained_gain_5y"]
TABLE_METRICS = ("targets_met_share", "retained_gain_3y", "retained_gain_5y")
"""The metrics in the report's table, each with its change against the reference."""


@dataclass(frozen=True)
class PatternsAndMetrics:
    """Measure: every pattern statistic (the interim forecast judged by ``rule``) and the METRICS
    outcomes of one run, both from its numpy columns (no DataFrame)."""

    rule: ForecastRule = FORECAST

    def __call__(self, model: LPSAModel, twin: LPSAModel | None = None) -> dict[str, Any]:
        outcomes = run_outcomes(model)
        statistics = pattern_statistics(run_view(model, rule=self.rule))
        return {**statistics, **{k: outcomes[k] for k in METRICS}}


def load_experiment(path: Path) -> Experiment:
    """Read and validate the experiment file; it must declare variants and a reference."""
    exp = Experiment(path)
    if len(exp.spec.variants) < 2 or exp.spec.reference is None:
        raise ScenarioError(
            f"{exp.path}: field 'variants': a theory-of-change experiment needs at "
            "least two variants and a 'reference'"
        )
    return exp


def run_experiment(
    exp: Experiment,
    executor: Executor | None = None,
    progress: bool = True,
    rule: ForecastRule = FORECAST,
) -> dict[str, dict[str, list[float]]]:
    """Per variant, per-replication pattern statistics (the interim forecast by ``rule``) and
    summary metrics."""
    runs = require_success(
        run_table(
            exp.design(),
            PatternsAndMetrics(rule),
            executor,
            progress="theory of change" if progress else None,
        )
    )
    columns = [p.id for p in PATTERNS] + METRICS
    return {
        name: {k: group[k].tolist() for k in columns}
        for name, group in runs.groupby("name", sort=False)
    }


def summarise_experiment(
    exp: Experiment, values: dict[str, dict[str, list[float]]]
) -> pd.DataFrame:
    """One row per variant: patterns failed, each metric with its interval and its paired
    difference from the reference."""
    ref = values[exp.spec.reference]
    rows = []
    for v in exp.spec.variants:
        vals = values[v.name]
        checks = check_patterns({k: vals[k] for k in vals if k not in METRICS})
        row: dict[str, Any] = {
            "variant": v.name,
            "hypothesis": v.hypothesis,
            "patterns_failed": ", ".join(checks.loc[~checks["passed"], "pattern"]) or "none",
            "reproduces_patterns": bool(checks["passed"].all()),
        }
        for k in METRICS:
            mean, lo, hi = bootstrap_ci(np.array(vals[k]))
            d_mean, d_lo, d_hi = bootstrap_ci(np.array(vals[k]) - np.array(ref[k]))
            row.update(
                {k: mean, f"{k}_ci": (lo, hi), f"delta_{k}": d_mean, f"delta_{k}_ci": (d_lo, d_hi)}
            )
        rows.append(row)
    return pd.DataFrame(rows)


def write_report(
    out: Path, exp: Experiment, table: pd.DataFrame, rule: ForecastRule = FORECAST
) -> None:
    """theory_of_change.md, a CSV and a figure of the paired differences."""
    spec = exp.spec
    lines = [
        f"# Theory of change: {spec.name}",
        "",
        f"Base `{spec.base}`, {spec.replications} replications per variant on common seeds (master "
        f"seed {spec.seed}). "
        f"Differences are against `{spec.reference}`, paired by replication, with 95 % bootstrap "
        "intervals. "
        f"Patterns are judged as in `lpsa validate` ({describe_rule(rule)}).",
        "",
        "| variant | hypothesis | reproduces P1-P8 | patterns failed | met share | change | "
        "retained +3y | change | retained +5y | change |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        cells = [
            cell
            for k in TABLE_METRICS
            for cell in (
                estimate(r[k], *r[f"{k}_ci"]),
                estimate(r[f"delta_{k}"], *r[f"delta_{k}_ci"], signed=True),
            )
        ]
        lines.append(
            f"| {r['variant']} | {r['hypothesis']} | {'yes' if r['reproduces_patterns'] else 'no'} "
            f"| {r['patterns_failed']} | " + " | ".join(cells) + " |"
        )
    lines += ["", "## Variants", ""]
    lines += [
        f"- **{v.name}** ({v.hypothesis}): {v.description.strip()} Overrides: `{v.overrides}`"
        for v in spec.variants
    ]
    lines += ["", "![differences](theory_of_change.png)", ""]
    io.write_csv(out / "theory_of_change.csv", table)
    io.write_text(out / "theory_of_change.md", "\n".join(lines))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = table[table["variant"] != exp.spec.reference]
    fig, axes = plt.subplots(
        1, len(METRICS), figsize=(4 * len(METRICS), 0.5 * len(others) + 2), sharey=True
    )
    y = np.arange(len(others))
    for ax, k in zip(axes, METRICS):
        lo = [c[0] for c in others[f"delta_{k}_ci"]]
        hi = [c[1] for c in others[f"delta_{k}_ci"]]
        mean = others[f"delta_{k}"].to_numpy()
        ax.errorbar(mean, y, xerr=[mean - lo, np.array(hi) - mean], fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(f"change in {k}", fontsize=9)
    axes[0].set_yticks(y, others["variant"])
    fig.suptitle(f"Against '{exp.spec.reference}' (paired by replication, 95% bootstrap intervals)")
    fig.tight_layout()
    io.save_figure(out / "theory_of_change.png", fig)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
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
    p.add_argument("--quiet", action="store_true")
    add_forecast_arguments(p)
    add_executor_arguments(p)
    args = p.parse_args(argv)
    rule = forecast_rule(args)
    exp = load_experiment(args.experiment)
    ctx = CommandContext("toc", argv, args.out, default=exp.spec.name)
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
