"""Authorities: upper-tier councils that sign an agreement and work on its targets.

Each council is a Mesa agent (``Authority``) whose traits live in the model's authority arrays, so
the decisions every council takes in the same way are written once, vectorised over the councils
deciding at that moment (``idx``): signing, choosing approaches, spending PPG, starting work,
responding to turnover, funding after the end, using the reward. The agent object is the handle
analysts and the dashboard use to inspect one council.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .funding import grant_envelopes
from .scenario import AUTHORITY_TYPES, MAX_RATING, QUARTERS_PER_YEAR, Scenario
from .targets import MORE_OF_SAME, SYSTEMIC

if TYPE_CHECKING:
    from .model import LPSAModel


@dataclass
class Authorities:
    """Authority traits and state, arrays of shape (A,)."""

    kind: np.ndarray  # int: index into AUTHORITY_TYPES
    population: np.ndarray  # persons
    nbr: np.ndarray  # net budget requirement [GBP]
    climate: np.ndarray  # 0 cash-strapped .. 1 affluent, as it acts in the model (000:133)
    capacity: np.ndarray  # corporate capacity 0..1 (001:89)
    will: np.ndarray  # will to improve 0..1 (001:87)
    leadership: np.ndarray  # political leadership / shared story 0..1 (001:57)
    risk_tolerance: np.ndarray  # 0..1 (000:144)
    thinking_time: np.ndarray  # 0..1 (000:133, 001:89)
    turnover: np.ndarray  # champion leaving chance per quarter (001:93)
    trust: np.ndarray  # trust in central government 0..1 (001:81)
    rating: np.ndarray  # prior service rating, 1..4 stars (003:389)
    ppg: np.ndarray  # pump-priming grant [GBP]
    max_reward: np.ndarray  # maximum performance reward grant [GBP]
    signed: np.ndarray  # bool
    start: np.ndarray  # int: first implementation quarter
    end: np.ndarray  # int: first quarter after implementation (assessment)
    reinvest_share: np.ndarray  # share of reward put back into target areas (000:385)
    ff_granted: np.ndarray  # int: freedoms and flexibilities granted (001:81)
    ff_refused: np.ndarray  # int: requests refused
    ff_broken: np.ndarray  # int: requests promised and not delivered


def _beta(rng: np.random.Generator, mean: float, k: float, n: int) -> np.ndarray:
    return rng.beta(mean * k, (1.0 - mean) * k, size=n)


def draw_authorities(rng: np.random.Generator, sc: Scenario, n: int) -> Authorities:
    """Draw a population of councils: type, size, budget, climate and the traits of mechanism 1-10.

    Population is log-uniform over the scheme's range, net budget requirement proportional to it
    with noise (EVIDENCE.md scheme rules). Thinking time rises with an affluent climate (000:133).
    Reads ``authorities.*``, ``mechanisms.budget_climate``.
    """
    p = sc.authorities
    k = p.trait_concentration
    types = list(p.type_shares)
    shares = np.array([p.type_shares[t] for t in types], dtype=float)
    kind = np.array([AUTHORITY_TYPES.index(t) for t in types])[
        rng.choice(len(types), size=n, p=shares / shares.sum())
    ]
    population = np.exp(rng.uniform(np.log(p.population_min), np.log(p.population_max), size=n))
    nbr = population * p.nbr_per_head_gbp * rng.lognormal(0.0, p.nbr_sd, size=n)  # median 1
    climate = _beta(rng, p.budget_climate_mean, k, n)
    if not sc.mechanisms.budget_climate:  # every authority at the population's mean climate
        climate = np.full(n, p.budget_climate_mean)
    capacity = _beta(rng, p.capacity_mean, k, n)
    will = _beta(rng, p.will_mean, k, n)
    leadership = _beta(rng, p.leadership_mean, k, n)
    risk = _beta(rng, p.risk_tolerance_mean, k, n)
    own_thinking = _beta(rng, p.own_thinking_time_mean, k, n)
    thinking = (
        p.thinking_time_climate_weight * climate
        + (1 - p.thinking_time_climate_weight) * own_thinking
    )
    cv2 = p.turnover_cv**2  # Gamma with mean 1 and sd turnover_cv: shape 1/cv^2, scale cv^2
    turnover = p.turnover_rate * rng.gamma(1.0 / cv2, cv2, size=n)
    rs = np.array(p.rating_shares, dtype=float)
    rating = 1 + rng.choice(MAX_RATING, size=n, p=rs / rs.sum())
    ppg, max_reward = grant_envelopes(population, nbr, sc.funding)
    return Authorities(
        kind=kind,
        population=population,
        nbr=nbr,
        climate=climate,
        capacity=capacity,
        will=will,
        leadership=leadership,
        risk_tolerance=risk,
        thinking_time=thinking,
        turnover=np.clip(turnover, 0.0, 1.0),
        trust=np.full(n, p.initial_trust),
        rating=rating,
        ppg=ppg,
        max_reward=max_reward,
        signed=np.zeros(n, dtype=bool),
        start=np.zeros(n, dtype=int),
        end=np.zeros(n, dtype=int),
        reinvest_share=np.zeros(n),
        ff_granted=np.zeros(n, dtype=int),
        ff_refused=np.zeros(n, dtype=int),
        ff_broken=np.zeros(n, dtype=int),
    )


def decide_participation(model: LPSAModel, idx: np.ndarray) -> None:
    """Each council offered an agreement signs with a logistic chance driven mainly by the reward.

    Evidence: 'reward grant was generally the condition for participation' (001:91); 144 of 150
    councils signed (EVIDENCE.md). Reads ``participation.*``, ``funding.*_reference_gbp``,
    ``mechanisms.participation`` (off: every council signs).
    """
    a, sc = model.auth, model.params
    u = model.streams["negotiation"].random(idx.size)  # drawn even when off: keeps streams aligned
    if not sc.mechanisms.participation:
        a.signed[idx] = True
        return
    p, f, T = sc.participation, sc.funding, sc.scheme.targets_per_authority
    logit = (
        p.base_logit
        + p.reward_weight * a.max_reward[idx] / T / f.reward_reference_gbp
        + p.ppg_weight * a.ppg[idx] / T / f.ppg_cost_reference_gbp
        + p.trust_weight * (a.trust[idx] - p.trust_reference)
    )
    a.signed[idx] = u < 1.0 / (1.0 + np.exp(-logit))


def choose_approaches(model: LPSAModel, idx: np.ndarray) -> None:
    """Each council picks, per target, systemic change, new working or more of the same.

    Thinking time and risk tolerance favour systemic change; budget pressure and cohort targets
    favour 'more of the same' (000:90-93, 000:133, 000:349). Innovation succeeds with the scenario's
    chance (about one in three, 003:739). Reads ``approach.*``,
    ``implementation.innovation_success_prob``, ``mechanisms.approach_choice`` (off: fixed shares),
    ``mechanisms.innovation_risk`` (off: always succeeds).
    """
    a, tg, ap = model.auth, model.targets, model.params.approach
    rng = model.streams["approach"]
    T = tg.shape[1]
    u = rng.random((idx.size, T))
    u_innov = rng.random((idx.size, T))
    if model.params.mechanisms.approach_choice:
        cohort = tg.cohort[idx].astype(float)
        logits = np.stack(
            [
                ap.base_systemic
                + ap.thinking_weight * a.thinking_time[idx, None]
                + ap.risk_weight * a.risk_tolerance[idx, None]
                - ap.cohort_weight * cohort,
                np.full((idx.size, T), ap.base_new_working),
                ap.base_more_of_same
                + ap.cash_strapped_weight * (1.0 - a.climate[idx, None])
                + ap.cohort_weight * cohort,
            ],
            axis=-1,
        )
        prob = np.exp(logits - logits.max(axis=-1, keepdims=True))
        prob /= prob.sum(axis=-1, keepdims=True)
    else:
        fs = np.asarray(ap.fixed_shares, dtype=float)
        prob = np.broadcast_to(fs / fs.sum(), (idx.size, T, 3))
    cum = np.cumsum(prob, axis=-1)
    choice = (u[..., None] > cum[..., :2]).sum(axis=-1)
    tg.approach[idx] = choice
    p_success = (
        1.0
        if not model.params.mechanisms.innovation_risk
        else model.params.implementation.innovation_success_prob
    )
    tg.innovation_success[idx] = (choice == SYSTEMIC) & (u_innov < p_success)


def allocate_ppg(model: LPSAModel, idx: np.ndarray) -> None:
    """Spread each council's PPG over its targets; 'more of the same' takes a larger slice.

    PPG used to buy more of the same activity is the third approach (000:326); systemic and new
    working use it to fund co-ordination and development (000:347). Reads
    ``approach.ppg_more_of_same_weight``.
    """
    a, tg = model.auth, model.targets
    w = np.where(
        tg.approach[idx] == MORE_OF_SAME, model.params.approach.ppg_more_of_same_weight, 1.0
    )
    tg.ppg[idx] = a.ppg[idx, None] * w / w.sum(axis=1, keepdims=True)


def plan_start(model: LPSAModel, idx: np.ndarray) -> None:
    """Work out when real work starts on each target and whether it has a champion.

    Services often worked out how to meet a target only after signing; appointing a co-ordinator
    could take months (000:125, 000:359): the delay is Poisson with a mean that falls with thinking
    time. Champions are likelier where corporate capacity is high (001:93). Reads
    ``implementation.late_start_max_quarters, champion_prob, champion_capacity_floor``,
    ``mechanisms.late_start``, ``mechanisms.champions_turnover``.
    """
    a, tg, im = model.auth, model.targets, model.params.implementation
    rng = model.streams["start"]
    T = tg.shape[1]
    lam = im.late_start_max_quarters * (1.0 - a.thinking_time[idx])
    delay = rng.poisson(np.broadcast_to(lam[:, None], (idx.size, T)))
    u = rng.random((idx.size, T))
    tg.delay[idx] = delay if model.params.mechanisms.late_start else 0
    floor = im.champion_capacity_floor
    tg.champion[idx] = u < im.champion_prob * (floor + (1.0 - floor) * a.capacity[idx, None])


def respond_to_turnover(model: LPSAModel, implementing: np.ndarray) -> None:
    """Champions leave at the council's turnover rate; a strong shared story means a handover.

    Staff turnover without handover causes failure; a shared story protects progress (001:57,
    001:93). Targets without a champion get a new one at ``reappoint_rate``. ``implementing`` is an
    (A, 1) mask. Reads ``implementation.handover_base, reappoint_rate``; off with
    ``mechanisms.champions_turnover``.
    """
    a, tg, im = model.auth, model.targets, model.params.implementation
    u = model.streams["turnover"].random((2, *tg.shape))
    if not model.params.mechanisms.champions_turnover:
        return
    handover = im.handover_base + (1.0 - im.handover_base) * a.leadership
    leaves = tg.champion & (u[0] < (a.turnover * (1.0 - handover))[:, None])
    joins = ~tg.champion & (u[1] < im.reappoint_rate)
    tg.champion = np.where(implementing, (tg.champion & ~leaves) | joins, tg.champion)


def decide_continuation(model: LPSAModel, idx: np.ndarray) -> None:
    """At the end, each council decides how much of the targets' ongoing costs to keep funding.

    Affluent councils keep more; cash-strapped ones less (000:133); national targets that were not
    the highest local priorities get less (000:385). Reads ``sustainability.continuation_*,
    national_priority_discount``.
    """
    a, tg, s = model.auth, model.targets, model.params.sustainability
    base = (
        s.continuation_cash_strapped
        + (s.continuation_affluent - s.continuation_cash_strapped) * a.climate[idx]
    )
    tg.continuation[idx] = base[:, None] * np.where(
        tg.national[idx], 1.0 - s.national_priority_discount, 1.0
    )


def decide_reward_use(model: LPSAModel, idx: np.ndarray) -> None:
    """Decide what share of the reward goes back into the target areas (most goes elsewhere,
    000:385).

    Draws a Beta share with mean ``sustainability.reward_reinvest_mean``.
    """
    m = model.params.sustainability.reward_reinvest_mean
    k = model.params.authorities.trait_concentration
    share = model.streams["post"].beta(max(m, 1e-6) * k, max(1 - m, 1e-6) * k, size=idx.size)
    model.auth.reinvest_share[idx] = share


def reinvest_reward(model: LPSAModel, idx: np.ndarray, amount: np.ndarray) -> None:
    """Spend the reinvested part of a reward instalment on the council's resource-dependent targets.

    Each pound extends continuation funding; the boost is the instalment's share over the ongoing
    cost of the follow-up years (000:385). Reads ``sustainability.ongoing_cost_reference_gbp``,
    off with ``mechanisms.reward_reinvestment``.
    """
    if not model.params.mechanisms.reward_reinvestment:
        return
    tg, s = model.targets, model.params.sustainability
    dependent = (tg.approach[idx] != SYSTEMIC) | ~tg.innovation_success[idx]
    n = np.maximum(dependent.sum(axis=1), 1)
    years = model.params.scheme.follow_up_quarters / QUARTERS_PER_YEAR
    boost = (amount * model.auth.reinvest_share[idx] / n)[:, None] / (
        s.ongoing_cost_reference_gbp * years
    )
    tg.continuation[idx] = np.where(
        dependent, np.minimum(1.0, tg.continuation[idx] + boost), tg.continuation[idx]
    )


def corporate_drift_and_cuts(model: LPSAModel, following_up: np.ndarray) -> None:
    """After the end, the corporate centre moves effort elsewhere and mainstream budgets get cut.

    Sustainability is low on the corporate agenda; when priorities change, effort is taken away
    (000:87, 000:139); 'Cinderella' services fall back off the agenda (000:149); mainstream cuts can
    outweigh reward (000:133). ``following_up`` is an (A,) mask. Reads
    ``sustainability.corporate_drift_*, budget_shock_*``, ``mechanisms.corporate_drift``,
    ``mechanisms.budget_climate``.
    """
    a, tg, s, mech = model.auth, model.targets, model.params.sustainability, model.params.mechanisms
    u = model.streams["post"].random((2, a.climate.size))
    cut = np.ones(a.climate.size)
    if mech.corporate_drift:
        cut *= np.where(
            following_up & (u[0] < s.corporate_drift_rate), 1.0 - s.corporate_drift_cut, 1.0
        )
    if mech.budget_climate:
        cut *= np.where(
            following_up & (u[1] < s.budget_shock_rate * (1.0 - a.climate)),
            1.0 - s.budget_shock_cut,
            1.0,
        )
    tg.continuation *= cut[:, None]


class Authority(mesa.Agent):
    """One council. Its traits and state are rows of the model's arrays; this is a readable view."""

    def __init__(self, model: LPSAModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __getattr__(self, name: str):
        # Traits are read through to the arrays so there is one source of truth.
        auth = self.__dict__.get("model").auth if "model" in self.__dict__ else None
        if auth is not None and hasattr(auth, name):
            return getattr(auth, name)[self.index]
        raise AttributeError(name)

    @property
    def authority_type(self) -> str:
        return AUTHORITY_TYPES[int(self.model.auth.kind[self.index])]

    @property
    def phase(self) -> str:
        """'negotiation', 'implementation', 'follow_up' or 'not_signed' at the model's current
        quarter."""
        return self.model.phase_of(self.index)

    @property
    def mean_performance(self) -> float:
        """Mean measured performance of its targets, in units of stretch."""
        return float(self.model.targets.measured[self.index].mean())
