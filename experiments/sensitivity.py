"""Which uncertain parameters drive attainment, reward and retention (``lpsa sensitivity``).

Two stages with SALib, over the ranges in ``experiments/uncertain_parameters.yaml``:
1. Morris elementary-effects screening over every uncertain parameter (mu*, sigma);
2. Sobol first-order and total indices (Saltelli sampling) over the parameters that screening ranks
   highest, for targets met, reward paid (as a share of the maximum) and retained gain at +3 years.
Every point runs on the same seeds (common random numbers). Pure: the report (``sensitivity.md``
with a figure per output and the five most influential parameters per output) is
``sensitivity_report.py``, the command ``sensitivity_command.py``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from lpsa.model import Scenario
from lpsa.model.outcomes import REGISTRY

from .runner import Outcomes
from .uncertainty import Uncertain, evaluate_points

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
