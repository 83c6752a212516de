"""LPSAModel: the Mesa model that ties councils, departments, partners and the central team
together."""

from __future__ import annotations

from collections.abc import Mapping
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
from .gaming import report_figures, set_gaming_strength
from .inspection import Inspection
from .lifecycle import (
    FOLLOW_UP,
    IMPLEMENTATION,
    PHASES,
    assess,
    implement,
    phase_codes,
    plan_sustainability,
    sustain,
    true_outcomes,
)
from .outcomes import summarise
from .partners import Partner, Partners
from .scenario import Scenario, load_scenario, parameter_overrides
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
)
"""Independent random streams spawned from the model's seeded generator, one per purpose, so that
changing one lever (say PPG) leaves every other draw unchanged: common random numbers."""

QUARTER = (
    ("departments move national priority between indicators", "_shift_priorities"),
    ("partners set their effort", "_partners_set_effort"),
    ("promised freedoms fall due and are broken", "_keep_promises"),
    ("councils meet mainstream budget pressure", "_budget_pressure"),
    ("champions leave, hand over or are replaced", "_turnover"),
    ("councils in implementation work on their targets", "_work"),
    ("after the end, the corporate centre drifts and gains fall back", "_follow_up"),
    ("true outcomes and reported figures", "_outcomes"),
    ("agreements ending now are assessed; councils plan what to keep", "_assess"),
    ("reward instalments are paid and partly reinvested", "_pay_rewards"),
    ("at the year's end, inspectors rate every council", "_inspect"),
    ("the quarter is recorded", "_record"),
)
"""The order of one quarter (``LPSAModel.step``), stated once: (what happens, the method doing
it). docs/ODD.md 'Process overview and scheduling' follows this list."""


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

    Build with ``LPSAModel(scenario, seed=...)`` or ``LPSAModel.from_scenario(path_or_dict,
    seed=...)``, then ``run()``. Results: ``targets_frame()``, ``quarters_frame()``,
    ``trajectory_frame()``, ``authorities_frame()``, ``ratings_frame()`` and ``summary()``.
    Councils, departments and partners are Mesa agents (``model.agents``); each kind's state and
    decisions live in its container, ``model.councils``, ``model.departments`` and
    ``model.partners``, and the targets' arrays in ``model.targets``. The validated scenario is
    ``params`` (Mesa 3.5 reserves ``Model.scenario`` for its own experimental scenarios).
    """

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None) -> None:
        self.params = sc = scenario if scenario is not None else Scenario()
        self.seed_used = int(sc.seed if seed is None else seed)
        super().__init__(rng=self.seed_used)
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS))))
        n = sc.scheme.n_authorities

        self.targets = draw_targets(self.streams["targets"], sc, n)
        self.councils = Councils.draw(self, self.streams["population"], n)
        self.departments = Departments.draw(self, self.streams["population"])
        self.partners = Partners.attach(self, self.streams["population"])
        self._agents_made = False

        c = self.councils
        c.start = schedule_negotiations(self)
        c.end = c.start + sc.scheme.implementation_quarters
        self.n_quarters = int(
            c.start.max() + sc.scheme.implementation_quarters + sc.scheme.follow_up_quarters
        )
        instalments = instalment_quarters(c.end, sc.funding)
        self.instalments_due = {
            int(q): np.flatnonzero((instalments == q).any(axis=1)) for q in np.unique(instalments)
        }
        self.inspection = Inspection.start(self, self.streams["inspection"])

        self.quarter = 0
        self.history = np.zeros((self.n_quarters, *self.targets.shape))  # reported figures
        self.true_history = np.zeros((self.n_quarters, *self.targets.shape))
        self.ppg_paid = np.zeros(self.n_quarters)
        self.reward_paid = np.zeros(self.n_quarters)
        self.effort_mean = np.full(self.n_quarters, np.nan)  # mean effort of implementing targets
        self.trust_mean = np.zeros(self.n_quarters)
        self._negotiate()
        self._phases = phase_codes(self, np.arange(self.n_quarters))  # (Q, A), fixed once signed

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
        if 0 <= quarter < self.n_quarters:
            return self._phases[quarter]
        return phase_codes(self, quarter)

    def phase_of(self, index: int) -> str:
        return PHASES[int(self.phase_codes()[index])]

    def _negotiate(self) -> None:
        """Settle every council's negotiation: freedoms requested, signing, stretch, approaches,
        PPG, plans.

        A negotiation's outcome depends only on the council's own traits and the answers to its own
        freedoms-and-flexibilities requests, never on what happens to other councils meanwhile, so
        all are settled in one vectorised pass at the start; each agreement (and its PPG) starts in
        its batch's quarter (``central_team.schedule_negotiations``). Promises made now fall due
        during implementation (``Departments.keep_promises``). Plans are drawn for every council,
        signed or not (a council that declines simply never starts), so that random streams do not
        depend on who signs: common random numbers hold across regimes that change participation.
        """
        c = self.councils
        idx = np.arange(c.size)
        self.departments.answer_requests(idx)
        c.decide_participation(idx)
        set_stretch(self, idx)
        c.choose_approaches(idx)
        c.allocate_ppg(idx)
        c.plan_start(idx)
        set_gaming_strength(self, idx)
        c.plan_effort(idx)
        c.decide_integration(idx)
        self.ppg_paid += np.bincount(
            c.start, weights=np.where(c.signed, c.ppg, 0.0), minlength=self.n_quarters
        )[: self.n_quarters]

    # One method per line of QUARTER, in that order. ``self._phase`` holds this quarter's phases.

    def _shift_priorities(self) -> None:
        self.departments.shift_priorities()

    def _partners_set_effort(self) -> None:
        self.partners.set_effort()

    def _keep_promises(self) -> None:
        self.departments.keep_promises(self.quarter)

    def _budget_pressure(self) -> None:
        self.councils.face_budget_pressure(self._implementing, self._following)

    def _turnover(self) -> None:
        if self._implementing.any():  # phases follow the schedule: skipping keeps streams aligned
            self.councils.respond_to_turnover(self._implementing)

    def _work(self) -> None:
        agreement_gain = np.zeros(self.targets.shape)
        if self._implementing.any():
            agreement_gain = implement(self, self._implementing, self.quarter)
        self.councils.divert_from_other_services(agreement_gain, self._following)

    def _follow_up(self) -> None:
        if self._following.any():
            self.councils.corporate_drift(self._following)
            sustain(self, self._following)

    def _outcomes(self) -> None:
        c, t = self.councils, self.quarter
        true_outcomes(self, t)
        self._ending = c.signed & (c.end - 1 == t)
        report_figures(self, self._implementing, self._following, self._ending)

    def _assess(self) -> None:
        c = self.councils
        scheduled_end = np.flatnonzero(c.end - 1 == self.quarter)
        if scheduled_end.size:
            c.decide_reward_use(scheduled_end)  # drawn for signed or not, as plans are
            ending = np.flatnonzero(self._ending)
            assess(self, ending)
            plan_sustainability(self, ending)
            c.decide_continuation(ending)

    def _pay_rewards(self) -> None:
        """Pay reward instalments due this quarter; councils reinvest part of each in the target
        areas."""
        due = self.instalments_due.get(self.quarter)
        if due is None:
            return
        due = due[self.councils.signed[due]]
        amount = self.targets.end.reward[due].sum(axis=1) / self.params.funding.reward_instalments
        self.reward_paid[self.quarter] += amount.sum()
        self.councils.reinvest_reward(due, amount)

    def _inspect(self) -> None:
        self.inspection.rate_if_year_end(self.quarter)

    def _record(self) -> None:
        t, c, state = self.quarter, self.councils, self.targets.state
        self.history[t] = state.measured
        self.true_history[t] = state.true
        working = self._implementing & c.signed
        if working.any():
            self.effort_mean[t] = state.effort[working].mean()
        self.trust_mean[t] = c.trust.mean()

    def step(self) -> None:
        """One quarter: every line of ``QUARTER`` in order. After the last council's follow-up the
        run has ended and a step does nothing."""
        if self.quarter >= self.n_quarters:
            self.running = False
            return
        phase = self.phase_codes(self.quarter)
        self._implementing, self._following = phase == IMPLEMENTATION, phase == FOLLOW_UP
        for _, method in QUARTER:
            getattr(self, method)()
        self.quarter += 1
        if self.quarter >= self.n_quarters:
            self.running = False

    def run(self, compiled: bool = True) -> LPSAModel:
        """Run to the end of the last council's follow-up; returns self for chaining.

        By default the remaining quarters run in one compiled call (``compiled.py``), bit for bit
        what ``step`` gives; ``compiled=False`` steps through the agents' numpy methods instead.
        """
        if compiled and self.running and self.quarter < self.n_quarters:
            from . import compiled as fused  # numba loads only for a run that needs it

            fused.run(self)
        while self.running:
            self.step()
        return self

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

    def trajectory_frame(self) -> pd.DataFrame:
        return outputs.trajectory_frame(self)

    def ratings_frame(self) -> pd.DataFrame:
        return outputs.ratings_frame(self)

    def summary(self) -> dict[str, float]:
        """Every registered outcome of this run (``outcomes.REGISTRY``)."""
        return summarise(self.targets_frame(), self.authorities_frame())
