"""``lpsa report`` on a sweep at one parameter set says so first (issue 26, item 2): its intervals
are replication noise, and the answer across the plausible worlds is ``lpsa compare``'s."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lpsa.experiments.sweep_summary_report import write_report


def lever_sweep(folder) -> tuple[pd.DataFrame, dict]:
    """A constructed sweep of the PPG share, two values x three replications."""
    rng = np.random.default_rng(2)
    runs = pd.DataFrame(
        {
            "funding.ppg_share": np.repeat([0.2, 0.8], 3),
            "replication": np.tile([0, 1, 2], 2),
            "targets_met_share": rng.uniform(0.3, 0.5, 6),
            "retained_gain_3y": rng.uniform(0.6, 0.8, 6),
            "status": "ok",
        }
    )
    manifest = {
        "experiment": "ppg_vs_reward",
        "runs": 6,
        "points": 2,
        "replications": 3,
        "seed": 1,
        "base_scenario": "lpsa1_baseline",
        "parameters": ["funding.ppg_share"],
        "levers": ["funding.ppg_share"],
        "uncertainties": [],
        "compare": ["ppg_heavy", "reward_heavy"],
    }
    return runs, manifest


def test_a_sweep_at_one_parameter_set_says_so_first_and_how_to_answer_across_worlds(tmp_path):
    runs, manifest = lever_sweep(tmp_path)
    lines = write_report(tmp_path, runs, manifest, None).read_text().splitlines()
    assert lines[0] == "# Sweep report: ppg_vs_reward, at one parameter set"
    assert lines[2].startswith("**At one parameter set: every run uses `lpsa1_baseline`'s values")
    assert "replication noise" in lines[2] and "`lpsa compare ppg_heavy reward_heavy`" in lines[2]


def test_a_sweep_across_uncertainties_is_not_called_one_parameter_set(tmp_path):
    runs, manifest = lever_sweep(tmp_path)
    runs["authorities.turnover_rate"] = np.tile([0.05, 0.1, 0.05], 2)
    manifest["uncertainties"] = ["authorities.turnover_rate"]
    text = write_report(tmp_path, runs, manifest, None).read_text()
    assert "one parameter set" not in text
