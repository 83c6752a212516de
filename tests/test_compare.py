"""``lpsa compare A B``: the two regimes on the same plausible worlds, read as a specification.

Small scenarios (20 councils) over a small posterior of two uncertain parameters keep the end to
end runs to a few seconds each.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import run_cli

from lpsa.experiments import compare, compare_report
from lpsa.experiments.posterior import Posterior, save_posterior
from lpsa.model import REGISTRY, load_scenario
from lpsa.model.outcomes import outcome_names

PARAMETERS = {  # two ranges of experiments/uncertain_parameters.yaml
    "implementation.capacity_half": (0.25, 0.8),
    "sustainability.decay_rate_more_of_same": (0.1, 0.4),
}
WORLDS = 6
REPLICATIONS = 3
COLUMNS = {
    "outcome",
    "label",
    "median_difference",
    "low",
    "high",
    "share_a_better",
    "worlds",
    "median_a",
    "median_b",
    "replication_half_width",
}


def small(folder: Path, name: str, extends: str, extra: str = "") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {extends}\nname: {name}\nscheme:\n  n_authorities: 20\n{extra}")
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Two small regimes and a posterior of 30 particles over two parameters."""
    folder = tmp_path_factory.mktemp("compare-inputs")
    rng = np.random.default_rng(3)
    particles = pd.DataFrame({p: rng.uniform(lo, hi, 30) for p, (lo, hi) in PARAMETERS.items()})
    posterior = save_posterior(
        folder / "posterior.csv",
        Posterior("lpsa1_baseline", particles, np.ones(30), {"method": "test"}),
    )
    return {
        "a": small(folder, "small_ppg", "ppg_heavy"),
        "b": small(folder, "small_reward", "reward_heavy"),
        "posterior": posterior,
        "folder": folder,
    }


def compare_args(inputs: dict[str, Path], a: Path, b: Path, out: Path, *more: str) -> list[str]:
    """``lpsa compare`` of ``a`` and ``b`` on the test posterior, small."""
    return [
        "compare",
        str(a),
        str(b),
        "--posterior",
        str(inputs["posterior"]),
        "--worlds",
        str(WORLDS),
        "--replications",
        str(REPLICATIONS),
        "--seed",
        "11",
        "--out",
        str(out),
        "--quiet",
        *more,
    ]


def compare_cli(inputs: dict[str, Path], a: Path, b: Path, out: Path, *more: str):
    return run_cli(*compare_args(inputs, a, b, out, *more))


@pytest.fixture(scope="module")
def compared(inputs, tmp_path_factory) -> dict[int, Path]:
    """small_ppg vs small_reward, once with one worker and once with two (without the screen of
    fixed constants, which tests/test_constants.py tests)."""
    outs = {}
    for workers in (1, 2):
        out = tmp_path_factory.mktemp(f"compare-w{workers}")
        more = ("--workers", str(workers), "--no-constants")
        r = compare_cli(inputs, inputs["a"], inputs["b"], out, *more)
        assert r.returncode == 0, r.stderr
        outs[workers] = out
    return outs


# ------------------------------------------------------------------------------------------
# End to end


@pytest.mark.slow
def test_comparison_has_one_row_per_outcome_and_counts_every_world(compared):
    out = compared[1]
    table = pd.read_csv(out / "comparison.csv")
    assert COLUMNS <= set(table.columns)
    assert list(table["outcome"]) == outcome_names(twins=True)
    assert (table["worlds"] == WORLDS).all()
    assert list(table["label"]) == [REGISTRY[o].label for o in table["outcome"]]
    worlds = pd.read_csv(out / "worlds.csv")
    assert len(worlds) == WORLDS
    assert {"particle", *PARAMETERS, "retained_gain_3y_a", "retained_gain_3y_difference"} <= set(
        worlds.columns
    )
    # the uncertain parameters the posterior does not cover are drawn from their prior
    low, high = 0.0, 0.3  # implementation.reward_corporate_pull's range
    pull = worlds["implementation.reward_corporate_pull"]
    assert pull.between(low, high).all() and pull.nunique() == WORLDS
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == WORLDS * 2 * REPLICATIONS
    assert set(runs["regime"]) == {"A", "B"} and (runs["status"] == "ok").all()
    report = (out / "comparison.md").read_text()
    first = report.splitlines()[2:5]
    assert [line.split(":")[0] for line in first] == [
        "- Share kept",
        "- Amount left",
        "- Value for money",
    ]
    assert all(
        f"of {WORLDS} worlds" in line and ("95 % interval" in line or "as many worlds" in line)
        for line in first
    )
    assert "gain kept" in first[0] and "still there 3 years on" in first[1]
    assert report.index("What flips it") < report.index("All outcomes")
    all_outcomes = report[report.index("## All outcomes") :].split("\n## ")[0]
    table_rows = [line for line in all_outcomes.splitlines() if line.startswith("| ")]
    assert len(table_rows) == 1 + len(outcome_names(twins=True))  # a header and one per outcome
    assert not any("retained_gain_3y" in line for line in table_rows)  # labels, not names
    reward = next(line for line in table_rows if REGISTRY["reward_paid"].label in line)
    kept = next(line for line in table_rows if REGISTRY["retained_gain_3y"].label in line)
    assert "£" in reward and "m |" in reward and " % |" in kept and " pp |" in kept
    assert (out / "comparison.png").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "compare" and manifest["worlds"] == WORLDS


@pytest.mark.slow
def test_share_a_better_is_the_share_of_worlds_whose_difference_favours_a(compared):
    table = pd.read_csv(compared[1] / "comparison.csv").set_index("outcome")
    worlds = pd.read_csv(compared[1] / "worlds.csv")
    for name, row in table.iterrows():
        d = worlds[f"{name}_difference"].dropna()
        direction = REGISTRY[name].direction
        if direction == "neither":
            assert np.isnan(row["share_a_better"]), name
            continue
        favours_a = d > 0 if direction == "higher is better" else d < 0
        assert row["share_a_better"] == pytest.approx(favours_a.mean()), name
        assert row["median_difference"] == pytest.approx(d.median()), name


@pytest.mark.slow
def test_any_number_of_workers_gives_identical_files(compared):
    for name in ("comparison.csv", "worlds.csv", "comparison.md"):
        assert (compared[1] / name).read_bytes() == (compared[2] / name).read_bytes(), name


@pytest.mark.slow
def test_a_regime_compared_with_itself_differs_by_exactly_zero_on_common_random_numbers(
    inputs, tmp_path
):
    """Fails if replication r of A and of B ran on different seeds."""
    r = compare_cli(inputs, inputs["a"], inputs["a"], tmp_path / "same", "--no-constants")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "same" / "comparison.csv")
    defined = table[table["worlds_defined"] > 0]
    assert len(defined) > 20
    for column in ("median_difference", "low", "high", "replication_half_width"):
        assert (defined[column] == 0.0).all(), column
    better = defined[defined["direction"] != "neither"]
    assert (better["share_a_better"] == 0.0).all() and (better["share_b_better"] == 0.0).all()
    worlds = pd.read_csv(tmp_path / "same" / "worlds.csv")
    differences = worlds.filter(like="_difference").to_numpy()
    assert (differences[~np.isnan(differences)] == 0.0).all()
    report = (tmp_path / "same" / "comparison.md").read_text()
    assert "give the same gain kept 3 years on in every world" in report


def test_regimes_that_set_a_posterior_parameter_differently_are_refused(inputs, tmp_path, lpsa):
    b = small(
        inputs["folder"],
        "fast_decay",
        "reward_heavy",
        "sustainability:\n  decay_rate_more_of_same: 0.35\n",
    )
    r = lpsa(*compare_args(inputs, inputs["a"], b, tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "sustainability.decay_rate_more_of_same" in r.stderr and "0.35" in r.stderr
    assert not (tmp_path / "o").exists()


def test_a_posterior_that_fits_a_but_not_b_is_refused_before_anything_runs(inputs, tmp_path, lpsa):
    # B has one policy area; some particles zero its weight (valid for A, which has ten areas).
    # The first particle does not, so a check of one particle would let the run start.
    weights = np.linspace(0.3, 0.0, 30)
    posterior = save_posterior(
        tmp_path / "area_weight.csv",
        Posterior(
            "lpsa1_baseline",
            pd.DataFrame({"areas.education.weight": weights}),
            np.ones(30),
            {"method": "test"},
        ),
    )
    education = load_scenario("lpsa1_baseline").areas["education"].model_dump()
    b = small(
        tmp_path, "one_area", "reward_heavy", yaml.safe_dump({"areas": {"education": education}})
    )
    out = tmp_path / "o"
    r = lpsa("compare", str(inputs["a"]), str(b), "--posterior", str(posterior), "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert str(posterior) in r.stderr and "'one_area'" in r.stderr and "weights" in r.stderr
    assert not out.exists()


@pytest.mark.slow
def test_a_missing_posterior_is_one_line_saying_what_to_do(inputs, compared, tmp_path, lpsa):
    # The same scenarios run with a posterior (the ``compared`` fixture); without one:
    missing = tmp_path / "nowhere.csv"
    r = lpsa("compare", str(inputs["a"]), str(inputs["b"]), "--posterior", str(missing))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert str(missing) in r.stderr and "lpsa calibrate" in r.stderr
    # The default posterior is the one shipped for A's base scenario; none for this one.
    lonely = tmp_path / "lonely_base.yaml"
    lonely.write_text("name: lonely_base\nscheme:\n  n_authorities: 20\n")
    r = lpsa("compare", str(lonely), str(lonely), "--out", str(tmp_path / "p"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "'lonely_base'" in r.stderr and "lpsa calibrate" in r.stderr
    assert "--posterior" in r.stderr
    assert not (tmp_path / "p").exists()


def test_bad_arguments_get_one_message_naming_what_is_allowed(lpsa):
    r = lpsa("compare", "ppg_heavy", "reward_heavy", "--worlds", "10001")
    assert r.returncode == 2
    assert "--worlds: got 10001; allowed: a whole number from 1 to 10,000" in r.stderr
    r = lpsa("compare", "ppg_heavy", "reward_heavy", "--outcome", "happiness")
    assert r.returncode == 2 and "happiness" in r.stderr and "retained_gain_3y" in r.stderr


def test_the_twins_count_toward_max_runs(lpsa, tmp_path):
    args = ("compare", "ppg_heavy", "reward_heavy", "--worlds", "3", "--replications", "2")
    r = lpsa(*args, "--max-runs", "20", "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "x 2 (each run with its twin) = 24 runs; allowed: at most 20" in r.stderr
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------------------------------
# The arithmetic, on tables built by hand


def constructed_runs() -> pd.DataFrame:
    """Four worlds x three replications x two regimes; the paired differences A - B are:

    world 0: +0.1, +0.1, -0.05 (mean +0.05)    world 1: -0.02 each (mean -0.02)
    world 2: 0, 0, 0 (a tie)                   world 3: +0.3, +0.3 and one pair without B
    """
    diffs = {0: [0.1, 0.1, -0.05], 1: [-0.02] * 3, 2: [0.0] * 3, 3: [0.3, 0.3, np.nan]}
    rows = []
    for world, ds in diffs.items():
        for r, d in enumerate(ds):
            b = 0.5 + 0.01 * r
            for regime, value in (("A", b + (0.0 if np.isnan(d) else d)), ("B", b)):
                if regime == "B" and np.isnan(d):
                    value = np.nan
                row = {"world": world, "regime": regime, "replication": r}
                row.update(
                    retained_gain_3y=value,  # higher is better
                    targets_missed_share=value,  # lower is better
                    ppg_spent=value * 1e6,  # neither
                )
                rows.append(row)
    return pd.DataFrame(rows)


OUTCOMES = ["retained_gain_3y", "targets_missed_share", "ppg_spent"]


def test_world_differences_are_the_means_of_the_paired_differences():
    per_world = compare.world_table(constructed_runs(), OUTCOMES)
    assert per_world["retained_gain_3y_difference"].to_numpy() == pytest.approx(
        [0.05, -0.02, 0.0, 0.3]
    )
    # A's mean over the replications where both ran: world 3 leaves replication 2 out.
    assert per_world.loc[3, "retained_gain_3y_a"] == pytest.approx(0.5 + 0.005 + 0.3)
    # 90 % t half-width of world 0's mean: t(0.95, 2) x sd / sqrt(3)
    sd = np.std([0.1, 0.1, -0.05], ddof=1)
    assert per_world.loc[0, "retained_gain_3y_half_width"] == pytest.approx(
        2.919986 * sd / np.sqrt(3), rel=1e-5
    )
    assert per_world.loc[1, "retained_gain_3y_half_width"] == pytest.approx(0.0, abs=1e-15)


def test_share_a_better_is_counted_by_hand_with_the_outcomes_direction():
    per_world = compare.world_table(constructed_runs(), OUTCOMES)
    table = compare.comparison_table(per_world, OUTCOMES).set_index("outcome")
    # higher is better: A better in worlds 0 and 3; B in world 1; world 2 ties.
    assert table.loc["retained_gain_3y", "share_a_better"] == 2 / 4
    assert table.loc["retained_gain_3y", "share_b_better"] == 1 / 4
    # lower is better: the same differences favour B in worlds 0 and 3 and A in world 1.
    assert table.loc["targets_missed_share", "share_a_better"] == 1 / 4
    assert table.loc["targets_missed_share", "share_b_better"] == 2 / 4
    # no better side: no share, but the side that is higher is still counted.
    assert np.isnan(table.loc["ppg_spent", "share_a_better"])
    assert table.loc["ppg_spent", "share_a_higher"] == 2 / 4
    row = table.loc["retained_gain_3y"]
    assert row["median_difference"] == pytest.approx((0.0 + 0.05) / 2)
    assert row["low"] < -0.015 and row["high"] > 0.25
    assert row["worlds"] == 4 and row["worlds_defined"] == 4


def test_worlds_with_no_defined_difference_are_left_out_of_the_shares():
    runs = constructed_runs()
    runs.loc[(runs["world"] == 1) & (runs["regime"] == "B"), "retained_gain_3y"] = np.nan
    per_world = compare.world_table(runs, ["retained_gain_3y"])
    row = compare.comparison_table(per_world, ["retained_gain_3y"]).iloc[0]
    assert row["worlds"] == 4 and row["worlds_defined"] == 3
    assert row["share_a_better"] == 2 / 3


# ------------------------------------------------------------------------------------------
# Robustness in plain words


def test_a_robustness_word_is_given_only_when_the_whole_interval_is_on_one_side_of_its_cut_off():
    assert compare.robustness(0.95, 1.0) == "robust"
    assert compare.robustness(0.80, 0.94) == "fairly robust"
    assert compare.robustness(0.5, 0.79) == "depends on the world"
    assert compare.robustness(0.94, 0.99) == "borderline: fairly robust or robust"
    assert compare.robustness(0.79, 0.9) == "borderline: depends on the world or fairly robust"
    assert compare.robustness(0.7, 0.96).startswith("borderline")


def test_the_interval_on_a_share_of_worlds_is_jeffreys():
    from scipy.stats import beta

    low, high = compare.share_interval(44, 50)
    assert low == pytest.approx(beta.ppf(0.025, 44.5, 6.5))
    assert high == pytest.approx(beta.ppf(0.975, 44.5, 6.5))
    assert compare.share_interval(50, 50)[1] == 1.0 and compare.share_interval(0, 50)[0] == 0.0
    # 50 of 50 is robust; 49 of 50 might not be: its interval reaches below 95 %
    assert compare.robustness_of(50, 50) == "robust"
    assert compare.robustness_of(49, 50) == "borderline: fairly robust or robust"


@pytest.mark.parametrize("sizes", [(50, 50), (50, 200), (200, 200)])
def test_two_draws_of_worlds_never_give_contradictory_words_unless_their_intervals_part(sizes):
    """A contradiction: two different words, neither borderline. Over every count of wins in
    two draws of worlds whose intervals overlap, there is none."""
    words = {
        n: [(compare.share_interval(k, n), compare.robustness_of(k, n)) for k in range(n + 1)]
        for n in set(sizes)
    }
    for (lo1, hi1), w1 in words[sizes[0]]:
        for (lo2, hi2), w2 in words[sizes[1]]:
            if lo1 <= hi2 and lo2 <= hi1 and w1 != w2:
                assert w1.startswith("borderline") or w2.startswith("borderline"), (w1, w2)


def test_the_headline_says_who_wins_in_how_many_worlds_and_how_robust_that_is():
    names = ("PPG-heavy", "reward-heavy")
    label = REGISTRY["retained_gain_3y"].label
    f = compare.finding(np.r_[np.full(41, 0.02), np.full(9, -0.01)], "retained_gain_3y")
    assert (f.a_wins, f.b_wins, f.majority) == (41, 9, "A")
    assert compare_report.finding_sentence(f, names) == (
        f"PPG-heavy does better than reward-heavy on {label} in 41 of 50 worlds (82 %, 95 % "
        "interval 70-91 %): borderline: depends on the world or fairly robust."
    )
    # Lower is better: a negative difference is a win for A.
    f = compare.finding(np.r_[np.full(50, -0.02)], "targets_missed_share")
    assert f.majority == "A" and f.category == "robust"
    # Ties count against robustness: 190 wins, 10 ties of 200 is 95 %.
    f = compare.finding(np.r_[np.full(190, -0.02), np.zeros(10)], "retained_gain_3y")
    assert f.majority == "B" and f.share == 0.95 and f.category.startswith("borderline")
    assert compare_report.finding_sentence(f, names).startswith(
        "reward-heavy does better than PPG-heavy"
    )
    # A share of few worlds says so.
    f = compare.finding(np.full(10, 0.01), "retained_gain_3y")
    assert "in 10 of 10 worlds (100 %, 95 % interval 78-100 %): borderline" in (
        compare_report.finding_sentence(f, names)
    )
    assert "(only 10 worlds" in compare_report.finding_sentence(f, names)


def test_what_flips_it_finds_a_planted_region_with_prim():
    rng = np.random.default_rng(5)
    params = pd.DataFrame(
        {"x": rng.random(80), "y": rng.random(80), "z": rng.random(80), "w": rng.random(80)}
    )
    difference = np.where(params["x"] < 0.25, -0.03, 0.05) + rng.normal(0, 0.005, 80)
    cases = compare.minority_cases(difference, "retained_gain_3y")
    assert cases.sum() == (params["x"] < 0.25).sum()
    flips = compare.what_flips(params, difference, cases)
    assert flips.kind == "box" and list(flips.limits.index) == ["x"]
    # The largest box where B wins in at least 80 % of the worlds: x up to a little over 0.25.
    assert 0.24 < flips.limits.loc["x", "max"] < 0.4
    assert flips.coverage >= 0.9 and flips.density >= compare.FLIP_MIN_DENSITY
    f = compare.finding(difference, "retained_gain_3y")
    text = "\n".join(compare_report.flips_lines(flips, f, ("A", "B")))
    limit = f"{flips.limits.loc['x', 'max']:.3g}"
    assert "B does better" in text and f"`x` at most {limit}" in text and "coverage" in text


def test_with_fewer_than_three_minority_worlds_prim_is_not_run_and_correlations_are_listed():
    rng = np.random.default_rng(6)
    params = pd.DataFrame({"x": rng.random(40), "y": rng.random(40)})
    difference = 0.05 * params["x"].to_numpy() + 0.001 * params["y"].to_numpy()
    difference[np.argsort(params["x"].to_numpy())[:2]] = -0.01  # the two lowest x: B wins
    cases = compare.minority_cases(difference, "retained_gain_3y")
    assert cases.sum() == 2
    flips = compare.what_flips(params, difference, cases)
    assert flips.kind == "too few" and flips.limits is None
    assert list(flips.correlations["parameter"]) == ["x", "y"]
    text = "\n".join(
        compare_report.flips_lines(
            flips, compare.finding(difference, "retained_gain_3y"), ("A", "B")
        )
    )
    assert "too few cases" in text and "Spearman" in text and "`x`" in text


def test_the_figure_axis_is_symmetric_around_zero_and_does_not_magnify_small_differences():
    # Differences of a thousandth on a level of 0.6: the axis spans at least +-5 % of 0.6.
    assert compare_report.axis_half_range([0.001, -0.0005], level=0.6) == pytest.approx(1.1 * 0.03)
    assert compare_report.axis_half_range([0.2, -0.1], level=0.6) == pytest.approx(1.1 * 0.2)
    per_world = compare.world_table(constructed_runs(), OUTCOMES)
    table = compare.comparison_table(per_world, OUTCOMES)
    fig = compare_report.comparison_figure(per_world, table, ["retained_gain_3y"], ("A", "B"))
    low, high = fig.axes[0].get_ylim()
    assert low == -high and high > 30  # percentage points: world 3's +0.3 is +30 pp
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("over replications" in t for t in labels)
    assert any("across worlds" in t for t in labels)


def test_the_noise_sentence_counts_the_worlds_a_replication_interval_leaves_undecided():
    table = pd.DataFrame(
        {
            "outcome": ["retained_gain_3y"],
            "median_difference": [-0.04],
            "low": [-0.1],
            "high": [0.0],
            "replication_half_width": [0.003],
        }
    )
    per_world = pd.DataFrame(
        {
            "retained_gain_3y_difference": [-0.05, -0.001, -0.002],
            "retained_gain_3y_half_width": [0.003, 0.003, 0.001],
        }
    )
    one = compare_report.noise_sentence(per_world, table, "retained_gain_3y")
    assert "In 1 world that interval crosses zero" in one and "move that world" in one
    per_world.loc[2, "retained_gain_3y_half_width"] = 0.005
    two = compare_report.noise_sentence(per_world, table, "retained_gain_3y")
    assert "In 2 worlds that interval crosses zero" in two and "move those worlds" in two
    per_world["retained_gain_3y_half_width"] = 0.0001
    assert "crosses zero" not in compare_report.noise_sentence(per_world, table, "retained_gain_3y")


def test_the_report_says_how_the_posteriors_forecast_was_measured():
    made = Posterior("base", pd.DataFrame({"x": [0.1]}), np.ones(1), meta={})
    assert compare_report.fitted_with(made) == ", its forecast rule not recorded"
    made.meta["forecast_rule"] = {"almost_met": 0.9, "margin": 0.15, "trend_quarters": 4}
    assert "trend margin 0.15" in compare_report.fitted_with(made)
