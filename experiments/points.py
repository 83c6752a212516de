"""Evaluate many parameter points of a scenario, in parallel, on common random numbers.

Used by the sensitivity analysis and the calibration: each point is a set of dotted-path values
(e.g. ``{"implementation.ppg_effect": 0.8}``) over a base scenario; replication ``r`` of every point
runs on ``replication_seed(seed, r)``, so points differ only by their parameters and results do not
depend on the number of workers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from model import LPSAModel, Scenario, ScenarioError, load_scenario
from model.scenario import format_validation_error, read_yaml_mapping

from .runs import replication_seed

UNCERTAIN_FILE = Path(__file__).resolve().parent / "uncertain_parameters.yaml"


def nested(values: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}`` (scenario overrides)."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return out


class UncertainParameter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=3)
    low: float
    high: float
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> UncertainParameter:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class UncertainSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parameters: list[UncertainParameter] = Field(min_length=1)


def load_uncertain(path: Path = UNCERTAIN_FILE, base: str = "lpsa1_baseline") -> list[UncertainParameter]:
    """Read the uncertain parameters; both ends of every range must be valid scenario values."""
    try:
        params = UncertainSet.model_validate(read_yaml_mapping(path)).parameters
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(str(path), exc)) from None
    for i, p in enumerate(params):
        for end in (p.low, p.high):
            try:
                load_scenario(base, nested({p.path: end}))
            except ScenarioError as exc:
                raise ScenarioError(f"{path}: parameters[{i}] ({p.path}) = {end}: {exc}") from None
    return params


def add_analysis_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every analysis over the uncertain parameters shares (calibrate, sensitivity)."""
    from run import _positive_int, _seed

    ap.add_argument("--scenario", default="lpsa1_baseline", help="base scenario (default lpsa1_baseline)")
    ap.add_argument("--parameters", type=Path, default=UNCERTAIN_FILE, help="uncertain parameters file")
    ap.add_argument("--replications", type=_positive_int, default=2, help="replications per point (default 2)")
    ap.add_argument("--seed", type=_seed, default=2001, help="master seed (default 2001)")
    ap.add_argument("--workers", type=_positive_int, help="worker processes (default: all cores)")
    ap.add_argument("--dask", help="'local' for a Dask LocalCluster, or tcp://HOST:PORT of a running scheduler")
    ap.add_argument("--out", type=Path, help="output folder (default results/<analysis>-<scenario>-<timestamp>)")


Metric = Callable[[LPSAModel], dict[str, float]]


def _evaluate_chunk(base: Scenario, chunk: list[tuple[int, dict[str, Any]]], replications: int, seed: int,
                    metric: Metric) -> list[dict[str, Any]]:
    rows = []
    for point_id, values in chunk:
        sc = load_scenario(base, nested(values))
        for r in range(replications):
            row = {"point": point_id, "replication": r, **values}
            row.update(metric(LPSAModel(sc, seed=replication_seed(seed, r)).run()))
            rows.append(row)
    return rows


def evaluate_points(base: Scenario, points: Sequence[dict[str, Any]], replications: int, seed: int, metric: Metric,
                    executor: Executor, chunk_size: int = 8, progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run every point ``replications`` times on ``executor`` (any ``concurrent.futures.Executor``, e.g. from
    ``sweeps.make_executor``); one row per (point, replication) with ``metric``'s outputs, in point order.
    Unlike a sweep, nothing is written to disk: this is for analyses that need the numbers at once.
    """
    indexed = list(enumerate(points))
    chunks = [indexed[i:i + chunk_size] for i in range(0, len(indexed), chunk_size)]
    futures = [executor.submit(_evaluate_chunk, base, c, replications, seed, metric) for c in chunks]
    rows = []
    for fut, c in zip(futures, chunks):
        rows.extend(fut.result())
        if progress is not None:
            progress(len(c) * replications)
    return pd.DataFrame(rows).sort_values(["point", "replication"], ignore_index=True)


def to_matrix(params: Sequence[UncertainParameter], unit: np.ndarray) -> list[dict[str, float]]:
    """Scale points in the unit cube to the parameters' ranges."""
    lows = np.array([p.low for p in params])
    highs = np.array([p.high for p in params])
    scaled = lows + unit * (highs - lows)
    return [{p.path: float(v) for p, v in zip(params, row)} for row in scaled]
