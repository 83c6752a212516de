"""Replications of whole scenarios with their tidy tables (the main job, the tests, notebooks).

Built on the experiment runner: each scenario is a base of one design, so scenarios run together
share their random numbers (replication ``r`` of each uses ``replication_seed(seed, r)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lpsa.model import LPSAModel, Scenario
from lpsa.model.outcomes import outcome_names, summarise
from lpsa.model.single_run import targets_with_twin

from .runner import iter_chunks, require_success, rows_to_table, scenarios_design

TABLES = ("targets", "authorities", "quarters", "trajectory", "ratings")


@dataclass
class ScenarioResults:
    """All replications of one scenario: per-run outcomes and tidy tables, each with ``scenario``
    and ``replication`` columns."""

    scenario: Scenario
    runs: pd.DataFrame
    targets: pd.DataFrame
    authorities: pd.DataFrame
    quarters: pd.DataFrame
    trajectory: pd.DataFrame
    ratings: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """Each registered outcome's mean over replications."""
        names = [c for c in outcome_names() if c in self.runs]
        return {
            "scenario": self.scenario.name,
            "replications": len(self.runs),
            **{n: float(self.runs[n].mean()) for n in names},
        }


def run_tables(model: LPSAModel, twin: LPSAModel | None) -> dict[str, Any]:
    """Measure: every outcome, plus the run's tables under ``"tables"``."""
    targets = targets_with_twin(model, twin)
    authorities = model.authorities_frame()
    tables = {
        "targets": targets,
        "authorities": authorities,
        "quarters": model.quarters_frame(),
        "trajectory": model.trajectory_frame(),
        "ratings": model.ratings_frame(),
    }
    return {**summarise(targets, authorities), "tables": tables}


def run_scenarios(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    twins: bool = False,
    executor: Executor | None = None,
    progress: str | None = None,
) -> list[ScenarioResults]:
    """Run ``replications`` of each scenario on common random numbers; tables per scenario."""
    design = scenarios_design(scenarios, replications, seed, twins)
    rows: list[dict[str, Any]] = []
    for _, chunk in iter_chunks(design, run_tables, executor, chunk_size=1, progress=progress):
        rows.extend(chunk)
    runs = rows_to_table(rows)
    require_success(runs)
    results = []
    for sc in scenarios:
        mine = runs[runs["name"] == sc.name]
        tables: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        for r, run_tables_ in zip(mine["replication"], mine["tables"]):
            for t in TABLES:
                frame = run_tables_[t].copy()
                frame.insert(0, "replication", int(r))
                frame.insert(0, "scenario", sc.name)
                tables[t].append(frame)
        results.append(
            ScenarioResults(
                sc,
                mine.drop(columns="tables").reset_index(drop=True),
                **{t: pd.concat(v, ignore_index=True) for t, v in tables.items()},
            )
        )
    return results


def run_replications(
    scenario: Scenario, replications: int, master_seed: int, twins: bool = False
) -> ScenarioResults:
    """One scenario's replications, in this process."""
    return run_scenarios([scenario], replications, master_seed, twins)[0]


def summary_table(results: Sequence[ScenarioResults]) -> pd.DataFrame:
    """One row per scenario: replications and each outcome's mean."""
    return pd.DataFrame([r.summary() for r in results])
