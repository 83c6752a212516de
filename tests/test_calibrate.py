"""ABC rejection calibration: distance, acceptance, and the report."""

from __future__ import annotations

import pandas as pd
import pytest
from test_run_cli import run_cli

from experiments.calibrate import TARGETS, discrepancy, within_tolerance
from experiments.validate import PATTERNS


def _stats(**changes: float) -> pd.DataFrame:
    base = {p.id: (TARGETS[p.id] if p.kind == "level" else 0.1) for p in PATTERNS}
    base.update(changes)
    return pd.DataFrame([base])


def test_a_point_matching_the_evidence_has_zero_distance_and_is_within_tolerance():
    stats = _stats()
    assert discrepancy(stats).iloc[0] == 0.0
    assert within_tolerance(stats).iloc[0]


def test_a_reversed_ordering_or_a_level_off_target_increases_the_distance():
    assert (
        discrepancy(_stats(P6=-0.05)).iloc[0] > 0 and not within_tolerance(_stats(P6=-0.05)).iloc[0]
    )
    assert discrepancy(_stats(P1a=0.45)).iloc[0] < discrepancy(_stats(P1a=0.55)).iloc[0]


@pytest.mark.slow
def test_calibrate_writes_the_accepted_region_and_the_fit(tmp_path):
    r = run_cli(
        "calibrate",
        "--samples",
        "12",
        "--replications",
        "1",
        "--accept",
        "1.0",
        "--workers",
        "2",
        "--out",
        str(tmp_path),
    )
    points = pd.read_csv(tmp_path / "calibration_points.csv")
    assert len(points) == 12 and {"distance", "accepted"} <= set(points.columns)
    if r.returncode == 0:
        report = (tmp_path / "calibration.md").read_text()
        assert "Accepted region" in report and "Fit of each pattern" in report
    else:
        assert r.returncode == 1 and "no point reproduced" in r.stdout
