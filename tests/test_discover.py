"""Scenario discovery with PRIM: a planted box of poor outcomes is recovered from synthetic runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli


def planted(tmp_path, n: int = 1500):
    rng = np.random.default_rng(1)
    runs = pd.DataFrame(
        {
            "funding.ppg_share": rng.random(n),
            "authorities.turnover_rate": rng.uniform(0.02, 0.12, n),
            "stretch.ambition": rng.uniform(0.8, 1.4, n),
            "replication": rng.integers(0, 5, n),
        }
    )
    bad = (runs["funding.ppg_share"] < 0.3) & (runs["authorities.turnover_rate"] > 0.08)
    runs["retained_gain_3y"] = np.where(bad, 0.35, 0.65) + rng.normal(0, 0.03, n)
    runs["status"] = "ok"
    folder = tmp_path / "sweep"
    folder.mkdir()
    runs.to_parquet(folder / "runs.parquet")
    return folder


@pytest.mark.slow
def test_discovery_recovers_a_planted_box(tmp_path):
    folder = planted(tmp_path)
    r = run_cli(
        "discover",
        str(folder),
        "--outcome",
        "retained_gain_3y",
        "--below",
        "0.5",
        "--out",
        str(tmp_path / "d"),
    )
    assert r.returncode == 0, r.stderr
    boxes = pd.read_csv(tmp_path / "d" / "boxes.csv").set_index("input")
    assert set(boxes.index) == {
        "funding.ppg_share",
        "authorities.turnover_rate",
    }  # ambition and replication are not restricted
    assert 0.27 < boxes.loc["funding.ppg_share", "max"] < 0.33
    assert 0.07 < boxes.loc["authorities.turnover_rate", "min"] < 0.09
    assert (
        boxes["coverage"].iloc[0] > 0.9 and boxes["density"].iloc[0] >= 0.8
    )  # the default --min-density
    assert "coverage" in (tmp_path / "d" / "discovery.md").read_text()
    assert (tmp_path / "d" / "box_1.png").stat().st_size > 0


def test_discovery_explains_a_wrong_outcome_name(tmp_path, lpsa):
    folder = planted(tmp_path)
    r = lpsa("discover", str(folder), "--outcome", "retained_3y", "--below", "0.5")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "'retained_3y'" in r.stderr and "retained_gain_3y" in r.stderr


def test_discovery_needs_contrast(tmp_path, lpsa):
    folder = planted(tmp_path)
    r = lpsa("discover", str(folder), "--outcome", "retained_gain_3y", "--below", "-1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no contrast" in r.stderr
    assert not list(folder.glob("discovery-*")), "nothing is written for a refused discovery"
