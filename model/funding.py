"""The money: pump-priming grant up front, performance reward grant after the end.

The rules are the first-generation scheme's (EVIDENCE.md 'Scheme rules', outside the seeds):
PPG is a flat sum plus an amount per head; the maximum reward is a share of the net budget
requirement, split equally across targets; a target pays the share of its stretch achieved,
capped, and nothing below a floor; reward is paid in equal yearly instalments after the end.
Seeds 001:57 and 001:91 describe the roles of the two grants.
"""

from __future__ import annotations

import numpy as np

from .scenario import QUARTERS_PER_YEAR, FundingParams


def grant_envelopes(
    population: np.ndarray, nbr: np.ndarray, f: FundingParams
) -> tuple[np.ndarray, np.ndarray]:
    """PPG and maximum reward per authority [GBP].

    With ``ppg_share`` set, each authority's total (rules PPG + rules maximum reward) is re-split so
    that PPG is that share: a PPG-heavy and a reward-heavy regime then spend the same money.
    Reads ``funding.ppg_flat_gbp, ppg_per_head_gbp, reward_share_of_nbr, ppg_share``.
    """
    ppg = f.ppg_flat_gbp + f.ppg_per_head_gbp * population
    reward = f.reward_share_of_nbr * nbr
    if f.ppg_share is not None:
        total = ppg + reward
        ppg, reward = f.ppg_share * total, (1.0 - f.ppg_share) * total
    return ppg, reward


def coordination_share(drawn: np.ndarray, f: FundingParams) -> np.ndarray:
    """Share of each council's PPG spent on posts that plan, re-engineer and co-ordinate, under
    the regime's PPG conditions: the council's own choice ``drawn``, raised to the least share the
    conditions require (``funding.ppg_coordination_min``; 0, no condition, leaves it as chosen).

    Evidence: government discouraged spending PPG on short-term staff, yet 'funding a dedicated
    post to focus on planning, re-engineering services and coordinating the approach across
    partners can often be an effective way of bringing about a step change in performance; without
    such focussed attention the temptation is to do more of the same' (seeds 000:347), and PPG on
    front-line activity 'buys' gains that fall back (seeds 000:326, seeds 000:380). A condition on
    how PPG is spent is a lever government holds (the grant's terms, seeds 001:55); how much the
    spending changes the approach is ``approach.ppg_coordination_weight`` and
    ``ppg_frontline_weight`` (uncertain). Reads ``funding.ppg_coordination_min``.
    """
    return np.maximum(np.asarray(drawn, dtype=float), f.ppg_coordination_min)


def payout_share(share_achieved: np.ndarray, f: FundingParams) -> np.ndarray:
    """Share of a target's maximum reward paid: achieved share capped, zero below the floor.

    Reads ``funding.payout_floor, payout_cap``. The cap is expressed as a share of stretch and the
    payout is normalised so that reaching the cap pays the whole maximum.
    """
    s = np.asarray(share_achieved, dtype=float)
    return np.where(s >= f.payout_floor, np.minimum(s, f.payout_cap) / f.payout_cap, 0.0)


def instalment_quarters(end_quarter: np.ndarray, f: FundingParams) -> np.ndarray:
    """Quarters (shape (A, instalments)) when reward instalments are paid: the end of each year
    after."""
    k = np.arange(1, f.reward_instalments + 1)
    return end_quarter[:, None] + QUARTERS_PER_YEAR * k[None, :] - 1
