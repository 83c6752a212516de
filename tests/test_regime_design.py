"""``lpsa design`` (issue 26, item 5): the non-dominated designs, the robustness measures, and a
search that is reproducible, resumable and refuses bad lever ranges.

The search's tests use a constructed evaluator (a formula of the levers and the world), not the
model, so that they take a fraction of a second; the model's runs are the command's.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from lpsa.experiments import cli
from lpsa.experiments.regime_design import (
    LEVERS,
    OBJECTIVES,
    Evaluation,
    Judging,
    collect,
    judge,
    non_dominated,
    open_study,
    robustness,
    search,
)

WORLDS = np.linspace(0.0, 1.0, 4)


class Constructed:
    """Value for money peaks at a PPG share that moves with the world; targets met falls with
    ambition; cost rises with the PPG share. Counts the designs it is asked to run."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[int] = []
        self.stop_after = stop_after

    def __call__(self, designs: Sequence[tuple[str, Mapping[str, float]]]) -> Evaluation:
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            raise KeyboardInterrupt
        self.calls.append(len(designs))
        named = {"lpsa1_baseline": 0.2, "ppg_heavy": 0.5, "reward_heavy": 0.05}
        out: dict[str, list[np.ndarray]] = {o.name: [] for o in OBJECTIVES}
        for base, levers in designs:
            s = float(levers.get("funding.ppg_share", named[base]))
            a = float(levers.get("stretch.ambition", 1.0))
            out["additional_gain_per_million"].append(1.0 - (s - 0.2 - 0.2 * WORLDS) ** 2)
            out["targets_met_share"].append(0.9 - 0.4 * a + 0.05 * WORLDS)
            out["cost"].append(10.0 + 2.0 * s + WORLDS)
        return Evaluation({k: np.asarray(v) for k, v in out.items()})


def run_search(path: Path, trials: int, evaluate: Constructed, seed: int = 3) -> list[dict]:
    study = open_study(path, {"measure": "mean", "seed": seed})
    search(study, LEVERS, evaluate, Judging(), trials, 4, seed)
    return [t.params for t in study.get_trials()]


def test_a_taper_below_the_floor_is_said_not_to_bind():
    """``payout_share`` pays min(share, taper) / taper from the floor up, so a taper at or below
    the floor pays the whole reward from the floor: the design's words must not suggest a taper."""
    from lpsa.experiments.regime_design_report import lever_text

    design = {p: 0.5 for p in LEVERS} | {"scheme.targets_per_authority": 12}
    high_floor = design | {"funding.payout_floor": 0.97, "funding.payout_cap": 0.7}
    low_floor = design | {"funding.payout_floor": 0.6, "funding.payout_cap": 1.0}
    assert "does not bind" in lever_text(LEVERS, high_floor)
    assert "does not bind" not in lever_text(LEVERS, low_floor)


def test_the_non_dominated_designs_are_those_no_other_beats_on_every_objective():
    """Objectives: higher-is-better, lower-is-better. Row 1 dominates row 0; rows 1, 2 and 3
    trade off; row 4 equals row 3 (neither dominates the other); row 5 has a NaN."""
    scores = np.array(
        [
            [1.0, 5.0],
            [2.0, 4.0],
            [3.0, 6.0],
            [0.5, 1.0],
            [0.5, 1.0],
            [9.0, np.nan],
        ]
    )
    keep = non_dominated(scores, [True, False])
    assert keep.tolist() == [False, True, True, True, True, False]


def test_minimax_regret_is_the_largest_shortfall_from_the_best_design_in_each_world():
    """Three designs in three worlds; the best per world is 3, 5, 4. Regrets: design 0 (0, 4, 2),
    design 1 (2, 0, 1), design 2 (3, 2, 0): largest 4, 2, 3. For a cost (lower is better) the
    best is the least in each world."""
    values = np.array([[3.0, 1.0, 2.0], [1.0, 5.0, 3.0], [0.0, 3.0, 4.0]])
    assert robustness(values, True, "regret").tolist() == [4.0, 2.0, 3.0]
    # lower is better: best 0, 1, 2; regrets (3, 0, 0), (1, 4, 1), (0, 2, 2)
    assert robustness(values, False, "regret").tolist() == [3.0, 4.0, 2.0]
    # against a fixed best per world (the references, while searching): never below zero
    assert robustness(values, True, "regret", best=np.array([2.0, 2.0, 2.0])).tolist() == [
        1.0,
        1.0,
        2.0,
    ]


def test_satisficing_is_the_share_of_worlds_at_least_as_good_as_the_threshold():
    """Per-world thresholds (the actual rules in each world) or one number; ties satisfy; for a
    cost, at most the threshold."""
    values = np.array([[3.0, 1.0, 2.0, 5.0], [1.0, 5.0, 3.0, 0.0]])
    per_world = np.array([3.0, 2.0, 2.0, 6.0])
    assert robustness(values, True, "satisficing", threshold=per_world).tolist() == [0.5, 0.5]
    assert robustness(values, False, "satisficing", threshold=per_world).tolist() == [1.0, 0.5]
    assert robustness(values, True, "satisficing", threshold=2.5).tolist() == [0.5, 0.5]
    # the percentile is on the bad side: the lowest of a higher-is-better outcome
    assert robustness(values, True, "percentile", q=0).tolist() == [1.0, 0.0]
    assert robustness(values, False, "percentile", q=0).tolist() == [5.0, 5.0]


def test_the_same_seed_draws_the_same_designs_and_another_seed_others(tmp_path):
    first = run_search(tmp_path / "a.journal", 12, Constructed())
    again = run_search(tmp_path / "b.journal", 12, Constructed())
    other = run_search(tmp_path / "c.journal", 12, Constructed(), seed=4)
    assert first == again and len(first) == 12
    assert first != other


def test_a_resumed_search_continues_where_it_stopped_rather_than_restarting(tmp_path):
    """A search stopped in its third generation, then resumed, runs only the designs not yet
    told (the interrupted generation with the designs it drew, then the rest), and ends with the
    designs of a search never stopped; more trials on a finished study extend it."""
    whole = run_search(tmp_path / "whole.journal", 16, Constructed())
    path = tmp_path / "stopped.journal"
    stopped = Constructed(stop_after=3)  # references, generations 1 and 2, then interrupted
    with pytest.raises(KeyboardInterrupt):
        run_search(path, 16, stopped)
    resumed = Constructed()
    assert run_search(path, 16, resumed) == whole
    assert resumed.calls == [4, 4]  # generation 3 (drawn before the stop) and 4; no references
    extended = Constructed()
    assert run_search(path, 20, extended)[:16] == whole
    assert extended.calls == [4]
    study = open_study(path, {"measure": "mean", "seed": 3})
    frame, values = collect(study, LEVERS)
    results = judge(frame, values, Judging())
    assert (frame["kind"] == "design").sum() == 20 and results.designs["recommended"].sum() == 1


def test_a_study_of_other_inputs_is_not_resumed(tmp_path):
    from lpsa.model import ScenarioError

    run_search(tmp_path / "s.journal", 4, Constructed())
    with pytest.raises(ScenarioError, match="changed: seed"):
        run_search(tmp_path / "s.journal", 4, Constructed(), seed=9)


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ("funding.ppg_share=0.8:0.2", "LOW <= HIGH within 0:1"),
        ("funding.payout_cap=0.1:1", "within 0.5:2"),
        ("scheme.targets_per_authority=4.5:8", "whole numbers"),
        ("funding.ppg_shar=0:1", "unknown lever 'funding.ppg_shar'"),
        ("funding.ppg_share", "LEVER=LOW:HIGH"),
    ],
)
def test_a_bad_lever_range_is_refused_in_one_line_with_exit_2(tmp_path, capsys, option, named):
    out = tmp_path / "out"
    assert cli.main(["design", "--range", option, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "--range" in err and named in err
    assert not out.exists()


def test_design_without_its_extra_says_which_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "optuna", None)
    for name in [m for m in sys.modules if m.startswith("lpsa.experiments.design_command")]:
        monkeypatch.delitem(sys.modules, name)
    assert cli.main(["design", "--help"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'lpsa-sim[design]'" in err


@pytest.mark.slow
def test_lpsa_design_writes_the_non_dominated_designs_and_resumes(tmp_path, capsys, monkeypatch):
    """End to end on the shipped posterior, tiny (runs in this process): the tables and the
    report; --resume with more trials adds designs to the same study; without --resume the
    folder is refused."""
    import pandas as pd

    from lpsa.experiments import command_context
    from lpsa.experiments.runner import InProcessExecutor

    def in_this_process(*args, **kwargs):
        return InProcessExecutor(), "in process", None

    monkeypatch.setattr(command_context, "make_executor", in_this_process)

    out = tmp_path / "design"
    small = ["--worlds", "2", "--replications", "1", "--population", "3", "--workers", "1"]
    assert cli.main(["design", "--trials", "3", *small, "--out", str(out), "--quiet"]) == 0
    designs = pd.read_csv(out / "designs.csv")
    assert designs["recommended"].sum() == 1 and designs["non_dominated"].any()
    assert set(designs["name"][designs["kind"] == "reference"]) == {
        "lpsa1_baseline",
        "ppg_heavy",
        "reward_heavy",
    }
    assert "Recommended design" in (out / "design.md").read_text().splitlines()[2]
    assert cli.main(["design", "--trials", "6", *small, "--out", str(out), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    argv = ["design", "--trials", "6", *small, "--out", str(out), "--quiet", "--resume"]
    assert cli.main(argv) == 0
    again = pd.read_csv(out / "designs.csv")
    assert (again["kind"] == "design").sum() == 6
    first = designs[designs["kind"] == "design"].drop(columns=list(designs.columns[9:]))
    pd.testing.assert_frame_equal(first, again[again["kind"] == "design"].head(3)[first.columns])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["design", "--percentile", "60"], "--percentile: got 60; allowed: 0 to 50"),
        (["design", "--percentile", "nan"], "--percentile: got nan; allowed: 0 to 50"),
        (["design", "--percentile", "ten"], "--percentile: got 'ten'; allowed: 0 to 50"),
        (["calibrate", "--min-epsilon", "-1"], "got -1; allowed: a finite number >= 0"),
        (["calibrate", "--min-epsilon", "inf"], "got inf; allowed: a finite number >= 0"),
        (["toc", "--min-epsilon", "x"], "got 'x'; allowed: a finite number >= 0"),
    ],
)
def test_a_number_out_of_its_range_is_refused_in_one_line_naming_it(lpsa, args, named):
    done = lpsa(*args)
    assert done.returncode == 2
    assert named in done.stderr and "Traceback" not in done.stderr
