"""Attribution and gaming: counterfactual twins share random streams; reported versus true
performance."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_variant

from lpsa.model import LPSAModel, load_scenario
from lpsa.model.counterfactual import TWIN_OVERRIDES, twin_scenario
from lpsa.model.outputs import performance_after_end

GAMING_OFF = {
    "gaming_threshold": False,
    "gaming_cohort": False,
    "gaming_presentation": False,
    "gaming_ratchet": False,
}


def test_a_run_with_all_agreement_levers_at_zero_equals_its_twin_exactly():
    sc = load_scenario("lpsa1_baseline")
    levers_at_zero = LPSAModel(load_scenario("lpsa1_baseline", TWIN_OVERRIDES), seed=21).run()
    twin = LPSAModel(twin_scenario(sc), seed=21).run()
    assert np.array_equal(levers_at_zero.reported_from_start, twin.reported_from_start)
    assert np.array_equal(levers_at_zero.true_from_start, twin.true_from_start)


def test_twin_shares_councils_shocks_and_priority_shifts_with_the_factual_run():
    sc = load_scenario("lpsa1_baseline")
    factual = LPSAModel(sc, seed=22).run()
    twin = LPSAModel(twin_scenario(sc), seed=22).run()
    assert np.array_equal(factual.councils.population, twin.councils.population)
    assert np.array_equal(factual.targets.traits.area, twin.targets.traits.area)
    assert np.array_equal(factual.targets.state.shock, twin.targets.state.shock)
    assert np.array_equal(
        factual.targets.state.central_priority, twin.targets.state.central_priority
    )
    assert np.array_equal(factual.targets.state.background, twin.targets.state.background)
    assert np.array_equal(factual.targets.plan.usual_effort, twin.targets.plan.usual_effort)


def test_the_twins_councils_do_business_as_usual_work_less_than_the_agreements():
    """The twin's councils work on the services anyway (001:133, 000:230): business-as-usual effort
    and nothing more, less than the agreement's; with ``business_as_usual`` off (and inspection's
    attention off) the twin does no work on the targets at all."""
    sc = load_scenario("lpsa1_baseline")
    factual = LPSAModel(sc, seed=23).run()
    twin = LPSAModel(twin_scenario(sc), seed=23).run()
    assert twin.reward_paid.sum() == 0 and twin.ppg_paid.sum() == 0
    usual = twin.targets.plan.usual_effort
    assert (usual > 0).all()
    assert np.array_equal(twin.targets.plan.base_effort, usual)  # no agreement effort on top
    assert twin.targets.end.core.mean() > 0
    signed = factual.councils.signed
    agreement = factual.targets.plan.base_effort[signed]
    assert (agreement >= usual[signed]).all() and agreement.mean() > usual[signed].mean()
    assert factual.targets.end.core[signed].mean() > twin.targets.end.core[signed].mean()

    off = {"mechanisms": {"business_as_usual": False, "inspection": False}}
    idle = LPSAModel(twin_scenario(load_scenario("lpsa1_baseline", off)), seed=23).run()
    assert np.all(idle.targets.plan.usual_effort == 0.0)
    assert np.all(idle.targets.state.core == 0.0)


def test_deadweight_comes_from_national_pushes_and_normal_work_and_grows_with_them():
    # Setbacks (external events) hit the twin too and can make the mean deadweight negative (at
    # the calibrated point of 2026-12-04 it was -0.12 of the stretch): what the agreement's work
    # and national pushes leave is judged with them off. How large deadweight is against
    # additionality is not a mechanism but the calibrated point's answer (001:133 says outcomes
    # were 'strongly influenced by external factors'): at run K's point, with business as usual
    # at 0.39 of full effort and the unprojected trend at 1.7, deadweight is 0.60 of the stretch
    # and additionality 0.34. The test holds both sources at stated values.
    res = run_variant({"mechanisms": {"setbacks": False}}, twins=True, replications=3)
    s = res.summary()
    assert 0 < s["deadweight_mean"] and 0 < s["additionality_mean"]
    more = {"attribution": {"business_as_usual_effort": 0.4, "unprojected_trend": 2.0}}
    less = {"attribution": {"business_as_usual_effort": 0.0, "unprojected_trend": 0.5}}
    heavy = run_variant({**more, "mechanisms": {"setbacks": False}}, twins=True, replications=3)
    light = run_variant({**less, "mechanisms": {"setbacks": False}}, twins=True, replications=3)
    assert heavy.summary()["deadweight_mean"] > light.summary()["deadweight_mean"] + 0.1
    assert light.summary()["deadweight_mean"] < light.summary()["additionality_mean"]
    pushed = res.targets.groupby("area")["deadweight"].mean()
    assert (
        pushed["environment"] > pushed["transport"]
    )  # waste policy pushes, transport has no national push
    with_setbacks = run_variant(twins=True, replications=3).summary()
    assert with_setbacks["deadweight_mean"] < s["deadweight_mean"]
    without_trend = run_variant(
        {"mechanisms": {"background_trend": False, "setbacks": False}}, twins=True, replications=3
    )
    # the rest of the deadweight is the councils' normal work (and inspection's attention), which
    # the twin does too
    assert without_trend.summary()["deadweight_mean"] > 0.1
    # setbacks (external events) lower the twin's outcome too: with them off, nothing is left
    nothing_anyway = {
        "background_trend": False,
        "business_as_usual": False,
        "inspection": False,
        "setbacks": False,
    }
    without_any = run_variant({"mechanisms": nothing_anyway}, twins=True, replications=3)
    assert without_any.summary()["deadweight_mean"] == pytest.approx(0.0, abs=0.02)


def test_once_the_agreements_own_gain_is_gone_a_target_is_back_on_its_no_agreement_path():
    """After the end normal work keeps what business as usual built (``quarter.sustain``), so an
    agreement that keeps nothing of its own gain leaves each target on its no-agreement twin's
    path, not below it. Here nothing of the agreement's own part is kept (no persistence, no
    residuals, no continuation funding, no integration) and it is lost in the first quarter after
    the end (decay rate 1); inspection and learning are off, so both worlds work alike."""
    overrides = dict(
        scheme__n_authorities=40,
        mechanisms__inspection=False,
        mechanisms__authority_learning=False,
        mechanisms__improvement_agenda=False,
        mechanisms__systemic_persistence=False,
        mechanisms__reward_reinvestment=False,
        mechanisms__raised_expectations=False,
        sustainability__more_of_same_residual=0.0,
        sustainability__failed_innovation_residual=0.0,
        sustainability__continuation_cash_strapped=0.0,
        sustainability__continuation_affluent=0.0,
        sustainability__decay_rate_more_of_same=1.0,
        sustainability__decay_rate_new_working=1.0,
    )
    factual = LPSAModel("lpsa1_baseline", seed=5, **overrides).run()
    twin = LPSAModel(twin_scenario(factual.params), seed=5).run()
    signed = factual.councils.signed
    assert signed.sum() > 30
    ended = factual.targets.end.core[signed]
    for years in (1, 3, 5):
        f = performance_after_end(factual, years, true=True)[signed]
        t = performance_after_end(twin, years, true=True)[signed]
        assert np.abs(f - t).max() < 1e-12
    assert (ended > factual.targets.end.usual_core[signed] + 0.05).mean() > 0.5  # it had gained
    # and that path is what business as usual built: the twin keeps all of its own end core
    # (partnership targets also move with their partners' effort, in both worlds alike)
    single = signed[:, None] & ~factual.targets.traits.partnership
    twin_end = twin.targets.end.core[single]
    assert np.abs(twin.targets.state.core[single] - twin_end).max() < 1e-12
    assert np.abs(factual.targets.state.core[single] - twin_end).max() < 1e-12
    assert twin_end.mean() > 0.1


def test_the_no_agreement_twin_innovates_nothing_so_its_normal_work_never_dips():
    """An innovation's dip (003:739) comes with the new way of working the agreement brought; the
    twin has none, so however deep and long the factual run's dip, the twin's path is the same
    quarter by quarter. (That the factual run's ``usual_core`` follows the twin through the dip is
    ``test_once_the_agreements_own_gain_is_gone_a_target_is_back_on_its_no_agreement_path``.)"""
    deep = {"implementation": {"dip_quarters": 4, "dip_depth": 0.5}}
    none = {"implementation": {"dip_quarters": 0}}
    twins = [
        LPSAModel(twin_scenario(load_scenario("lpsa1_baseline", o)), seed=3) for o in (deep, none)
    ]
    factuals = [LPSAModel(load_scenario("lpsa1_baseline", o), seed=3) for o in (deep, none)]
    assert (factuals[0].targets.plan.innovation & factuals[0].councils.signed[:, None]).sum() > 20
    for model in (*twins, *factuals):
        model.run()
    assert np.array_equal(twins[0].true_from_start, twins[1].true_from_start)
    assert factuals[0].targets.end.core.mean() < factuals[1].targets.end.core.mean() - 0.01


def test_additionality_falls_back_after_the_end():
    s = run_variant(twins=True, replications=3).summary()
    assert s["additionality_retained_5y"] < s["additionality_retained_1y"] < 1.0


def test_gaming_raises_measured_above_true_only_when_switched_on():
    honest = run_variant({"mechanisms": GAMING_OFF}, replications=3)
    assert np.array_equal(
        honest.targets["share_of_stretch"], honest.targets["true_share_of_stretch"]
    )
    gamed = run_variant({"gaming": {"propensity": 0.5}}, replications=3)
    assert gamed.summary()["reporting_gap_mean"] > 0.01
    assert (gamed.targets["reporting_gap"] >= -1e-12).all()


def test_gaming_grows_as_audit_pressure_falls():
    gaps = [
        run_variant({"gaming": {"audit_pressure": p}}, replications=3).summary()[
            "reporting_gap_mean"
        ]
        for p in (0.9, 0.5, 0.1)
    ]
    assert gaps[0] < gaps[1] < gaps[2]


def test_threshold_gaming_bunches_reported_figures_just_over_the_payout_floor():
    only_threshold = {**GAMING_OFF, "gaming_threshold": True}
    t = run_variant(
        {"mechanisms": only_threshold, "gaming": {"audit_pressure": 0.0, "propensity": 3.0}},
        replications=3,
    ).targets
    nudged = t[t["reporting_gap"] > 0]
    assert len(nudged) > 0
    assert nudged["share_of_stretch"].between(0.6, 0.6 + 1e-6).all()
    assert (nudged["true_share_of_stretch"] >= 0.5 - 1e-9).all()


def test_the_ratchet_holds_true_performance_back_once_the_stretch_is_met():
    ratchet = run_variant(
        {"mechanisms": {**GAMING_OFF, "gaming_ratchet": True}, "gaming": {"audit_pressure": 0.0}},
        replications=3,
    )
    none = run_variant(
        {"mechanisms": GAMING_OFF, "gaming": {"audit_pressure": 0.0}}, replications=3
    )
    assert (
        ratchet.targets["true_share_of_stretch"].mean()
        < none.targets["true_share_of_stretch"].mean()
    )


def test_the_reporting_gap_fades_after_the_end():
    t = run_variant(replications=2).targets
    gap_5y = (t["performance_5y"] - t["true_performance_5y"]).mean()
    assert gap_5y < 0.05 * t["reporting_gap"].mean() + 1e-9
