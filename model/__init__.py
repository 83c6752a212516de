"""LPSA simulator: an agent-based model of Local Public Service Agreements.

    from model import LPSAModel
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=1).run()
    m.targets_frame(); m.summary()
"""

from .model import LPSAModel
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = ["LPSAModel", "Scenario", "ScenarioError", "load_scenario"]
