"""Scenario discovery with PRIM: where in input space an outcome is poor (``lpsa discover``).

Finds the boxes of input space (swept parameters) where an outcome is poor, with the Patient Rule
Induction Method (the ``prim`` package, from the EMA Workbench line of scenario-discovery tools).
Each box comes with its limits on the restricted inputs, its coverage (share of all cases of
interest that fall in the box), density (share of the box's runs that are cases of interest) and
mass (share of all runs in the box). The box chosen on each peeling trajectory is the one with the
largest coverage among those with at least the required density. Pure: the report is
``discover_report.py``, the command ``discover_command.py``; ``compare`` uses ``discover`` too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lpsa.model.outcomes import REGISTRY

NOT_INPUTS = {
    "point",
    "point_id",
    "replication",
    "seed",
    "run",
    "run_id",
    "status",
    "error",
    "chunk",
    "elapsed_s",
    "name",
    "scenario",
    "replications",
}
"""Identifier columns; outcome columns (the registry's) are not inputs either."""


def default_inputs(runs: pd.DataFrame, outcome: str) -> list[str]:
    """Numeric or boolean columns that vary and are neither outcomes nor identifiers: the swept
    parameters."""
    cols = []
    for c in runs.columns:
        if (
            c == outcome
            or c in NOT_INPUTS
            or c in REGISTRY
            or c.startswith(("retained_", "additionality", "true_"))
        ):
            continue
        s = runs[c]
        if (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and s.nunique(
            dropna=True
        ) > 1:
            cols.append(c)
    return cols


def choose_box(trajectory: pd.DataFrame, min_density: float) -> int:
    """Index on the peeling trajectory: largest coverage with density >= min_density, else the
    densest."""
    ok = trajectory[trajectory["density"] >= min_density]
    return int(ok["coverage"].idxmax()) if len(ok) else int(trajectory["density"].idxmax())


def discover(
    runs: pd.DataFrame,
    inputs: list[str],
    cases: np.ndarray,
    boxes: int,
    min_density: float,
    mass_min: float = 0.05,
) -> list[dict]:
    """Run PRIM for up to ``boxes`` boxes; each result has limits, coverage, density, mass and its
    peeling trajectory."""
    import prim

    x = runs[inputs].astype(float).reset_index(drop=True)
    p = prim.Prim(x, cases.astype(float), threshold=0.5, threshold_type=">", mass_min=mass_min)
    found = []
    for _ in range(boxes):
        try:
            box = p.find_box()
        except prim.PrimError:
            break
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        i = choose_box(traj, min_density)
        box.select(i)
        limits = box.limits.copy()
        found.append(
            {
                "limits": limits,
                "coverage": float(box.coverage),
                "density": float(box.density),
                "mass": float(box.mass),
                "trajectory": traj,
                "selected": i,
            }
        )
    return found
