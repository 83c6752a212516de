"""Each mechanism pushes outcomes in the direction the evidence describes, and can be switched off.

Variants run on common random numbers (same seeds), so differences come from the lever alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run_variant

from lpsa.model import LPSAModel, load_scenario, twin_scenario
from lpsa.model.outputs import approach_kind, retained_by_approach
from lpsa.model.scenario import Mechanisms, Scenario
from lpsa.model.targets import MORE_OF_SAME


def met(res) -> float:
    return res.summary()["targets_met_share"]


def mean_share(targets: pd.DataFrame) -> float:
    return float(targets["share_of_stretch"].mean())


def test_more_ppg_raises_attainment():
    # 001:91: PPG 'most significant in enabling'. The size follows the calibrated point (+0.023
    # of targets met at run K's); with `ppg_enables` off it is -0.035, since a reward-heavy split
    # then draws in more will and loses nothing: the margin tells the two apart.
    ppg_heavy = run_variant({"funding": {"ppg_share": 0.6}})
    reward_heavy = run_variant({"funding": {"ppg_share": 0.05}})
    assert met(ppg_heavy) > met(reward_heavy) + 0.01


def test_the_money_split_matters_only_through_its_named_channels():
    # PPG enables; reward draws councils in, adds a little will, pulls the corporate centre, is a
    # risk a council weighs, is partly reinvested and invites gaming.
    off = {
        "mechanisms": {
            "ppg_enables": False,
            "participation": False,
            "will_and_reward": False,
            "reward_reinvestment": False,
            "gaming_threshold": False,
            "gaming_cohort": False,
            "gaming_presentation": False,
            "gaming_ratchet": False,
            "ppg_shapes_approach": False,
            "ppg_bought_gains": False,
            "motivation_crowding": False,
            "reward_corporate_pull": False,
            "reward_risk_aversion": False,
        }
    }
    a = run_variant({**off, "funding": {"ppg_share": 0.6}})
    b = run_variant({**off, "funding": {"ppg_share": 0.05}})
    assert mean_share(a.targets) == pytest.approx(mean_share(b.targets), abs=1e-12)


def test_reward_is_the_main_draw_for_participation():
    no_reward = run_variant({"funding": {"ppg_share": 1.0}})
    reward_heavy = run_variant({"funding": {"ppg_share": 0.05}})
    assert (
        reward_heavy.summary()["participation_rate"]
        > no_reward.summary()["participation_rate"] + 0.05
    )


EXPECTED_FALL_BACK = {"sustainability": Scenario().sustainability.model_dump()}
"""The evaluators' expectation (000:90-93; P5, 'too soon to say', 000:367) as parameters: the
schema's defaults for what is kept after the end. A hypothesis, not a finding: the calibrated
baseline need not hold it (its continuation funding and expectations keep more)."""


def test_more_of_the_same_gains_fall_back_after_ppg_ends_where_the_expectation_holds():
    # the mechanism, tested as the hypothesis it is: with the expected decay rates, more of the
    # same keeps least, systemic change most
    expected = run_variant(EXPECTED_FALL_BACK)
    kept = retained_by_approach(expected.targets)["retained_gain_3y"]
    assert kept["more_of_same"] < kept["new_working"] < kept["systemic_succeeded"]
    # Without business-as-usual work beside it (which normal work keeps), more of the same keeps
    # less than half of its gain.
    alone = run_variant({**EXPECTED_FALL_BACK, "mechanisms": {"business_as_usual": False}})
    assert retained_by_approach(alone.targets).loc["more_of_same", "retained_gain_3y"] < 0.5
    # and the hypothesis switch turns it off: more of the same decays like new working
    off = run_variant(
        {
            "sustainability": {
                **EXPECTED_FALL_BACK["sustainability"],
                "decay_rate_more_of_same": EXPECTED_FALL_BACK["sustainability"][
                    "decay_rate_new_working"
                ],
                "more_of_same_residual": 0.0,
            },
            "mechanisms": {"ppg_bought_gains": False},
        }
    )
    kept_off = retained_by_approach(off.targets)["retained_gain_3y"]
    assert kept_off["more_of_same"] > kept["more_of_same"]


def test_successful_systemic_change_persists_more_than_resource_dependent_gains(baseline):
    # 000:90-93: systemic change may be irreversible; new working and more of the same need the
    # money. (A failed systemic change is not compared: what it leaves is mostly what business as
    # usual built, which normal work keeps whatever the approach.)
    kept = retained_by_approach(baseline.targets)["retained_gain_5y"]
    assert kept["systemic_succeeded"] > 0.8
    assert kept["systemic_succeeded"] > max(kept["new_working"], kept["more_of_same"])


def test_how_much_of_a_systemic_gain_persists_unfunded_is_a_range():
    # 000:290 'may be irreversible', 000:367 'too soon to say': a parameter, not a fixed choice.
    def kept(share: float) -> float:
        res = run_variant({"sustainability": {"systemic_persistence_share": share}})
        return retained_by_approach(res.targets).loc["systemic_succeeded", "retained_gain_5y"]

    assert kept(1.0) > kept(0.5) + 0.05


def test_systemic_gains_fall_back_when_persistence_is_switched_off(baseline):
    off = run_variant({"mechanisms": {"systemic_persistence": False}})
    on_kept = retained_by_approach(baseline.targets).loc["systemic_succeeded", "retained_gain_5y"]
    off_kept = retained_by_approach(off.targets).loc["systemic_succeeded", "retained_gain_5y"]
    # the switch moves only the agreement's own part: what business as usual built is kept either
    # way (measured 0.78 against 0.88)
    assert off_kept < on_kept - 0.05


def test_about_one_in_three_innovations_succeed(baseline):
    systemic = baseline.targets[baseline.targets["approach"] == "systemic"]
    innovations = systemic[systemic["innovation"]]
    assert innovations["innovation_success"].mean() == pytest.approx(1 / 3, abs=0.07)
    always = run_variant({"mechanisms": {"innovation_risk": False}}, replications=2)
    assert always.targets.loc[always.targets["approach"] == "systemic", "innovation_success"].all()

    innovations = systemic[systemic["innovation"]]
    assert innovations["innovation_success"].mean() == pytest.approx(1 / 3, abs=0.07)
    always = run_variant({"mechanisms": {"innovation_risk": False}}, replications=2)
    assert always.targets.loc[always.targets["approach"] == "systemic", "innovation_success"].all()


def test_a_failed_innovation_costs_the_target_more_than_not_trying(baseline):
    # 003:739: only about a third of innovations become tangible improvements; one that fails
    # leaves the target below what an ordinary approach would have reached
    t = baseline.targets
    systemic = t[t["approach"] == "systemic"]
    failed = systemic.loc[~systemic["innovation_success"], "end_core"].mean()
    ordinary = t.loc[t["approach"].isin(["new_working", "more_of_same"]), "end_core"].mean()
    succeeded = systemic.loc[systemic["innovation_success"], "end_core"].mean()
    assert failed < 0.7 * ordinary < 0.7 * succeeded


def test_most_systemic_change_is_best_practice_and_rarely_fails():
    baseline = run_variant({"implementation": {"innovation_share": 0.25}})  # the default
    # 001:101: 'little real innovation ... ample scope for improvement by the application of best
    # practice'.
    systemic = baseline.targets[baseline.targets["approach"] == "systemic"]
    assert systemic["innovation"].mean() == pytest.approx(0.25, abs=0.05)
    best_practice = systemic[~systemic["innovation"]]
    assert best_practice["innovation_success"].mean() == pytest.approx(0.8, abs=0.05)
    all_innovation = run_variant(
        {"mechanisms": {"innovation_vs_best_practice": False}}, replications=2
    )
    t = all_innovation.targets
    assert t.loc[t["approach"] == "systemic", "innovation"].all()
    assert t.loc[t["approach"] == "systemic", "innovation_success"].mean() < 0.45


def test_systemic_change_dips_before_it_rises():
    sc = load_scenario(
        "lpsa1_baseline",
        {"mechanisms": {"late_start": False}, "implementation": {"innovation_share": 1.0}},
    )
    m = LPSAModel(sc, seed=3).run()
    traj = m.trajectory_frame()
    systemic = traj[traj["approach"] == "systemic"].set_index("quarter_from_start")[
        "mean_performance"
    ]
    assert systemic.iloc[2] < 0 < systemic.iloc[sc.scheme.implementation_quarters - 1]


def test_turnover_without_champion_lowers_attainment():
    # 001:93: turnover without a handover causes 'significant problems'; the penalty is held at
    # the top of its documented range (0.1-0.6), so the test names the mechanism's strength
    # instead of reading the calibrated one (with the penalty at 0 turnover changes nothing).
    fragile = {
        "implementation": {"handover_base": 0.0, "no_champion_penalty": 0.6},
        "authorities": {"leadership_mean": 0.05},
    }
    stable = run_variant(
        {**fragile, "authorities": {**fragile["authorities"], "turnover_rate": 0.0}}
    )
    churn = run_variant(
        {**fragile, "authorities": {**fragile["authorities"], "turnover_rate": 0.3}}
    )
    assert mean_share(churn.targets) < mean_share(stable.targets) - 0.03


def test_a_shared_story_protects_against_turnover():
    churn = {"turnover_rate": 0.3}
    weak = run_variant(
        {
            "authorities": {**churn, "leadership_mean": 0.05},
            "implementation": {"handover_base": 0.0},
        }
    )
    strong = run_variant(
        {
            "authorities": {**churn, "leadership_mean": 0.95},
            "implementation": {"handover_base": 0.0},
        }
    )
    assert mean_share(strong.targets) > mean_share(weak.targets)


def test_priority_shifts_hurt_partnership_targets_most():
    calm = run_variant({"departments": {"priority_shift_rate": 0.0}})
    turbulent = run_variant({"departments": {"priority_shift_rate": 0.2}})

    def by_partnership(res):
        return res.targets.groupby("partnership")["share_of_stretch"].mean()

    drop = by_partnership(calm) - by_partnership(turbulent)
    assert drop[True] > drop[False] > -0.01
    assert drop[True] > 0.03  # 0.043 of the stretch at run K's point, 0.011 for the rest


def test_crime_targets_are_most_exposed_to_priority_shifts():
    calm = run_variant({"departments": {"priority_shift_rate": 0.0}})
    turbulent = run_variant({"departments": {"priority_shift_rate": 0.1}})
    drop = (
        calm.targets.groupby("area")["share_of_stretch"].mean()
        - turbulent.targets.groupby("area")["share_of_stretch"].mean()
    )
    assert drop.idxmax() == "crime"


def _met_gap_within_areas(targets) -> float:
    """Met share, single-agency minus partnership targets, within each area, weighted."""
    met = targets.assign(met=targets["outcome"] == "met")
    by = met.groupby(["area", "partnership"])["met"].mean().unstack()
    n = met.groupby("area").size()
    both = by.dropna().index
    return float(((by.loc[both, False] - by.loc[both, True]) * n[both]).sum() / n[both].sum())


def test_partnership_targets_have_most_difficulty_because_of_the_partners(baseline):
    # 001:105: partnership targets are those authorities have most difficulty with; compared
    # within each area, so that hard areas that are often partnerships (crime) do not pass for it:
    # with partners who never hold back, partnership targets are no harder than the rest
    s = baseline.summary()
    assert s["partnership_met_share"] < s["single_agency_met_share"]
    assert _met_gap_within_areas(baseline.targets) > 0.05
    free = run_variant({"mechanisms": {"partnerships": False}})
    assert abs(_met_gap_within_areas(free.targets)) < 0.03


def test_late_start_lowers_attainment():
    # 000:359: 'many months' before detailed thinking. A start up to 4 quarters late (the
    # documented range is 1-6) is held here rather than read from the calibrated point.
    late = {"implementation": {"late_start_max_quarters": 4.0}}
    slow = run_variant(late)
    prompt = run_variant({**late, "mechanisms": {"late_start": False}})
    assert mean_share(prompt.targets) > mean_share(slow.targets) + 0.02


def test_cash_strapped_councils_do_more_of_the_same(baseline):
    t = baseline.targets.merge(
        baseline.authorities[["replication", "authority", "budget_climate"]],
        on=["replication", "authority"],
    )
    poor = t[t["budget_climate"] < t["budget_climate"].quantile(0.25)]
    rich = t[t["budget_climate"] > t["budget_climate"].quantile(0.75)]
    assert (poor["approach"] == "more_of_same").mean() > (
        rich["approach"] == "more_of_same"
    ).mean() + 0.1
    assert (rich["approach"] == "systemic").mean() > (poor["approach"] == "systemic").mean()


def test_cohort_targets_keep_less_of_their_gain():
    res = run_variant()
    t = res.targets[
        (res.targets["share_of_stretch"] > 0) & (approach_kind(res.targets) != "systemic_succeeded")
    ]
    kept = t.groupby("cohort").apply(
        lambda g: g["performance_3y"].sum() / g["share_of_stretch"].sum(), include_groups=False
    )
    assert kept[True] < kept[False]


def test_raised_expectations_slow_the_fall_for_visible_services_only():
    # Inspection off: otherwise visible services' ratings feed back on every target's attention.
    baseline = run_variant({"mechanisms": {"inspection": False}})
    off = run_variant({"mechanisms": {"raised_expectations": False, "inspection": False}})

    def kept_1y(res, visible: bool) -> float:
        t = res.targets[(res.targets["visible"] == visible) & (res.targets["share_of_stretch"] > 0)]
        return t["performance_1y"].sum() / t["share_of_stretch"].sum()

    assert kept_1y(baseline, True) > kept_1y(off, True) + 0.03
    assert kept_1y(baseline, False) == pytest.approx(kept_1y(off, False), abs=1e-9)


def test_corporate_drift_lowers_what_is_kept():
    rate = {"sustainability": {"corporate_drift_rate": 0.04}}  # the schema's default
    drift = run_variant(rate)
    no_drift = run_variant({**rate, "mechanisms": {"corporate_drift": False}})
    assert no_drift.summary()["retained_gain_5y"] > drift.summary()["retained_gain_5y"] + 0.01


def test_reinvesting_reward_keeps_more_of_the_gain():
    keep = run_variant({"sustainability": {"reward_reinvest_mean": 0.9}})
    spend_elsewhere = run_variant({"sustainability": {"reward_reinvest_mean": 0.02}})
    assert keep.summary()["retained_gain_5y"] > spend_elsewhere.summary()["retained_gain_5y"] + 0.02


def test_affluent_councils_keep_more_after_the_end():
    rich = run_variant({"authorities": {"budget_climate_mean": 0.85}})
    poor = run_variant({"authorities": {"budget_climate_mean": 0.15}})
    assert rich.summary()["retained_gain_5y"] > poor.summary()["retained_gain_5y"]


def test_inappropriate_stretch_lowers_effort_only_where_the_target_is_not_valued():
    # 001:77: ambition does not affect effort 'except where targets are either not a priority
    # locally or a poor measure', and national stretch stacked on aspirational targets feels 'set
    # up to fail'.
    sc = load_scenario("lpsa1_baseline")
    st = sc.stretch
    m = LPSAModel(sc, seed=5)
    tg = m.targets
    potential, morale = tg.plan.potential, tg.plan.morale
    valued = tg.traits.local_priority & (tg.traits.quality >= st.poor_measure_quality)
    too_hard = potential < st.too_hard_threshold
    too_easy = potential > st.too_easy_threshold
    fine = ~too_hard & ~too_easy
    assert morale[~valued & too_hard].max() < morale[fine].min() == 1.0
    assert morale[~valued & too_easy].max() < 1.0
    assert (morale[valued & too_easy] == 1.0).all()
    assert (morale[valued & too_hard & ~tg.traits.national] == 1.0).all()
    assert morale[valued & too_hard & tg.traits.national].max() < 1.0
    everywhere = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=5, mechanisms={"stretch_morale_selective": False}
    )
    plan = everywhere.targets.plan
    assert plan.morale[valued & too_easy].max() < 1.0


def test_local_targets_succeed_more_often_than_national(baseline):
    s = baseline.summary()
    assert s["local_met_share"] > s["national_met_share"] + 0.05


def test_missed_targets_improve_unless_a_setback_undoes_it(baseline):
    # 001:127 'in general there has been some improvement' (P4 judges it at the interim
    # forecast, as the evidence states it). By the end, setbacks the council does not control
    # (test_setbacks.py) have made some missed targets' indicators fall (at the calibrated point
    # of 2026-12-04, 42 % of missed targets still improved: a prediction, not a pattern); without
    # setbacks, the agreement's work leaves (nearly) every missed target better than it started.
    calm = run_variant({"mechanisms": {"setbacks": False}}).summary()["missed_but_improved_share"]
    assert calm > 0.9
    assert baseline.summary()["missed_but_improved_share"] < calm - 0.1


def test_transport_and_education_miss_most_environment_and_housing_succeed_most(baseline):
    missed = baseline.targets.groupby("area")["outcome"].apply(lambda o: (o == "missed").mean())
    met_share = baseline.targets.groupby("area")["outcome"].apply(lambda o: (o == "met").mean())
    assert missed["transport"] > missed.median() and missed["education"] > missed.median()
    assert min(met_share["environment"], met_share["housing"]) > met_share.median()


def test_lower_rated_councils_catch_up(baseline):
    by_rating = baseline.targets.groupby("authority_rating")["share_of_stretch"].mean()
    assert by_rating[1] > by_rating[4]
    flat = run_variant({"mechanisms": {"catch_up": False}})
    flat_by_rating = flat.targets.groupby("authority_rating")["share_of_stretch"].mean()
    assert (by_rating[1] - by_rating[4]) > (flat_by_rating[1] - flat_by_rating[4])


def test_broken_promises_cost_more_trust_than_refusals():
    common = {"ff_requests_mean": 3.0, "ff_grant_prob": 0.0}
    refused = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=1, departments={**common, "ff_broken_promise_prob": 0.0}
    ).run()
    broken = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=1, departments={**common, "ff_broken_promise_prob": 1.0}
    ).run()
    assert (
        broken.councils.trust.mean()
        < refused.councils.trust.mean()
        < load_scenario("lpsa1_baseline").authorities.initial_trust
    )
    frame = broken.authorities_frame()
    assert frame["ff_broken_promises"].sum() > 0 and frame["ff_granted"].sum() == 0


def test_negotiations_are_staggered_by_central_capacity():
    m = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=2, scheme={"negotiation_capacity": 6, "n_pilots": 20}
    )
    starts = np.bincount(m.councils.start)
    assert starts.max() <= 6 and len(np.flatnonzero(starts)) >= 150 // 6
    at_once = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=2, mechanisms={"negotiation_capacity": False}
    )
    assert len(np.unique(at_once.councils.start)) == 1


STRENGTH_WHERE_DEFAULT_IS_NO_EFFECT = {  # mechanisms shipped at no effect: test them switched on
    "reward_corporate_pull": {"implementation": {"reward_corporate_pull": 0.3}},
    "reward_risk_aversion": {"authorities": {"risk_aversion": 0.8}},
    "target_choice": {"negotiation": {"partnership_avoidance": 0.3, "easy_area_preference": 0.5}},
    "authority_learning": {"authorities": {"learning_rate": 0.02}},
}


@pytest.mark.parametrize("switch", list(Mechanisms.model_fields))
def test_every_mechanism_switch_changes_the_run(switch):
    # the calibrated baseline's corporate drift is almost nil: test at the schema's default rate
    rate = {"sustainability": {"corporate_drift_rate": 0.04}}
    rate |= STRENGTH_WHERE_DEFAULT_IS_NO_EFFECT.get(switch, {})
    on = LPSAModel.from_scenario("lpsa1_baseline", seed=11, **rate).run()
    off = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=11, mechanisms={switch: False}, **rate
    ).run()
    # materially: on average 3e-5 of the stretch or more per target and quarter (the smallest
    # switch, gaming at the threshold, moves it by about 8e-5 at the calibrated point of
    # 2026-12-04, 2e-4 before; a mechanism whose effect were shrunk a thousandfold would not pass)
    moved = np.abs(on.reported_from_start - off.reported_from_start).mean()
    assert moved > 3e-5, f"switching off {switch} changed the run by only {moved:.1e}"


# ------------------------------------------------------------------------------------------
# Model v2: mechanisms read closely from the evidence


def approach_shares(res) -> pd.Series:
    return res.targets["approach"].value_counts(normalize=True)


PPG_SHAPES_APPROACH = {"ppg_coordination_weight": 1.0, "ppg_frontline_weight": 1.0}
"""The hypothesis that how PPG is spent shapes the approach (000:347, 000:326, 000:380) at the
schema's weights: tested with the channel on (it holds) and off (it does not), not as a settled
fact about the shipped model (``mechanisms.ppg_shapes_approach``)."""


def test_ppg_on_coordination_makes_systemic_change_likelier_and_front_line_ppg_more_of_the_same():
    # 000:347: a PPG-funded post that plans and co-ordinates avoids 'more of the same'.
    def shares(coordination: float, overrides: dict | None = None) -> pd.Series:
        approach = {**PPG_SHAPES_APPROACH, "ppg_coordination_share_mean": coordination}
        return approach_shares(run_variant({**(overrides or {}), "approach": approach}))

    planners, front_line = shares(0.9), shares(0.1)
    assert planners["systemic"] > front_line["systemic"] + 0.02
    assert planners["more_of_same"] < front_line["more_of_same"] - 0.05
    off = {"mechanisms": {"ppg_shapes_approach": False}}
    pd.testing.assert_series_equal(shares(0.9, off), shares(0.1, off))


def test_a_larger_ppg_means_more_of_the_approach_it_pays_for():
    def extra_more_of_same(overrides: dict) -> float:
        rich = approach_shares(run_variant({**overrides, "funding": {"ppg_share": 0.6}}))
        poor = approach_shares(run_variant({**overrides, "funding": {"ppg_share": 0.05}}))
        return rich["more_of_same"] - poor["more_of_same"]

    # At the default split (40 % co-ordination) front-line money dominates: more of the same
    # (measured +0.07 at the schema's weights; with the mechanism off, +0.001 from who signs).
    split = {"approach": {**PPG_SHAPES_APPROACH, "ppg_coordination_share_mean": 0.4}}
    assert extra_more_of_same(split) > 0.05
    assert abs(extra_more_of_same({**split, "mechanisms": {"ppg_shapes_approach": False}})) < 0.02


def test_gains_that_ppg_paid_for_fall_back_when_the_money_stops():
    # 000:380: did PPG let councils 'buy' improvements in an unsustainable way?
    def fall_back(ppg_share: float, bought: bool) -> float:
        res = run_variant(
            {
                "funding": {"ppg_share": ppg_share},
                "mechanisms": {"ppg_bought_gains": bought},
                "sustainability": {"ppg_bought_loss": 0.8},  # the schema's default
            }
        )
        return 1.0 - res.summary()["retained_gain_3y"]

    extra_heavy = fall_back(0.6, True) - fall_back(0.6, False)
    extra_light = fall_back(0.05, True) - fall_back(0.05, False)
    assert extra_heavy > extra_light > 0.0
    # at least a point of the end gain (1.3 at the calibrated point of 2026-12-04, 2.6 before)
    assert extra_heavy > 0.01


def test_more_of_the_same_loses_its_ppg_bought_part_once_not_twice():
    # 000:93: more of the same 'is not sustainable unless a replacement for the pump priming
    # investment can be secured': its residual is what is left, so the 000:380 loss skips it.
    m = LPSAModel(load_scenario("ppg_heavy", {"sustainability": {"ppg_bought_loss": 0.8}}), seed=3)
    m.run()
    plan, end = m.targets.plan, m.targets.end
    ended = m.councils.signed[:, None] & (plan.ppg_part > 0)
    more_of_same = ended & (plan.approach == MORE_OF_SAME)
    others = ended & (plan.approach != MORE_OF_SAME)
    assert more_of_same.sum() > 50 and others.sum() > 50
    assert (end.ppg_loss[more_of_same] == 0.0).all()
    assert np.allclose(end.ppg_loss[others], 0.8 * plan.ppg_part[others])


def test_budget_cuts_during_the_agreement_lower_attainment_most_in_cash_strapped_councils():
    # 000:133, 001:135: mainstream cuts threaten attainment during the agreement too.
    harsh = {"budget": {"shock_rate": 0.3, "effort_cut": 0.3}}
    on = run_variant(harsh)
    off = run_variant({**harsh, "mechanisms": {"budget_pressure": False}})
    assert mean_share(on.targets) < mean_share(off.targets) - 0.02

    def by_climate(res) -> pd.Series:
        t = res.targets.merge(
            res.authorities[["replication", "authority", "budget_climate"]],
            on=["replication", "authority"],
        )
        poor = t["budget_climate"] < t["budget_climate"].median()
        return t.groupby(poor)["share_of_stretch"].mean()

    loss = by_climate(off) - by_climate(on)
    assert loss[True] > loss[False]


def test_a_priority_shift_raises_one_indicator_as_it_lowers_another():
    # 000:173-179: car crime to burglary moves priority between indicators of one department.
    turbulent = {"departments": {"priority_shift_rate": 0.3}}
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=4, **turbulent)
    raised = lowered = 0
    for _ in range(12):
        m.step()
        priority = m.targets.state.central_priority
        raised, lowered = raised + (priority > 1).sum(), lowered + (priority < 1).sum()
    assert raised > 0 and lowered > 0
    m = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=4, mechanisms={"priority_moves": False}, **turbulent
    )
    for _ in range(12):
        m.step()
        assert (m.targets.state.central_priority <= 1.0).all()


def test_priority_moving_rather_than_vanishing_hurts_attainment_less():
    turbulent = {"departments": {"priority_shift_rate": 0.2}}
    moves = run_variant(turbulent)
    only_falls = run_variant({**turbulent, "mechanisms": {"priority_moves": False}})
    assert mean_share(moves.targets) > mean_share(only_falls.targets)


def test_promises_are_broken_during_implementation_and_the_lost_trust_lowers_effort():
    # 001:81: failure to deliver on commitments damaged improvement more than refusals.
    common = {"ff_requests_mean": 3.0, "ff_grant_prob": 0.0}

    def run(broken: float, over_time: bool = True, effect: float = 0.8) -> LPSAModel:
        return LPSAModel.from_scenario(
            "lpsa1_baseline",
            seed=1,
            departments={**common, "ff_broken_promise_prob": broken, "trust_effort_effect": effect},
            mechanisms={"freedoms_over_time": over_time, "participation": False},
        ).run()

    kept, broken = run(0.0), run(1.0)
    # Signed on trust that did not yet know: a promise costs nothing at signing ...
    at_signing_broken, at_signing_kept = (
        broken.councils.trust_at_signing,
        kept.councils.trust_at_signing,
    )
    assert (at_signing_broken >= at_signing_kept).all()
    assert at_signing_broken.mean() > at_signing_kept.mean()
    # ... and is broken during implementation, which lowers effort.
    assert broken.councils.trust.mean() < kept.councils.trust.mean()
    assert np.nanmean(broken.effort_mean) < np.nanmean(kept.effort_mean) - 0.005
    at_signing = run(1.0, over_time=False)
    assert at_signing.councils.trust_at_signing.mean() < kept.councils.trust_at_signing.mean()
    # Settled at signing (the first model's reading), lost trust never touches effort.
    no_effect = run(1.0, over_time=False, effect=0.0)
    assert np.array_equal(at_signing.effort_mean, no_effect.effort_mean, equal_nan=True)


def test_the_twins_councils_do_business_as_usual_work_which_is_deadweight():
    # 001:133, 000:230: some of the improvement would have happened anyway.
    def deadweight(effort: float, on: bool = True) -> float:
        res = run_variant(
            {
                "attribution": {"business_as_usual_effort": effort},
                "mechanisms": {"business_as_usual": on},
            },
            replications=3,
            twins=True,
        )
        return res.summary()["deadweight_share"]

    assert deadweight(0.4) > deadweight(0.1) + 0.1 > deadweight(0.1, on=False) + 0.1


def test_every_run_rates_every_council_every_year():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=3).run()
    r = m.ratings_frame()
    years = m.n_quarters // 4
    assert len(r) == m.councils.size * years
    assert r["rating"].between(1, 4).all()
    assert set(r["year"]) == set(range(2001, 2001 + years))
    assert set(r.groupby("year")["authority"].nunique()) == {m.councils.size}


def test_some_councils_rise_and_some_fall_a_star_each_year():
    # 003:418: 25 councils rose and 16 fell in one year in adult social care.
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=3).run()
    r = m.ratings_frame()
    per_year = r.groupby("year")["moved"].agg(
        rise=lambda x: (x > 0).mean(), fall=lambda x: (x < 0).mean()
    )
    assert (per_year["rise"] > 0).all() and (per_year["fall"] > 0).all()
    s = m.summary()
    assert s["rating_rise_share"] > s["rating_fall_share"] > 0


def test_a_low_or_falling_rating_slows_the_fall_back():
    # 003:203: external stimuli 'as a safeguard against slipping back'.
    on = run_variant({"inspection": {"attention_decay_slowdown": 0.6}})
    off = run_variant({"mechanisms": {"inspection": False}})
    assert on.summary()["retained_gain_5y"] > off.summary()["retained_gain_5y"]


def test_default_councils_are_englands():
    # 150 upper-tier councils of four types, about 49.1 million people in 2001; 144 signed.
    sc = load_scenario("lpsa1_baseline")
    totals, signed = [], []
    for seed in range(8):
        m = LPSAModel(sc, seed=seed)
        assert m.councils.size == 150
        assert sorted(np.bincount(m.councils.kind)) == sorted([34, 47, 36, 33])
        totals.append(m.councils.population.sum())
        signed.append(m.councils.signed.sum())
    assert np.mean(totals) == pytest.approx(49.1e6, rel=0.10)
    assert np.mean(signed) == pytest.approx(144, abs=4)
    medians = LPSAModel.from_scenario("lpsa1_baseline", seed=0, mechanisms={"council_sizes": False})
    c = medians.councils
    assert all(np.unique(c.population[c.kind == k]).size == 1 for k in range(4))
    assert c.population.sum() == pytest.approx(49.1e6, rel=0.15)


def test_reward_crowds_out_the_motivation_of_staff_who_work_for_outcomes():
    # 001:77, 003:496: knights treated as knaves.
    heavy = {"funding": {"ppg_share": 0.05}, "implementation": {"reward_crowding_out": 0.1}}
    crowded = run_variant(heavy)
    spared = run_variant({**heavy, "mechanisms": {"motivation_crowding": False}})
    # by at least two points of the stretch (measured 5.1): a crowding-out shrunk a thousandfold
    # would not pass
    assert mean_share(crowded.targets) < mean_share(spared.targets) - 0.02


def test_untargeted_services_lose_a_little_while_targets_gain():
    # 001:95: diversion happened, but 'does not generally seem to have been significant'.
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=2)
    lowest = 0.0
    while m.running:
        m.step()
        lowest = min(lowest, m.councils.other_services[m.councils.signed].mean())
    assert -0.2 < lowest < 0.0
    assert lowest < m.councils.other_services[m.councils.signed].mean() <= 0.0  # recovers after
    off = LPSAModel.from_scenario("lpsa1_baseline", seed=2, mechanisms={"diversion": False}).run()
    assert (off.councils.other_services == 0).all()
    # Without an agreement nothing is diverted, whatever attention ratings draw.
    twin = LPSAModel(twin_scenario(m.params), seed=2).run()
    assert (twin.councils.other_services == 0).all()


def test_councils_that_build_the_agreement_into_their_improvement_agenda_keep_more():
    # 004 (Kent, Middlesbrough), 000:189-208. Integrated councils have more leadership, so they
    # keep a little more even when integration itself does nothing: compare with that case.
    def integrated_keep_more(overrides: dict) -> float:
        res = run_variant(overrides)
        assert 0.05 < res.authorities["integrated"].mean() < 0.6
        t = res.targets[res.targets["share_of_stretch"] > 0]
        kept = t.groupby("integrated").apply(
            lambda g: g["performance_3y"].sum() / g["share_of_stretch"].sum(), include_groups=False
        )
        return kept[True] - kept[False]

    # The strength is held at 0.4, inside its documented range (0.1-0.5), not read from the
    # calibrated point.
    effect = {"sustainability": {"integration_keep": 0.4}}
    no_effect = {"sustainability": {"integration_keep": 0.0, "integration_drift_protection": 0.0}}
    assert integrated_keep_more(effect) > integrated_keep_more(no_effect) + 0.05
    off = run_variant({"mechanisms": {"improvement_agenda": False}}, replications=2)
    assert not off.authorities["integrated"].any()
