"""The authority learns from the agreement (issue 25, item 4; 001:97, 001:99, 001:103).

``quarter.learn_from_agreement``: a council's ``learned`` capacity grows each quarter of
implementation at ``authorities.learning_rate`` and saturates; it raises the agreement's effort on
its targets and, after the end, slows the fall-back of their gains. The no-agreement twin learns
nothing. Off with ``mechanisms.authority_learning``; the default rate 0 changes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpsa.model import LPSAModel
from lpsa.model.counterfactual import attribution_columns, twin_scenario
from lpsa.model.scenario import Scenario, load_scenario

SEED = 5
N = 40
RATE = 0.02


def _scenario(rate: float, on: bool = True, name: str = "lpsa1_baseline") -> object:
    return load_scenario(
        name,
        {
            "scheme": {"n_authorities": N},
            "authorities": {"learning_rate": rate},
            "mechanisms": {"authority_learning": on},
        },
    )


def _effort_by_quarter_of_implementation(rate: float) -> np.ndarray:
    """(implementation quarters,) mean effort of signed councils' targets in their k-th quarter of
    implementation, stepping the model one quarter at a time."""
    m = LPSAModel(_scenario(rate), seed=SEED)
    c = m.councils
    k_max = m.params.scheme.implementation_quarters
    total, count = np.zeros(k_max), np.zeros(k_max)
    while m.running:
        t = m.quarter
        m.step()
        k = t - c.start
        now = c.signed & (k >= 0) & (k < k_max)
        for i in np.flatnonzero(now):
            total[k[i]] += m.targets.state.effort[i].mean()
            count[k[i]] += 1
    assert count.min() > 0
    return total / count


def test_learning_raises_effort_late_in_implementation_more_than_early() -> None:
    """Relative to no learning on the same seed, effort rises more late in the agreement than in
    its first quarters: what is learned accumulates."""
    base = _effort_by_quarter_of_implementation(0.0)
    learn = _effort_by_quarter_of_implementation(RATE)
    lift = learn - base
    early, late = lift[:2].mean(), lift[-2:].mean()
    assert late > 0.0
    assert late > early + 0.02


def test_learned_capacity_grows_only_in_implementation_and_saturates() -> None:
    """Each quarter of implementation closes ``learning_rate`` of the room left, so after the
    agreement a council has learned 1 - (1 - rate)^quarters (< 1), and nothing more in follow-up;
    a council that did not sign learns nothing."""
    for rate in (RATE, 0.1):
        m = LPSAModel(_scenario(rate), seed=SEED).run()
        c = m.councils
        q = m.params.scheme.implementation_quarters
        assert c.signed.any() and (~c.signed).any()
        assert np.all(c.learned[~c.signed] == 0.0)
        assert np.allclose(c.learned[c.signed], 1.0 - (1.0 - rate) ** q)
        assert np.all(c.learned < 1.0)


def _retained(rate: float, years: int = 3) -> tuple[float, float]:
    """(mean additionality ``years`` after the end, the share of the end's additionality kept
    then) over signed councils' targets."""
    sc = _scenario(rate)
    factual = LPSAModel(sc, seed=SEED).run()
    twin = LPSAModel(twin_scenario(sc), seed=SEED).run()
    cols = attribution_columns(factual, twin)
    at_end, later = cols["additionality"].mean(), cols[f"additionality_{years}y"].mean()
    return later, later / at_end


def test_learning_keeps_more_of_the_gains_three_years_after_the_end() -> None:
    """Gains kept 3 years after the end are higher, and so is the share of the end's gain kept:
    learning slows the fall-back, not only raises the end."""
    kept0, share0 = _retained(0.0)
    kept1, share1 = _retained(RATE)
    assert kept1 > kept0
    # the higher effort alone raises the share kept a little (0.766 to 0.773 on this seed); the
    # slower fall-back raises it to 0.801
    assert share1 > share0 + 0.02


def test_the_no_agreement_twin_learns_nothing() -> None:
    twin0 = LPSAModel(twin_scenario(_scenario(0.0)), seed=SEED).run()
    twin1 = LPSAModel(twin_scenario(_scenario(RATE)), seed=SEED).run()
    assert np.all(twin1.councils.learned == 0.0)
    assert np.array_equal(twin0.true_from_start, twin1.true_from_start)
    assert np.array_equal(twin0.targets.state.effort, twin1.targets.state.effort)
    assert repr(twin0.summary()) == repr(twin1.summary())


def test_switch_off_equals_no_learning() -> None:
    off = LPSAModel(_scenario(RATE, on=False), seed=SEED).run()
    zero = LPSAModel(_scenario(0.0), seed=SEED).run()
    on = LPSAModel(_scenario(RATE), seed=SEED).run()
    assert np.array_equal(off.true_from_start, zero.true_from_start)
    assert np.array_equal(off.reported_from_start, zero.reported_from_start)
    assert repr(off.summary()) == repr(zero.summary())
    assert not np.array_equal(on.true_from_start, zero.true_from_start)


@pytest.mark.parametrize("name", ["lpsa1_baseline", "lpsa2_local"])
def test_the_default_changes_nothing(name: str) -> None:
    """With the schema's default rate (0), switching learning off changes nothing, bit for bit
    (whatever rate a scenario's calibrated point gives it)."""
    schema_rate = Scenario().authorities.learning_rate
    assert schema_rate == 0.0
    default = LPSAModel(_scenario(schema_rate, name=name), seed=SEED).run()
    assert default.params.mechanisms.authority_learning
    off = LPSAModel(_scenario(schema_rate, on=False, name=name), seed=SEED).run()
    assert np.array_equal(default.true_from_start, off.true_from_start)
    assert np.array_equal(default.reported_from_start, off.reported_from_start)
    assert np.array_equal(default.effort_mean, off.effort_mean, equal_nan=True)
    assert repr(default.summary()) == repr(off.summary())


def test_with_learning_stepping_runs_the_same_as_running() -> None:
    """Learning is state the quarter carries (``State.learned``): a model stepped one quarter at a
    time ends where a run does, bit for bit."""
    from test_quarter import both_ways

    assert both_ways(_scenario(RATE), SEED) == []


def test_what_each_council_learned_is_reported_and_only_councils_that_signed_learn():
    learned = LPSAModel(_scenario(RATE), seed=3).run().authorities_frame()
    signed = learned["signed"].astype(bool)
    assert (learned.loc[signed, "learned_capacity"] > 0.05).all()
    assert (learned.loc[~signed, "learned_capacity"] == 0).all()
    nothing = LPSAModel(_scenario(0.0), seed=3).run().authorities_frame()
    assert (nothing["learned_capacity"] == 0).all()
