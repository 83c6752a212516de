"""The compiled run (``model/compiled.py``) is the numpy model, bit for bit.

``LPSAModel.run()`` runs its quarters in one numba call; ``run(compiled=False)`` steps through the
agents' numpy methods. Every array a run leaves, and the final state of every random stream, must
be identical: on every shipped scenario, with each mechanism switched off, at random points of
every float parameter, and when the compiled run takes over part-way through.
"""

from __future__ import annotations

import annotated_types
import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from model import LPSAModel, load_scenario
from model.scenario import Mechanisms, Scenario

SHIPPED = ("lpsa1_baseline", "lpsa2_local", "ppg_heavy", "reward_heavy", "turbulent_priorities")
SWITCHES = [name for name, f in Mechanisms.model_fields.items() if f.annotation is bool]


def differences(a: LPSAModel, b: LPSAModel) -> list[str]:
    """Names of every array or stream on which two finished runs differ."""
    groups = {
        "model": (
            a,
            b,
            [
                "history",
                "true_history",
                "ppg_paid",
                "reward_paid",
                "effort_mean",
                "trust_mean",
                "quarter",
                "running",
            ],
        ),
        **{
            g: (getattr(a.targets, g), getattr(b.targets, g), None)
            for g in ("traits", "plan", "state", "end")
        },
        **{
            g: (getattr(a, g), getattr(b, g), None)
            for g in ("councils", "inspection", "partners", "departments")
        },
    }
    bad = []
    for group, (x, y, names) in groups.items():
        for name in names or [k for k in vars(x) if k != "model"]:
            u, v = getattr(x, name), getattr(y, name)
            same = (
                u == v
                if isinstance(u, dict)
                else np.array_equal(np.asarray(u), np.asarray(v), equal_nan=True)
            )
            if not same:
                bad.append(f"{group}.{name}")
    bad += [
        f"stream {k}"
        for k in a.streams
        if a.streams[k].bit_generator.state != b.streams[k].bit_generator.state
    ]
    return bad


def both_ways(scenario: Scenario, seed: int) -> list[str]:
    reference = LPSAModel(scenario, seed=seed).run(compiled=False)
    return differences(reference, LPSAModel(scenario, seed=seed).run())


def random_point(rng: np.random.Generator, sc: Scenario) -> Scenario:
    """``sc`` with every bounded float parameter moved to a uniform draw within its bounds (one at
    a time, keeping a value only if the scenario still validates)."""
    data = sc.model_dump()
    for section, value in sc:
        if not isinstance(value, BaseModel) or section == "areas":
            continue
        for name, field in type(value).model_fields.items():
            if field.annotation is not float:
                continue
            lo = next(
                (
                    m.ge if hasattr(m, "ge") else m.gt
                    for m in field.metadata
                    if isinstance(m, annotated_types.Ge | annotated_types.Gt)
                ),
                None,
            )
            hi = next(
                (
                    m.le if hasattr(m, "le") else m.lt
                    for m in field.metadata
                    if isinstance(m, annotated_types.Le | annotated_types.Lt)
                ),
                None,
            )
            if lo is None or hi is None:
                continue
            old = data[section][name]
            data[section][name] = float(rng.uniform(lo, hi))
            try:
                Scenario.model_validate(data)
            except ValidationError:
                data[section][name] = old
    return Scenario.model_validate(data)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_runs_the_same_compiled_or_not(name):
    sc = load_scenario(name)
    for seed in (0, 1):
        assert both_ways(sc, seed) == []


@pytest.mark.parametrize("switch", SWITCHES)
def test_each_mechanism_switched_off_runs_the_same_compiled_or_not(switch):
    sc = load_scenario("lpsa1_baseline", {"mechanisms": {switch: False}})
    assert both_ways(sc, 3) == []


def test_every_mechanism_off_at_once_runs_the_same_compiled_or_not():
    sc = load_scenario("lpsa1_baseline", {"mechanisms": {s: False for s in SWITCHES}})
    assert both_ways(sc, 4) == []


@pytest.mark.parametrize("point", range(8))
def test_random_parameter_points_run_the_same_compiled_or_not(point):
    rng = np.random.default_rng(1000 + point)
    sc = random_point(rng, load_scenario("lpsa1_baseline"))
    assert sc != load_scenario("lpsa1_baseline")
    assert both_ways(sc, point) == []


def test_a_compiled_run_can_take_over_from_any_quarter():
    sc = load_scenario("lpsa1_baseline")
    reference = LPSAModel(sc, seed=5).run(compiled=False)
    for quarter in (1, 13, reference.n_quarters - 1):
        m = LPSAModel(sc, seed=5)
        for _ in range(quarter):
            m.step()
        assert differences(reference, m.run()) == []


def test_the_comparison_would_see_a_changed_mechanism():
    """The check itself: a compiled run with one parameter off by a hair is not the reference."""
    sc = load_scenario("lpsa1_baseline")
    nudged = load_scenario("lpsa1_baseline", {"implementation": {"shock_sd": 0.0800000001}})
    reference = LPSAModel(sc, seed=2).run(compiled=False)
    assert "model.history" in differences(reference, LPSAModel(nudged, seed=2).run())
    m = LPSAModel(sc, seed=2).run()
    m.streams["post"].random()
    assert differences(reference, m) == ["stream post"]
