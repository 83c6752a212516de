"""Running replications of a scenario and collecting their tidy tables.

Replication ``r`` of any scenario run with master seed ``s`` uses the model seed
``replication_seed(s, r)``: two scenarios run with the same master seed share their random numbers
(common random numbers), and the result never depends on how runs are spread over workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from model import LPSAModel, Scenario
from model.counterfactual import attribution_columns, twin_scenario
from model.outputs import ATTRIBUTION_COLUMNS, SUMMARY_COLUMNS, summarise


def replication_seed(master_seed: int, replication: int) -> int:
    """Model seed of replication ``replication`` under ``master_seed`` (numpy SeedSequence)."""
    return int(np.random.SeedSequence([int(master_seed), int(replication)]).generate_state(1, dtype=np.uint64)[0])


@dataclass
class ScenarioResults:
    """All replications of one scenario, as tidy tables with ``scenario`` and ``replication`` columns."""

    scenario: Scenario
    targets: pd.DataFrame
    authorities: pd.DataFrame
    quarters: pd.DataFrame
    trajectory: pd.DataFrame

    def summary(self) -> dict[str, float]:
        return summarise(self.targets, self.authorities, self.scenario.name)


def run_one(scenario: Scenario, seed: int) -> LPSAModel:
    """Build and run one model."""
    return LPSAModel(scenario, seed=seed).run()


def targets_with_twin(m: LPSAModel, twin: Scenario | None) -> pd.DataFrame:
    """The run's targets table, with additionality columns when a twin scenario is given."""
    targets = m.targets_frame()
    if twin is None:
        return targets
    return pd.concat([targets, attribution_columns(m, run_one(twin, m.seed_used))], axis=1)


def run_replications(scenario: Scenario, replications: int, master_seed: int,
                     progress: tqdm | None = None, twins: bool = False) -> ScenarioResults:
    """Run ``replications`` of ``scenario`` in this process and stack their tables.

    With ``twins``, each run is paired with its no-agreement twin on the same seed and the targets
    table gains additionality, deadweight and retained additionality (model/counterfactual.py).
    """
    twin = twin_scenario(scenario) if twins else None
    tables: dict[str, list[pd.DataFrame]] = {"targets": [], "authorities": [], "quarters": [], "trajectory": []}
    for r in range(replications):
        m = run_one(scenario, replication_seed(master_seed, r))
        for name, frame in (("targets", targets_with_twin(m, twin)), ("authorities", m.authorities_frame()),
                            ("quarters", m.quarters_frame()), ("trajectory", m.trajectory_frame())):
            frame.insert(0, "replication", r)
            frame.insert(0, "scenario", scenario.name)
            tables[name].append(frame)
        if progress is not None:
            progress.update(1)
    return ScenarioResults(scenario, **{k: pd.concat(v, ignore_index=True) for k, v in tables.items()})


def summary_table(results: Iterable[ScenarioResults]) -> pd.DataFrame:
    """One row per scenario with the summary columns, in order (attribution columns when twins ran)."""
    rows = [r.summary() for r in results]
    extra = [c for c in ATTRIBUTION_COLUMNS if any(c in row for row in rows)]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS + extra)
