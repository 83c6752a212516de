"""The main job leads with its answer: a sentence per scenario naming targets met, reward paid, the
gain kept and the added improvement above business as usual, each with its interval over
replications; with two scenarios, the difference A - B on targets met, on the same seeds."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lpsa.experiments.main_job_report import mean_interval, opening
from lpsa.experiments.runs import run_scenarios
from lpsa.model import load_scenario


@pytest.fixture(scope="module")
def two():
    small = {"scheme": {"n_authorities": 40}}
    a = load_scenario("ppg_heavy", small)
    b = load_scenario("reward_heavy", small)
    return run_scenarios([a, b], 4, 3, twins=True)


def test_each_scenario_opens_with_its_answers_and_their_intervals(two):
    lines = opening(two)
    for result, line in zip(two, lines, strict=False):
        runs = result.runs
        assert line.startswith(f"{result.scenario.name}: ")
        mean, low, high = mean_interval(runs["targets_met_share"])
        shown = f"{100 * mean:.1f} % ({100 * low:.1f} % to {100 * high:.1f} %) of targets met"
        assert shown in line
        assert "of reward paid" in line and "of the gain kept 3 years on" in line
        assert "above business as usual" in line
        assert "mean of 4 replications, 90 % interval in brackets" in line


def test_the_interval_is_students_t_over_replications():
    mean, low, high = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    # t(0.95, 3) = 2.353; sd = 1.291; half-width = 2.353 * 1.291 / 2 = 1.519
    assert mean == 2.5
    assert high - mean == pytest.approx(1.519, abs=1e-3)
    assert mean - low == pytest.approx(1.519, abs=1e-3)
    assert mean_interval(np.array([0.4])) == (0.4, 0.4, 0.4)


def test_two_scenarios_end_with_the_difference_a_minus_b_on_the_same_seeds(two):
    a, b = two
    line = opening(two)[-1]
    assert line.startswith(f"{a.scenario.name} - {b.scenario.name}: ")
    d = a.runs["targets_met_share"].to_numpy() - b.runs["targets_met_share"].to_numpy()
    shown = re.search(r": ([+-][\d.]+) pp", line)
    assert shown is not None
    assert float(shown[1]) == pytest.approx(100 * d.mean(), abs=0.051)
    winner = a.scenario.name if d.mean() > 0 else b.scenario.name
    assert f"({winner} meets more" in line


def test_one_replication_says_it_has_no_interval():
    (result,) = run_scenarios(
        [load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 30}})], 1, 1
    )
    (line,) = opening([result])
    assert line.endswith("(one replication: no interval).")
    assert "above business as usual" not in line  # no twins, no business as usual
