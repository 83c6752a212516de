"""What every part of a model shares: the scenario, its random streams and its targets.

Councils, departments and partners hold this, not the model: a part reads the parameters, draws
from its own stream and reads or fixes its councils' targets, and never reaches through the whole
model (so no module of ``model/`` imports ``model.py`` but the package's front door).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import Scenario
from .targets import Targets


@dataclass(frozen=True, eq=False)
class Setting:
    """The validated scenario (``params``), the model's random streams, one per purpose
    (``model.STREAMS``), and every council's targets."""

    params: Scenario
    streams: dict[str, np.random.Generator]
    targets: Targets
