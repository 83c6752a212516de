"""Measured versus true performance: how targets invite gaming.

The reported indicator is the true outcome plus a reporting gap. Four behaviours, each switchable:
- threshold effects: a figure just below the 60 % payout floor is nudged over it (000:240,
  'the risk of building perverse incentives');
- cohort focus: effort on the measured cohort overstates lasting improvement (000:349, 000:333);
- presentation: poor indicators presented in a good light (003:683, CPA scores improved 'in part
  because authorities have become more adept at presenting themselves');
- the ratchet: holding back once the stretch is met, to avoid a harder next target (a true effect,
  in ``quarter.target_effort``).
The quarter's part (the threshold push and the gap's fading) is ``quarter.report_figures``.
Their strength grows with the reward at stake and poor indicator quality (001:75) and falls with
audit and inspection pressure. Once the agreement ends nothing is at stake and the gap fades.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .targets import MORE_OF_SAME

if TYPE_CHECKING:
    from .councils import Councils
    from .setting import Setting


def set_gaming_strength(setting: Setting, c: Councils, idx: np.ndarray) -> None:
    """Fix each target's gaming strength, and the presentation and cohort parts of its gap, at
    signing.

    Cohort over-reporting applies to cohort targets pursued by more of the same (000:349, 000:333).

    strength = propensity x (1 - audit_pressure) x (1 - indicator quality) x reward weight, where
    the reward weight is the target's maximum reward over ``funding.reward_reference_gbp``, capped.
    Reads ``gaming.propensity, audit_pressure, max_reward_weight``.
    """
    sc, tg = setting.params, setting.targets
    g, plan = sc.gaming, tg.plan
    weight = np.minimum(
        c.max_reward[idx] / tg.shape[1] / sc.funding.reward_reference_gbp, g.max_reward_weight
    )
    quality = tg.traits.quality[idx]
    strength = g.propensity * (1.0 - g.audit_pressure) * (1.0 - quality) * weight[:, None]
    plan.gaming[idx] = strength
    # The parts of the reporting gap fixed at signing (``quarter.report_figures`` adds the
    # threshold push).
    plan.presentation_gap[idx] = (
        g.presentation * strength if sc.mechanisms.gaming_presentation else 0.0
    )
    focused = (
        tg.traits.cohort[idx] & (plan.approach[idx] == MORE_OF_SAME) & sc.mechanisms.gaming_cohort
    )
    plan.cohort_gap_per_gain[idx] = np.where(focused, g.cohort_inflation * strength, 0.0)
