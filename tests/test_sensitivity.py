"""SALib sensitivity: screening and Sobol stages run, the report lists the top parameters per
output, and outcomes that are undefined somewhere are reported, not crashed on."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli

from lpsa.experiments.uncertainty import load_uncertain
from lpsa.model.scenario import parameter_overrides

K = len(load_uncertain()[1])
"""Uncertain parameters: a Morris trajectory has K + 1 points."""


def test_uncertain_parameters_are_valid_scenario_fields_with_reasons():
    _, params = load_uncertain()
    assert len(params) >= 15 and all(p.reason for p in params)


def test_parameters_named_by_dotted_path_or_double_underscore_become_overrides():
    assert parameter_overrides({"a.b": 1, "a__c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


@pytest.mark.slow
def test_sensitivity_report_lists_five_most_influential_parameters_per_output(tmp_path):
    r = run_cli(
        "sensitivity",
        "--trajectories",
        "2",
        "--sobol-n",
        "4",
        "--sobol-top",
        "3",
        "--replications",
        "1",
        "--workers",
        "2",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "sensitivity.md").read_text()
    for output in ("targets_met_share", "reward_paid_share", "retained_gain_3y"):
        section = report.split(f"## {output}")[1].split("##")[0]
        assert section.count("\n5. `") == 1
        assert (tmp_path / f"sensitivity_{output}.png").stat().st_size > 0
    assert (tmp_path / "morris.csv").is_file() and (tmp_path / "manifest.json").is_file()


def two_parameters_over_twelve_councils(folder: Path, first: str) -> Path:
    """An experiment file: ``first`` (a path with its range, as YAML) and the improvement rate,
    over a 12-council baseline."""
    base = folder / "small.yaml"
    base.write_text("extends: lpsa1_baseline\nscheme: {n_authorities: 12}\n")
    params = folder / "ranges.yaml"
    params.write_text(
        f"name: ranges\nbase: {base}\nmethod: lhs\nsamples: 4\nuncertainties:\n"
        f"  {first}\n"
        "  implementation.improvement_rate: {low: 0.15, high: 0.45}\n"
    )
    return params


@pytest.mark.slow
def test_an_outcome_undefined_at_some_points_is_reported_and_the_rest_analysed(tmp_path):
    params = two_parameters_over_twelve_councils(
        tmp_path, "funding.ppg_share: {low: 0.5, high: 1.0}"
    )
    r = run_cli(
        "sensitivity",
        "--parameters",
        str(params),
        "--trajectories",
        "4",
        "--sobol-n",
        "4",
        "--replications",
        "1",
        "--workers",
        "1",
        "--out",
        str(tmp_path / "o"),
    )
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "o" / "sensitivity.md").read_text()
    assert "`reward_paid_share` is undefined at" in report
    assert (tmp_path / "o" / "sensitivity_targets_met_share.png").is_file()


@pytest.mark.slow
def test_an_outcome_measured_against_the_twin_is_analysed_with_twins_counted_as_runs(
    tmp_path, lpsa
):
    params = two_parameters_over_twelve_councils(
        tmp_path, "implementation.capacity_half: {low: 0.25, high: 0.8}"
    )
    analyse = ["sensitivity", "--parameters", str(params), "--trajectories", "2"]
    analyse += ["--sobol-n", "4", "--replications", "1", "--workers", "1"]
    r = run_cli(*analyse, "--outcomes", "additionality_3y_mean", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "o" / "sensitivity.md").read_text()
    assert "## additionality_3y_mean" in report and "is undefined at" not in report
    r = lpsa(
        *analyse, "--outcomes", "additionality_3y_mean", "--max-runs", "7", "--out",
        str(tmp_path / "p"),
    )  # fmt: skip
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "6 points x 1 replications x 2 (each run with its twin) = 12 runs" in r.stderr
    assert not (tmp_path / "p").exists()


def test_bad_sobol_sample_size_is_refused(lpsa):
    r = lpsa("sensitivity", "--sobol-n", "100")
    assert r.returncode == 2 and "--sobol-n" in r.stderr and "power of 2" in r.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (["sensitivity", "--trajectories", "1000000"], f"{1_000_000 * (K + 1):,} points"),
        (["calibrate", "--max-simulations", "1000000", "--replications", "5"], "5,000,000 runs"),
        (["calibrate", "--max-simulations", "1000000000000"], "from 1 to 1,000,000"),
        (["sweep", str(ROOT / "experiments" / "ppg_vs_reward.yaml"), "--workers", "100000"],
         "from 1 to 1024"),
    ],
)  # fmt: skip
def test_analyses_of_absurd_size_are_refused_before_anything_runs(args, expected, tmp_path, lpsa):
    r = lpsa(*args, "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and expected in r.stderr
    assert len(r.stderr) < 600 and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists(), "nothing is written for a refused analysis"
