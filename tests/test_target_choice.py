"""Councils choose their local targets at negotiation (targets.choose_local_targets; 001:105,
000:115). National targets are imposed and not chosen (001:63)."""

from __future__ import annotations

import numpy as np

from lpsa.model import LPSAModel, Scenario
from lpsa.model.targets import TargetTraits

SEEDS = (1, 2, 3)
AVOID = {"negotiation.partnership_avoidance": 0.5}
EASY = {"negotiation.easy_area_preference": 0.8}
OFF = {"mechanisms.target_choice": False}


NO_CHOICE = {  # the schema's defaults, whatever a scenario's calibrated point gives
    "negotiation.partnership_avoidance": Scenario().negotiation.partnership_avoidance,
    "negotiation.easy_area_preference": Scenario().negotiation.easy_area_preference,
}


def _traits(seed: int, **overrides: object) -> TargetTraits:
    """The baseline's basket with the schema's default choice unless ``overrides`` say."""
    return LPSAModel("lpsa1_baseline", seed=seed, **{**NO_CHOICE, **overrides}).targets.traits


def _share(flag: np.ndarray, where: np.ndarray) -> float:
    return float(flag[where].mean())


def test_avoiding_partnership_targets_makes_fewer_local_targets_partnerships():
    for seed in SEEDS:
        base, avoid = _traits(seed), _traits(seed, **AVOID)
        # the basket's national/local split is not chosen
        assert np.array_equal(base.national, avoid.national)
        local, national = ~base.national, base.national
        assert _share(avoid.partnership, local) < _share(base.partnership, local) - 0.05
        # national targets are imposed: their partnerships stay
        assert np.array_equal(avoid.partnership[national], base.partnership[national])
        assert np.array_equal(avoid.area, base.area)


def test_preferring_easy_areas_raises_the_tractability_of_local_targets_only():
    for seed in SEEDS:
        base, easy = _traits(seed), _traits(seed, **EASY)
        local, national = ~base.national, base.national
        assert easy.tractability[local].mean() > base.tractability[local].mean() + 0.02
        assert np.array_equal(easy.area[national], base.area[national])
        assert np.array_equal(easy.tractability[national], base.tractability[national])
        # common random numbers: national targets' other draws stay as they were
        for name in ("quality", "trend", "partnership", "cohort", "visible"):
            assert np.array_equal(getattr(easy, name)[national], getattr(base, name)[national])


def test_target_choice_switched_off_equals_no_choice():
    both = {**AVOID, **EASY}
    for seed in SEEDS:
        base, off = _traits(seed), _traits(seed, **both, **OFF)
        for name in ("area", "partnership", "national", "tractability", "quality", "trend"):
            assert np.array_equal(getattr(off, name), getattr(base, name)), name


def test_default_target_choice_changes_nothing():
    # the schema's defaults (no avoidance, no preference) give the same basket as the switch off
    assert set(NO_CHOICE.values()) == {0.0}
    for seed in SEEDS:
        on, off = _traits(seed), _traits(seed, **OFF)
        for name in ("area", "partnership", "national", "tractability", "quality", "trend"):
            assert np.array_equal(getattr(on, name), getattr(off, name)), name
