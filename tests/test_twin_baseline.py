"""The no-agreement twin against the stretch baseline (issue 25, item 4).

Stretch is measured above the *projected* no-agreement baseline (EVIDENCE.md:26), so a council
with no agreement should end near 0 of the stretch unless something moved the indicator that the
projection did not foresee: business as usual, other national policies (001:133) missed by the
projection (001:77), chance and setbacks. ``attribution.unprojected_trend`` is the ranged size of
the national trend the projection missed; at 0 the twin is consistent with the baseline.
"""

from __future__ import annotations

import numpy as np

from lpsa.model import LPSAModel, twin_scenario

QUIET = dict(
    scheme__n_authorities=40,
    implementation__shock_sd=0.0,
    mechanisms__setbacks=False,
    mechanisms__inspection=False,
)


def twin_end(seed: int = 3, **overrides: float) -> np.ndarray:
    """The twin's true outcome at each council's end [share of stretch], quiet world."""
    factual = LPSAModel("lpsa1_baseline", seed=seed, **QUIET, **overrides)
    twin = LPSAModel(twin_scenario(factual.params), seed=seed)
    twin.run()
    return twin.targets.end.true


def test_with_nothing_unforeseen_the_twin_stays_at_the_projected_baseline():
    end = twin_end(attribution__unprojected_trend=0.0, attribution__business_as_usual_effort=0.0)
    assert np.abs(end).max() < 1e-9


def test_the_twin_s_gap_from_the_baseline_grows_with_the_trend_the_projection_missed():
    gaps = [
        twin_end(attribution__unprojected_trend=m, attribution__business_as_usual_effort=0.0).mean()
        for m in (0.0, 1.0, 2.0)
    ]
    assert 0.0 <= gaps[0] < gaps[1] < gaps[2]
    assert abs((gaps[2] - gaps[1]) - (gaps[1] - gaps[0])) < 0.2 * (gaps[1] - gaps[0])


def test_business_as_usual_moves_the_twin_above_the_baseline_too():
    none = twin_end(attribution__unprojected_trend=0.0, attribution__business_as_usual_effort=0.0)
    usual = twin_end(attribution__unprojected_trend=0.0, attribution__business_as_usual_effort=0.3)
    assert usual.mean() > none.mean() + 0.05


def test_switching_the_background_trend_off_equals_a_projection_that_missed_nothing():
    off = twin_end(mechanisms__background_trend=False)
    foreseen = twin_end(attribution__unprojected_trend=0.0)
    assert np.array_equal(off, foreseen)
