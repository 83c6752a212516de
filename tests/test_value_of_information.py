"""What would settle it (issue 26, item 4) and the conditional answer (item 3), on constructed
worlds: pure functions, no runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lpsa.experiments import compare, compare_report
from lpsa.experiments.value_of_information import (
    best_split,
    bins_for,
    conditional_answer,
    rank_unknowns,
)

NAMES = ("ppg_heavy", "reward_heavy")
SHARE = "approach.ppg_coordination_share_mean"  # how councils spend PPG: a lever's unknown


def constructed_worlds(n: int = 60, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """Worlds where A (PPG-heavy) leaves more added improvement when councils spend more than
    half of PPG on co-ordination and B (reward-heavy) otherwise; two parameters that do not
    matter."""
    rng = np.random.default_rng(seed)
    params = pd.DataFrame(
        {
            SHARE: rng.uniform(0.2, 0.7, n),
            "authorities.will_mean": rng.uniform(0.3, 0.7, n),
            "sustainability.corporate_drift_rate": rng.uniform(0.0, 0.1, n),
        }
    )
    difference = 0.2 * (params[SHARE].to_numpy() - 0.5) + rng.normal(0, 0.005, n)
    return params, difference


def test_the_unknown_that_decides_the_winner_ranks_first_and_the_others_do_not_matter():
    params, difference = constructed_worlds()
    ranked = rank_unknowns(params, difference, "additionality_3y_mean", seed=1)
    assert ranked["parameter"].iloc[0] == SHARE
    top = ranked.iloc[0]
    assert top["matters"] and top["evppi"] > 2 * top["evppi_chance"]
    assert top["variance_share"] > 0.8
    others = ranked.iloc[1:]
    assert not others["matters"].any() and (others["evppi_excess"] == 0).all()


def test_evppi_is_the_gain_from_choosing_by_the_unknown_over_choosing_once():
    # Two equal halves: A better by 3 above, B better by 1 below. Choosing A everywhere is worth
    # (3 - 1) / 2 = 1 against B; choosing by x, 3 / 2 = 1.5: knowing x is worth 0.5.
    x = np.arange(20, dtype=float)
    d = np.where(x >= 10, 3.0, -1.0)
    ranked = rank_unknowns(pd.DataFrame({"x": x}), d, "retained_gain_3y", seed=0, bins=2)
    assert ranked.loc[0, "evppi"] == 0.5


def test_lower_is_better_outcomes_count_a_negative_difference_for_a():
    x = np.arange(20, dtype=float)
    d = np.where(x >= 10, 1.0, -1.0)
    split = best_split(x, d, "targets_missed_share", "x")
    assert (split.above, split.below) == ("B", "A")


def test_compare_states_a_conditional_answer_up_front_if_ppg_buys_co_ordination_otherwise_reward():
    params, difference = constructed_worlds()
    outcome = "additionality_3y_mean"
    ranked = rank_unknowns(params, difference, outcome, seed=1)
    split = conditional_answer(params, difference, outcome, ranked)
    assert split is not None and split.parameter == SHARE
    assert (split.above, split.below) == ("A", "B") and abs(split.threshold - 0.5) < 0.05
    sentence = compare_report.conditional_sentence(split, outcome, NAMES)
    assert sentence.startswith(
        "Conditional answer on added improvement still there 3 years on: ppg_heavy if the mean "
        "share of a council's PPG spent on posts that plan, re-engineer and co-ordinate"
    )
    assert "is above about 0.5" in sentence and "otherwise reward_heavy" in sentence
    assert "a PPG condition can require it (`funding.ppg_coordination_min`)" in sentence


def test_no_conditional_answer_where_one_regime_wins_everywhere():
    params, difference = constructed_worlds()
    everywhere = np.abs(difference) + 0.01
    outcome = "additionality_3y_mean"
    ranked = rank_unknowns(params, everywhere, outcome, seed=1)
    assert not ranked["matters"].any()
    assert conditional_answer(params, everywhere, outcome, ranked) is None


def test_comparison_md_opens_with_the_readings_and_ranks_the_unknowns_in_plain_words(tmp_path):
    params, _ = constructed_worlds()
    n = len(params)
    rng = np.random.default_rng(8)  # A leaves more where more than 0.4 of PPG buys co-ordination
    difference = 0.2 * (params[SHARE].to_numpy() - 0.4) + rng.normal(0, 0.005, n)
    outcomes = [o for _, o in compare.READINGS] + [compare.ADDED]
    per_world = params.copy()
    for o in outcomes:  # A - B: A adds more and keeps a smaller share of it
        d = {
            "retained_gain_3y": np.full(n, -0.03),
            "additionality_3y_mean": difference,
            "additional_gain_per_million": np.full(n, -0.1),
            "additionality_mean": np.full(n, 0.05),
        }[o]
        per_world[f"{o}_a"], per_world[f"{o}_b"] = 0.5 + d, np.full(n, 0.5)
        per_world[f"{o}_difference"], per_world[f"{o}_half_width"] = d, np.full(n, 0.001)
    table = compare.comparison_table(per_world, outcomes, NAMES)
    about = {"replications": 2}
    opening, path = compare_report.write_report(
        tmp_path, table, per_world, list(params.columns), "retained_gain_3y", NAMES, about
    )
    assert [line.split(":")[0] for line in opening[:3]] == [
        "Share kept",
        "Amount left",
        "Value for money",
    ]
    assert "in 60 of 60 worlds (100 %, 95 % interval 96-100 %): robust" in opening[0]
    vfm = "Value for money: reward_heavy does better than ppg_heavy on added gain kept per £m"
    assert opening[2].startswith(vfm)
    assert opening[3].startswith("The readings differ because ppg_heavy adds more improvement")
    assert opening[4].startswith("Conditional answer on added improvement still there 3 years on")
    text = path.read_text()
    settle = text[text.index("## What would settle it") :]
    assert f"| `{SHARE}` |" in settle
    assert "- If the mean share of a council's PPG spent on posts that plan" in settle
    assert (tmp_path / "value_of_information.csv").is_file()


def test_the_bins_hold_about_ten_worlds_each_and_never_more_than_ten_bins():
    assert [bins_for(n) for n in (12, 50, 99, 200, 10_000)] == [2, 5, 9, 10, 10]
