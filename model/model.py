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
from .authority import (
    Authority,
    allocate_ppg,
    choose_approaches,
    corporate_drift_and_cuts,
    decide_continuation,
    decide_participation,
    decide_reward_use,
    draw_authorities,
    plan_start,
    reinvest_reward,
    respond_to_turnover,
)
from .central_team import schedule_negotiations, set_stretch
from .department import Department, negotiate_freedoms
from .funding import instalment_quarters
from .gaming import report_figures, set_gaming_strength
from .lifecycle import (
    FOLLOW_UP,
    IMPLEMENTATION,
    PHASES,
    assess,
    implement,
    phase_codes,
    plan_effort,
    plan_sustainability,
    sustain,
    true_outcomes,
)
from .outcomes import summarise
from .partner import attach_partners, partner_effort
from .scenario import DEPARTMENTS, Scenario, load_scenario, parameter_overrides
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
)
"""Independent random streams spawned from the model's seeded generator, one per purpose, so that
changing one lever (say PPG) leaves every other draw unchanged: common random numbers."""


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
    ``trajectory_frame()``, ``authorities_frame()`` and ``summary()``. The validated scenario is
    ``params`` (Mesa 3.5 reserves ``Model.scenario`` for its own experimental scenarios).
    """

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None) -> None:
        self.params = sc = scenario if scenario is not None else Scenario()
        self.seed_used = int(sc.seed if seed is None else seed)
        super().__init__(rng=self.seed_used)
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS))))
        n = sc.scheme.n_authorities

        self.auth = draw_authorities(self.streams["population"], sc, n)
        self.targets = draw_targets(self.streams["targets"], sc, n)
        self.authorities = [Authority(self, i) for i in range(n)]
        engagement = self.streams["population"].beta(
            sc.departments.engagement_mean * sc.authorities.trait_concentration,
            (1 - sc.departments.engagement_mean) * sc.authorities.trait_concentration,
            size=len(DEPARTMENTS),
        )
        self.departments = [Department(self, j, float(e)) for j, e in enumerate(engagement)]
        self.partner_alignment = attach_partners(self)

        self.auth.start = schedule_negotiations(self)
        self.auth.end = self.auth.start + sc.scheme.implementation_quarters
        self.n_quarters = int(
            self.auth.start.max() + sc.scheme.implementation_quarters + sc.scheme.follow_up_quarters
        )
        instalments = instalment_quarters(self.auth.end, sc.funding)
        self.instalments_due = {
            int(q): np.flatnonzero((instalments == q).any(axis=1)) for q in np.unique(instalments)
        }

        self.quarter = 0
        self.partner_effort_now = np.ones(self.targets.shape)
        self.last_effort = np.zeros(self.targets.shape)
        self.history = np.zeros((self.n_quarters, *self.targets.shape))  # reported figures
        self.true_history = np.zeros((self.n_quarters, *self.targets.shape))
        self.ppg_paid = np.zeros(self.n_quarters)
        self.reward_paid = np.zeros(self.n_quarters)
        self.effort_mean = np.full(self.n_quarters, np.nan)  # mean effort of implementing targets
        self.trust_mean = np.zeros(self.n_quarters)
        self._negotiate()
        release_agent_numbering(self)

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
        return phase_codes(self, self.quarter if quarter is None else quarter)

    def phase_of(self, index: int) -> str:
        return PHASES[int(self.phase_codes()[index])]

    def _negotiate(self) -> None:
        """Settle every council's negotiation: freedoms requested, signing, stretch, approaches,
        PPG, plans.

        A negotiation's outcome depends only on the council's own traits and the answers to its own
        freedoms-and-flexibilities requests, never on what happens to other councils meanwhile, so
        all are settled in one vectorised pass at the start; each agreement (and its PPG) starts in
        its batch's quarter (``central_team.schedule_negotiations``). Plans are drawn for every
        council, signed or not (a council that declines simply never starts), so that random streams
        do not depend on who signs: common random numbers hold across regimes that change
        participation.
        """
        idx = np.arange(self.auth.start.size)
        negotiate_freedoms(self, idx)
        decide_participation(self, idx)
        set_stretch(self, idx)
        choose_approaches(self, idx)
        allocate_ppg(self, idx)
        plan_start(self, idx)
        set_gaming_strength(self, idx)
        plan_effort(self, idx)
        a = self.auth
        self.ppg_paid += np.bincount(
            a.start, weights=np.where(a.signed, a.ppg, 0.0), minlength=self.n_quarters
        )[: self.n_quarters]

    def _pay_rewards(self) -> None:
        """Pay reward instalments due this quarter; councils reinvest part of each in the target
        areas."""
        due = self.instalments_due.get(self.quarter)
        if due is None:
            return
        due = due[self.auth.signed[due]]
        amount = self.targets.reward[due].sum(axis=1) / self.params.funding.reward_instalments
        self.reward_paid[self.quarter] += amount.sum()
        reinvest_reward(self, due, amount)

    def step(self) -> None:
        """One quarter. After the last council's follow-up the run has ended and a step does
        nothing."""
        if self.quarter >= self.n_quarters:
            self.running = False
            return
        t, a, tg = self.quarter, self.auth, self.targets
        phase = self.phase_codes(t)
        u_event = self.streams["departments"].random(len(self.params.areas))
        u_hit = self.streams["departments"].random(tg.shape)
        if self.params.mechanisms.priority_shifts:
            for d in self.departments:
                d.shift_priorities(u_event, u_hit)
        tg.central_priority += self.params.departments.shift_recovery * (1.0 - tg.central_priority)
        self.partner_effort_now = partner_effort(self)
        implementing = phase == IMPLEMENTATION
        if (
            implementing.any()
        ):  # phases depend only on the schedule, so skipping keeps streams aligned
            respond_to_turnover(self, implementing[:, None])
            implement(self, implementing[:, None], t)
        following = phase == FOLLOW_UP
        if following.any():
            corporate_drift_and_cuts(self, following)
            sustain(self, following[:, None])
        true_outcomes(self, t)
        ending_mask = a.signed & (a.end - 1 == t)
        report_figures(self, implementing[:, None], following[:, None], ending_mask)
        scheduled_end = np.flatnonzero(a.end - 1 == t)
        if scheduled_end.size:
            decide_reward_use(self, scheduled_end)  # drawn for signed or not, as plans are
            ending = np.flatnonzero(ending_mask)
            assess(self, ending)
            plan_sustainability(self, ending)
            decide_continuation(self, ending)
        self._pay_rewards()
        self.history[t] = tg.measured
        self.true_history[t] = tg.true
        if implementing.any():
            self.effort_mean[t] = self.last_effort[implementing & a.signed].mean()
        self.trust_mean[t] = a.trust.mean()
        self.quarter += 1
        if self.quarter >= self.n_quarters:
            self.running = False

    def run(self) -> LPSAModel:
        """Run to the end of the last council's follow-up; returns self for chaining."""
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ results

    def targets_frame(self) -> pd.DataFrame:
        return outputs.targets_frame(self)

    def authorities_frame(self) -> pd.DataFrame:
        return outputs.authorities_frame(self)

    def quarters_frame(self) -> pd.DataFrame:
        return outputs.quarters_frame(self)

    def trajectory_frame(self) -> pd.DataFrame:
        return outputs.trajectory_frame(self)

    def summary(self) -> dict[str, float]:
        """Every registered outcome of this run (``outcomes.REGISTRY``)."""
        return summarise(self.targets_frame(), self.authorities_frame())
