"""Analyses over the parameters nobody knows: the options they share and how they run points.

The uncertain parameters and their ranges are an experiment file's ``uncertainties`` (by default
``experiments/uncertain_parameters.yaml``, each range with its reason). Calibration and
sensitivity analysis draw points over them (Latin hypercube, Morris, Saltelli) and evaluate the
points through the experiment runner, on common random numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import Scenario, ScenarioError

from .design import EXPERIMENT_DIR, Experiment
from .runner import Design, Measure, Point, require_success, run_table

UNCERTAIN_FILE = EXPERIMENT_DIR / "uncertain_parameters.yaml"


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter: dotted scenario path, uniform range and the reason for it."""

    path: str
    low: float
    high: float
    reason: str


def load_uncertain(path: Path = UNCERTAIN_FILE) -> tuple[Experiment, list[Uncertain]]:
    """The experiment file and its uncertainties (every one must be a ``low``/``high`` range)."""
    exp = Experiment(path)
    params = [
        Uncertain(k, p.low, p.high, p.reason)
        for k, p in exp.spec.uncertainties.items()
        if p.low is not None and p.high is not None
    ]
    if not params or len(params) != len(exp.spec.uncertainties):
        raise ScenarioError(
            f"{exp.path}: field 'uncertainties': an analysis needs uncertainties "
            "given as low/high ranges"
        )
    return exp, params


def to_points(params: Sequence[Uncertain], unit: np.ndarray) -> list[dict[str, float]]:
    """Scale points in the unit cube to the parameters' ranges."""
    lows = np.array([p.low for p in params])
    highs = np.array([p.high for p in params])
    return [{p.path: float(v) for p, v in zip(params, row)} for row in lows + unit * (highs - lows)]


def evaluate_points(
    base: Scenario,
    points: Sequence[dict[str, Any]],
    replications: int,
    seed: int,
    measure: Measure | None,
    executor: Executor | None,
    progress: str | None = None,
    twins: bool = False,
) -> pd.DataFrame:
    """Every point ``replications`` times through the runner (each run with its no-agreement
    twin when ``twins``); one row per run, in point order. A failed run stops the analysis with
    its error (an analysis needs every number)."""
    design = Design({"base": base}, [Point(p) for p in points], replications, seed, twins)
    return require_success(run_table(design, measure, executor, chunk_size=8, progress=progress))
