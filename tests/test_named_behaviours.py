"""Behaviours the model names, each tested so that breaking it breaks the test (issue 25, item 8).

Each test was mutation-checked: the behaviour it names was broken in the code (the mutation is
given in the test's comment) and the test failed; the code was then restored. Small models (30
councils) on one seed, so that each test takes a second or two.
"""

from __future__ import annotations

import numpy as np

from lpsa.model import LPSAModel, load_scenario, twin_scenario
from lpsa.model.scenario import parameter_overrides
from lpsa.model.targets import SYSTEMIC

SMALL = {"scheme.n_authorities": 30}


def small(base: str = "lpsa1_baseline", **overrides: object) -> object:
    return load_scenario(base, parameter_overrides({**SMALL, **overrides}))


def implementing_effort(m: LPSAModel) -> float:
    """Mean effort of councils implementing, over the agreement's quarters."""
    return float(np.nanmean(m.effort_mean))


def test_the_agreement_adds_effort_beyond_business_as_usual():
    # Mutations: quarter.target_effort with `extra = 0.0`; councils.plan_effort with the
    # agreement's effort equal to business as usual. Both leave the factual run's effort at its
    # twin's.
    sc = small()
    factual = LPSAModel(sc, seed=1).run()
    twin = LPSAModel(twin_scenario(sc), seed=1).run()
    plan = factual.targets.plan
    signed = factual.councils.signed
    assert (plan.base_effort[signed] > plan.usual_effort[signed] + 1e-9).mean() > 0.5
    assert implementing_effort(factual) > implementing_effort(twin) + 0.05


def test_partners_hold_back_effort_on_partnership_targets():
    # 001:105, 000:171-179. Mutation: quarter.partners_set_effort with every partner's effort 1.
    m = LPSAModel(small(), seed=1)
    partnership = m.targets.traits.partnership
    assert partnership.any()
    seen = []
    for _ in range(12):
        m.step()
        seen.append(m.partners.on_targets[partnership].mean())
        assert (m.partners.on_targets[~partnership] == 1.0).all()
    assert max(seen) < 0.95


def test_a_failed_innovation_lowers_what_the_target_can_reach():
    # 003:739. Mutation: councils.plan_effort treating implementation.innovation_fail_potential
    # as 1 (a failed innovation as good as not trying).
    m = LPSAModel(small(**{"implementation.innovation_share": 1.0}), seed=1)
    m.run()
    plan = m.targets.plan
    failed = (plan.approach == SYSTEMIC) & ~plan.systemic_success & m.councils.signed[:, None]
    assert failed.sum() > 20
    assert (plan.ceiling[failed] < plan.potential[failed] - 1e-9).all()


def test_a_real_innovation_first_dips_below_where_it_started():
    # 003:739. Mutation: quarter.implement skipping the innovation dip.
    sc = small(**{"implementation.innovation_share": 1.0, "mechanisms.late_start": False})
    m = LPSAModel(sc, seed=1)
    innovating = (m.targets.plan.approach == SYSTEMIC) & m.targets.plan.innovation
    lowest = 0.0
    for _ in range(sc.scheme.implementation_quarters + 8):
        m.step()
        lowest = min(lowest, float(m.targets.state.core[innovating].min()))
    assert innovating.sum() > 20 and lowest < -0.01


def test_reward_buys_will_and_so_the_agreements_effort():
    # 001:87, 001:77. Mutation: councils.plan_effort with reward_weight / 1e6 (the switch-off test
    # in test_mechanisms.py passes under it: crowding-out and reward's other channels still move
    # the run).
    def base_effort(effect: float) -> np.ndarray:
        m = LPSAModel(
            small(
                "reward_heavy",
                **{
                    "implementation.reward_will_effect": effect,
                    "implementation.reward_crowding_out": 0.0,
                },
            ),
            seed=1,
        ).run()
        return m.targets.plan.base_effort[m.councils.signed]

    with_reward, without = base_effort(0.2), base_effort(0.0)
    assert (with_reward >= without).all()
    assert with_reward.mean() > without.mean() + 0.01


def test_councils_whose_services_improve_more_are_rated_higher():
    # 003:416-438; catch-up (P8) and rating moves (P7) need ratings to follow performance.
    # Mutation: quarter.inspect without the `stars_per_stretch x services` term. Without the
    # assessment error the score beyond the council's level and the national drift is its
    # services' performance, in stars.
    m = LPSAModel(small(**{"inspection.noise_sd": 0.0}), seed=1).run()
    signed = m.councils.signed
    year = m.inspection.scores.shape[0] - 1
    beyond_level = (m.inspection.scores[year] - m.inspection.level)[signed]
    performance = m.targets.end.true.mean(axis=1)[signed]
    assert np.corrcoef(performance, beyond_level)[0, 1] > 0.5
    better = LPSAModel(
        small(**{"inspection.noise_sd": 0.0, "inspection.stars_per_stretch": 2.0}), seed=1
    ).run()
    assert (better.inspection.scores[year] - m.inspection.scores[year])[signed].mean() > 0.05


def test_the_service_rating_has_an_assessment_error_of_its_own_size():
    # 003:357, 003:418, 003:430: the CPA (Audit Commission) and adult social care's stars (CSCI)
    # were two inspectorates' ratings. Mutation: quarter.rate_service drawing its error with
    # par.insp_k (the whole-council rating's) instead of par.service_k.
    def moves(ratio: float) -> tuple[float, float]:
        shares = []
        for seed in range(4):
            r = LPSAModel(small(**{"inspection.service_noise_ratio": ratio}), seed=seed).run()
            frame = r.ratings_frame()
            shares.append(((frame["service_moved"] != 0).mean(), (frame["moved"] != 0).mean()))
        return tuple(np.mean(shares, axis=0))

    same_service, same_council = moves(1.0)
    noisier_service, council = moves(2.0)
    quieter_service, council_again = moves(0.5)
    assert council == council_again == same_council  # the whole-council rating is untouched
    assert noisier_service > same_service + 0.05 > quieter_service + 0.1
