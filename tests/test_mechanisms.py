"""Each mechanism pushes outcomes in the direction the evidence describes, and can be switched off.

Variants run on common random numbers (same seeds), so differences come from the lever alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run_variant

from model import LPSAModel, load_scenario
from model.outputs import approach_kind, retained_by_approach
from model.scenario import Mechanisms


def met(res) -> float:
    return res.summary()["targets_met_share"]


def mean_share(targets: pd.DataFrame) -> float:
    return float(targets["share_of_stretch"].mean())


def test_more_ppg_raises_attainment():
    ppg_heavy = run_variant({"funding": {"ppg_share": 0.6}})
    reward_heavy = run_variant({"funding": {"ppg_share": 0.05}})
    assert met(ppg_heavy) > met(reward_heavy) + 0.03


def test_the_money_split_matters_only_through_its_named_channels():
    # PPG enables; reward draws councils in, adds a little will, is partly reinvested and invites
    # gaming.
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


def test_more_of_the_same_gains_fall_back_after_ppg_ends(baseline):
    kept = retained_by_approach(baseline.targets)["retained_gain_3y"]
    assert kept["more_of_same"] < kept["new_working"] < kept["systemic_succeeded"]
    assert kept["more_of_same"] < 0.5


def test_successful_systemic_change_persists(baseline):
    kept = retained_by_approach(baseline.targets)
    assert kept.loc["systemic_succeeded", "retained_gain_5y"] == pytest.approx(1.0, abs=0.1)


def test_systemic_gains_fall_back_when_persistence_is_switched_off(baseline):
    off = run_variant({"mechanisms": {"systemic_persistence": False}})
    on_kept = retained_by_approach(baseline.targets).loc["systemic_succeeded", "retained_gain_5y"]
    off_kept = retained_by_approach(off.targets).loc["systemic_succeeded", "retained_gain_5y"]
    assert off_kept < on_kept - 0.2


def test_about_one_in_three_innovations_succeed(baseline):
    systemic = baseline.targets[baseline.targets["approach"] == "systemic"]
    assert systemic["innovation_success"].mean() == pytest.approx(1 / 3, abs=0.05)
    always = run_variant({"mechanisms": {"innovation_risk": False}}, replications=2)
    assert always.targets.loc[always.targets["approach"] == "systemic", "innovation_success"].all()


def test_systemic_change_dips_before_it_rises():
    sc = load_scenario("lpsa1_baseline", {"mechanisms": {"late_start": False}})
    m = LPSAModel(sc, seed=3).run()
    traj = m.trajectory_frame()
    systemic = traj[traj["approach"] == "systemic"].set_index("quarter_from_start")[
        "mean_performance"
    ]
    assert systemic.iloc[2] < 0 < systemic.iloc[sc.scheme.implementation_quarters - 1]


def test_turnover_without_champion_lowers_attainment():
    fragile = {"implementation": {"handover_base": 0.0}, "authorities": {"leadership_mean": 0.05}}
    stable = run_variant(
        {**fragile, "authorities": {**fragile["authorities"], "turnover_rate": 0.0}}
    )
    churn = run_variant(
        {**fragile, "authorities": {**fragile["authorities"], "turnover_rate": 0.3}}
    )
    assert mean_share(churn.targets) < mean_share(stable.targets) - 0.05


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
    assert drop[True] > 0.05


def test_crime_targets_are_most_exposed_to_priority_shifts():
    calm = run_variant({"departments": {"priority_shift_rate": 0.0}})
    turbulent = run_variant({"departments": {"priority_shift_rate": 0.1}})
    drop = (
        calm.targets.groupby("area")["share_of_stretch"].mean()
        - turbulent.targets.groupby("area")["share_of_stretch"].mean()
    )
    assert drop.idxmax() == "crime"


def test_partnership_targets_have_most_difficulty(baseline):
    s = baseline.summary()
    assert s["partnership_met_share"] < s["single_agency_met_share"]


def test_late_start_lowers_attainment(baseline):
    prompt = run_variant({"mechanisms": {"late_start": False}})
    assert mean_share(prompt.targets) > mean_share(baseline.targets) + 0.02


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


def test_raised_expectations_slow_the_fall_for_visible_services_only(baseline):
    off = run_variant({"mechanisms": {"raised_expectations": False}})

    def kept_1y(res, visible: bool) -> float:
        t = res.targets[(res.targets["visible"] == visible) & (res.targets["share_of_stretch"] > 0)]
        return t["performance_1y"].sum() / t["share_of_stretch"].sum()

    assert kept_1y(baseline, True) > kept_1y(off, True) + 0.03
    assert kept_1y(baseline, False) == pytest.approx(kept_1y(off, False), abs=1e-9)


def test_corporate_drift_lowers_what_is_kept(baseline):
    no_drift = run_variant({"mechanisms": {"corporate_drift": False}})
    assert no_drift.summary()["retained_gain_5y"] > baseline.summary()["retained_gain_5y"] + 0.01


def test_reinvesting_reward_keeps_more_of_the_gain():
    keep = run_variant({"sustainability": {"reward_reinvest_mean": 0.9}})
    spend_elsewhere = run_variant({"sustainability": {"reward_reinvest_mean": 0.02}})
    assert keep.summary()["retained_gain_5y"] > spend_elsewhere.summary()["retained_gain_5y"] + 0.02


def test_affluent_councils_keep_more_after_the_end():
    rich = run_variant({"authorities": {"budget_climate_mean": 0.85}})
    poor = run_variant({"authorities": {"budget_climate_mean": 0.15}})
    assert rich.summary()["retained_gain_5y"] > poor.summary()["retained_gain_5y"]


def test_inappropriate_stretch_lowers_effort():
    sc = load_scenario("lpsa1_baseline")
    m = LPSAModel(sc, seed=5)
    m.run()
    tg = m.targets
    signed = m.auth.signed[:, None] & np.ones(tg.shape, dtype=bool)
    too_hard = signed & (tg.potential < sc.stretch.too_hard_threshold)
    fine = (
        signed
        & (tg.potential >= sc.stretch.too_hard_threshold)
        & (tg.potential <= sc.stretch.too_easy_threshold)
    )
    assert tg.morale[too_hard].max() < tg.morale[fine].min()


def test_local_targets_succeed_more_often_than_national(baseline):
    s = baseline.summary()
    assert s["local_met_share"] > s["national_met_share"] + 0.05


def test_even_missed_targets_mostly_improve(baseline):
    assert baseline.summary()["missed_but_improved_share"] > 0.8


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
        broken.auth.trust.mean()
        < refused.auth.trust.mean()
        < load_scenario("lpsa1_baseline").authorities.initial_trust
    )
    frame = broken.authorities_frame()
    assert frame["ff_broken_promises"].sum() > 0 and frame["ff_granted"].sum() == 0


def test_negotiations_are_staggered_by_central_capacity():
    m = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=2, scheme={"negotiation_capacity": 6, "n_pilots": 20}
    )
    starts = np.bincount(m.auth.start)
    assert starts.max() <= 6 and len(np.flatnonzero(starts)) >= 130 // 6
    at_once = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=2, mechanisms={"negotiation_capacity": False}
    )
    assert len(np.unique(at_once.auth.start)) == 1


@pytest.mark.parametrize("switch", list(Mechanisms.model_fields))
def test_every_mechanism_switch_changes_the_run(switch):
    on = LPSAModel.from_scenario("lpsa1_baseline", seed=11).run()
    off = LPSAModel.from_scenario("lpsa1_baseline", seed=11, mechanisms={switch: False}).run()
    assert not np.array_equal(on.history, off.history), f"switching off {switch} changed nothing"
