"""One difference, three commands (issue 26, item 2): the main job (``lpsa A B``), ``lpsa report``'s
compared scenarios and ``lpsa compare A B`` give the same difference in targets met, with the
same sign (A - B as the command names them), unit (percentage points) and label (the registry's).

The three run the same two regimes on the same seeds: the main job and the report's comparison at
the scenarios' own parameters, ``compare`` in one world whose parameters are those same values
(``--unfitted scenario``: the uncertain parameters the one-parameter posterior does not cover stay
at the scenario's values, not drawn from their prior).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lpsa.experiments import cli, compare_command
from lpsa.experiments.posterior import Posterior, save_posterior
from lpsa.experiments.sweep_summary import compare_scenarios
from lpsa.experiments.sweep_summary_report import comparison_table
from lpsa.model import REGISTRY, load_scenario

SEED, REPLICATIONS = 11, 3
LABEL = REGISTRY["targets_met_share"].label
PARAMETER = "implementation.capacity_half"
DIFFERENCE = re.compile(r"[+-]\d+\.\d+ pp")


def small(folder: Path, name: str, extends: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {extends}\nname: {name}\nscheme:\n  n_authorities: 20\n")
    return path


@pytest.fixture(scope="module")
def regimes(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("one-difference")
    a, b = small(folder, "up_front", "ppg_heavy"), small(folder, "at_the_end", "reward_heavy")
    own = getattr(load_scenario(a).implementation, PARAMETER.split(".")[1])
    posterior = save_posterior(  # one world: the scenarios' own value of one parameter
        folder / "posterior.csv",
        Posterior("lpsa1_baseline", pd.DataFrame({PARAMETER: [own]}), np.ones(1), {}),
    )
    return {"a": a, "b": b, "posterior": posterior, "folder": folder}


def main_job_difference(regimes: dict[str, Path], capsys) -> tuple[str, str]:
    """The targets-met row of the main job's table: (difference column heading, difference); its
    opening sentence on the difference says the same."""
    out = regimes["folder"] / "main"
    argv = [str(regimes["a"]), str(regimes["b"]), "--replications", str(REPLICATIONS)]
    argv += ["--seed", str(SEED), "--out", str(out), "--no-figures"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    header = next(line for line in printed if line.split()[:1] == ["outcome"])
    row = next(line for line in printed if line.startswith(f"{LABEL} "))
    difference = DIFFERENCE.findall(row)[-1]
    sentence = next(line for line in printed if line.startswith("up_front - at_the_end: "))
    assert sentence.startswith(f"up_front - at_the_end: {difference}") and f"on {LABEL}" in sentence
    return " ".join(header.split()[-3:]), difference


def report_difference(folder: Path) -> tuple[str, str]:
    """The targets-met row of ``lpsa report``'s table of compared scenarios (named in a sweep
    file in ``folder``)."""
    comp = compare_scenarios(["up_front", "at_the_end"], REPLICATIONS, SEED, False, folder)
    table = comparison_table(comp, SEED).set_index("outcome")
    heading = table.columns[-1]
    return heading, DIFFERENCE.findall(table.loc[LABEL, heading])[0]


def compare_difference(regimes: dict[str, Path]) -> tuple[str, str]:
    """The targets-met row of comparison.md's table (its median across the one world)."""
    out = regimes["folder"] / "compare"
    argv = [str(regimes["a"]), str(regimes["b"]), "--posterior", str(regimes["posterior"])]
    argv += ["--worlds", "1", "--replications", str(REPLICATIONS), "--seed", str(SEED)]
    argv += ["--out", str(out), "--quiet", "--no-constants", "--unfitted", "scenario"]
    assert compare_command.main(argv) == 0
    lines = (out / "comparison.md").read_text().splitlines()
    row = next(line for line in lines if line.startswith(f"| **{LABEL}** |"))  # a headline
    assert "the difference is up_front - at_the_end" in "\n".join(lines)
    return "up_front - at_the_end", row.split("|")[4].strip()


@pytest.mark.slow
def test_the_main_job_report_and_compare_give_one_difference_in_targets_met(regimes, capsys):
    main = main_job_difference(regimes, capsys)
    report = report_difference(regimes["folder"])
    compared = compare_difference(regimes)
    assert main == report == compared, (main, report, compared)
    heading, difference = main
    assert heading == "up_front - at_the_end" and difference.endswith(" pp")
