"""What a built model offers to what reads it: the quarter's inputs (``quarter.dynamics``), the
tables (``outputs.py``) and the twin's attribution (``counterfactual.py``).

``LPSAModel`` is one. Those modules read a model through this description, so none of them
imports ``model.py``, and ``model.py`` imports them without a circle.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .councils import Councils
from .departments import Departments
from .inspection import Inspection
from .partners import Partners
from .scenario import Scenario
from .targets import Targets


class BuiltModel(Protocol):
    """A model whose negotiations are settled (``LPSAModel`` after construction)."""

    params: Scenario  # the validated scenario
    streams: dict[str, np.random.Generator]  # one per purpose (``model.STREAMS``)
    targets: Targets
    councils: Councils
    departments: Departments
    partners: Partners
    inspection: Inspection
    instalments_due: dict[int, np.ndarray]  # quarter -> councils paid a reward instalment
    n_quarters: int  # quarters from the first negotiation to the last follow-up
    quarter: int  # quarters run so far
    window: int  # quarters from an agreement's start to the end of its follow-up
    reported_from_start: np.ndarray  # (window, A, T) by quarter from each council's start
    true_from_start: np.ndarray  # (window, A, T)
    ppg_paid: np.ndarray  # (Q,) [GBP]
    reward_paid: np.ndarray  # (Q,) [GBP]
    effort_mean: np.ndarray  # (Q,) mean effort of implementing targets
    trust_mean: np.ndarray  # (Q,) mean trust
