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
import time
from concurrent.futures import Executor
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from tqdm.auto import tqdm

from model import LPSAModel, Scenario, load_scenario

from . import io
from .points import UncertainParameter, add_analysis_arguments, evaluate_points, load_uncertain
from .sweeps import make_executor

OUTPUTS = ["targets_met_share", "reward_paid_share", "retained_gain_3y"]


def output_metrics(m: LPSAModel) -> dict[str, float]:
    """The three outputs of the sensitivity analysis for one run."""
    s = m.summary()
    return {k: s[k] for k in OUTPUTS}


def _problem(params: list[UncertainParameter]) -> dict:
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[p.low, p.high] for p in params]}


def _mean_by_point(frame: pd.DataFrame, n_points: int) -> pd.DataFrame:
    return frame.groupby("point")[OUTPUTS].mean().reindex(range(n_points))


def run_stage(base: Scenario, params: list[UncertainParameter], X: np.ndarray, replications: int, seed: int, executor: Executor, label: str) -> pd.DataFrame:
    points = [{p.path: float(v) for p, v in zip(params, row)} for row in X]
    with tqdm(total=len(points) * replications, desc=label, unit="run", delay=2) as bar:
        frame = evaluate_points(base, points, replications, seed, output_metrics, executor, progress=bar.update)
    return _mean_by_point(frame, len(points))


def morris_screening(base: Scenario, params: list[UncertainParameter], trajectories: int, replications: int, seed: int, executor: Executor) -> pd.DataFrame:
    """mu* and sigma per parameter and output (mu* normalised by the largest per output for ranking)."""
    problem = _problem(params)
    X = morris_sample.sample(problem, trajectories, num_levels=4, seed=seed)
    Y = run_stage(base, params, X, replications, seed, executor, "Morris")
    rows = []
    for out in OUTPUTS:
        res = morris_analyze.analyze(problem, X, Y[out].to_numpy(), num_levels=4, seed=seed)
        for name, mu_star, sigma, conf in zip(res["names"], res["mu_star"], res["sigma"], res["mu_star_conf"]):
            rows.append({"output": out, "parameter": name, "mu_star": mu_star, "mu_star_conf": conf, "sigma": sigma})
    table = pd.DataFrame(rows)
    table["mu_star_norm"] = table["mu_star"] / table.groupby("output")["mu_star"].transform("max")
    return table


def sobol_indices(base: Scenario, params: list[UncertainParameter], n: int, replications: int, seed: int, executor: Executor) -> pd.DataFrame:
    """First-order and total Sobol indices with confidence intervals."""
    problem = _problem(params)
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    Y = run_stage(base, params, X, replications, seed, executor, "Sobol")
    rows = []
    for out in OUTPUTS:
        res = sobol_analyze.analyze(problem, Y[out].to_numpy(), calc_second_order=False, seed=seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"output": out, "parameter": name, "S1": res["S1"][i], "S1_conf": res["S1_conf"][i],
                         "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})
    return pd.DataFrame(rows)


def top_parameters(morris: pd.DataFrame, k: int) -> list[str]:
    """The k parameters with the largest normalised mu* on any output."""
    return morris.groupby("parameter")["mu_star_norm"].max().sort_values(ascending=False).head(k).index.tolist()


def write_report(out: Path, morris: pd.DataFrame, sobol: pd.DataFrame, settings: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = ["# Sensitivity analysis", "",
             "Stage 1: Morris screening (SALib) over every parameter in `experiments/uncertain_parameters.yaml`; "
             "stage 2: Sobol indices (Saltelli sampling) over the parameters screening ranked highest. "
             f"Settings: `{settings}`. All points share seeds (common random numbers).", ""]
    for output in OUTPUTS:
        m = morris[morris["output"] == output].sort_values("mu_star", ascending=False)
        s = sobol[sobol["output"] == output].sort_values("ST", ascending=False)
        fig, axes = plt.subplots(1, 2, figsize=(12, 0.3 * len(m) + 1.5))
        axes[0].barh(m["parameter"][::-1], m["mu_star"][::-1], xerr=m["mu_star_conf"][::-1], color="#457b9d")
        axes[0].set_title("Morris mu*")
        y = np.arange(len(s))[::-1]
        axes[1].barh(y + 0.2, s["ST"], height=0.4, xerr=s["ST_conf"], label="total (ST)", color="#e76f51")
        axes[1].barh(y - 0.2, s["S1"], height=0.4, xerr=s["S1_conf"], label="first order (S1)", color="#2a9d8f")
        axes[1].set_yticks(y, s["parameter"])
        axes[1].set_title("Sobol indices")
        axes[1].legend(fontsize=8)
        fig.suptitle(f"Sensitivity of {output}")
        fig.tight_layout()
        io.save_figure(out / f"sensitivity_{output}.png", fig)
        lines += [f"## {output}", "", "Five most influential parameters (ranked by Morris mu*, which covers them all; "
                  "Sobol indices where the parameter went to stage 2):", ""]
        for i, name in enumerate(m["parameter"].head(5), 1):
            srow = s[s["parameter"] == name]
            mrow = m[m["parameter"] == name].iloc[0]
            sob = f"ST {srow['ST'].iloc[0]:.3f} +- {srow['ST_conf'].iloc[0]:.3f}, S1 {srow['S1'].iloc[0]:.3f}" if len(srow) else "not in stage 2"
            lines.append(f"{i}. `{name}`: {sob}; Morris mu* {mrow['mu_star']:.4f}")
        lines += ["", f"![{output}](sensitivity_{output}.png)", ""]
    io.write_text(out / "sensitivity.md", "\n".join(lines))
    io.write_csv(out / "morris.csv", morris)
    io.write_csv(out / "sobol.csv", sobol)


def main(argv: list[str]) -> int:
    from run import _positive_int

    p = argparse.ArgumentParser(prog="run.py sensitivity", description="Morris screening then Sobol indices (SALib).")
    add_analysis_arguments(p)
    p.add_argument("--trajectories", type=_positive_int, default=10, help="Morris trajectories (default 10)")
    p.add_argument("--sobol-n", type=_positive_int, default=128, help="Saltelli base sample size, a power of 2 (default 128)")
    p.add_argument("--sobol-top", type=_positive_int, default=8, help="parameters carried to the Sobol stage (default 8)")
    args = p.parse_args(argv)
    if args.sobol_n & (args.sobol_n - 1):
        p.error(f"argument --sobol-n: got {args.sobol_n}; allowed: a power of 2 (Saltelli sampling)")
    base = load_scenario(args.scenario)
    params = load_uncertain(args.parameters, args.scenario)
    with ExitStack() as stack:
        executor, _ = make_executor(stack, args.workers, args.dask)
        morris = morris_screening(base, params, args.trajectories, args.replications, args.seed, executor)
        top = [q for q in params if q.path in top_parameters(morris, args.sobol_top)]
        sobol = sobol_indices(base, top, args.sobol_n, args.replications, args.seed, executor)
    out = args.out or Path("results") / f"sensitivity-{base.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    write_report(out, morris, sobol, {k: str(v) for k, v in vars(args).items() if k != "out"})
    print(f"Report written to {out / 'sensitivity.md'}")
    return 0
