"""One run of a scenario, as external tools call it: seeds, twins and outcomes as plain floats.

    from lpsa.model import run_model
    run_model("lpsa1_baseline", seed=1, funding__ppg_share=0.3)   # -> {"targets_met_share": ...}

This is the front door for EMA Workbench, SALib and notebooks, and the unit of work of the
experiment runner (``experiments/runner.py``): every command runs its replications through
:func:`run_pair`, so a result never depends on which tool asked for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .counterfactual import attribution_columns, twin_scenario
from .model import LPSAModel
from .outcomes import REGISTRY, summarise
from .outputs import Columns, authority_columns, target_columns
from .scenario import Scenario, load_scenario, parameter_overrides


def replication_seed(master_seed: int, replication: int) -> int:
    """Model seed of replication ``replication`` under ``master_seed`` (numpy ``SeedSequence``).

    Replication ``r`` of every scenario and every parameter point run with the same master seed
    gets the same model seed: common random numbers, whatever the worker or the batch.
    """
    state = np.random.SeedSequence([int(master_seed), int(replication)]).generate_state(
        1, np.uint64
    )
    return int(state[0])


def run_pair(
    scenario: Scenario, seed: int, twins: bool = False, twin: Scenario | None = None
) -> tuple[LPSAModel, LPSAModel | None]:
    """Build and run ``scenario`` on ``seed``; with ``twins``, also its no-agreement twin on the
    same seed (``counterfactual.py``), which shares every random draw with the factual run.
    ``twin``: the twin's scenario, ``twin_scenario(scenario)``, when the caller made it already
    (the runner makes it once a point: validating it costs about a third of a run)."""
    factual = LPSAModel(scenario, seed=seed).run()
    if not twins:
        return factual, None
    twin_model = LPSAModel(twin or twin_scenario(scenario), seed=seed).run()
    return factual, twin_model


def target_columns_with_twin(factual: LPSAModel, twin: LPSAModel | None = None) -> Columns:
    """The run's target columns, with the twin's attribution columns when a twin is given."""
    columns = target_columns(factual)
    return columns if twin is None else columns.with_columns(attribution_columns(factual, twin))


def targets_with_twin(factual: LPSAModel, twin: LPSAModel | None = None) -> pd.DataFrame:
    """The run's targets table, with the twin's attribution columns when a twin is given."""
    return pd.DataFrame(dict(target_columns_with_twin(factual, twin)))


def run_outcomes(factual: LPSAModel, twin: LPSAModel | None = None) -> dict[str, float]:
    """Every registered outcome of a finished run (twin outcomes when a twin is given), computed
    from numpy columns: no DataFrame is built."""
    return summarise(target_columns_with_twin(factual, twin), authority_columns(factual))


def run_model(
    scenario: str | Path | Mapping[str, Any] | Scenario = "lpsa1_baseline",
    seed: int = 1,
    twins: bool = False,
    replication: int | None = None,
    **params: Any,
) -> dict[str, float]:
    """Run one replication and return every registered outcome as a float.

    ``scenario``: a shipped scenario name, a file, a mapping or a ``Scenario``. ``seed``: the model
    seed; with ``replication``, the master seed of which replication ``replication`` is run (on
    ``replication_seed(seed, replication)``, as every command of this project does). ``params``:
    scenario parameters by dotted path (``**{"funding.ppg_share": 0.3}``) or with double
    underscores (``funding__ppg_share=0.3``, a Python identifier, as EMA Workbench needs).
    ``twins``: also run the no-agreement twin, for additionality and deadweight.

    The result has every outcome in ``REGISTRY``, always: an outcome that is undefined for this run
    (a retained share when nothing improved, a twin outcome without ``twins``) is NaN. Raises
    ``ScenarioError`` (with a readable message) for an unknown parameter or a bad value.
    """
    sc = load_scenario(scenario, parameter_overrides(params) or None)
    model_seed = int(seed) if replication is None else replication_seed(seed, replication)
    values = run_outcomes(*run_pair(sc, model_seed, twins))
    return {name: values.get(name, math.nan) for name in REGISTRY}
