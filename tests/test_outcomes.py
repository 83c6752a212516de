"""The outcome registry: one entry adds an outcome everywhere; the front door external tools use."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lpsa.experiments.cli import format_summary
from lpsa.experiments.design import Experiment
from lpsa.experiments.runs import run_scenarios, summary_table
from lpsa.experiments.sweep_summary_report import write_report
from lpsa.experiments.sweeps import run_sweep
from lpsa.model import REGISTRY, LPSAModel, Outcome, ScenarioError, load_scenario, run_model
from lpsa.model.outcomes import registered

SMALL = {"scheme": {"n_authorities": 12}}


def mean_potential() -> Outcome:
    return Outcome(
        "mean_potential",
        "mean potential of targets",
        "share of stretch",
        "neither",
        "achievable improvement at full effort, mean over targets (a test outcome)",
        lambda t, a: float(t["potential"].mean()),
        headline=True,
    )


def test_an_outcome_added_by_one_registry_entry_appears_in_summaries_sweeps_reports_and_dashboard(
    tmp_path,
):
    with registered(mean_potential()):
        # summaries: the front door, a model's summary, the main job's table
        assert (
            0
            < run_model("lpsa1_baseline", seed=1, **{"scheme.n_authorities": 12})["mean_potential"]
            < 5
        )
        results = run_scenarios([load_scenario("lpsa1_baseline", SMALL)], 2, seed=3)
        table = summary_table(results)
        assert "mean_potential" in table and "mean_potential" in format_summary(table)
        # sweeps: a column of runs.parquet, described in the Parquet schema
        base = tmp_path / "small.yaml"
        base.write_text("extends: lpsa1_baseline\nscheme: {n_authorities: 12}\n")
        exp_file = tmp_path / "exp.yaml"
        exp_file.write_text(
            f"name: exp\nbase: {base}\nreplications: 2\n"
            "levers:\n  funding.ppg_share: {values: [0.2, 0.8]}\n"
        )
        out = tmp_path / "sweep"
        with ThreadPoolExecutor(1) as executor:
            runs = run_sweep(Experiment(exp_file), out, executor, "threads", progress=False)
        assert runs["mean_potential"].notna().all()
        field = pq.read_schema(out / "runs.parquet").field("mean_potential")
        assert field.metadata[b"label"] == b"mean potential of targets"
        # reports
        manifest = json.loads((out / "manifest.json").read_text())
        write_report(out, runs, manifest, None)
        assert "mean potential of targets" in (out / "report.md").read_text()
        # the dashboard's table of outcomes
        from lpsa.viz.charts import outcome_table

        model = LPSAModel(load_scenario("lpsa1_baseline", SMALL), seed=1).run()
        table = outcome_table([model.summary()], ["this run"])
        assert "mean potential of targets" in set(table["outcome"])
    assert "mean_potential" not in REGISTRY
    assert "mean_potential" not in run_model(
        "lpsa1_baseline", seed=1, **{"scheme.n_authorities": 12}
    )


def test_every_outcome_is_declared_with_label_unit_direction_and_description():
    for o in REGISTRY.values():
        assert o.label and o.unit and o.description
        assert o.direction in ("higher is better", "lower is better", "neither")


def test_run_model_takes_dotted_or_double_underscore_names_and_returns_floats():
    dotted = run_model(
        "lpsa1_baseline", seed=4, **{"funding.ppg_share": 0.3, "scheme.n_authorities": 20}
    )
    ident = run_model("lpsa1_baseline", seed=4, funding__ppg_share=0.3, scheme__n_authorities=20)
    assert list(dotted) == list(ident) == list(REGISTRY)
    assert math.isnan(ident["additionality_mean"])  # a twin outcome, without twins
    assert all(type(v) is float for v in ident.values())
    assert all(
        a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(dotted.values(), ident.values())
    )
    other = run_model("lpsa1_baseline", seed=4, funding__ppg_share=0.9, scheme__n_authorities=20)
    assert other["ppg_spent"] > ident["ppg_spent"]


def test_run_model_runs_a_replication_of_a_master_seed_as_every_command_does():
    from lpsa.model import replication_seed

    assert run_model(seed=7, replication=2, scheme__n_authorities=12) == run_model(
        seed=replication_seed(7, 2), scheme__n_authorities=12
    )


def test_run_model_with_twins_returns_additionality():
    out = run_model("lpsa1_baseline", seed=2, twins=True, scheme__n_authorities=12)
    assert "additionality_mean" in out and math.isfinite(out["additionality_mean"])


def test_model_from_scenario_accepts_the_spelling_sweep_files_use():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=1, **{"funding.ppg_share": 0.3})
    assert m.params.funding.ppg_share == 0.3


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"funding__ppg_shares": 0.3}, "funding.ppg_shares"),
        ({"funding__ppg_share": 3.0}, "less than or equal to 1"),
    ],
)
def test_run_model_names_a_bad_parameter(params, expected):
    with pytest.raises(ScenarioError, match=expected.replace(".", r"\.")):
        run_model("lpsa1_baseline", seed=1, **params)


def test_undefined_outcomes_are_nan_not_errors():
    out = run_model("lpsa1_baseline", seed=1, funding__ppg_share=1.0, scheme__n_authorities=12)
    assert math.isnan(out["reward_paid_share"])


def test_a_summary_frame_has_one_row_per_scenario():
    res = run_scenarios([load_scenario("lpsa1_baseline", SMALL)], 2, seed=1)
    assert isinstance(summary_table(res), pd.DataFrame) and len(summary_table(res)) == 1


def test_a_runs_outcomes_from_its_lazy_columns_equal_those_from_its_dataframes():
    from lpsa.model.outcomes import summarise
    from lpsa.model.single_run import run_outcomes, targets_with_twin

    m = LPSAModel(load_scenario("lpsa1_baseline", SMALL), seed=3).run()
    lazy = run_outcomes(m)
    frames = summarise(targets_with_twin(m), m.authorities_frame())
    assert lazy.keys() == frames.keys()
    for name, value in lazy.items():
        assert value == frames[name] or (math.isnan(value) and math.isnan(frames[name])), name


def test_a_runs_summary_computes_only_the_target_columns_its_outcomes_read():
    from lpsa.model.outputs import target_columns

    m = LPSAModel(load_scenario("lpsa1_baseline", SMALL), seed=3).run()
    columns = target_columns(m)
    assert "area" in columns and len(columns) == len(m.targets_frame().columns)
    REGISTRY["targets_met_share"].compute(columns, None)
    assert set(columns._computed) == {"outcome"}
    a, s = columns["authority"], columns["slot"]
    assert set(a) == set(np.flatnonzero(m.councils.signed))
    assert (columns["start_quarter"] == m.councils.start[a]).all()
    assert (columns["max_reward_gbp"] == m.councils.max_reward[a] / m.targets.shape[1]).all()
    assert (columns["share_of_stretch"] == m.targets.end.measured[a, s]).all()
    assert (columns["area"] == np.array(list(m.params.areas))[m.targets.traits.area[a, s]]).all()


def test_a_regime_can_keep_a_smaller_share_of_what_it_added_and_still_leave_more_behind():
    """Kept share and kept amount are two outcomes: the first regime adds 1.0 and keeps 0.4 of
    it; the second adds 0.5 and keeps 0.6 of it, which is less left behind (0.3 against 0.4)."""

    def targets(added_end: float, added_3y: float) -> dict[str, np.ndarray]:
        return {"additionality": np.array([added_end]), "additionality_3y": np.array([added_3y])}

    buys_more, keeps_more = targets(1.0, 0.4), targets(0.5, 0.3)
    share, amount = REGISTRY["additionality_retained_3y"], REGISTRY["additionality_3y_mean"]
    assert share.compute(buys_more, None) < share.compute(keeps_more, None)
    assert amount.compute(buys_more, None) > amount.compute(keeps_more, None)
    assert amount.headline and amount.needs_twins and amount.direction == "higher is better"
