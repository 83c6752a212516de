"""run.py end to end, as a user runs it: outputs, side-by-side comparison; refusals and usage
messages in process, each before anything runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import ROOT, run_cli

from lpsa.experiments.cli import SUBCOMMANDS

__all__ = ["ROOT", "run_cli", "small"]  # other test files run the command through these


def small(tmp_path: Path, name: str, extra: str = "") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"extends: lpsa1_baseline\nscheme:\n  n_authorities: 30\n{extra}")
    return p


@pytest.mark.slow
def test_main_job_writes_summary_tables_and_figures(tmp_path):
    out = tmp_path / "out"
    r = run_cli(str(small(tmp_path, "tiny")), "--replications", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    # it leads with its answer in words (main_job_report.opening), then the table
    assert r.stdout.startswith("tiny: ") and "of targets met" in r.stdout.splitlines()[0]
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
    # one sign convention, A - B as the command names them, in the opening and the table
    assert "heavy - light: " in r.stdout.splitlines()[2]
    lines = r.stdout.splitlines()
    header = next(line for line in lines if line.startswith(" ") and "heavy" in line)
    assert "heavy - light" in header
    # summary.csv: both scenarios, then their difference A - B, named so; units in a sidecar
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["scenario"]) == ["heavy", "light", "heavy - light"]
    met = summary["targets_met_share"]
    assert met[2] == pytest.approx(met[0] - met[1], abs=1e-15)
    units = pd.read_csv(out / "summary_columns.csv").set_index("column")
    assert set(summary.columns) <= set(units.index)
    assert units.loc["targets_met_share", "unit"] == "share"
    assert units.loc["reward_paid", "unit"] == "GBP"


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


def test_bad_scenario_file_gets_one_clear_message(tmp_path, lpsa):
    bad = tmp_path / "bad.yaml"
    bad.write_text("funding:\n  payout_floor: 2\n")
    r = lpsa(str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert str(bad) in r.stderr and "funding.payout_floor" in r.stderr and "2" in r.stderr
    assert not (tmp_path / "o").exists()


def test_a_missing_scenario_is_one_line_naming_the_shipped_ones(lpsa):
    r = lpsa("nowhere.yaml")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "nowhere.yaml" in r.stderr and "not found" in r.stderr and "lpsa1_baseline" in r.stderr


@pytest.mark.parametrize(
    "args, named",
    [
        (
            ["--replications", "0"],
            "--replications: got 0; allowed: a whole number from 1 to 100,000",
        ),
        (["--seed", "minus"], "--seed: got 'minus'; allowed: a whole number from 0 to 2**63-1"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_get_the_usage_and_one_line_naming_what_is_allowed(args, named, lpsa):
    r = lpsa(*args)
    assert r.returncode == 2 and r.stdout == ""
    usage, error = r.stderr.split("\nlpsa: error: ")
    assert usage.startswith("usage: lpsa ") and error.count("\n") == 1 and named in error


@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_help_shows_the_usage_and_exits_zero(command, lpsa):
    r = lpsa(*([command] if command else []), "--help")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: ") and f" {command or 'lpsa'} " in r.stdout.splitlines()[0]
    if command is None:
        assert all(name in r.stdout for name in SUBCOMMANDS), "the other commands are listed"


def test_unwritable_output_folder_gets_a_clear_message(tmp_path, lpsa):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = lpsa(str(small(tmp_path, "tiny")), "--replications", "1", "--out", str(blocker / "sub"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and str(blocker) in r.stderr
    assert blocker.read_text() == "x"


def test_scenario_names_must_be_safe_for_folder_names(tmp_path, lpsa):
    bad = tmp_path / "bad.yaml"
    bad.write_text('name: "../escape"\n')
    r = lpsa(str(bad))
    assert r.returncode == 2 and "field 'name'" in r.stderr and "../escape" in r.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path.parent / "escape").exists()


def test_a_hundred_thousand_replications_are_refused_before_any_run(tmp_path, lpsa):
    r = lpsa("--replications", "100000", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "lpsa1_baseline x 100,000 replications with twins needs about" in r.stderr
    assert "GB of memory, and this machine has" in r.stderr and "--max-memory GB" in r.stderr
    assert not (tmp_path / "o").exists()


def test_a_hundred_thousand_councils_are_refused_beyond_the_memory_limit(tmp_path, lpsa):
    huge = small(tmp_path, "huge").read_text().replace("30", "100000")
    (tmp_path / "huge.yaml").write_text(huge)
    # 24 GB: a machine on which one such run, let start, grew past 24 GB and was killed
    r = lpsa(str(tmp_path / "huge.yaml"), "--replications", "1", "--no-twins", "--max-memory", "24")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "huge x 1 replications needs about" in r.stderr
    assert "and the limit is 24 GB (--max-memory)" in r.stderr


MEASURED_PEAKS_GB = {5_000: 0.47, 20_000: 1.68, 30_000: 3.11, 50_000: 7.51, 100_000: 24.0}
"""Peak resident memory of one run, no twins (``/usr/bin/time``, 2026-12-05; 100,000 councils
were killed beyond 24 GB)."""


def test_the_memory_estimate_of_a_run_covers_its_measured_peak_at_every_size():
    from lpsa.experiments.runs import PROCESS_BYTES, run_bytes
    from lpsa.model import load_scenario

    for councils, peak in MEASURED_PEAKS_GB.items():
        scenario = load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": councils}})
        estimate = (PROCESS_BYTES + run_bytes(scenario, twins=False)) / 1e9
        assert peak <= estimate <= 2 * peak, councils  # neither too low nor absurdly high


def test_results_beyond_the_disk_limit_are_refused(tmp_path, lpsa):
    r = lpsa(str(small(tmp_path, "s")), "--replications", "100", "--max-disk", "0.0001")
    assert r.returncode == 2 and "GB of disk space, and the limit is 0.0001 GB" in r.stderr


def test_a_small_job_passes_the_size_check():
    from lpsa.experiments.runs import main_job_size, memory_available
    from lpsa.model import load_scenario

    memory, disk = main_job_size([load_scenario("lpsa1_baseline")], 20, twins=True)
    assert memory < 1e9 and disk < 1e8  # the default job: well under a gigabyte
    assert memory_available() is None or memory_available() > memory
