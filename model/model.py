"""LPSAModel: the Mesa model that ties councils, departments, partners and the central team
together."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import outputs
from .central_team import schedule_negotiations, set_stretch
from .councils import Authority, Councils
from .departments import Department, Departments
from .funding import instalment_quarters
from .gaming import set_gaming_strength
from .inspection import Inspection
from .lifecycle import FOLLOW_UP, IMPLEMENTATION, PHASES, phase_codes
from .outcomes import REGISTRY, summarise
from .partners import Partner, Partners
from .quarter import dynamics, run_quarters
from .scenario import QUARTERS_PER_YEAR, Scenario, load_scenario, parameter_overrides
from .setting import Setting
from .targets import draw_targets

STREAMS = (
    "population",
    "targets",
    "negotiation",
    "stretch",
    "approach",
    "start",
    "turnover",
    "departments",
    "shocks",
    "post",
    "freedoms",
    "gaming",
    "budget",
    "inspection",
    "integration",
    "setbacks",
    "service_inspection",
    "choice",
)
"""Independent random streams spawned from the model's seeded generator, one per purpose, so that
changing one lever (say PPG) leaves every other draw unchanged: common random numbers. A new
purpose goes at the end: spawned streams are numbered, so the earlier ones stay as they were."""

MESA_KEEPS_TIME = "time" in vars(mesa.Model)
"""Mesa 3.5 and later advance ``Model.time`` themselves at every step; Mesa 3.3 has no ``time``,
so the model keeps it (one unit a quarter, as Mesa would)."""


def _mean_reported(m: LPSAModel) -> float:
    """Mean reported performance of the signed councils' targets in the last quarter run, among
    councils whose agreement has started [share of stretch]."""
    started = m.councils.signed & (m.councils.start < m.quarter)
    return float(m.targets.state.measured[started].mean()) if started.any() else math.nan


QUARTER_REPORTERS: dict[str, Callable[[LPSAModel], float]] = {
    "quarter": lambda m: m.quarter,
    "implementing": lambda m: int((m.phase_codes(m.quarter - 1) == IMPLEMENTATION).sum()),
    "following_up": lambda m: int((m.phase_codes(m.quarter - 1) == FOLLOW_UP).sum()),
    "mean_reported_performance": _mean_reported,
    "ppg_paid_gbp": lambda m: float(m.ppg_paid[: m.quarter].sum()),
    "reward_paid_gbp": lambda m: float(m.reward_paid[: m.quarter].sum()),
    **{name: (lambda m, name=name: m.final_outcomes().get(name, math.nan)) for name in REGISTRY},
}
"""Mesa's model reporters (``LPSAModel.datacollector``): after each quarter stepped, the councils
implementing and following up, mean reported performance, money paid so far, and (NaN until the
run has ended) every registered outcome, so ``mesa.batch_run`` returns the outcomes of each run."""


def release_agent_numbering(model: mesa.Model) -> None:
    """Let the model be freed once nothing else refers to it.

    Mesa before 3.4.2 numbers agents in a class-level dict keyed by the model (``mesa/agent.py``
    ``Agent._ids``), which keeps every model alive for the life of the process: about 1.7 MB a run
    in a sweep worker, 1.9 GB after a thousand runs. Call this once every agent exists. Mesa 3.4.2
    and later count on the model itself and have no ``Agent._ids``; there this does nothing.
    """
    getattr(mesa.Agent, "_ids", {}).pop(model, None)


class LPSAModel(mesa.Model):
    """Local Public Service Agreements, one quarter per step, from negotiation to 5+ years after.

    Build with ``LPSAModel(scenario, seed=...)``, where ``scenario`` is a ``Scenario``, a shipped
    scenario's name, a file path or a mapping (default: the baseline), and keyword parameters
    override it by path (``LPSAModel(funding__ppg_share=0.3, seed=1)``, as ``mesa.batch_run``
    passes them). Then ``step()`` one quarter at a time, or ``run()`` to the end. Results:
    ``targets_frame()``, ``quarters_frame()``, ``trajectory_frame()``, ``authorities_frame()``,
    ``ratings_frame()`` and ``summary()``; ``datacollector`` has one row per quarter stepped.
    Councils, departments and partners are Mesa agents (``model.agents``); each kind's state and
    decisions live in its container, ``model.councils``, ``model.departments`` and
    ``model.partners``, and the targets' arrays in ``model.targets``. The validated scenario is
    ``params`` (Mesa 3.5 reserves ``Model.scenario`` for its own experimental scenarios).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | Mapping[str, Any] | None = None,
        seed: int | None = None,
        **overrides: Any,
    ) -> None:
        if overrides or not isinstance(scenario, Scenario | None):
            scenario = load_scenario(
                "lpsa1_baseline" if scenario is None else scenario,
                parameter_overrides(overrides) or None,
            )
        self.params = sc = scenario if scenario is not None else Scenario()
        self.seed_used = int(sc.seed if seed is None else seed)
        super().__init__(rng=self.seed_used)
        if not MESA_KEEPS_TIME:
            self.time = 0.0
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS))))
        n = sc.scheme.n_authorities

        self.targets = draw_targets(
            self.streams["targets"], sc, n, self.streams["setbacks"], self.streams["choice"]
        )
        self.setting = setting = Setting(sc, self.streams, self.targets)
        self.councils = Councils.draw(setting, self.streams["population"], n)
        self.departments = Departments.draw(setting, self.streams["population"])
        self.partners = Partners.attach(setting, self.streams["population"])
        self._agents_made = False

        c = self.councils
        c.start = schedule_negotiations(setting, n)
        c.end = c.start + sc.scheme.implementation_quarters
        self.n_quarters = int(
            c.start.max() + sc.scheme.implementation_quarters + sc.scheme.follow_up_quarters
        )
        instalments = instalment_quarters(c.end, sc.funding)
        self.instalments_due = {
            int(q): np.flatnonzero((instalments == q).any(axis=1)) for q in np.unique(instalments)
        }
        self.inspection = Inspection.start(c.rating, self.n_quarters, self.streams["inspection"])

        self.quarter = 0
        # Each council's figures from its agreement's start to the end of its follow-up, by
        # quarter from its start: (window, A, T). Memory grows with the councils, not with the
        # councils times the quarters of the whole scheme (``figures`` reads them by quarter).
        self.window = sc.scheme.implementation_quarters + sc.scheme.follow_up_quarters
        self.reported_from_start = np.zeros((self.window, *self.targets.shape))
        self.true_from_start = np.zeros((self.window, *self.targets.shape))
        self.ppg_paid = np.zeros(self.n_quarters)
        self.reward_paid = np.zeros(self.n_quarters)
        self.effort_mean = np.full(self.n_quarters, np.nan)  # mean effort of implementing targets
        self.trust_mean = np.zeros(self.n_quarters)
        self._negotiate()
        self.dynamics = dynamics(self)
        self._collector: mesa.DataCollector | None = None
        self._outcomes: dict[str, float] | None = None

    # ------------------------------------------------------------------ the Mesa agents

    def _make_agents(self) -> None:
        """Create the Mesa agents, named views of the containers' rows, the first time anyone
        looks at them (``agents``, ``agents_by_type``, ``agent_types``).

        The dynamics never need them (state and decisions live in the containers), so a run that
        nobody inspects skips building about 500 agent objects, most of a model's build time.
        """
        if self._agents_made:
            return
        self._agents_made = True
        for i in range(self.councils.size):
            Authority(self, i)
        for j in range(self.departments.engagement.size):
            Department(self, j)
        for i in range(self.partners.size):
            Partner(self, i)
        release_agent_numbering(self)

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every council, department and partner as a Mesa agent (``mesa.Model.agents``)."""
        self._make_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        self._make_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._make_agents()
        return super().agent_types

    @classmethod
    def from_scenario(
        cls,
        scenario: str | Path | Mapping[str, Any] | Scenario,
        seed: int | None = None,
        **overrides: Any,
    ) -> LPSAModel:
        """Build from a scenario file path, a shipped scenario name, a mapping or a Scenario.

        Keyword ``overrides`` name parameters by path, dotted or with double underscores
        (``**{"funding.ppg_share": 0.5}``, ``funding__ppg_share=0.5``), or are nested mappings
        (``funding={"ppg_share": 0.5}``). Raises ``ScenarioError`` with a readable message.
        """
        return cls(load_scenario(scenario, parameter_overrides(overrides) or None), seed=seed)

    # ------------------------------------------------------------------ dynamics

    def phase_codes(self, quarter: int | None = None) -> np.ndarray:
        """(A,) phase code of every council (see ``lifecycle.PHASES``) at ``quarter`` (default
        now)."""
        quarter = self.quarter if quarter is None else quarter
        return phase_codes(self.councils, self.params.scheme.follow_up_quarters, quarter)

    def figures(
        self, quarters: int | np.ndarray, councils: np.ndarray, true: bool = False
    ) -> np.ndarray:
        """Reported (or ``true``) figures of the targets of ``councils`` in ``quarters`` (absolute
        quarters, broadcast against ``councils``): (..., T). Every quarter asked for must lie in
        its council's window, from its agreement's start to the end of its follow-up (the
        quarters that something happens to it in); outside it raises ``IndexError``."""
        councils = np.asarray(councils)
        k = np.asarray(quarters) - self.councils.start[councils]
        if k.size and (k.min() < 0 or k.max() >= self.window):
            raise IndexError("a quarter outside its council's agreement and follow-up")
        history = self.true_from_start if true else self.reported_from_start
        return history[k, councils]

    def phase_of(self, index: int) -> str:
        return PHASES[int(self.phase_codes()[index])]

    def _negotiate(self) -> None:
        """Settle every council's negotiation: freedoms requested, signing, stretch, approaches,
        PPG, plans.

        A negotiation's outcome depends only on the council's own traits and the answers to its own
        freedoms-and-flexibilities requests, never on what happens to other councils meanwhile, so
        all are settled in one vectorised pass at the start; each agreement (and its PPG) starts in
        its batch's quarter (``central_team.schedule_negotiations``). Promises made now fall due
        during implementation (``quarter.keep_promises``). Plans are drawn for every council,
        signed or not (a council that declines simply never starts), so that random streams do not
        depend on who signs: common random numbers hold across regimes that change participation.
        """
        c = self.councils
        idx = np.arange(c.size)
        self.departments.answer_requests(c, idx)
        c.decide_participation(idx)
        set_stretch(self.setting, c, idx)
        c.choose_approaches(idx)
        c.allocate_ppg(idx)
        c.plan_start(idx)
        set_gaming_strength(self.setting, c, idx)
        c.plan_effort(idx)
        c.decide_integration(idx)
        self.ppg_paid += np.bincount(
            c.start, weights=np.where(c.signed, c.ppg, 0.0), minlength=self.n_quarters
        )[: self.n_quarters]

    def _advance(self, quarters: int) -> None:
        """Run the next ``quarters`` quarters (``quarter.run_quarters``: every line of
        ``QUARTER`` in order, in one compiled call), and keep the clock."""
        t0 = self.quarter
        t1 = min(t0 + quarters, self.n_quarters)
        run_quarters(t0, t1, *self.dynamics)
        self.quarter = t1
        self.inspection.years_rated = min(t1 // QUARTERS_PER_YEAR, self.inspection.ratings.shape[0])
        if t1 >= self.n_quarters:
            self.running = False

    def step(self) -> None:
        """One quarter: every line of ``QUARTER`` in order. After the last council's follow-up the
        run has ended and a step does nothing."""
        if self.quarter >= self.n_quarters:
            self.running = False
            return
        self._advance(1)
        if not MESA_KEEPS_TIME:
            self.time = float(self.steps)
        self.datacollector.collect(self)

    def run(self) -> LPSAModel:
        """Run to the end of the last council's follow-up, in one compiled call (the same
        quarters ``step`` runs, bit for bit); returns self for chaining. Nothing is collected:
        ``datacollector`` has the quarters ``step`` ran."""
        if self.running and self.quarter < self.n_quarters:
            self._advance(self.n_quarters - self.quarter)
        self.running = False
        return self

    def final_outcomes(self) -> dict[str, float]:
        """``summary()`` once the run has ended (computed once), every outcome NaN before."""
        if self.running:
            return dict.fromkeys(REGISTRY, math.nan)
        if self._outcomes is None:
            self._outcomes = self.summary()
        return self._outcomes

    def release(self) -> None:
        """Free this model now; it cannot be used afterwards.

        A model is a web of reference cycles (Mesa's ``Model`` keeps bound methods of itself, and
        every container and agent refers back to its model), so a finished run, about 1.7 MB,
        lingers until Python's cyclic collector gets to it. A sweep worker therefore carries
        some 70 MB of finished runs and spends part of its time collecting them. Releasing each
        run once it is measured drops its state at once (``experiments.runner.run_chunk`` and
        the calibration do): worker memory stays at its start (2 MB of growth over 3,000 runs,
        against 38 MB) and a sweep runs 2-4 % faster (``benchmarks/bench_memory.py``,
        ``bench_sweep.py``). Results are unchanged.
        """
        release_agent_numbering(self)
        vars(self).clear()

    # ------------------------------------------------------------------ results

    def targets_frame(self) -> pd.DataFrame:
        return outputs.targets_frame(self)

    def authorities_frame(self) -> pd.DataFrame:
        return outputs.authorities_frame(self)

    def quarters_frame(self) -> pd.DataFrame:
        return outputs.quarters_frame(self)

    def trajectory_frame(self, twin: LPSAModel | None = None) -> pd.DataFrame:
        return outputs.trajectory_frame(self, twin)

    def ratings_frame(self) -> pd.DataFrame:
        return outputs.ratings_frame(self)

    def summary(self) -> dict[str, float]:
        """Every registered outcome of this run (``outcomes.REGISTRY``), computed from the
        columns it needs (``outputs.LazyColumns``): no DataFrame is built."""
        return summarise(outputs.target_columns(self), outputs.authority_columns(self))

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector, one row per quarter ``step`` ran (``QUARTER_REPORTERS``; the
        registered outcomes are NaN until the run has ended). Made the first time it is asked
        for: a sweep's runs never pay for it."""
        if self._collector is None:
            self._collector = mesa.DataCollector(model_reporters=QUARTER_REPORTERS)
        return self._collector
