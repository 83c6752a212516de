"""Theory-of-change hypotheses tested on the evaluation's patterns (``lpsa toc``).

Each variant in the experiment file is a set of mechanism switches (and parameters) over a base
scenario. Every variant runs on the same seeds; ``summarise_experiment`` says which variants
reproduce the evaluation's patterns P1-P8 (experiments/patterns.py) and how much each changes
attainment and retained gain against the reference, with paired 95 % bootstrap intervals. The
report is ``theory_of_change_report.py``, the command ``toc_command.py``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import LPSAModel, ScenarioError
from lpsa.model.single_run import run_outcomes

from .design import Experiment
from .patterns import (
    FORECAST,
    PATTERNS,
    ForecastRule,
    bootstrap_ci,
    check_patterns,
    pattern_statistics,
    run_view,
)
from .runner import require_success, run_table

DEFAULT_FILE = Path(__file__).resolve().parent / "theory_of_change.yaml"


METRICS = ["targets_met_share", "mean_share_of_stretch", "retained_gain_3y", "retained_gain_5y"]


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
