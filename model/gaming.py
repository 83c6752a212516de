"""Measured versus true performance: how targets invite gaming.

The reported indicator is the true outcome plus a reporting gap. Four behaviours, each switchable:
- threshold effects: a figure just below the 60 % payout floor is nudged over it (000:240,
  'the risk of building perverse incentives');
- cohort focus: effort on the measured cohort overstates lasting improvement (000:349, 000:333);
- presentation: poor indicators presented in a good light (003:683, CPA scores improved 'in part
  because authorities have become more adept at presenting themselves');
- the ratchet: holding back once the stretch is met, to avoid a harder next target (a true effect,
  in ``lifecycle.effort``).
Their strength grows with the reward at stake and poor indicator quality (001:75) and falls with
audit and inspection pressure. Once the agreement ends nothing is at stake and the gap fades.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .targets import MORE_OF_SAME

if TYPE_CHECKING:
    from .model import LPSAModel


def set_gaming_strength(model: LPSAModel, idx: np.ndarray) -> None:
    """Fix each target's gaming strength, and the presentation and cohort parts of its gap, at
    signing.

    Cohort over-reporting applies to cohort targets pursued by more of the same (000:349, 000:333).

    strength = propensity x (1 - audit_pressure) x (1 - indicator quality) x reward weight, where
    the reward weight is the target's maximum reward over ``funding.reward_reference_gbp``, capped.
    Reads ``gaming.propensity, audit_pressure, max_reward_weight``.
    """
    sc, tg, c = model.params, model.targets, model.councils
    g, plan = sc.gaming, tg.plan
    weight = np.minimum(
        c.max_reward[idx] / tg.shape[1] / sc.funding.reward_reference_gbp, g.max_reward_weight
    )
    quality = tg.traits.quality[idx]
    strength = g.propensity * (1.0 - g.audit_pressure) * (1.0 - quality) * weight[:, None]
    plan.gaming[idx] = strength
    # The parts of the reporting gap fixed at signing (report_figures adds the threshold push).
    plan.presentation_gap[idx] = (
        g.presentation * strength if sc.mechanisms.gaming_presentation else 0.0
    )
    focused = (
        tg.traits.cohort[idx] & (plan.approach[idx] == MORE_OF_SAME) & sc.mechanisms.gaming_cohort
    )
    plan.cohort_gap_per_gain[idx] = np.where(focused, g.cohort_inflation * strength, 0.0)


def ratchet_factor(model: LPSAModel) -> np.ndarray | float:
    """Effort multiplier: once the true outcome (without shocks) reaches the stretch, effort is held
    back.

    Evidence: none in the seeds. It is the ratchet effect of target regimes (holding back so that
    the next target is not set higher), kept as an assumption that can be switched off; 001:77,
    that too little stretch 'may lead to a lessening of effort', is a different effect
    (``stretch_morale_selective``). Reads ``gaming.ratchet_effort_cut``; 1 with
    ``mechanisms.gaming_ratchet`` off.
    """
    tg = model.targets
    if not model.params.mechanisms.gaming_ratchet:
        return 1.0
    cut = model.params.gaming.ratchet_effort_cut * np.minimum(tg.plan.gaming, 1.0)
    return np.where(tg.state.core + tg.state.background >= 1.0, 1.0 - cut, 1.0)


def report_figures(
    model: LPSAModel, implementing: np.ndarray, following: np.ndarray, ending: np.ndarray
) -> None:
    """Set this quarter's reporting gap and reported figure (``measured = true + gap``).

    ``implementing`` and ``following`` are (A,) masks of councils in those phases, ``ending`` of
    councils assessed this quarter. During the agreement the gap is presentation plus
    cohort over-reporting; at assessment a figure within ``threshold_band`` below the floor is
    pushed over it with probability equal to the strength (capped at 1); after the end the gap fades
    at ``gap_decay``. Reads ``gaming.*``, ``funding.payout_floor``, ``mechanisms.gaming_*``.
    """
    sc, tg = model.params, model.targets
    g, mech, plan, state = sc.gaming, sc.mechanisms, tg.plan, tg.state
    gap = np.maximum(state.core, 0.0) * plan.cohort_gap_per_gain + plan.presentation_gap
    if ending.any():
        u = model.streams["gaming"].random(tg.shape)  # only in assessment quarters (schedule)
        if mech.gaming_threshold:
            floor = sc.funding.payout_floor
            near = (
                ending[:, None]
                & (state.true + gap < floor)
                & (state.true + gap >= floor - g.threshold_band)
            )
            pushed = near & (u < np.minimum(plan.gaming, 1.0))
            gap = np.where(pushed, floor - state.true + 1e-9, gap)
    implementing, following = implementing[:, None], following[:, None]
    state.gap = np.where(
        implementing, gap, np.where(following, state.gap * (1.0 - g.gap_decay), state.gap)
    )
    state.measured = state.true + state.gap
