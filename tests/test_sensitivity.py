"""SALib sensitivity: screening and Sobol stages run, and the report lists the top parameters per output."""

from __future__ import annotations

from test_run_cli import run_cli

from experiments.points import load_uncertain, nested


def test_uncertain_parameters_are_valid_scenario_fields_with_reasons():
    params = load_uncertain()
    assert len(params) >= 15 and all(p.reason for p in params)


def test_dotted_paths_become_scenario_overrides():
    assert nested({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


def test_sensitivity_report_lists_five_most_influential_parameters_per_output(tmp_path):
    r = run_cli("sensitivity", "--trajectories", "2", "--sobol-n", "4", "--sobol-top", "3", "--replications", "1",
                "--workers", "2", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "sensitivity.md").read_text()
    for output in ("targets_met_share", "reward_paid_share", "retained_gain_3y"):
        section = report.split(f"## {output}")[1].split("##")[0]
        assert section.count("\n5. `") == 1
        assert (tmp_path / f"sensitivity_{output}.png").stat().st_size > 0


def test_bad_sobol_sample_size_is_refused():
    r = run_cli("sensitivity", "--sobol-n", "100")
    assert r.returncode == 2 and "power of 2" in r.stderr
