"""`run.py validate`: the shipped baseline reproduces P1-P8; switching off a key mechanism fails,
naming the pattern."""

from __future__ import annotations

import numpy as np
import pytest
from test_run_cli import run_cli

from experiments.validate import PATTERNS, bootstrap_ci


def test_every_evidence_pattern_is_checked():
    ids = {p.id[:2] for p in PATTERNS}
    assert ids == {f"P{i}" for i in range(1, 9)}
    assert all(p.reason for p in PATTERNS)


def test_bootstrap_interval_brackets_the_mean():
    mean, lo, hi = bootstrap_ci(np.array([0.1, 0.2, 0.3, 0.4]))
    assert lo < mean < hi and mean == 0.25


@pytest.mark.slow
def test_the_shipped_baseline_passes_validation(tmp_path):
    r = run_cli("validate", "--replications", "12", "--out", str(tmp_path), "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr
    report = (tmp_path / "validation.md").read_text()
    assert "P1a" in report and "P8" in report and "FAIL" not in report
    assert (tmp_path / "validation.png").stat().st_size > 0


@pytest.mark.slow
def test_validation_fails_naming_the_pattern_when_nothing_makes_systemic_change_last(tmp_path):
    # Switching persistence off alone no longer fails P5a: councils that choose systemic change
    # (affluent, few cohort targets) keep more anyway. Without those selection effects too, it
    # fails.
    scenario = tmp_path / "no_persistence.yaml"
    scenario.write_text(
        "extends: lpsa1_baseline\nmechanisms:\n  systemic_persistence: false\n"
        "  cohort_focus: false\n  budget_climate: false\n"
    )
    r = run_cli(
        "validate", str(scenario), "--replications", "12", "--out", str(tmp_path / "out"), "--quiet"
    )
    assert r.returncode == 1
    assert "validation failed: P5a" in r.stdout


@pytest.mark.slow
def test_validate_rejects_bad_arguments_clearly():
    r = run_cli("validate", "--replications", "zero")
    assert r.returncode == 2 and "--replications" in r.stderr and "Traceback" not in r.stderr
