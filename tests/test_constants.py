"""Fixed constants that move a comparison's headline (experiments/constants.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lpsa.experiments.constants as constants
from lpsa.experiments.uncertainty import load_uncertain
from lpsa.model import load_scenario

UNCERTAIN = [p.path for p in load_uncertain()[1]]


def test_candidates_are_the_fixed_behavioural_assumptions_the_regimes_share():
    a, b = load_scenario("ppg_heavy"), load_scenario("reward_heavy")
    found = {c["path"]: c for c in constants.candidates(a, b, UNCERTAIN)}
    assert found and not set(found) & set(UNCERTAIN)
    assert not any(p.startswith(("funding.", "scheme.", "areas.")) for p in found)
    assert all(c["value"] != 0.0 for c in found.values())
    # an open bound is approached, never reached: shock persistence must stay below 1
    assert max(found["implementation.shock_persistence"]["settings"]) < 1.0
    # a constant the regimes set differently is their lever, not a constant
    b2 = load_scenario(b, {"stretch": {"ambition": 1.2}})
    assert "stretch.ambition" in {c["path"] for c in constants.candidates(a, load_scenario(a), [])}
    assert "stretch.ambition" not in {c["path"] for c in constants.candidates(a, b2, [])}


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(constants, "SECTIONS", ("stretch",))
    sixty = {"scheme": {"n_authorities": 60}}
    return load_scenario("ppg_heavy", sixty), load_scenario("reward_heavy", sixty)


def test_a_constant_that_moves_the_difference_is_named(small):
    a, b = small
    fixed = [p for p in UNCERTAIN if p != "stretch.ambition"]
    reps = constants.SCREEN_REPLICATIONS
    table = constants.screen_constants(a, b, {}, fixed, ["targets_met_share"], reps, 3, False)
    assert set(table["path"]) == {
        c["path"] for c in constants.candidates(a, b, fixed)
    }  # every candidate, at each of its settings
    assert "stretch.ambition" in constants.moving_constants(table, "targets_met_share")
    shift = (table["d_targets_met_share"] - table["base_targets_met_share"]).abs()
    moved = table["moves_targets_met_share"]
    assert (shift[moved] > table["noise_targets_met_share"][moved]).all()  # beyond noise


def test_nothing_moves_when_every_candidate_is_uncertain(small):
    a, b = small
    everything = UNCERTAIN + [c["path"] for c in constants.candidates(a, b, [])]
    table = constants.screen_constants(a, b, {}, everything, ["targets_met_share"], 2, 3, False)
    assert table.empty and constants.moving_constants(table, "targets_met_share") == []


def test_no_uncertain_parameter_is_screened_as_a_constant():
    # compare's worlds vary every uncertain parameter (the posterior's, and those it does not
    # cover drawn from their prior), so none of them is a constant
    a, b = load_scenario("ppg_heavy"), load_scenario("reward_heavy")
    found = {c["path"] for c in constants.candidates(a, b, UNCERTAIN)}
    assert found and not found & set(UNCERTAIN)
    pull = "implementation.reward_corporate_pull"
    assert pull in {c["path"] for c in constants.candidates(a, b, [])}  # nonzero at the baseline


def test_a_shift_the_replications_cannot_tell_from_zero_is_noise():
    # paired by replication, a shift of +-0.01 around 0.001 is noise; a steady 0.01 is not
    shifts = np.array([[0.011, -0.009, 0.012, -0.010], [0.010, 0.011, 0.009, 0.010]])
    noise = constants.shift_noise(shifts)
    assert abs(shifts[0].mean()) < noise[0]
    assert abs(shifts[1].mean()) > noise[1]
    assert constants.shift_noise(shifts[:, :1]).tolist() == [0.0, 0.0]  # one replication
