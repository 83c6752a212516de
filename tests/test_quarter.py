"""The quarter is written once (``model/quarter.py``): stepping and running are the same code.

``LPSAModel.step()`` runs one quarter of ``quarter.run_quarters``, ``LPSAModel.run()`` all the
remaining ones in one call. Every array a run leaves, and the final state of every random stream,
must be identical either way: on every shipped scenario, with each mechanism switched off, at
random points of every float parameter, and when a run takes over part-way through. With numba
switched off the same source runs as plain Python and gives the same outcomes.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import annotated_types
import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from lpsa.model import LPSAModel, load_scenario, quarter
from lpsa.model.scenario import Mechanisms, Scenario

ROOT = Path(__file__).resolve().parents[1]

SHIPPED = ("lpsa1_baseline", "lpsa2_local", "ppg_heavy", "reward_heavy", "turbulent_priorities")
SWITCHES = [name for name, f in Mechanisms.model_fields.items() if f.annotation is bool]


def differences(a: LPSAModel, b: LPSAModel) -> list[str]:
    """Names of every array or stream on which two finished runs differ."""
    groups = {
        "model": (
            a,
            b,
            [
                "reported_from_start",
                "true_from_start",
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
        for name in names or [k for k in vars(x) if k != "setting"]:
            u, v = getattr(x, name), getattr(y, name)
            if isinstance(u, dict):
                same = u.keys() == v.keys() and all(np.array_equal(u[k], v[k]) for k in u)
            else:
                same = np.array_equal(np.asarray(u), np.asarray(v), equal_nan=True)
            if not same:
                bad.append(f"{group}.{name}")
    bad += [
        f"stream {k}"
        for k in a.streams
        if a.streams[k].bit_generator.state != b.streams[k].bit_generator.state
    ]
    return bad


def stepped(scenario: Scenario, seed: int, quarters: int | None = None) -> LPSAModel:
    """A model stepped one quarter at a time, ``quarters`` of them (default: to the end)."""
    m = LPSAModel(scenario, seed=seed)
    while m.running and (quarters is None or m.quarter < quarters):
        m.step()
    return m


def both_ways(scenario: Scenario, seed: int) -> list[str]:
    return differences(stepped(scenario, seed), LPSAModel(scenario, seed=seed).run())


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
def test_every_shipped_scenario_runs_the_same_stepped_or_run(name):
    sc = load_scenario(name)
    for seed in (0, 1):
        assert both_ways(sc, seed) == []


@pytest.mark.parametrize("switch", SWITCHES)
def test_each_mechanism_switched_off_runs_the_same_stepped_or_run(switch):
    sc = load_scenario("lpsa1_baseline", {"mechanisms": {switch: False}})
    assert both_ways(sc, 3) == []


def test_every_mechanism_off_at_once_runs_the_same_stepped_or_run():
    sc = load_scenario("lpsa1_baseline", {"mechanisms": {s: False for s in SWITCHES}})
    assert both_ways(sc, 4) == []


@pytest.mark.parametrize("point", range(8))
def test_random_parameter_points_run_the_same_compiled_or_not(point):
    rng = np.random.default_rng(1000 + point)
    sc = random_point(rng, load_scenario("lpsa1_baseline"))
    assert sc != load_scenario("lpsa1_baseline")
    assert both_ways(sc, point) == []


def test_a_run_can_take_over_from_any_quarter_stepped():
    sc = load_scenario("lpsa1_baseline")
    reference = LPSAModel(sc, seed=5).run()
    for q in (1, 13, reference.n_quarters - 1):
        assert differences(reference, stepped(sc, 5, quarters=q).run()) == []


def test_the_comparison_would_see_a_changed_mechanism():
    """The check itself: a run with one parameter off by a hair is not the reference."""
    sc = load_scenario("lpsa1_baseline")
    nudged = load_scenario("lpsa1_baseline", {"implementation": {"shock_sd": 0.0800000001}})
    reference = stepped(sc, 2)
    assert "model.reported_from_start" in differences(reference, LPSAModel(nudged, seed=2).run())
    m = LPSAModel(sc, seed=2).run()
    m.streams["post"].random()
    assert differences(reference, m) == ["stream post"]


def test_a_quarter_calls_every_mechanism_once_in_the_order_quarter_states():
    """``QUARTER`` (what docs/ODD.md follows) is the order ``quarter.quarter`` runs."""
    tree = ast.parse(inspect.getsource(quarter.quarter.py_func))
    called = [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    mechanisms = {f.__name__ for _, f in quarter.QUARTER}
    assert [name for name in called if name in mechanisms] == [
        f.__name__ for _, f in quarter.QUARTER
    ]


def test_a_step_advances_one_quarter_and_mesa_time():
    m = LPSAModel("lpsa1_baseline", seed=1)
    assert (m.quarter, m.steps, m.time) == (0, 0, 0)
    m.step()
    m.step()
    assert (m.quarter, m.steps, m.time) == (2, 2, 2)
    assert m.running


SMALL_RUN = """
import json, sys
from lpsa.model import LPSAModel
m = LPSAModel("lpsa1_baseline", seed=3, scheme__n_authorities=6)
while m.running:
    m.step()
print(json.dumps(m.summary()))
"""


def test_without_numba_the_same_source_runs_as_python_with_the_same_outcomes():
    """``NUMBA_DISABLE_JIT=1`` runs ``quarter.py`` as plain Python (for a debugger): the same
    outcomes as the compiled quarter, so there is no second implementation to keep in step."""
    outcomes = {}
    for jit_off in ("0", "1"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": jit_off}
        out = subprocess.run(
            [sys.executable, "-c", SMALL_RUN], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        outcomes[jit_off] = out.stdout
    assert outcomes["0"] == outcomes["1"]  # the same JSON text: every outcome, NaN or not
    assert 0 < json.loads(outcomes["0"])["participation_rate"] <= 1


@pytest.mark.parametrize("n", [1, 7, 8, 12, 20, 127, 128, 129, 300, 1_000])
def test_the_quarters_sums_round_as_numpys_sum(n):
    """The quarter's means (diversion, inspection, rewards, the recorded means) sum as numpy does
    (pairwise, ``model/sums.py``), so a mean taken in the quarter equals ``numpy.mean`` of the
    arrays the run leaves: a running sum rounds differently."""
    from lpsa.model.sums import np_sum, row_sum

    a = np.random.default_rng(n).normal(size=(3, n)) * 10.0 ** np.arange(-3, 0)[:, None]
    for i in range(3):
        assert np_sum(a[i], 0, n) == a[i].sum()
        assert np_sum(a[i], 1, n - 1) == a[i, 1:].sum()
        if n <= 128:  # a council's targets: at most 20
            assert row_sum(a, i) == a[i].sum()
