"""Councils' own records of how their agreements ended (experiments/records.yaml, RECORDS.md)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from lpsa.experiments.patterns import PATTERNS, RECORD_PATTERNS, RunView, move_columns
from lpsa.experiments.records import (
    RECORDS_FILE,
    Records,
    council_results,
    load_records,
    percentile_of,
)
from lpsa.model import LPSAModel
from lpsa.model.outputs import target_columns

BY_ID = {p.id: p for p in PATTERNS}


def test_every_record_keeps_its_source_and_the_figures_of_records_md():
    data = load_records()
    by_id = data.by_id()
    assert all(r.source and r.unit and r.when for r in data.records)
    assert by_id["salford_end_split"].values == {"met": 5, "partly": 3, "nothing": 4}
    assert by_id["banes_reward_share"].value == pytest.approx(2.085 / 3.578, abs=1e-3)
    assert by_id["york_reward_share"].bound == "at_most"
    assert by_id["york_met_share"].value == pytest.approx(9 / 16)


def test_a_record_that_does_not_add_up_is_refused():
    raw = yaml.safe_load(RECORDS_FILE.read_text())
    raw["records"][0]["values"]["met"] = 6  # 6 + 3 + 4 is not 12
    with pytest.raises(ValidationError, match="summing"):
        Records.model_validate(raw)
    raw = yaml.safe_load(RECORDS_FILE.read_text())
    raw["records"][1]["value"] = float("nan")
    with pytest.raises(ValidationError):
        Records.model_validate(raw)


def test_a_record_is_placed_by_its_mid_rank_among_the_councils():
    sample = np.array([0.25, 0.5, 0.5, 0.75])
    assert percentile_of(0.5, sample) == pytest.approx(0.5)  # 1 below, 2 equal
    assert percentile_of(0.1, sample) == 0.0
    assert percentile_of(0.9, sample) == 1.0
    assert np.isnan(percentile_of(0.5, np.zeros(0)))


def test_council_results_count_each_councils_own_targets():
    t = {
        "authority": np.array([3, 3, 3, 8, 8, 8]),
        "outcome": np.array(["met", "partly", "missed", "met", "met", "missed"]),
        "reward_gbp": np.array([10.0, 5.0, 0.0, 10.0, 10.0, 0.0]),
        "max_reward_gbp": np.full(6, 10.0),
    }
    r = council_results(t)
    assert r["reward_share"] == pytest.approx([0.5, 2 / 3])
    assert r["met"] == pytest.approx([1 / 3, 2 / 3])
    assert r["partly"] == pytest.approx([1 / 3, 0.0])
    assert r["nothing"] == pytest.approx([1 / 3, 1 / 3])


def test_the_records_are_patterns_that_validation_and_calibration_judge():
    ids = {p.id for p in RECORD_PATTERNS}
    assert {
        "R-typical_reward_share",
        "R-salford_end_split-met",
        "R-salford_end_split-partly",
        "R-salford_end_split-nothing",
        "R-banes_reward_share",
        "R-york_reward_share",
        "R-york_met_share",
        "R-cpa_2003_moves-rose",
        "R-cpa_2003_moves-fell",
    } == ids
    assert ids <= {p.id for p in PATTERNS}
    assert all(p.source for p in RECORD_PATTERNS)


def _record_values(**overrides) -> dict[str, float]:
    values: dict[str, list[float]] = {p.id: [] for p in RECORD_PATTERNS}
    for seed in range(3):
        m = LPSAModel(seed=seed, **overrides).run()
        view = RunView(target_columns(m), {}, move_columns(m))
        for p in RECORD_PATTERNS:
            values[p.id].append(p.compute(view))
    return {k: float(np.mean(v)) for k, v in values.items()}


def test_without_setbacks_the_typical_council_earns_more_than_the_records_say():
    # the referee's finding (issue 25): targets cluster just under full stretch and too much
    # reward is paid; setbacks the council does not control bring the model to the records
    typical = BY_ID["R-typical_reward_share"]
    without = _record_values(mechanisms__setbacks=False)
    assert not typical.within(without["R-typical_reward_share"])
    with_ = _record_values()
    assert typical.within(with_["R-typical_reward_share"])
    assert with_["R-salford_end_split-nothing"] < without["R-salford_end_split-nothing"]
