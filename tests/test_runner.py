"""The experiment runner: one tidy table, the same whatever the chunking or the executor."""

from __future__ import annotations

import gc
import weakref
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from lpsa.experiments.runner import Design, Outcomes, Point, run_table
from lpsa.model import LPSAModel, load_scenario, replication_seed

SMALL = load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 12}})


def design(twins: bool = False) -> Design:
    points = [Point({"funding.ppg_share": v}) for v in (0.1, 0.5, 0.9)]
    return Design({"base": SMALL}, points, replications=3, seed=11, twins=twins)


def test_the_table_is_identical_whatever_the_chunk_size_or_executor():
    reference = run_table(design(), chunk_size=1)
    for chunk in (2, 5, 100):
        pd.testing.assert_frame_equal(reference, run_table(design(), chunk_size=chunk))
    with ThreadPoolExecutor(2) as pool:
        pd.testing.assert_frame_equal(reference, run_table(design(), executor=pool, chunk_size=4))


def test_the_table_is_identical_whether_runs_are_run_or_stepped(monkeypatch):
    """Running and stepping (``model/quarter.py``) are one backend to the runner."""
    run_at_once = run_table(design(twins=True), chunk_size=4)
    stepped = []

    def run_stepped(self: LPSAModel) -> LPSAModel:
        stepped.append(self)
        while self.running:
            self.step()
        return self

    monkeypatch.setattr(LPSAModel, "run", run_stepped)
    pd.testing.assert_frame_equal(run_at_once, run_table(design(twins=True), chunk_size=4))
    assert len(stepped) == 18  # 9 runs and their twins


def test_a_released_model_is_freed_at_once_not_by_the_cyclic_collector():
    gc.collect()
    gc.disable()
    try:
        kept, released = LPSAModel(SMALL, seed=1).run(), LPSAModel(SMALL, seed=1).run()
        refs = weakref.ref(kept), weakref.ref(released)
        released.release()
        del kept, released
        assert refs[0]() is not None  # a model is a web of cycles: only the collector frees it
        assert refs[1]() is None
    finally:
        gc.enable()


def test_a_model_whose_agents_were_looked_at_can_still_be_freed():
    """Mesa before 3.4.2 numbers agents in a class-level dict keyed by the model, which would keep
    every model whose agents were made alive for the life of the process
    (``model.release_agent_numbering``); Mesa 3.4.2 and later have no such dict."""
    model = LPSAModel(SMALL, seed=1).run()
    assert len(model.agents) > 0  # the agents are made the first time anyone looks
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_the_runner_frees_every_run_and_twin_once_measured(models_made):
    run_table(design(twins=True), chunk_size=4)
    assert len(models_made) == 18 and not [r for r in models_made if r() is not None]


def test_one_row_per_run_with_its_point_seed_and_outcomes():
    table = run_table(design(twins=True), Outcomes(["targets_met_share", "additionality_mean"]))
    assert list(table["run_id"]) == list(range(9))
    assert list(table["funding.ppg_share"]) == [0.1] * 3 + [0.5] * 3 + [0.9] * 3
    assert list(table["seed"]) == [replication_seed(11, r) for r in range(3)] * 3
    assert table["additionality_mean"].notna().all() and (table["status"] == "ok").all()


def test_a_point_that_is_not_a_valid_scenario_is_recorded_as_failed_not_raised():
    bad = Design(
        {"base": SMALL},
        [Point({"funding.ppg_share": 0.5}), Point({"funding.ppg_share": 7})],
        replications=2,
        seed=1,
    )
    table = run_table(bad, Outcomes(["targets_met_share"]))
    assert list(table["status"]) == ["ok", "ok", "failed", "failed"]
    assert "funding.ppg_share" in table.loc[2, "error"]
    assert table.loc[2:, "targets_met_share"].isna().all()
    assert list(table.columns) == [
        "run_id",
        "point",
        "name",
        "replication",
        "seed",
        "funding.ppg_share",
        "targets_met_share",
        "status",
        "error",
    ]


def test_an_experiment_files_scenarios_resolve_beside_it_from_any_folder(tmp_path, monkeypatch):
    from lpsa.experiments.design import Experiment

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "my_base.yaml").write_text("extends: lpsa1_baseline\nscheme: {n_authorities: 12}\n")
    (folder / "exp.yaml").write_text(
        "name: exp\nbase: my_base.yaml\ncompare: [my_base, ppg_heavy]\n"
        "levers:\n  funding.ppg_share: {values: [0.2]}\n"
    )
    monkeypatch.chdir(tmp_path)
    exp = Experiment(folder / "exp.yaml")
    assert exp.base.name == "my_base" and exp.base.scheme.n_authorities == 12
    assert [sc.name for sc in exp.compare] == ["my_base", "ppg_heavy"]


def test_local_workers_start_from_this_process_on_linux_not_afresh():
    """Importing Mesa makes 'spawn' the default start method; a spawned worker re-imports
    everything and reloads the compiled quarter (about a second a worker)."""
    import multiprocessing
    import sys

    from lpsa.experiments.arguments import process_pool

    default = multiprocessing.get_start_method()
    with process_pool(1) as pool:
        expected = "fork" if sys.platform.startswith("linux") else default
        assert pool._mp_context.get_start_method() == expected
        assert pool.submit(sum, [1, 2]).result() == 3


def huge_pages_asked() -> bool:
    """Whether numpy asks Linux for huge pages on large arrays in this process (unchanged)."""
    from lpsa.experiments.arguments import huge_page_setter

    setter = huge_page_setter()
    previous = setter(False)
    setter(previous)
    return bool(previous)


def test_the_lpsa_command_and_its_workers_do_not_ask_for_huge_pages(capsys):
    """Huge-page compaction stalled about one 10,000-council run in three (0.35 s, not 0.2 s):
    the command turns numpy's request off before anything runs, and forked workers inherit it."""
    from lpsa.experiments.arguments import huge_page_setter, process_pool
    from lpsa.experiments.cli import main as cli_main

    setter = huge_page_setter()
    before = setter(True)
    try:
        assert huge_pages_asked()
        with pytest.raises(SystemExit):  # a usage error: refused before anything runs
            cli_main(["validate", "--replications", "0"])
        assert not huge_pages_asked()
        with process_pool(1) as pool:
            assert pool.submit(huge_pages_asked).result() is False
    finally:
        setter(before)
