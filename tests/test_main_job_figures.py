"""The main job's performance figure a reader outside the project can read: reported performance
named, its band explained, and, where twins were run, the same councils' business as usual."""

from __future__ import annotations

import matplotlib
import pytest

from lpsa.experiments.figures import performance_over_time
from lpsa.experiments.runs import run_scenarios
from lpsa.model import load_scenario

matplotlib.use("Agg")

SMALL = {"scheme": {"n_authorities": 30}}


@pytest.fixture(scope="module")
def with_twins():
    return run_scenarios([load_scenario("lpsa1_baseline", SMALL)], 2, 5, twins=True)


@pytest.fixture(scope="module")
def without_twins():
    return run_scenarios([load_scenario("lpsa1_baseline", SMALL)], 2, 5, twins=False)


def legend(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_business_as_usual_is_recorded_for_the_same_targets_and_ends_below_the_agreement(
    with_twins,
):
    (res,) = with_twins
    traj = res.trajectory[res.trajectory["approach"] == "all"]
    assert traj["bau_performance"].notna().all()
    at_end = traj[traj["quarter_from_end"] == -1]
    assert (at_end["mean_performance"] > at_end["bau_performance"]).all()


def test_without_twins_there_is_no_business_as_usual_to_record(without_twins):
    (res,) = without_twins
    assert res.trajectory["bau_performance"].isna().all()


def test_the_performance_figure_names_what_it_draws_and_business_as_usual_with_twins(
    with_twins, without_twins
):
    drawn = legend(performance_over_time(with_twins))
    assert any("business as usual" in t for t in drawn)
    assert "5-95 % of replications" in drawn
    assert not any("business as usual" in t for t in legend(performance_over_time(without_twins)))
    ylabel = performance_over_time(with_twins).axes[0].get_ylabel()
    assert ylabel.startswith("reported performance")
