"""Business-as-usual twins: the same councils, shocks, priority shifts and inspections with no
agreement.

The evaluators' hardest question was attribution: how much of an improvement is due to the
agreement, how much would have happened anyway (001:133; 000:230 East Riding 'might have happened
anyway'). A twin is the same scenario with every agreement lever at zero (no PPG, no reward, no
stretch focus) and every council tracked. Its councils still do their normal work on these services
(``attribution.business_as_usual_effort``; 001:133 'other national policies ... pushing in the same
direction', 001:103 CPA 'a more significant driver'), other national policies still move the
indicators, and inspectors still rate every council, whose low or falling ratings draw attention in
both worlds (``inspection.py``); run on the same seed it shares all random streams
with the factual run (each purpose has its own stream, and plans are drawn whether or not a council
signs), so the difference between the two is the agreement's effect on each target.

Per target, on true outcomes (not reported figures, see gaming.py):
- ``additionality`` = factual minus twin at the agreement's end;
- ``deadweight`` = the twin's own improvement at the end (other national policies, chance);
- ``additionality_Ny`` = factual minus twin N years after the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .outcomes import RETAINED_YEARS
from .outputs import Columns, performance_after_end
from .scenario import Scenario, deep_merge, validate_scenario

if TYPE_CHECKING:
    from .built import BuiltModel

TWIN_OVERRIDES = {
    "funding": {
        "ppg_flat_gbp": 0.0,
        "ppg_per_head_gbp": 0.0,
        "reward_share_of_nbr": 0.0,
        "ppg_share": None,
    },
    "attribution": {"agreement_focus": 0.0},
    "mechanisms": {"participation": False, "authority_learning": False},
}
"""All agreement levers at zero; every council tracked (participation off) so every target has a
twin; the twin learns nothing from an agreement it does not have (authority_learning off)."""


def twin_scenario(scenario: Scenario) -> Scenario:
    """The no-agreement twin of ``scenario``."""
    data = deep_merge(scenario.model_dump(), TWIN_OVERRIDES)
    data["name"] = f"{scenario.name}__twin"
    return validate_scenario(data, f"twin of {scenario.name}")


def attribution_columns(factual: BuiltModel, twin: BuiltModel) -> Columns:
    """Per-target additionality, deadweight and retained additionality as numpy columns, rows as
    ``factual.targets_frame()``."""
    if factual.targets.shape != twin.targets.shape or not np.array_equal(
        factual.councils.end, twin.councils.end
    ):
        raise ValueError(
            "the twin must be built from the same scenario shape and seed as the factual run"
        )
    keep = np.repeat(factual.councils.signed, factual.targets.shape[1])
    f_end, c_end = factual.targets.end.true.ravel(), twin.targets.end.true.ravel()
    cols = {
        "twin_true_share_of_stretch": c_end,
        "additionality": f_end - c_end,
        "deadweight": c_end,
    }
    for y in RETAINED_YEARS:
        cols[f"additionality_{y}y"] = (
            performance_after_end(factual, y, true=True) - performance_after_end(twin, y, true=True)
        ).ravel()
    return {name: column[keep] for name, column in cols.items()}
