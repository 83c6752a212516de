"""An agreement's life: its phases, and the plan for what each target can keep after it.

The quarter itself (work during the agreement, outcomes and reported figures, assessment at the end
and the fall-back afterwards) is in ``quarter.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .targets import MORE_OF_SAME, NEW_WORKING, SYSTEMIC

if TYPE_CHECKING:
    from .councils import Councils
    from .scenario import Scenario
    from .targets import TargetPlan, TargetTraits

PHASES = ("negotiation", "implementation", "follow_up", "not_signed", "finished")
NEGOTIATION, IMPLEMENTATION, FOLLOW_UP, NOT_SIGNED, FINISHED = range(5)


def phase_codes(c: Councils, follow_up: int, quarter: int | np.ndarray) -> np.ndarray:
    """(A,) phase of every council in ``quarter`` (codes index ``PHASES``); (Q, A) for an array of
    Q quarters. Phases follow from the schedule, who signed and the ``follow_up`` quarters alone
    (``quarter.phases_at`` is the same rule, a quarter at a time)."""
    q = np.asarray(quarter)[..., None]
    signed_phase = (
        (q >= c.start).astype(int) + (q >= c.end) + (q >= c.end + follow_up)
    )  # 0..3 in lifecycle order
    signed_phase[signed_phase == 3] = FINISHED
    phases = np.where((q >= c.start) & ~c.signed, NOT_SIGNED, signed_phase)
    return phases


def sustainability_plan(
    sc: Scenario, traits: TargetTraits, plan: TargetPlan
) -> dict[str, np.ndarray]:
    """(A, T) what each target can keep once the agreement's money and attention stop: the fields
    of ``targets.EndOfAgreement`` from ``keep_persistent`` to ``decay_rate`` but ``usual_core``,
    taken up when each agreement ends (``quarter.assess``). It reads only what is fixed at signing.

    What business-as-usual effort alone built by the end is kept by normal work
    (``quarter.sustain``); of the agreement's own part, by approach (000:90-93, 000:296-333):
    - successful systemic change keeps ``systemic_persistence_share`` whatever happens: it 'may be
      irreversible' (000:290) but it is 'too soon to say' and new processes 'may be more costly
      than the old ones' (000:367), so the rest needs funding like new working
      (``systemic_persistence``, off: all of it does);
    - new working keeps the share of its ongoing costs still funded (000:92, 000:367);
    - more of the same keeps a residual plus what was mainstreamed (000:93, 000:326, 000:353);
    - a failed systemic change keeps a residual;
    - the part of a non-persistent gain that PPG paid for is lost as the money stops, unless
      continuation funding replaces it (000:380 'buy' improvements; ``ppg_bought_gains``), except
      under more of the same, whose residual is already what is left 'unless a replacement for the
      pump priming investment can be secured' (000:93): the loss would count twice;
    - cohort targets lose part of a non-persistent gain with the cohort (000:349;
      ``cohort_focus``);
    - partnership targets keep only as much as partners keep up (000:125 'less resilient').
    Decay toward that floor is faster for more of the same; visible services fall more slowly
    under raised expectations, small or uninfluential groups do not (000:290, 000:369;
    ``raised_expectations``). Reads ``sustainability.*``.
    """
    s, mech = sc.sustainability, sc.mechanisms
    approach, success = plan.approach, plan.systemic_success
    systemic_ok = (approach == SYSTEMIC) & success
    persistent = np.where(
        systemic_ok & mech.systemic_persistence, s.systemic_persistence_share, 0.0
    )
    resourced = (approach == NEW_WORKING) | systemic_ok
    mots = approach == MORE_OF_SAME
    fixed = np.select(
        [resourced, mots], [0.0, s.more_of_same_residual], s.failed_innovation_residual
    )
    per_funding = np.select(
        [resourced, mots], [1.0, (1.0 - s.more_of_same_residual) * s.mainstreaming_share], 0.0
    )
    rest = 1.0 - persistent
    if mech.cohort_focus:
        rest = rest * np.where(traits.cohort, 1.0 - s.cohort_loss, 1.0)
    bought = np.where(mots, 0.0, s.ppg_bought_loss * plan.ppg_part)
    rate = np.where(mots, s.decay_rate_more_of_same, s.decay_rate_new_working)
    if mech.raised_expectations:
        rate = np.where(traits.visible, rate * (1.0 - s.expectations_strength), rate)
    shape = approach.shape
    return {
        "keep_persistent": np.broadcast_to(persistent, shape).astype(float),
        "keep_fixed": np.broadcast_to(fixed * rest, shape).astype(float),
        "keep_per_funding": np.broadcast_to(per_funding * rest, shape).astype(float),
        "ppg_loss": np.broadcast_to(bought if mech.ppg_bought_gains else 0.0, shape).astype(float),
        "partner_dependent": traits.partnership.astype(bool),
        "decay_rate": np.broadcast_to(rate, shape).astype(float),
    }
