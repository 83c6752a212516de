"""Experiments from Python (``lpsa.experiments.api``): declared as a dict or keyword arguments with
the same validation as an experiment file, run on any ``concurrent.futures`` executor, plotted
with the command line's own figures."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import run_cli

from lpsa.experiments import api, figures_report
from lpsa.experiments.design import MAX_RUNS, Experiment
from lpsa.experiments.runner import FAIL_HOOK
from lpsa.experiments.sweep_summary import load
from lpsa.experiments.sweeps import check_sweep_file
from lpsa.model import ScenarioError, load_scenario

FIELDS: dict[str, Any] = {
    "name": "ppg_share",
    "base": "small.yaml",
    "levers": {"funding.ppg_share": {"values": [0.2, 0.8]}},
    "uncertainties": {"implementation.improvement_rate": {"low": 0.15, "high": 0.45}},
    "method": "lhs",
    "samples": 2,
    "replications": 2,
    "seed": 7,
    "chunk_size": 3,
    "outcomes": ["targets_met_share", "retained_gain_3y"],
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "small.yaml").write_text("extends: lpsa1_baseline\nscheme: {n_authorities: 12}\n")
    return tmp_path


def from_file(folder: Path, fields: dict[str, Any], max_runs: int = MAX_RUNS) -> Experiment:
    """The experiment file with these fields, checked as ``lpsa sweep`` checks it."""
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(fields))
    experiment = Experiment(path, max_runs)
    check_sweep_file(experiment, max_runs)
    return experiment


def test_a_dict_keywords_and_a_file_declare_the_same_experiment_and_the_same_runs(folder):
    from_dict = api.experiment(FIELDS, folder=folder)
    from_keywords = api.experiment(folder=folder, **FIELDS)
    file = from_file(folder, FIELDS)
    assert from_dict.spec == from_keywords.spec == file.spec
    assert from_dict.points == from_keywords.points == file.points
    runs = api.run(from_dict)
    assert len(runs) == 4 * 2 and (runs["status"] == "ok").all()
    pd.testing.assert_frame_equal(runs, api.run(file))


def test_keywords_override_a_dict_and_a_shipped_experiment_file(folder):
    exp = api.experiment(FIELDS, folder=folder, replications=1)
    assert exp.spec.replications == 1 and exp.spec.seed == FIELDS["seed"]
    shipped = api.experiment("ppg_vs_reward.yaml", replications=1, twins=False)
    assert shipped.spec.name == "ppg_vs_reward" and shipped.spec.replications == 1


@pytest.mark.parametrize(
    "change",
    [
        {"levers": {"funding.ppg_share": {"values": [0.2, 1.5]}}},  # out of the schema's range
        {"levers": {"funding.no_such_thing": {"values": [1.0]}}},
        {"methd": "grid"},
        {"method": "sobol", "samples": 3},
        {"outcomes": ["happiness"]},
        {"replications": 0},
        {"base": "no_such_scenario"},
        {"levers": {"seed": {"values": [1, 2]}}},  # the experiment's own field, not a parameter
        {"method": "grid", "uncertainties": {}},  # samples that grid would ignore
        {  # 600,000 runs, 1,200,000 with their twins: over the run limit
            "twins": True,
            "replications": 100_000,
            "levers": {"funding.ppg_share": {"values": [0.2, 0.5, 0.8]}},
        },
    ],
)
def test_a_declared_experiment_is_refused_with_the_message_its_file_gets(folder, change):
    fields = {**FIELDS, **change}
    with pytest.raises(ScenarioError) as in_file:
        from_file(folder, fields)
    with pytest.raises(ScenarioError) as declared:
        api.experiment(fields, folder=folder)
    source = "experiment 'ppg_share' (declared in Python)"
    assert str(declared.value).startswith(source)
    file_path = str(folder / "experiment.yaml")
    assert str(declared.value) == str(in_file.value).replace(file_path, source)


def test_the_run_limit_is_checked_before_any_point_is_built(folder):
    huge = {**FIELDS, "levers": {"funding.ppg_share": {"values": list(np.linspace(0, 1, 1000))}}}
    with pytest.raises(ScenarioError, match="allowed: at most 100"):
        api.experiment(huge, folder=folder, max_runs=100)


def test_numpy_numbers_are_numbers_as_in_a_file(folder):
    fields = {**FIELDS, "levers": {"funding.ppg_share": {"values": np.array([0.2, 0.8])}}}
    fields["replications"] = np.int64(2)
    assert (
        api.experiment(fields, folder=folder).points == api.experiment(FIELDS, folder=folder).points
    )


def test_a_loaded_scenario_can_be_the_base(folder):
    base = load_scenario(folder / "small.yaml")
    exp = api.experiment({**FIELDS, "base": base})
    assert exp.base == base and exp.points == api.experiment(FIELDS, folder=folder).points


def test_any_executor_gives_the_same_runs_bit_for_bit(folder):
    exp = api.experiment({**FIELDS, "chunk_size": 1}, folder=folder)
    with ThreadPoolExecutor(2) as pool:
        pd.testing.assert_frame_equal(api.run(exp, pool), api.run(exp))


class FakeClient:
    """What the API needs of a Dask Client: ``get_executor()``."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.asked = 0

    def get_executor(self) -> Executor:
        self.asked += 1
        return self.executor


def test_a_dask_client_is_used_through_its_executor_and_anything_else_is_refused():
    with ThreadPoolExecutor(1) as pool:
        client = FakeClient(pool)
        assert api.as_executor(client) is pool and client.asked == 1
        assert api.as_executor(pool) is pool
    assert api.as_executor(None) is None
    with pytest.raises(ScenarioError, match="allowed: a concurrent.futures.Executor"):
        api.as_executor(4)


def test_with_out_it_is_a_resumable_sweep_that_report_and_plot_sweep_read(folder, monkeypatch):
    exp = api.experiment(FIELDS, folder=folder)
    out = folder / "results"
    runs = api.run(exp, out=out)
    monkeypatch.setenv(FAIL_HOOK, ",".join(map(str, runs["run_id"])))  # any run again would fail
    again = api.run(exp, out=out)  # resumes: every chunk is done, nothing runs again
    pd.testing.assert_frame_equal(runs, again)
    saved, manifest = load(out)
    assert manifest["parameters"] == list(FIELDS["levers"]) + list(FIELDS["uncertainties"])
    assert len(saved) == len(runs)
    figures = figures_report.plot_sweep(out)
    assert set(figures) == set(manifest["parameters"])
    assert all(p.parent == out and p.read_bytes()[:4] == b"\x89PNG" for p in figures.values())


def test_plot_sweep_from_a_table_finds_its_swept_parameters(folder):
    runs = api.run(api.experiment(FIELDS, folder=folder))
    figures = figures_report.plot_sweep(runs, out=folder / "figures")
    assert set(figures) == {"funding.ppg_share", "implementation.improvement_rate"}
    assert all(p.is_file() for p in figures.values())
    with pytest.raises(ScenarioError, match="needs out="):
        figures_report.plot_sweep(runs)


def test_plot_results_draws_the_main_jobs_figures_from_its_results_folder(folder):
    out = folder / "main"
    r = run_cli(
        str(folder / "small.yaml"), "--replications", "2", "--out", str(out), "--no-figures"
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (result,) = api.load_results(out)
    assert result.scenario.scheme.n_authorities == 12 and len(result.runs) == 2
    figures = figures_report.plot_results(out, out=folder)
    assert sorted(figures) == sorted(
        [
            "performance_over_time.png",
            "attainment_by_area.png",
            "retained_gain_by_approach.png",
            "ratings_moves_by_year.png",
        ]
    )
    assert all((folder / name).read_bytes()[:4] == b"\x89PNG" for name in figures)
    with pytest.raises(ScenarioError, match="a results folder of the main job"):
        api.load_results(folder / "nothing")
