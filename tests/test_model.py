"""The model as a whole: scheme rules for money and attainment, lifecycle, reproducibility."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from lpsa.model import LPSAModel, load_scenario
from lpsa.model.councils import Authority
from lpsa.model.departments import Department
from lpsa.model.funding import payout_share
from lpsa.model.lifecycle import FINISHED, NOT_SIGNED, PHASES
from lpsa.model.partners import Partner
from lpsa.model.scenario import FundingParams
from lpsa.model.targets import classify_attainment


def test_same_scenario_and_seed_give_identical_outputs():
    a = LPSAModel.from_scenario("lpsa1_baseline", seed=42).run()
    b = LPSAModel.from_scenario("lpsa1_baseline", seed=42).run()
    assert np.array_equal(a.reported_from_start, b.reported_from_start)
    pd.testing.assert_frame_equal(a.targets_frame(), b.targets_frame())
    pd.testing.assert_frame_equal(a.quarters_frame(), b.quarters_frame())


def test_different_seeds_give_different_runs():
    a = LPSAModel.from_scenario("lpsa1_baseline", seed=1).run()
    b = LPSAModel.from_scenario("lpsa1_baseline", seed=2).run()
    assert not np.array_equal(a.reported_from_start, b.reported_from_start)


def test_scenarios_share_random_numbers_on_the_same_seed():
    heavy = LPSAModel.from_scenario("ppg_heavy", seed=9)
    light = LPSAModel.from_scenario("reward_heavy", seed=9)
    assert np.array_equal(heavy.councils.population, light.councils.population)
    assert np.array_equal(heavy.targets.traits.area, light.targets.traits.area)
    assert np.array_equal(heavy.councils.start, light.councils.start)


def test_ppg_is_a_flat_sum_plus_an_amount_per_head_and_reward_a_share_of_budget():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=3)
    assert m.councils.ppg == pytest.approx(750_000 + 1.0 * m.councils.population)
    assert m.councils.max_reward == pytest.approx(0.025 * m.councils.nbr)
    assert 0.8e6 < m.councils.ppg.mean() < 2.1e6


def test_payout_is_pro_rata_capped_and_zero_below_the_floor():
    f = FundingParams()
    assert payout_share(np.array([0.59, 0.6, 0.8, 1.0, 1.4]), f) == pytest.approx(
        [0, 0.6, 0.8, 1.0, 1.0]
    )


def test_attainment_classes_follow_the_payout_rule():
    assert list(classify_attainment(np.array([1.2, 1.0, 0.75, 0.6, 0.3, -0.1]), 0.6)) == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]


def test_reward_paid_equals_the_targets_payouts_after_the_end():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=4).run()
    t = m.targets_frame()
    expected = (
        t["max_reward_gbp"] * payout_share(t["share_of_stretch"].to_numpy(), m.params.funding)
    ).sum()
    assert m.reward_paid.sum() == pytest.approx(expected)
    first_paid = np.flatnonzero(m.reward_paid)[0]
    assert first_paid >= m.councils.end[m.councils.signed].min()


def test_lifecycle_runs_negotiation_implementation_then_five_years_follow_up():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=5).run()
    q = m.quarters_frame()
    assert q["councils_negotiation"].iloc[0] > 0
    assert q["councils_implementation"].max() > 0
    phases = m.phase_codes(m.n_quarters - 1)
    assert set(np.unique(phases)) <= {PHASES.index("follow_up"), FINISHED, NOT_SIGNED}
    assert m.n_quarters >= m.councils.start.max() + 12 + 20


def test_eight_quarter_agreements_are_allowed():
    m = LPSAModel.from_scenario(
        "lpsa1_baseline", seed=6, scheme={"implementation_quarters": 8}
    ).run()
    assert (m.councils.end - m.councils.start == 8).all()


def test_performance_falls_after_the_end_but_not_to_zero(baseline):
    traj = (
        baseline.trajectory[baseline.trajectory["approach"] == "all"]
        .groupby("quarter_from_end")["mean_performance"]
        .mean()
    )
    assert traj.loc[-1] > traj.loc[19] > 0.2


def test_summary_has_the_documented_columns(baseline):
    s = baseline.summary()
    for col in [
        "scenario",
        "replications",
        "targets_met_share",
        "targets_partly_share",
        "targets_missed_share",
        "local_met_share",
        "national_met_share",
        "ppg_spent",
        "reward_paid",
        "reward_paid_share",
        "retained_gain_1y",
        "retained_gain_3y",
        "retained_gain_5y",
    ]:
        assert col in s
    assert s["targets_met_share"] + s["targets_partly_share"] + s[
        "targets_missed_share"
    ] == pytest.approx(1.0)
    assert 0 < s["reward_paid_share"] < 1


def test_large_populations_scale(tmp_path):
    m = LPSAModel(
        load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 1000}}), seed=1
    ).run()
    assert m.targets.shape == (1000, 12) and np.isfinite(m.reported_from_start).all()


def test_authority_agents_read_through_to_the_arrays():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=8)
    councils = list(m.agents_by_type[Authority])
    assert [c.index for c in councils] == list(range(m.councils.size))
    council = councils[3]
    assert council.population == m.councils.population[3]
    assert council.authority_type in ("county", "unitary", "metropolitan", "london")
    assert council.phase == "negotiation"
    departments = list(m.agents_by_type[Department])
    assert [d.engagement for d in departments] == list(m.departments.engagement)
    partners = list(m.agents_by_type[Partner])
    assert [p.authority for p in partners] == list(m.partners.council)
    assert len(m.agents) == len(councils) + len(departments) + len(partners)
    assert len(departments) == m.departments.engagement.size and len(partners) == m.partners.size


def test_stepping_past_the_end_changes_nothing():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=9).run()
    before = m.reported_from_start.copy()
    m.step()
    assert (
        not m.running
        and m.quarter == m.n_quarters
        and np.array_equal(before, m.reported_from_start)
    )


def test_after_the_run_every_council_has_its_own_phase():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=3, scheme={"n_authorities": 30})
    m.run()
    after = m.phase_codes()
    assert after.shape == (30,)
    assert set(np.unique(after)) <= {PHASES.index("finished"), PHASES.index("not_signed")}
    assert (after[m.councils.signed] == PHASES.index("finished")).all()


def test_keyword_parameters_build_the_model_a_mesa_user_would_write():
    m = LPSAModel(funding__ppg_share=0.3, seed=1)
    assert m.params.funding.ppg_share == 0.3 and m.params.name == "lpsa1_baseline"
    same = LPSAModel.from_scenario("lpsa1_baseline", seed=1, funding={"ppg_share": 0.3})
    assert m.params == same.params


def test_mesa_batch_run_runs_a_small_grid_and_returns_each_runs_outcomes():
    rows = mesa.batch_run(
        LPSAModel,
        parameters={"funding__ppg_share": [0.1, 0.9], "scheme__n_authorities": 12, "seed": 4},
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert [r["funding__ppg_share"] for r in rows] == [0.1, 0.9]
    for row in rows:
        m = LPSAModel(
            funding__ppg_share=row["funding__ppg_share"], scheme__n_authorities=12, seed=4
        ).run()
        assert row["quarter"] == m.n_quarters  # the last quarter, collected once the run ended
        assert row["targets_met_share"] == m.summary()["targets_met_share"]
        assert row["ppg_paid_gbp"] == m.ppg_paid.sum()
    assert rows[0]["ppg_paid_gbp"] < rows[1]["ppg_paid_gbp"]


def test_the_datacollector_has_a_row_per_quarter_stepped_and_outcomes_once_ended():
    m = LPSAModel(scheme__n_authorities=12, seed=2)
    while m.running:
        m.step()
    frame = m.datacollector.get_model_vars_dataframe()
    assert list(frame["quarter"]) == list(range(1, m.n_quarters + 1))
    assert frame["targets_met_share"].iloc[:-1].isna().all()
    assert frame["targets_met_share"].iloc[-1] == m.summary()["targets_met_share"]
    assert (frame["implementing"] > 0).any() and (frame["following_up"] > 0).any()
