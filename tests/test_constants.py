"""Fixed constants that move a comparison's headline (experiments/constants.py)."""

from __future__ import annotations

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
    table = constants.screen_constants(a, b, {}, fixed, ["targets_met_share"], 2, 3, False)
    assert set(table["path"]) == {
        c["path"] for c in constants.candidates(a, b, fixed)
    }  # every candidate, at each of its settings
    assert "stretch.ambition" in constants.moving_constants(table, "targets_met_share")


def test_nothing_moves_when_every_candidate_is_uncertain(small):
    a, b = small
    everything = UNCERTAIN + [c["path"] for c in constants.candidates(a, b, [])]
    table = constants.screen_constants(a, b, {}, everything, ["targets_met_share"], 2, 3, False)
    assert table.empty and constants.moving_constants(table, "targets_met_share") == []


def test_a_parameter_the_posterior_does_not_cover_is_screened_over_its_range_even_at_zero():
    # a mechanism held at no effect (0) and added to the uncertain parameters after the
    # posterior was fitted is a constant in every world: it is screened at its range's ends
    no_pull = {"implementation": {"reward_corporate_pull": 0.0}}
    a, b = load_scenario("ppg_heavy", no_pull), load_scenario("reward_heavy", no_pull)
    pull = "implementation.reward_corporate_pull"
    assert a.implementation.reward_corporate_pull == 0.0
    covered = [p for p in UNCERTAIN if p != pull]
    assert pull not in {c["path"] for c in constants.candidates(a, b, covered)}
    found = {c["path"]: c for c in constants.candidates(a, b, covered, {pull: (0.0, 0.3)})}
    assert found[pull]["settings"] == [0.3]
    # in the posterior, it is not a constant
    assert pull not in {c["path"] for c in constants.candidates(a, b, UNCERTAIN, {pull: (0, 0.3)})}
