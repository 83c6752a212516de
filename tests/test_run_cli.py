"""run.py end to end, as a user runs it: outputs, side-by-side comparison, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``run.py ARGS`` as a user would; ``env`` adds environment variables."""
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def small(tmp_path: Path, name: str, extra: str = "") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"extends: lpsa1_baseline\nscheme:\n  n_authorities: 30\n{extra}")
    return p


@pytest.mark.slow
def test_main_job_writes_summary_tables_and_figures(tmp_path):
    out = tmp_path / "out"
    r = run_cli(str(small(tmp_path, "tiny")), "--replications", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "targets_met_share" in r.stdout
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["scenario"]) == ["tiny"] and summary.loc[0, "replications"] == 3
    targets = pd.read_parquet(out / "targets.parquet")
    assert set(targets["replication"]) == {0, 1, 2}
    for name in [
        "authorities.parquet",
        "quarters.parquet",
        "trajectory.parquet",
        "performance_over_time.png",
        "attainment_by_area.png",
        "retained_gain_by_approach.png",
        "ratings_moves_by_year.png",
        "scenario-tiny.yaml",
        "manifest.json",
        "runs.parquet",
    ]:
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".*.tmp"))
    ratings = pd.read_parquet(out / "ratings.parquet")
    assert {"replication", "authority", "year", "rating", "score"} <= set(ratings.columns)
    assert ratings["rating"].between(1, 4).all()
    assert len(ratings) == 3 * 30 * ratings["year"].nunique()
    # The share of councils moving up and down a star each year can be read from it.
    moves = ratings.groupby("year")["moved"].agg(
        up=lambda m: (m > 0).mean(), down=lambda m: (m < 0).mean()
    )
    assert moves["up"].sum() > 0 and moves["down"].sum() > 0


@pytest.mark.slow
def test_two_scenarios_print_side_by_side_with_the_difference(tmp_path):
    a = small(tmp_path, "heavy", "funding:\n  ppg_share: 0.6\n")
    b = small(tmp_path, "light", "funding:\n  ppg_share: 0.05\n")
    out = tmp_path / "cmp"
    r = run_cli(str(a), str(b), "--replications", "2", "--out", str(out), "--no-figures")
    assert r.returncode == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if "heavy" in line and "light" in line)
    assert "light - heavy" in header
    assert list(pd.read_csv(out / "summary.csv")["scenario"]) == ["heavy", "light"]


@pytest.mark.slow
def test_same_seed_gives_identical_files(tmp_path):
    for name in ("a", "b"):
        r = run_cli(
            str(small(tmp_path, "tiny")),
            "--replications",
            "2",
            "--seed",
            "5",
            "--out",
            str(tmp_path / name),
            "--no-figures",
        )
        assert r.returncode == 0, r.stderr
    for table in ("summary.csv", "targets.parquet", "quarters.parquet"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes(), table


@pytest.mark.slow
def test_bad_scenario_file_gets_one_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("funding:\n  payout_floor: 2\n")
    r = run_cli(str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert str(bad) in r.stderr and "funding.payout_floor" in r.stderr and "2" in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_missing_scenario_and_bad_arguments_get_clear_messages(tmp_path):
    r = run_cli("nowhere.yaml")
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--replications", "0")
    assert (
        r.returncode == 2
        and "--replications" in r.stderr
        and "whole number from 1 to 100,000" in r.stderr
    )
    r = run_cli("--seed", "minus")
    assert r.returncode == 2 and "--seed" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_unwritable_output_folder_gets_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_cli(
        str(small(tmp_path, "tiny")),
        "--replications",
        "1",
        "--out",
        str(blocker / "sub"),
        "--no-figures",
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr and str(blocker) in r.stderr


@pytest.mark.slow
def test_scenario_names_must_be_safe_for_folder_names(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('name: "../escape"\n')
    r = run_cli(str(bad))
    assert r.returncode == 2 and "field 'name'" in r.stderr
