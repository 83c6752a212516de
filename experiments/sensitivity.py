"""``python run.py sensitivity``: which uncertain parameters drive attainment, reward and retention.

Two stages with SALib, over the ranges in ``experiments/uncertain_parameters.yaml``:
1. Morris elementary-effects screening over every uncertain parameter (mu*, sigma);
2. Sobol first-order and total indices (Saltelli sampling) over the parameters that screening ranks
   highest, for targets met, reward paid (as a share of the maximum) and retained gain at +3 years.
Every point runs on the same seeds (common random numbers). Writes ``sensitivity.md`` with a figure
per output and the five most influential parameters per output.
"""

from __future__ import annotations

import argparse
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from model import Scenario, ScenarioError
from model.outcomes import REGISTRY

from . import io
from .arguments import add_analysis_arguments, positive_int
from .command_context import CommandContext
from .design import check_run_count
from .formatting import fixed
from .runner import Outcomes
from .uncertainty import Uncertain, evaluate_points, load_uncertain

OUTPUTS = ["targets_met_share", "reward_paid_share", "retained_gain_3y"]
"""Default outcomes analysed (any registered outcome can be named with --outcomes)."""


def _problem(params: list[Uncertain]) -> dict:
    return {
        "num_vars": len(params),
        "names": [p.path for p in params],
        "bounds": [[p.low, p.high] for p in params],
    }


def needs_twins(outputs: list[str]) -> bool:
    """Whether the runs need their no-agreement twins: some output is measured against them
    (additionality). A twin is a run: it doubles the runs."""
    return any(REGISTRY[o].needs_twins for o in outputs)


@dataclass
class Stages:
    """What both stages share: the base scenario, replications, seed, executor, the outputs
    analysed, and notes for the report (outputs left out where undefined)."""

    base: Scenario
    replications: int
    seed: int
    executor: Executor
    outputs: list[str]
    notes: list[str] = field(default_factory=list)

    def evaluate(self, params: list[Uncertain], X: np.ndarray, label: str) -> pd.DataFrame:
        """Mean of each output over replications, one row per sample point."""
        points = [{p.path: float(v) for p, v in zip(params, row)} for row in X]
        frame = evaluate_points(
            self.base,
            points,
            self.replications,
            self.seed,
            Outcomes(self.outputs),
            self.executor,
            label,
            twins=needs_twins(self.outputs),
        )
        return frame.groupby("point")[self.outputs].mean().reindex(range(len(points)))

    def defined(self, Y: pd.DataFrame, output: str, label: str) -> np.ndarray | None:
        """The output's values, or None (with a note) when it is undefined (NaN) at some
        points, e.g. the reward paid share where no reward is available."""
        y = Y[output].to_numpy()
        bad = int((~np.isfinite(y)).sum())
        if bad:
            self.notes.append(
                f"{label}: `{output}` is undefined at {bad} of {y.size} points "
                "(NaN), so its indices are not computed"
            )
            return None
        return y


def morris_screening(stages: Stages, params: list[Uncertain], trajectories: int) -> pd.DataFrame:
    """mu* and sigma per parameter and output (mu* normalised by the largest per output, for
    ranking)."""
    problem = _problem(params)
    X = morris_sample.sample(problem, trajectories, num_levels=4, seed=stages.seed)
    Y = stages.evaluate(params, X, "Morris")
    rows = []
    for out in stages.outputs:
        y = stages.defined(Y, out, "Morris")
        if y is None:
            continue
        res = morris_analyze.analyze(problem, X, y, num_levels=4, seed=stages.seed)
        for name, mu_star, sigma, conf in zip(
            res["names"], res["mu_star"], res["sigma"], res["mu_star_conf"]
        ):
            rows.append(
                {
                    "output": out,
                    "parameter": name,
                    "mu_star": mu_star,
                    "mu_star_conf": conf,
                    "sigma": sigma,
                }
            )
    table = pd.DataFrame(rows, columns=["output", "parameter", "mu_star", "mu_star_conf", "sigma"])
    table["mu_star_norm"] = table["mu_star"] / table.groupby("output")["mu_star"].transform("max")
    return table


def sobol_indices(stages: Stages, params: list[Uncertain], n: int) -> pd.DataFrame:
    """First-order and total Sobol indices with confidence intervals."""
    problem = _problem(params)
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=stages.seed)
    Y = stages.evaluate(params, X, "Sobol")
    rows = []
    for out in stages.outputs:
        y = stages.defined(Y, out, "Sobol")
        if y is None:
            continue
        res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=stages.seed)
        for i, name in enumerate(problem["names"]):
            rows.append(
                {
                    "output": out,
                    "parameter": name,
                    "S1": res["S1"][i],
                    "S1_conf": res["S1_conf"][i],
                    "ST": res["ST"][i],
                    "ST_conf": res["ST_conf"][i],
                }
            )
    return pd.DataFrame(rows, columns=["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"])


def top_parameters(morris: pd.DataFrame, k: int) -> list[str]:
    """The k parameters with the largest normalised mu* on any output."""
    return (
        morris.groupby("parameter")["mu_star_norm"]
        .max()
        .sort_values(ascending=False)
        .head(k)
        .index.tolist()
    )


def write_report(
    out: Path,
    morris: pd.DataFrame,
    sobol: pd.DataFrame,
    settings: dict,
    outputs: list[str],
    notes: list[str],
) -> None:
    """morris.csv, sobol.csv and sensitivity.md first, then one figure per output."""
    io.write_csv(out / "morris.csv", morris)
    io.write_csv(out / "sobol.csv", sobol)
    lines = [
        "# Sensitivity analysis",
        "",
        "Stage 1: Morris screening (SALib) over every parameter in "
        "`experiments/uncertain_parameters.yaml`; "
        "stage 2: Sobol indices (Saltelli sampling) over the parameters screening ranked highest. "
        f"Settings: `{settings}`. All points share seeds (common random numbers).",
        "",
    ]
    lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    for output in outputs:
        m = morris[morris["output"] == output].sort_values("mu_star", ascending=False)
        s = sobol[sobol["output"] == output].sort_values("ST", ascending=False)
        label = REGISTRY[output].label if output in REGISTRY else output
        lines += [f"## {output} ({label})", ""]
        if m.empty:
            lines += ["Not analysed: undefined at some points (see the notes above).", ""]
            continue
        lines += [
            "Five most influential parameters (ranked by Morris mu*, which covers them all; "
            "Sobol indices where the parameter went to stage 2):",
            "",
        ]
        for i, name in enumerate(m["parameter"].head(5), 1):
            srow = s[s["parameter"] == name]
            mrow = m[m["parameter"] == name].iloc[0]
            sob = (
                (
                    f"ST {fixed(srow['ST'].iloc[0])} +- {fixed(srow['ST_conf'].iloc[0])}, "
                    f"S1 {fixed(srow['S1'].iloc[0])}"
                )
                if len(srow)
                else "not in stage 2"
            )
            lines.append(f"{i}. `{name}`: {sob}; Morris mu* {fixed(mrow['mu_star'], 4)}")
        lines += ["", f"![{output}](sensitivity_{output}.png)", ""]
    io.write_text(out / "sensitivity.md", "\n".join(lines))
    for output in outputs:
        m = morris[morris["output"] == output].sort_values("mu_star", ascending=False)
        if len(m):
            sensitivity_figure(out, output, m, sobol[sobol["output"] == output])


def sensitivity_figure(out: Path, output: str, m: pd.DataFrame, s: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = s.sort_values("ST", ascending=False)
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.3 * len(m) + 1.5))
    axes[0].barh(
        m["parameter"][::-1], m["mu_star"][::-1], xerr=m["mu_star_conf"][::-1], color="#457b9d"
    )
    axes[0].set_title("Morris mu*")
    y = np.arange(len(s))[::-1]
    axes[1].barh(
        y + 0.2, s["ST"], height=0.4, xerr=s["ST_conf"], label="total (ST)", color="#e76f51"
    )
    axes[1].barh(
        y - 0.2, s["S1"], height=0.4, xerr=s["S1_conf"], label="first order (S1)", color="#2a9d8f"
    )
    axes[1].set_yticks(y, s["parameter"])
    axes[1].set_title("Sobol indices")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Sensitivity of {output}")
    fig.tight_layout()
    io.save_figure(out / f"sensitivity_{output}.png", fig)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
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
    ctx = CommandContext("sensitivity", argv, args.out, default=f"sensitivity-{exp.base.name}")
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
