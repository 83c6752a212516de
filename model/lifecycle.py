"""What happens to the targets, one quarter at a time: work during the agreement, outcomes and
reported figures, assessment at the end, and what is kept afterwards.

Pure array dynamics over every target in the phase concerned; who decides what (councils,
departments, partners) lives in their own modules, and the order of a quarter in ``model.py``.
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


def phase_codes(model: LPSAModel, quarter: int | np.ndarray) -> np.ndarray:
    """(A,) phase of every council in ``quarter`` (codes index ``PHASES``); (Q, A) for an array of
    Q quarters. Phases follow from the schedule and who signed alone."""
    c = model.councils
    q = np.asarray(quarter)[..., None]
    signed_phase = (
        (q >= c.start).astype(int)
        + (q >= c.end)
        + (q >= c.end + model.params.scheme.follow_up_quarters)
    )  # 0..3 in lifecycle order
    signed_phase[signed_phase == 3] = FINISHED
    phases = np.where((q >= c.start) & ~c.signed, NOT_SIGNED, signed_phase)
    return phases


def effort(model: LPSAModel, quarter: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, T) effective effort on each target this quarter, 0..1, and the part of it that is
    business as usual.

    Business-as-usual effort (``TargetPlan.usual_effort``) goes on from the start; the agreement's
    extra effort starts after the late-start delay (000:359) and needs a champion (001:93;
    ``champions_turnover``), is held back once the stretch is met (the ratchet, gaming.py) and
    falls as trust is lost to broken promises (001:81; ``freedoms_over_time``). Both are scaled by
    partners' effort on multi-agency targets (001:105; ``partnerships``), by the council's own
    sense of the target's relevance, which follows central priority on single-agency targets
    (000:173; ``priority_shifts``), and by what budget cuts left (000:133; ``budget_pressure``).
    A council whose rating is low or fell closes part of the gap to full effort (003:203;
    ``inspection``). Reads ``implementation.no_champion_penalty``,
    ``departments.shift_local_effect, trust_effort_effect``, ``inspection.attention_effort``.
    """
    sc, tg, c = model.params, model.targets, model.councils
    plan, state, mech = tg.plan, tg.state, sc.mechanisms
    extra = (plan.base_effort - plan.usual_effort) * (quarter >= plan.work_start)
    extra = extra * ratchet_factor(model)
    if mech.champions_turnover:
        extra = np.where(
            state.champion, extra, extra * (1.0 - sc.implementation.no_champion_penalty)
        )
    if mech.freedoms_over_time:
        lost = np.maximum(c.trust_at_signing - c.trust, 0.0)
        extra = extra * np.clip(1.0 - sc.departments.trust_effort_effect * lost, 0.0, 1.0)[:, None]
    relevance = 1.0 - sc.departments.shift_local_effect * (1.0 - state.central_priority)
    scale = np.where(tg.traits.partnership, model.partners.on_targets, relevance)
    scale = scale * c.budget_factor[:, None]
    e = np.clip((plan.usual_effort + extra) * scale, 0.0, 1.0)
    attention = sc.inspection.attention_effort * (1.0 - e) * c.attention[:, None]
    # Attention to a rating is not the agreement's work: it counts with business as usual.
    return e + attention, np.minimum(plan.usual_effort * scale, e) + attention


def implement(model: LPSAModel, implementing: np.ndarray, quarter: int) -> np.ndarray:
    """Advance the underlying improvement of every target in implementation; return (A, T) the
    part of this quarter's gain that the agreement's own effort produced.

    Each quarter closes a share of the gap to the target's ceiling (``Councils.plan_effort``)
    proportional to effort. Improvement that other national policies bring anyway uses up part of
    that potential (001:133: where other policies push the same way, additionality is hard to
    show). A real innovation first dips, then rises (003:739), in proportion to the agreement's
    focus. ``implementing`` is an (A,) mask. Reads ``implementation.improvement_rate,
    dip_quarters, dip_depth``, ``attribution.agreement_focus``; the dip is off with
    ``mechanisms.innovation_risk``.
    """
    sc, tg = model.params, model.targets
    im, plan, state = sc.implementation, tg.plan, tg.state
    e, usual = effort(model, quarter)
    gain = im.improvement_rate * e * np.maximum(plan.ceiling - state.core - state.background, 0.0)
    agreement_gain = gain * np.where(e > 0, 1.0 - usual / np.maximum(e, 1e-12), 0.0)
    if sc.mechanisms.innovation_risk and im.dip_quarters > 0:
        worked = quarter - plan.work_start
        dipping = plan.innovation & (worked >= 0) & (worked < im.dip_quarters)
        dip = -im.dip_depth / im.dip_quarters * sc.attribution.agreement_focus
        gain = np.where(dipping, dip, gain)
        agreement_gain = np.where(dipping, dip, agreement_gain)
    active = implementing[:, None]
    state.core += np.where(active, gain, 0.0)
    state.effort = np.where(active, e, 0.0)
    return np.where(active, agreement_gain, 0.0)


def true_outcomes(model: LPSAModel, quarter: int) -> None:
    """Update every target's true outcome: own improvement + background trend + external shocks.

    External shocks are AR(1) and scaled by the area's exposure (001:133: outcomes 'strongly
    influenced by external factors or chance'); the background trend (other national policies
    pushing the same way, 001:133; 000:230 'might have happened anyway') accumulates over the
    agreement period and then stays (the policies of that period). Shocks are drawn for every
    target every quarter so random streams stay aligned across scenarios. Reads
    ``implementation.shock_sd, shock_persistence``.
    """
    tg, im, c = model.targets, model.params.implementation, model.councils
    state = tg.state
    z = model.streams["shocks"].standard_normal(tg.shape)
    rho = im.shock_persistence
    state.shock = rho * state.shock + im.shock_sd * np.sqrt(1 - rho**2) * z
    in_period = (quarter >= c.start) & (quarter < c.end)
    state.background = np.where(
        in_period[:, None], state.background + tg.traits.trend, state.background
    )
    state.true = state.core + state.background + tg.traits.exposure * state.shock


def assess(model: LPSAModel, idx: np.ndarray) -> None:
    """Assess the councils whose agreement ends now: record end performance and the reward earned.

    A target pays its maximum reward (the council's maximum split equally across targets) times the
    share of stretch achieved, capped, and nothing below the floor (scheme rules). Reads
    ``funding.*``.
    """
    tg, c, f = model.targets, model.councils, model.params.funding
    state, end = tg.state, tg.end
    T = tg.shape[1]
    end.core[idx] = state.core[idx]
    end.true[idx] = state.true[idx]
    end.measured[idx] = state.measured[idx]
    end.partner_effort[idx] = np.maximum(model.partners.on_targets[idx], 1e-9)
    end.reward[idx] = (c.max_reward[idx] / T)[:, None] * payout_share(state.measured[idx], f)


def plan_sustainability(model: LPSAModel, idx: np.ndarray) -> None:
    """At the end, fix what each target can keep once the agreement's money and attention stop.

    The gain is split into what business-as-usual effort produced, which normal work keeps, and
    the agreement's part, by approach (000:90-93, 000:296-333):
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
    sc, tg = model.params, model.targets
    s, mech, plan, end = sc.sustainability, sc.mechanisms, tg.plan, tg.end
    approach, success = plan.approach[idx], plan.systemic_success[idx]
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
        rest = rest * np.where(tg.traits.cohort[idx], 1.0 - s.cohort_loss, 1.0)
    end.keep_persistent[idx] = persistent
    end.keep_fixed[idx], end.keep_per_funding[idx] = fixed * rest, per_funding * rest
    bought = np.where(mots, 0.0, s.ppg_bought_loss * plan.ppg_part[idx])
    end.ppg_loss[idx] = bought if mech.ppg_bought_gains else 0.0
    base = plan.base_effort[idx]
    end.usual_share[idx] = np.where(base > 0, plan.usual_effort[idx] / np.maximum(base, 1e-12), 1.0)
    end.partner_dependent[idx] = tg.traits.partnership[idx]
    rate = np.where(mots, s.decay_rate_more_of_same, s.decay_rate_new_working)
    if mech.raised_expectations:
        rate = np.where(tg.traits.visible[idx], rate * (1.0 - s.expectations_strength), rate)
    end.decay_rate[idx] = rate


def kept_share(model: LPSAModel) -> np.ndarray:
    """(A, T) share of each target's end gain it can keep now (``plan_sustainability``).

    usual + (1 - usual) x [persistent + (fixed + per_funding x c) x (1 - ppg_loss x (1 - c))], c the
    continuation funding (cut by corporate drift and budget cuts) ; a council that built the
    agreement into its wider improvement agenda keeps ``integration_keep`` of what it would lose
    (004:38, 000:189-208; ``improvement_agenda``).
    """
    tg, c = model.targets, model.councils
    end, funding = tg.end, tg.state.continuation
    rest = (end.keep_fixed + end.keep_per_funding * funding) * (
        1.0 - end.ppg_loss * (1.0 - funding)
    )
    kept = end.usual_share + (1.0 - end.usual_share) * (end.keep_persistent + rest)
    bonus = model.params.sustainability.integration_keep * c.integrated
    return kept + bonus[:, None] * (1.0 - kept)


def sustain(model: LPSAModel, following: np.ndarray) -> None:
    """After the end, every target drifts toward the floor of what it can keep (``kept_share``).

    For partnership targets the floor also moves with partners' withdrawal after central priority
    shifts (000:171, 000:357). A council whose rating is low or fell slows its fall-back:
    external challenge is 'a safeguard against slipping back' (003:203; ``inspection``).
    ``following`` is an (A,) mask. Reads ``inspection.attention_decay_slowdown``.
    """
    tg, c = model.targets, model.councils
    state, end = tg.state, tg.end
    withdrawn = np.minimum(1.0, model.partners.on_targets / end.partner_effort)
    kept = kept_share(model)
    floor = end.core * np.where(end.partner_dependent, kept * withdrawn, kept)
    slowdown = model.params.inspection.attention_decay_slowdown * c.attention
    rate = end.decay_rate * (1.0 - slowdown)[:, None]
    state.core = np.where(
        following[:, None], floor + (state.core - floor) * (1.0 - rate), state.core
    )
