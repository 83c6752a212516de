"""Councils: the upper-tier authorities that sign an agreement and work on its targets.

:class:`Councils` holds every council's traits and state as arrays of shape (A,) and owns their
decisions, each written once and vectorised over the councils deciding at that moment (``idx``):
signing, choosing approaches, spending PPG, planning effort, starting work, responding to
turnover and budget cuts, funding after the end and using the reward. :class:`Authority` is the
Mesa agent of one council, a named view of its row that analysts and the dashboard inspect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .funding import coordination_share, grant_envelopes, payout_share
from .scenario import AUTHORITY_TYPES, MAX_RATING, FundingParams, Scenario
from .targets import MORE_OF_SAME, SYSTEMIC

if TYPE_CHECKING:
    from .setting import Setting


def _beta(rng: np.random.Generator, mean: float, k: float, n: int) -> np.ndarray:
    return rng.beta(mean * k, (1.0 - mean) * k, size=n)


def allocate_types(sc: Scenario, n: int) -> np.ndarray:
    """(n,) type codes: the types' counts when they add up to ``n``, else proportional to them.

    Largest remainders, in the order of ``AUTHORITY_TYPES``; the caller shuffles.
    """
    counts = np.array([sc.authorities.types[t].count for t in AUTHORITY_TYPES], dtype=float)
    quota = counts / counts.sum() * n
    whole = np.floor(quota).astype(int)
    order = np.argsort(-(quota - whole), kind="stable")
    whole[order[: n - whole.sum()]] += 1
    return np.repeat(np.arange(len(AUTHORITY_TYPES)), whole)


def reward_at_risk(potential: np.ndarray, partnership: np.ndarray, f: FundingParams) -> np.ndarray:
    """The share of each target's reward a council sees at risk when it signs [0-1], same shape.

    The reward is paid as the scheme pays it (:func:`funding.payout_share`): nothing below
    ``payout_floor`` of the stretch, the share achieved up to ``payout_cap``. A target whose
    potential at full effort falls short of the cap puts the unpaid share at risk (all of it
    below the floor). A partnership target is wholly at risk: its outcome rests on partners the
    council does not control, and councils avoided them, 'rightly perceiving these as more risky'
    (001:105). Reads ``funding.payout_floor, payout_cap`` from ``f``.
    """
    return np.where(partnership, 1.0, 1.0 - payout_share(potential, f))


def risk_valued_reward(
    reward_weight: np.ndarray, at_risk: np.ndarray, aversion: np.ndarray
) -> np.ndarray:
    """(n, T) the reward weight as a risk-averse council values it: less than its face value.

    A council bears the risk of the reward, paid only if the target is met, while PPG is paid
    whatever happens and is not discounted. Government 'should consider shifting the balance
    between reward grant and pump priming grant to bring about a more equitable distribution of
    risk between centre and localities' on risky targets (001:91); councils shunned partnership
    targets as 'more risky' (001:105). The certainty equivalent is the face value times
    ``1 - aversion x at_risk``: ``reward_weight`` (n,) is ``max_reward / T /
    funding.reward_reference_gbp``, ``at_risk`` (n, T) from :func:`reward_at_risk`, ``aversion``
    (n,) is ``authorities.risk_aversion x (1 - risk_tolerance)`` in [0, 1] (0: face value).
    """
    return reward_weight[:, None] * (1.0 - aversion[:, None] * at_risk)


def corporate_pull(valued_reward: np.ndarray, strength: float) -> np.ndarray:
    """(n, T) the factor by which the corporate centre's push raises the agreement's effort.

    'At corporate level delivering improvements in relation to strategic goals is the main
    driver, with reward grant as a powerful incentive; at service delivery level the emphasis is
    more on sustained improvement in outcomes' (001:57), and 'reward grant was generally the
    condition for participation' (001:91): the reward moves the corporate centre, not staff
    (001:77), which gives the targets priority and focus. ``valued_reward`` is the reward weight
    as the council values it (:func:`risk_valued_reward`), ``strength`` is
    ``implementation.reward_corporate_pull`` (extra effort per unit of reward weight; 0: none).
    """
    return 1.0 + strength * valued_reward


@dataclass(eq=False)
class Councils:
    """Every council's traits and state, arrays of shape (A,), and the decisions councils take."""

    setting: Setting = field(repr=False)
    kind: np.ndarray  # int: index into AUTHORITY_TYPES
    population: np.ndarray  # persons
    nbr: np.ndarray  # net budget requirement [GBP]
    climate: np.ndarray  # 0 cash-strapped .. 1 affluent (000:133)
    capacity: np.ndarray  # corporate capacity 0..1 (001:89)
    will: np.ndarray  # will to improve 0..1 (001:87)
    leadership: np.ndarray  # political leadership / shared story 0..1 (001:57)
    risk_tolerance: np.ndarray  # 0..1 (000:144)
    thinking_time: np.ndarray  # 0..1 (000:133, 001:89)
    turnover: np.ndarray  # champion leaving chance per quarter (001:93)
    trust: np.ndarray  # trust in central government 0..1 (001:81)
    trust_at_signing: np.ndarray  # trust when the agreement was signed
    rating: np.ndarray  # prior service rating before the scheme, 1..4 stars (003:389)
    ppg: np.ndarray  # pump-priming grant [GBP]
    max_reward: np.ndarray  # maximum performance reward grant [GBP]
    coordination_share: np.ndarray  # share of PPG spent on co-ordination posts (000:347)
    integrated: np.ndarray  # bool: agreement built into the wider improvement agenda (004)
    signed: np.ndarray  # bool
    start: np.ndarray  # int: first implementation quarter
    end: np.ndarray  # int: first quarter after implementation (assessment)
    reinvest_share: np.ndarray  # share of reward put back into target areas (000:385)
    budget_factor: np.ndarray  # effort multiplier left by budget cuts during the agreement
    other_services: np.ndarray  # untargeted services' change [share of stretch] (001:95)
    attention: np.ndarray  # bool: a low or falling rating draws attention (003:203)
    learned: np.ndarray  # capacity learned from the agreement, 0..1 (001:97-103)
    ff_granted: np.ndarray  # int: freedoms and flexibilities granted (001:81)
    ff_refused: np.ndarray  # int: requests refused
    ff_broken: np.ndarray  # int: requests promised and not delivered (so far)

    @classmethod
    def draw(cls, setting: Setting, rng: np.random.Generator, n: int) -> Councils:
        """Draw the councils: type, size, budget, climate and the traits of mechanisms 1-10.

        By default England's 150 upper-tier councils by type (``authorities.types``: counts,
        log-normal populations, net budget requirement per head; census and finance statistics
        cited in the schema; ``mechanisms.council_sizes`` off: every council its type's median).
        Thinking time rises with an affluent climate (000:133). Reads ``authorities.*``,
        ``mechanisms.budget_climate``.
        """
        sc = setting.params
        p = sc.authorities
        k = p.trait_concentration
        kind = rng.permutation(allocate_types(sc, n))
        types = [p.types[t] for t in AUTHORITY_TYPES]  # all four: merged over the defaults
        median = np.array([t.population_median for t in types])[kind]
        log_sd = np.array([t.population_log_sd for t in types])[kind]
        per_head = np.array([t.nbr_per_head_gbp for t in types])[kind]
        spread = log_sd * rng.standard_normal(n)
        population = median * np.exp(spread if sc.mechanisms.council_sizes else 0.0)
        nbr = population * per_head * rng.lognormal(0.0, p.nbr_sd, size=n)  # median 1
        climate = _beta(rng, p.budget_climate_mean, k, n)
        if not sc.mechanisms.budget_climate:  # every council at the population's mean climate
            climate = np.full(n, p.budget_climate_mean)
        capacity = _beta(rng, p.capacity_mean, k, n)
        will = _beta(rng, p.will_mean, k, n)
        leadership = _beta(rng, p.leadership_mean, k, n)
        risk = _beta(rng, p.risk_tolerance_mean, k, n)
        own_thinking = _beta(rng, p.own_thinking_time_mean, k, n)
        w = p.thinking_time_climate_weight
        cv2 = p.turnover_cv**2  # Gamma with mean 1 and sd turnover_cv: shape 1/cv^2, scale cv^2
        turnover = p.turnover_rate * rng.gamma(1.0 / cv2, cv2, size=n)
        rs = np.array(p.rating_shares, dtype=float)
        rating = 1 + rng.choice(MAX_RATING, size=n, p=rs / rs.sum())
        chosen = _beta(rng, sc.approach.ppg_coordination_share_mean, k, n)
        coordination = coordination_share(chosen, sc.funding)  # PPG conditions (a lever)
        ppg, max_reward = grant_envelopes(population, nbr, sc.funding)
        zeros, none = np.zeros(n), np.zeros(n, dtype=bool)
        return cls(
            setting=setting,
            kind=kind,
            population=population,
            nbr=nbr,
            climate=climate,
            capacity=capacity,
            will=will,
            leadership=leadership,
            risk_tolerance=risk,
            thinking_time=w * climate + (1 - w) * own_thinking,
            turnover=np.clip(turnover, 0.0, 1.0),
            trust=np.full(n, p.initial_trust),
            trust_at_signing=np.full(n, p.initial_trust),
            rating=rating,
            ppg=ppg,
            max_reward=max_reward,
            coordination_share=coordination,
            integrated=none.copy(),
            signed=none.copy(),
            start=np.zeros(n, dtype=int),
            end=np.zeros(n, dtype=int),
            reinvest_share=zeros.copy(),
            budget_factor=np.ones(n),
            other_services=zeros.copy(),
            attention=none.copy(),
            learned=zeros.copy(),
            ff_granted=np.zeros(n, dtype=int),
            ff_refused=np.zeros(n, dtype=int),
            ff_broken=np.zeros(n, dtype=int),
        )

    @property
    def size(self) -> int:
        return self.kind.size

    # ------------------------------------------------------------------ negotiation and signing

    def decide_participation(self, idx: np.ndarray) -> None:
        """Each council offered an agreement signs with a logistic chance driven mainly by reward.

        Evidence: 'reward grant was generally the condition for participation' (001:91); 144 of 150
        councils signed (EVIDENCE.md). Trust is as it stands at signing: promises not yet broken
        cannot count. Reads ``participation.*``, ``funding.*_reference_gbp``,
        ``mechanisms.participation`` (off: every council signs).
        """
        sc = self.setting.params
        u = self.setting.streams["negotiation"].random(idx.size)  # drawn even when off
        self.trust_at_signing[idx] = self.trust[idx]
        if not sc.mechanisms.participation:
            self.signed[idx] = True
            return
        p, f, T = sc.participation, sc.funding, sc.scheme.targets_per_authority
        logit = (
            p.base_logit
            + p.reward_weight * self.max_reward[idx] / T / f.reward_reference_gbp
            + p.ppg_weight * self.ppg[idx] / T / f.ppg_cost_reference_gbp
            + p.trust_weight * (self.trust[idx] - p.trust_reference)
        )
        self.signed[idx] = u < 1.0 / (1.0 + np.exp(-logit))

    def choose_approaches(self, idx: np.ndarray) -> None:
        """Each council picks, per target, systemic change, new working or more of the same.

        Thinking time and risk tolerance favour systemic change; budget pressure and cohort targets
        favour more of the same (000:90-93, 000:133, 000:349). PPG spent on a post that plans and
        co-ordinates favours systemic change and new working, PPG spent on front-line services
        favours more of the same (000:347; ``ppg_shapes_approach``). A systemic approach is real
        innovation with chance ``innovation_share`` and otherwise applies best practice (001:101:
        'little real innovation'; ``innovation_vs_best_practice``, off: all innovation);
        innovation becomes tangible about one time in three (003:739), best practice with
        ``best_practice_success_prob`` (``innovation_risk``, off: always). Reads ``approach.*``,
        ``implementation.innovation_*, best_practice_success_prob``, ``mechanisms.approach_choice``
        (off: fixed shares).
        """
        sc, tg = self.setting.params, self.setting.targets
        ap, im, mech = sc.approach, sc.implementation, sc.mechanisms
        rng = self.setting.streams["approach"]
        T = tg.shape[1]
        u = rng.random((idx.size, T))
        u_success = rng.random((idx.size, T))
        u_innovation = rng.random((idx.size, T))
        if mech.approach_choice:
            cohort = tg.traits.cohort[idx].astype(float)
            per_target = self.ppg[idx] / T / sc.funding.ppg_cost_reference_gbp
            coordination = self.coordination_share[idx] * per_target
            frontline = (1.0 - self.coordination_share[idx]) * per_target
            if not mech.ppg_shapes_approach:
                coordination = frontline = np.zeros(idx.size)
            planned = ap.ppg_coordination_weight * coordination[:, None]
            systemic_logit = (
                ap.base_systemic
                + ap.thinking_weight * self.thinking_time[idx, None]
                + ap.risk_weight * self.risk_tolerance[idx, None]
                - ap.cohort_weight * cohort
                + planned
            )
            new_working_logit = np.broadcast_to(ap.base_new_working + planned, (idx.size, T))
            more_of_same_logit = (
                ap.base_more_of_same
                + ap.cash_strapped_weight * (1.0 - self.climate[idx, None])
                + ap.cohort_weight * cohort
                + ap.ppg_frontline_weight * frontline[:, None]
            )
            top = np.maximum(np.maximum(systemic_logit, new_working_logit), more_of_same_logit)
            e_systemic = np.exp(systemic_logit - top)  # a softmax over the three
            e_new_working = np.exp(new_working_logit - top)
            total = e_systemic + e_new_working + np.exp(more_of_same_logit - top)
            p_systemic, p_new_working = e_systemic / total, e_new_working / total
        else:
            fs = np.asarray(ap.fixed_shares, dtype=float)
            p_systemic, p_new_working = fs[:2] / fs.sum()
        # inverse CDF over (systemic, new working, more of the same)
        choice = (u > p_systemic).astype(int) + (u > p_systemic + p_new_working)
        systemic = choice == SYSTEMIC
        innovation = systemic & (
            u_innovation < (im.innovation_share if mech.innovation_vs_best_practice else 1.0)
        )
        p_success = np.where(innovation, im.innovation_success_prob, im.best_practice_success_prob)
        if not mech.innovation_risk:
            p_success = np.ones_like(p_success)
        tg.plan.approach[idx] = choice
        tg.plan.innovation[idx] = innovation
        tg.plan.systemic_success[idx] = systemic & (u_success < p_success)

    def allocate_ppg(self, idx: np.ndarray) -> None:
        """Spread each council's PPG over its targets; more of the same takes a larger slice.

        PPG used to buy more of the same activity is the third approach (000:326); systemic and new
        working use it to fund co-ordination and development (000:347). Reads
        ``approach.ppg_more_of_same_weight``.
        """
        plan = self.setting.targets.plan
        w = np.where(
            plan.approach[idx] == MORE_OF_SAME,
            self.setting.params.approach.ppg_more_of_same_weight,
            1.0,
        )
        plan.ppg[idx] = self.ppg[idx, None] * w / w.sum(axis=1, keepdims=True)

    def plan_start(self, idx: np.ndarray) -> None:
        """Work out when the agreement's extra work starts on each target, and who champions it.

        Services often worked out how to meet a target only after signing; appointing a
        co-ordinator could take months (000:125, 000:359): the delay is Poisson with a mean that
        falls with thinking time. Normal work on the service goes on from the start. Champions are
        likelier where corporate capacity is high (001:93). Reads
        ``implementation.late_start_max_quarters, champion_prob, champion_capacity_floor``,
        ``mechanisms.late_start``.
        """
        tg, im = self.setting.targets, self.setting.params.implementation
        rng = self.setting.streams["start"]
        T = tg.shape[1]
        lam = im.late_start_max_quarters * (1.0 - self.thinking_time[idx])
        delay = rng.poisson(np.broadcast_to(lam[:, None], (idx.size, T)))
        u = rng.random((idx.size, T))
        tg.plan.delay[idx] = delay if self.setting.params.mechanisms.late_start else 0
        tg.plan.work_start[idx] = self.start[idx, None] + tg.plan.delay[idx]
        floor = im.champion_capacity_floor
        chance = im.champion_prob * (floor + (1.0 - floor) * self.capacity[idx, None])
        tg.state.champion[idx] = u < chance

    def plan_effort(self, idx: np.ndarray) -> None:
        """Fix the parts of each target's effort that do not change once a council has signed.

        - Will: plus a little bought by reward, scaled by trust (001:87, 001:77;
          ``will_and_reward``), minus the motivation that reward crowds out in staff who work
          for outcomes, not reward (001:77, 003:496; ``motivation_crowding``).
        - The reward as a risk-averse council values it: less than face value on targets whose
          reward is at risk, partnership targets most (001:91, 001:105; :func:`reward_at_risk`,
          :func:`risk_valued_reward`, ``reward_risk_aversion``); PPG is certain.
        - The corporate centre's pull: reward makes the corporate centre push the targets, a
          factor on the agreement's effort (001:57, 001:91; :func:`corporate_pull`,
          ``reward_corporate_pull``).
        - Capacity: corporate capacity (less in cash-strapped councils, which fire-fight, 000:133)
          plus PPG spent on the target, saturating; dissipated over too many targets (001:89,
          001:91; ``capacity_constraint``, ``ppg_enables``). The share of the resources that PPG
          paid for is kept: it is what the money bought (000:380; ``sustainability.py``).
        - How appropriate the stretch is (001:77; morale set by the central team).
        - Business as usual: the effort the council puts into the service anyway, without PPG,
          reward or stretch (001:133, 000:230; ``business_as_usual``).
        The agreement's effort is the larger of its own and business as usual. The ceiling is the
        potential of the chosen approach: more for a successful systemic change, less for a failed
        one (003:739), scaled by the agreement's focus (none in the no-agreement twin). Reads
        ``implementation.*``, ``funding.*_reference_gbp, payout_floor, payout_cap``,
        ``authorities.risk_aversion``, ``attribution.*``.
        """
        sc, tg = self.setting.params, self.setting.targets
        im, mech, T = sc.implementation, sc.mechanisms, tg.shape[1]
        reward_weight = self.max_reward[idx] / T / sc.funding.reward_reference_gbp
        at_risk = reward_at_risk(
            tg.plan.potential[idx],
            tg.traits.partnership[idx] & mech.partnerships,
            sc.funding,
        )
        averse = sc.authorities.risk_aversion * (1.0 - self.risk_tolerance[idx])
        if not mech.reward_risk_aversion:
            averse = np.zeros(idx.size)
        valued = risk_valued_reward(reward_weight, at_risk, averse)  # (n, T); PPG is certain
        will = np.broadcast_to(self.will[idx, None], (idx.size, T)).copy()
        if mech.will_and_reward:
            will += im.reward_will_effect * valued * self.trust[idx, None]
        if mech.motivation_crowding:  # staff see the reward as it is, not its risk
            will -= im.reward_crowding_out * reward_weight[:, None]
        will = np.clip(will, 0.0, 1.0)
        pull = corporate_pull(
            valued, im.reward_corporate_pull if mech.reward_corporate_pull else 0.0
        )
        own_will = self.will[idx, None]
        if mech.capacity_constraint:
            own = (
                self.capacity[idx]
                * (1.0 - im.cash_strapped_capacity_loss * (1.0 - self.climate[idx]))
            )[:, None]
            bought = (
                im.ppg_effect * tg.plan.ppg[idx] / sc.funding.ppg_cost_reference_gbp
                if mech.ppg_enables
                else np.zeros((idx.size, T))
            )
            focus = (im.focus_reference_targets / T) ** im.focus_elasticity
            capacity = (1.0 - np.exp(-(own + bought) / im.capacity_half)) * focus
            usual_capacity = 1.0 - np.exp(-own / im.capacity_half)
            tg.plan.ppg_part[idx] = bought / np.maximum(own + bought, 1e-12)
        else:
            capacity = usual_capacity = 1.0
            tg.plan.ppg_part[idx] = 0.0
        at = sc.attribution
        usual = at.business_as_usual_effort if mech.business_as_usual else 0.0
        tg.plan.usual_effort[idx] = np.clip(usual * own_will * usual_capacity, 0.0, 1.0)
        agreement = np.clip(
            will * capacity * tg.plan.morale[idx] * at.agreement_focus * pull, 0.0, 1.0
        )
        tg.plan.base_effort[idx] = np.maximum(agreement, tg.plan.usual_effort[idx])
        systemic = tg.plan.approach[idx] == SYSTEMIC
        success = tg.plan.systemic_success[idx]
        multiplier = np.where(
            systemic,
            np.where(success, im.systemic_potential, im.innovation_fail_potential),
            1.0,
        )
        tg.plan.ceiling[idx] = tg.plan.potential[idx] * (
            1.0 + at.agreement_focus * (multiplier - 1.0)
        )

    def decide_integration(self, idx: np.ndarray) -> None:
        """Each signing council builds the agreement into its wider improvement agenda, or not.

        Kent and Middlesbrough integrated their LPSAs 'into their wider improvement agendas'
        (004:38) with the corporate centre's 'full support and engagement' (000:199): the chance
        rises with political leadership. Reads ``sustainability.integration_base,
        integration_leadership_weight``; off with ``mechanisms.improvement_agenda``.
        """
        s = self.setting.params.sustainability
        u = self.setting.streams["integration"].random(idx.size)
        chance = s.integration_base + s.integration_leadership_weight * self.leadership[idx]
        on = self.setting.params.mechanisms.improvement_agenda
        self.integrated[idx] = on & (u < chance)

    # ------------------------------------------------------------------ the end

    def continuation_at_end(self, idx: np.ndarray) -> np.ndarray:
        """(len(idx), T) how much of each target's ongoing costs the council will keep funding
        when its agreement ends (taken up then by ``quarter.assess``).

        Affluent councils keep more, cash-strapped ones less (000:133); national targets that were
        not the highest local priorities get less (000:385). It reads only what is fixed at
        signing. Reads ``sustainability.continuation_*, national_priority_discount``.
        """
        tg, s = self.setting.targets, self.setting.params.sustainability
        base = (
            s.continuation_cash_strapped
            + (s.continuation_affluent - s.continuation_cash_strapped) * self.climate[idx]
        )
        discount = np.where(tg.traits.local_priority[idx], 1.0, 1.0 - s.national_priority_discount)
        return base[:, None] * discount


def _row(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.model.councils, name)[self.index], doc=doc)


class Authority(mesa.Agent):
    """One council: a named view of its row in :class:`Councils` (one source of truth)."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    population = _row("population", "persons")
    nbr = _row("nbr", "net budget requirement [GBP]")
    climate = _row("climate", "0 cash-strapped .. 1 affluent")
    capacity = _row("capacity", "corporate capacity 0..1")
    will = _row("will", "will to improve 0..1")
    leadership = _row("leadership", "political leadership 0..1")
    thinking_time = _row("thinking_time", "thinking time 0..1")
    trust = _row("trust", "trust in central government 0..1")
    rating = _row("rating", "prior service rating, 1..4 stars")
    ppg = _row("ppg", "pump-priming grant [GBP]")
    max_reward = _row("max_reward", "maximum reward grant [GBP]")
    signed = _row("signed", "signed an agreement")
    start = _row("start", "first implementation quarter")
    end = _row("end", "first quarter after implementation")
    integrated = _row("integrated", "agreement built into the wider improvement agenda")

    @property
    def authority_type(self) -> str:
        return AUTHORITY_TYPES[int(self.model.councils.kind[self.index])]

    @property
    def phase(self) -> str:
        """'negotiation', 'implementation', 'follow_up', 'not_signed' or 'finished' now."""
        return self.model.phase_of(self.index)

    @property
    def mean_performance(self) -> float:
        """Mean measured performance of its targets, in units of stretch."""
        return float(self.setting.targets.state.measured[self.index].mean())

    @property
    def current_rating(self) -> int:
        """The latest inspection rating (the prior rating before the first assessment)."""
        return int(self.model.inspection.current_rating[self.index])
