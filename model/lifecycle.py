"""The agreement's lifecycle, one quarter at a time: negotiation -> implementation -> assessment -> follow-up.

The per-target dynamics are vectorised over all targets in the phase concerned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .funding import payout_share
from .targets import MORE_OF_SAME, NEW_WORKING, SYSTEMIC

if TYPE_CHECKING:
    from .model import LPSAModel

PHASES = ("negotiation", "implementation", "follow_up", "not_signed", "finished")
NEGOTIATION, IMPLEMENTATION, FOLLOW_UP, NOT_SIGNED, FINISHED = range(5)


def phase_codes(model: LPSAModel, quarter: int) -> np.ndarray:
    """(A,) phase of every council in ``quarter``."""
    a = model.auth
    signed_phase = np.select(
        [quarter < a.start, quarter < a.end, quarter < a.end + model.scenario.scheme.follow_up_quarters],
        [NEGOTIATION, IMPLEMENTATION, FOLLOW_UP], FINISHED)
    decided = quarter >= a.start
    return np.where(decided & ~a.signed, NOT_SIGNED, signed_phase)


def effort(model: LPSAModel) -> np.ndarray:
    """(A, T) effective effort on each target, 0..1: will x capacity x champion x partners x stretch x priority.

    - Will, plus a little more bought by reward, scaled by trust (001:87, 001:77; ``will_and_reward``).
    - Capacity: corporate capacity (less in cash-strapped councils, which fire-fight, 000:133) plus
      PPG spent on the target, saturating; dissipated over too many targets (001:89, 001:91;
      ``capacity_constraint``, ``ppg_enables``).
    - No champion costs effort (001:93; ``champions_turnover``); partners' effort on multi-agency
      targets (001:105; ``partnerships``); too-hard or too-easy stretch (001:77; set in central_team);
      lost central priority lowers the council's own effort a little (000:173; ``priority_shifts``).
    Reads ``implementation.*``, ``funding.*_reference_gbp``, ``departments.shift_local_effect``.
    """
    sc, a, tg = model.scenario, model.auth, model.targets
    im, mech, T = sc.implementation, sc.mechanisms, tg.shape[1]
    will = a.will.copy()
    if mech.will_and_reward:
        will += im.reward_will_effect * a.max_reward / T / sc.funding.reward_reference_gbp * a.trust
    will = np.clip(will, 0.0, 1.0)[:, None]
    if mech.capacity_constraint:
        resources = (a.capacity * (1.0 - im.cash_strapped_capacity_loss * (1.0 - a.climate)))[:, None]
        if mech.ppg_enables:
            resources = resources + im.ppg_effect * tg.ppg / sc.funding.ppg_cost_reference_gbp
        capacity = 1.0 - np.exp(-resources / im.capacity_half)
        capacity = capacity * (im.focus_reference_targets / T) ** im.focus_elasticity
    else:
        capacity = 1.0
    champion = np.where(tg.champion, 1.0, 1.0 - im.no_champion_penalty) if mech.champions_turnover else 1.0
    relevance = 1.0 - sc.departments.shift_local_effect * (1.0 - tg.central_priority)
    local = np.where(tg.partnership, 1.0, relevance)
    return np.clip(will * capacity * champion * model.partner_effort_now * tg.morale * local, 0.0, 1.0)


def implement(model: LPSAModel, implementing: np.ndarray, quarter: int) -> None:
    """Advance the underlying improvement of every target in implementation.

    Once real work has started (after the late-start delay, 000:359), each quarter closes a share of
    the gap to the target's potential proportional to effort. A systemic change first dips, then
    rises (003:739); a failed innovation reaches only part of its potential, a successful one more.
    Reads ``implementation.improvement_rate, dip_quarters, dip_depth, systemic_potential,
    innovation_fail_potential``; the dip is off with ``mechanisms.innovation_risk``.
    """
    sc, a, tg = model.scenario, model.auth, model.targets
    im = sc.implementation
    worked = quarter - (a.start[:, None] + tg.delay)  # quarters of real work before this one
    active = implementing & (worked >= 0)
    systemic = tg.approach == SYSTEMIC
    ceiling = tg.potential * np.where(systemic, np.where(tg.innovation_success, im.systemic_potential,
                                                         im.innovation_fail_potential), 1.0)
    e = effort(model)
    gain = im.improvement_rate * e * np.maximum(ceiling - tg.core, 0.0)
    if sc.mechanisms.innovation_risk and im.dip_quarters > 0:
        dipping = systemic & (worked < im.dip_quarters)
        gain = np.where(dipping, -im.dip_depth / im.dip_quarters, gain)
    tg.core += np.where(active, gain, 0.0)
    model.last_effort = np.where(active, e, 0.0)


def external_shocks(model: LPSAModel) -> None:
    """AR(1) external shocks on every target's measured performance (001:133: external factors, chance).

    Drawn for every target every quarter so that random streams stay aligned across scenarios.
    Reads ``implementation.shock_sd, shock_persistence``.
    """
    tg, im = model.targets, model.scenario.implementation
    z = model.streams["shocks"].standard_normal(tg.shape)
    tg.shock = im.shock_persistence * tg.shock + im.shock_sd * np.sqrt(1 - im.shock_persistence**2) * z
    tg.measured = tg.core + tg.exposure * tg.shock


def assess(model: LPSAModel, idx: np.ndarray) -> None:
    """Assess the councils whose agreement ends now: record end performance and the reward earned.

    A target pays its maximum reward (the authority's maximum split equally across targets) times the
    share of stretch achieved, capped, and nothing below the floor (scheme rules). Reads ``funding.*``.
    """
    tg, a, f = model.targets, model.auth, model.scenario.funding
    T = tg.shape[1]
    tg.end_core[idx] = tg.core[idx]
    tg.end_measured[idx] = tg.measured[idx]
    tg.end_partner_effort[idx] = np.maximum(model.partner_effort_now[idx], 1e-9)
    tg.reward[idx] = (a.max_reward[idx] / T)[:, None] * payout_share(tg.measured[idx], f)


def sustain(model: LPSAModel, following_up: np.ndarray) -> None:
    """After the end, every target drifts toward a floor set by what was embedded (000:90-93, 000:296-333).

    - Successful systemic change keeps its gain (irreversible, 000:290; ``systemic_persistence``).
    - New working keeps the share of its ongoing costs still funded (000:92, 000:367).
    - More of the same keeps only a residual plus what was mainstreamed (000:93, 000:326).
    - A failed innovation keeps a residual.
    - Cohort targets lose part of a non-systemic gain with the cohort (000:349; ``cohort_focus``).
    - Partnership targets lose what partners withdraw after central shifts (000:171, 000:357).
    - Visible services fall more slowly under raised expectations; small or uninfluential groups do
      not (000:290, 000:369; ``raised_expectations``).
    ``following_up`` is an (A, T) mask. Reads ``sustainability.*``.
    """
    sc, tg = model.scenario, model.targets
    s, mech = sc.sustainability, sc.mechanisms
    systemic_kept = (tg.approach == SYSTEMIC) & tg.innovation_success & mech.systemic_persistence
    resourced = (tg.approach == NEW_WORKING) | ((tg.approach == SYSTEMIC) & ~systemic_kept & tg.innovation_success)
    kept = np.select(
        [systemic_kept, resourced, tg.approach == MORE_OF_SAME],
        [1.0, tg.continuation,
         s.more_of_same_residual + (1.0 - s.more_of_same_residual) * s.mainstreaming_share * tg.continuation],
        s.failed_innovation_residual)
    if mech.cohort_focus:
        kept = np.where(tg.cohort & ~systemic_kept, kept * (1.0 - s.cohort_loss), kept)
    withdrawn = np.minimum(1.0, model.partner_effort_now / tg.end_partner_effort)
    kept = np.where(tg.partnership & ~systemic_kept, kept * withdrawn, kept)
    floor = tg.end_core * kept
    rate = np.where(tg.approach == MORE_OF_SAME, s.decay_rate_more_of_same, s.decay_rate_new_working)
    if mech.raised_expectations:
        rate = np.where(tg.visible, rate * (1.0 - s.expectations_strength), rate)
    tg.core = np.where(following_up, floor + (tg.core - floor) * (1.0 - rate), tg.core)
