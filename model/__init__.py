"""LPSA simulator: an agent-based model of Local Public Service Agreements.

from lpsa.model import run_model
run_model("lpsa1_baseline", seed=1, funding__ppg_share=0.3)   # every outcome, as floats

from lpsa.model import LPSAModel
m = LPSAModel.from_scenario("lpsa1_baseline", seed=1).run()
m.targets_frame(); m.summary()
"""

from .counterfactual import twin_scenario
from .model import LPSAModel
from .outcomes import REGISTRY, Outcome, register
from .scenario import Scenario, ScenarioError, load_scenario
from .single_run import replication_seed, run_model, run_outcomes, run_pair

__all__ = [
    "REGISTRY",
    "LPSAModel",
    "Outcome",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "register",
    "replication_seed",
    "run_model",
    "run_outcomes",
    "run_pair",
    "twin_scenario",
]
