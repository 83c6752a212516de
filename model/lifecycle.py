"""The agreement's lifecycle, one quarter at a time: negotiation -> implementation -> assessment ->
follow-up.

The per-target dynamics are vectorised over all targets in the phase concerned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .funding import payout_share
from .gaming import ratchet_factor
from .targets import MORE_OF_SAME, NEW_WORKING, SYSTEMIC

if TYPE_CHECKING:
    from .model import LPSAModel

PHASES = ("negotiation", "implementation", "follow_up", "not_signed", "finished")
NEGOTIATION, IMPLEMENTATION, FOLLOW_UP, NOT_SIGNED, FINISHED = range(5)


def phase_codes(model: LPSAModel, quarter: int) -> np.ndarray:
    """(A,) phase of every council in ``quarter`` (codes index ``PHASES``)."""
    a = model.auth
    signed_phase = (
        (quarter >= a.start).astype(int)
        + (quarter >= a.end)
        + (quarter >= a.end + model.params.scheme.follow_up_quarters)
    )  # 0..3 in lifecycle order
    signed_phase[signed_phase == 3] = FINISHED
    return np.where((quarter >= a.start) & ~a.signed, NOT_SIGNED, signed_phase)


def plan_effort(model: LPSAModel, idx: np.ndarray) -> None:
    """Fix the parts of each target's effort that do not change once a council has signed.

    - Will, plus a little more bought by reward, scaled by trust (001:87, 001:77;
      ``will_and_reward``).
    - Capacity: corporate capacity (less in cash-strapped councils, which fire-fight, 000:133) plus
      PPG spent on the target, saturating; dissipated over too many targets (001:89, 001:91;
      ``capacity_constraint``, ``ppg_enables``).
    - How appropriate the stretch is (001:77; morale set by the central team).
    Also fixes where each target's potential lies: a systemic change reaches more if the innovation
    succeeds and only part if it fails (003:739). Reads ``implementation.*``,
    ``funding.*_reference_gbp``, ``attribution.agreement_focus``.
    """
    sc, a, tg = model.params, model.auth, model.targets
    im, mech, T = sc.implementation, sc.mechanisms, tg.shape[1]
    will = a.will[idx].copy()
    if mech.will_and_reward:
        will += (
            im.reward_will_effect
            * a.max_reward[idx]
            / T
            / sc.funding.reward_reference_gbp
            * a.trust[idx]
        )
    will = np.clip(will, 0.0, 1.0)[:, None]
    if mech.capacity_constraint:
        resources = (
            a.capacity[idx] * (1.0 - im.cash_strapped_capacity_loss * (1.0 - a.climate[idx]))
        )[:, None]
        if mech.ppg_enables:
            resources = resources + im.ppg_effect * tg.ppg[idx] / sc.funding.ppg_cost_reference_gbp
        capacity = 1.0 - np.exp(-resources / im.capacity_half)
        capacity = capacity * (im.focus_reference_targets / T) ** im.focus_elasticity
    else:
        capacity = 1.0
    focus = (
        sc.attribution.agreement_focus
    )  # 0 in the counterfactual twin: nobody works on the targets
    tg.base_effort[idx] = np.clip(will * capacity * tg.morale[idx] * focus, 0.0, 1.0)
    systemic = tg.approach[idx] == SYSTEMIC
    success = tg.innovation_success[idx]
    tg.ceiling[idx] = tg.potential[idx] * np.where(
        systemic, np.where(success, im.systemic_potential, im.innovation_fail_potential), 1.0
    )
    tg.work_start[idx] = a.start[idx, None] + tg.delay[idx]


def effort(model: LPSAModel) -> np.ndarray:
    """(A, T) effective effort on each target this quarter, 0..1: the planned effort times

    a champion's presence (001:93; ``champions_turnover``), partners' effort on multi-agency targets
    (001:105; ``partnerships``) and, for single-agency targets, the council's own sense of the
    target's relevance, which falls when central priority moves away (000:173; ``priority_shifts``),
    and the ratchet (holding back once the stretch is met; ``gaming_ratchet``, see gaming.py).
    Reads ``implementation.no_champion_penalty``, ``departments.shift_local_effect``.
    """
    sc, tg = model.params, model.targets
    e = tg.base_effort * model.partner_effort_now * ratchet_factor(model)
    if sc.mechanisms.champions_turnover:
        e = np.where(tg.champion, e, e * (1.0 - sc.implementation.no_champion_penalty))
    relevance = 1.0 - sc.departments.shift_local_effect * (1.0 - tg.central_priority)
    return np.where(tg.partnership, e, e * relevance)


def implement(model: LPSAModel, implementing: np.ndarray, quarter: int) -> None:
    """Advance the underlying improvement of every target in implementation.

    Once real work has started (after the late-start delay, 000:359), each quarter closes a share of
    the gap to the target's potential (``plan_effort``) proportional to effort. Improvement that
    other national policies bring anyway uses up part of that potential (001:133: where other
    policies push the same way, additionality is hard to show). A systemic change first dips, then
    rises (003:739), in proportion to the agreement's focus. Reads
    ``implementation.improvement_rate, dip_quarters, dip_depth``, ``attribution.agreement_focus``;
    the dip is off with ``mechanisms.innovation_risk``.
    """
    sc, tg = model.params, model.targets
    im = sc.implementation
    worked = quarter - tg.work_start  # quarters of real work before this one
    active = implementing & (worked >= 0)
    e = effort(model)
    gain = im.improvement_rate * e * np.maximum(tg.ceiling - tg.core - tg.background, 0.0)
    if sc.mechanisms.innovation_risk and im.dip_quarters > 0:
        dipping = (tg.approach == SYSTEMIC) & (worked < im.dip_quarters)
        gain = np.where(
            dipping, -im.dip_depth / im.dip_quarters * sc.attribution.agreement_focus, gain
        )
    tg.core += np.where(active, gain, 0.0)
    model.last_effort = np.where(active, e, 0.0)


def true_outcomes(model: LPSAModel, quarter: int) -> None:
    """Update every target's true outcome: own improvement + background trend + external shocks.

    External shocks are AR(1) and scaled by the area's exposure (001:133: outcomes 'strongly
    influenced by external factors or chance'); the background trend (other national policies
    pushing the same way, 001:133; 000:230 'might have happened anyway') accumulates over the
    agreement period and then stays (the policies of that period). Shocks are drawn for every target
    every quarter so random streams stay aligned across scenarios. Reads ``implementation.shock_sd,
    shock_persistence``.
    """
    tg, im = model.targets, model.params.implementation
    z = model.streams["shocks"].standard_normal(tg.shape)
    tg.shock = (
        im.shock_persistence * tg.shock + im.shock_sd * np.sqrt(1 - im.shock_persistence**2) * z
    )
    in_period = (quarter >= model.auth.start) & (quarter < model.auth.end)
    tg.background = np.where(in_period[:, None], tg.background + tg.trend, tg.background)
    tg.true = tg.core + tg.background + tg.exposure * tg.shock


def assess(model: LPSAModel, idx: np.ndarray) -> None:
    """Assess the councils whose agreement ends now: record end performance and the reward earned.

    A target pays its maximum reward (the authority's maximum split equally across targets) times
    the share of stretch achieved, capped, and nothing below the floor (scheme rules). Reads
    ``funding.*``.
    """
    tg, a, f = model.targets, model.auth, model.params.funding
    T = tg.shape[1]
    tg.end_core[idx] = tg.core[idx]
    tg.end_true[idx] = tg.true[idx]
    tg.end_measured[idx] = tg.measured[idx]
    tg.end_partner_effort[idx] = np.maximum(model.partner_effort_now[idx], 1e-9)
    tg.reward[idx] = (a.max_reward[idx] / T)[:, None] * payout_share(tg.measured[idx], f)


def plan_sustainability(model: LPSAModel, idx: np.ndarray) -> None:
    """At the end, fix what each target can keep once the agreement's money and attention stop.

    The kept share of the end gain is ``keep_fixed + keep_per_funding * continuation`` (times
    partner withdrawal, in ``sustain``), by approach (000:90-93, 000:296-333):
    - successful systemic change keeps everything (irreversible, 000:290; ``systemic_persistence``,
      off: it needs funding like new working);
    - new working keeps the share of its ongoing costs still funded (000:92, 000:367);
    - more of the same keeps a residual plus what was mainstreamed (000:93, 000:326, 000:353);
    - a failed innovation keeps a residual;
    - cohort targets lose part of a non-systemic gain with the cohort (000:349; ``cohort_focus``).
    Decay toward that floor is faster for more of the same; visible services fall more slowly under
    raised expectations, small or uninfluential groups do not (000:290, 000:369;
    ``raised_expectations``). Reads ``sustainability.*``.
    """
    sc, tg = model.params, model.targets
    s, mech = sc.sustainability, sc.mechanisms
    approach, success = tg.approach[idx], tg.innovation_success[idx]
    systemic_kept = (approach == SYSTEMIC) & success & mech.systemic_persistence
    resourced = (approach == NEW_WORKING) | ((approach == SYSTEMIC) & success & ~systemic_kept)
    mots = approach == MORE_OF_SAME
    fixed = np.select(
        [systemic_kept, resourced, mots],
        [1.0, 0.0, s.more_of_same_residual],
        s.failed_innovation_residual,
    )
    per_funding = np.select(
        [resourced, mots], [1.0, (1.0 - s.more_of_same_residual) * s.mainstreaming_share], 0.0
    )
    if mech.cohort_focus:
        cohort_factor = np.where(tg.cohort[idx] & ~systemic_kept, 1.0 - s.cohort_loss, 1.0)
        fixed, per_funding = fixed * cohort_factor, per_funding * cohort_factor
    tg.keep_fixed[idx], tg.keep_per_funding[idx] = fixed, per_funding
    tg.partner_dependent[idx] = tg.partnership[idx] & ~systemic_kept
    rate = np.where(mots, s.decay_rate_more_of_same, s.decay_rate_new_working)
    if mech.raised_expectations:
        rate = np.where(tg.visible[idx], rate * (1.0 - s.expectations_strength), rate)
    tg.decay_rate[idx] = rate


def sustain(model: LPSAModel, following_up: np.ndarray) -> None:
    """After the end, every target drifts toward the floor of what it can keep
    (``plan_sustainability``).

    The floor moves with the council's continuation funding (cut by corporate drift and budget cuts,
    see authority.py) and, for partnership targets, with partners' withdrawal after central priority
    shifts (000:171, 000:357). ``following_up`` is an (A, 1) mask.
    """
    tg = model.targets
    kept = tg.keep_fixed + tg.keep_per_funding * tg.continuation
    withdrawn = np.minimum(1.0, model.partner_effort_now / tg.end_partner_effort)
    floor = tg.end_core * np.where(tg.partner_dependent, kept * withdrawn, kept)
    tg.core = np.where(following_up, floor + (tg.core - floor) * (1.0 - tg.decay_rate), tg.core)
