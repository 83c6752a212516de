"""Every constant of the dynamics lives in the scenario schema, with its unit, range and reason.

The constants once written as literals in the model code are now schema fields whose defaults
reproduce the old literals, so a run with the defaults is unchanged and a run with another value
differs.
"""

from __future__ import annotations

import annotated_types
import numpy as np
import pytest

from lpsa.model import LPSAModel, Scenario, ScenarioError, load_scenario
from lpsa.model.scenario import MAX_RATING, QUARTERS_PER_YEAR, validate_scenario

NEW_FIELDS = {
    # (section, field): (old literal, another valid value)
    ("authorities", "nbr_sd"): (0.15, 0.4),
    ("authorities", "own_thinking_time_mean"): (0.5, 0.8),
    ("authorities", "turnover_cv"): (0.5, 1.2),
    ("implementation", "champion_capacity_floor"): (0.5, 0.1),
    ("participation", "trust_reference"): (0.5, 0.9),
}
SEED = 3


def run(overrides: dict | None = None) -> LPSAModel:
    return LPSAModel(load_scenario("lpsa1_baseline", overrides), seed=SEED).run()


@pytest.fixture(scope="module")
def baseline() -> LPSAModel:
    return run()


def test_default_scenario_still_validates():
    default = Scenario()
    assert validate_scenario(default.model_dump()) == default
    assert load_scenario("lpsa1_baseline").authorities.turnover_cv == 0.5


@pytest.mark.parametrize(("section", "name"), list(NEW_FIELDS))
def test_new_field_defaults_to_the_old_literal(section, name):
    old, _ = NEW_FIELDS[section, name]
    assert getattr(getattr(Scenario(), section), name) == old


@pytest.mark.parametrize(("section", "name"), list(NEW_FIELDS))
def test_new_field_has_unit_range_and_reason(section, name):
    field = type(getattr(Scenario(), section)).model_fields[name]
    assert "[" in field.description and "]" in field.description
    assert "assumption" in field.description or ":" in field.description
    kinds = {type(m) for m in field.metadata}
    assert kinds & {annotated_types.Ge, annotated_types.Gt}
    assert kinds & {annotated_types.Le, annotated_types.Lt}


def test_every_numeric_parameter_has_a_unit_and_a_bound():
    sections = [
        f.annotation
        for n, f in Scenario.model_fields.items()
        if isinstance(f.annotation, type)
        and n not in ("mechanisms",)
        and hasattr(f.annotation, "model_fields")
    ]
    for section in sections:
        for name, field in section.model_fields.items():
            if field.annotation not in (int, float, float | None):
                continue
            assert "[" in (field.description or ""), f"{section.__name__}.{name}: no [unit]"
            assert field.metadata, f"{section.__name__}.{name}: no range"


def test_explicit_defaults_reproduce_the_run_bit_for_bit(baseline):
    overrides: dict = {}
    for (section, name), (old, _) in NEW_FIELDS.items():
        overrides.setdefault(section, {})[name] = old
    assert np.array_equal(run(overrides).reported_from_start, baseline.reported_from_start)


def test_turnover_spread_changes_turnover_but_not_its_mean(baseline):
    wide = run({"authorities": {"turnover_cv": 1.5}})
    assert not np.array_equal(wide.councils.turnover, baseline.councils.turnover)
    assert wide.councils.turnover.std() > baseline.councils.turnover.std()
    assert not np.array_equal(wide.reported_from_start, baseline.reported_from_start)


@pytest.mark.parametrize(("section", "name"), list(NEW_FIELDS))
def test_changing_a_new_field_changes_the_run(baseline, section, name):
    _, other = NEW_FIELDS[section, name]
    changed = run({section: {name: other}})
    assert not np.array_equal(changed.reported_from_start, baseline.reported_from_start)


def test_out_of_range_value_is_rejected():
    with pytest.raises(ScenarioError, match="authorities.turnover_cv"):
        load_scenario("lpsa1_baseline", {"authorities": {"turnover_cv": 0.0}})


def test_unit_constants():
    assert QUARTERS_PER_YEAR == 4
    assert MAX_RATING == 4
    m = LPSAModel(load_scenario("lpsa1_baseline"), seed=SEED)
    assert set(m.councils.rating) <= set(range(1, MAX_RATING + 1))
    # Reward instalments fall at the end of each year after the agreement.
    end = m.councils.end[0]
    due = sorted(q for q, who in m.instalments_due.items() if 0 in who)
    assert due == [end + QUARTERS_PER_YEAR * k - 1 for k in (1, 2)]
