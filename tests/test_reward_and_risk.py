"""Reward's pull on the corporate centre (001:57, 001:91) and the risk councils bear on the reward
(001:91, 001:105): the direction of each, and each switch off equals its parameter at no effect.

Plans are fixed at signing (``Councils.plan_effort``, run when the model is built), so most checks
read the planned agreement effort of every council's targets on common random numbers.
"""

from __future__ import annotations

import numpy as np

from lpsa.model import LPSAModel, load_scenario
from lpsa.model.councils import reward_at_risk

SEED = 4
QUIET = {"reward_crowding_out": 0.0, "reward_will_effect": 0.0}  # reward acts only by the pull


AT_NO_EFFECT = {  # both mechanisms at no effect, whatever the baseline's calibrated point says
    "implementation": {"reward_corporate_pull": 0.0},
    "authorities": {"risk_aversion": 0.0},
}


def planned(scenario: str = "lpsa1_baseline", **overrides) -> LPSAModel:
    return LPSAModel.from_scenario(scenario, seed=SEED, **overrides)


def effort(m: LPSAModel) -> np.ndarray:
    """(A, T) each target's planned effort under the agreement."""
    return m.targets.plan.base_effort


def test_reward_pulls_the_corporate_centre_toward_the_targets():
    # 001:57: at corporate level 'reward grant as a powerful incentive'.
    def mean_effort(pull: float, reward_share: float, implementation: dict) -> float:
        im = {**implementation, "reward_corporate_pull": pull}
        m = planned(implementation=im, funding={"reward_share_of_nbr": reward_share})
        return float(effort(m).mean())

    more, less = 0.05, 0.025  # the reward doubled
    assert mean_effort(0.3, more, QUIET) > mean_effort(0.3, less, QUIET) + 0.01
    assert mean_effort(0.0, more, QUIET) == mean_effort(0.0, less, QUIET)
    # At the shipped point, without the pull, more reward buys no more effort (crowding out).
    assert mean_effort(0.0, more, {}) <= mean_effort(0.0, less, {})


def test_risk_averse_councils_value_the_uncertain_reward_below_its_face_value():
    # 001:91: shift the balance toward PPG on risky targets 'to bring about a more equitable
    # distribution of risk'; 001:105: partnership targets 'rightly' seen as 'more risky'.
    im = {**QUIET, "reward_corporate_pull": 0.3}

    def drop(scenario: str) -> np.ndarray:
        neutral = planned(scenario, implementation=im)
        averse = planned(scenario, implementation=im, authorities={"risk_aversion": 1.0})
        return effort(neutral) - effort(averse), neutral

    loss, m = drop("lpsa1_baseline")
    assert (loss >= 0).all() and loss.mean() > 0.005
    risky = m.targets.traits.partnership
    assert loss[risky].mean() > 2 * loss[~risky].mean()
    ppg_heavy, _ = drop("ppg_heavy")
    reward_heavy, _ = drop("reward_heavy")
    assert ppg_heavy.mean() < reward_heavy.mean()


def test_each_switch_off_equals_its_parameter_at_no_effect():
    strong = {
        "implementation": {"reward_corporate_pull": 0.3},
        "authorities": {"risk_aversion": 0.8},
    }
    none = planned(**AT_NO_EFFECT)
    assert not np.array_equal(effort(planned(**strong)), effort(none))
    for switch in ("reward_corporate_pull", "reward_risk_aversion"):
        off = planned(**strong, mechanisms={switch: False})
        at_zero = planned(
            implementation={
                "reward_corporate_pull": 0.0 if switch == "reward_corporate_pull" else 0.3
            },
            authorities={"risk_aversion": 0.0 if switch == "reward_risk_aversion" else 0.8},
        )
        assert np.array_equal(effort(off), effort(at_zero))
    both_off = planned(
        **strong, mechanisms={"reward_corporate_pull": False, "reward_risk_aversion": False}
    ).run()
    assert both_off.summary() == none.run().summary()


def test_the_reward_at_risk_is_what_the_schemes_payout_rule_would_not_pay():
    """Below the floor all of the reward is at risk; above it the share the council would not
    reach (paid pro rata, 001:91's risk); at or above the cap none; a partnership target all."""
    funding = load_scenario("lpsa1_baseline").funding
    floor, cap = funding.payout_floor, funding.payout_cap
    potential = np.array([floor - 0.01, floor + 0.5 * (cap - floor), cap, cap + 0.2, cap])
    partnership = np.array([False, False, False, False, True])
    at_risk = reward_at_risk(potential, partnership, funding)
    middle = 1.0 - (floor + 0.5 * (cap - floor)) / cap
    assert np.allclose(at_risk, [1.0, middle, 0.0, 0.0, 1.0])
