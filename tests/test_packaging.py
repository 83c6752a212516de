"""The project installs as a normal (non-editable) wheel that works from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_ships_scenarios_and_experiments_and_runs_from_another_folder(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("lpsa_sim-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert {
        "scenarios/lpsa1_baseline.yaml",
        "experiments/ppg_vs_reward.yaml",
        "experiments/uncertain_parameters.yaml",
    } <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "lpsa = experiments.cli:console" in (tmp_path / "site" / entry_points).read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    code = (
        "import sys, model; assert model.__file__.startswith(sys.argv[1]), model.__file__; "
        "from experiments.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(tmp_path / "site"),
            "lpsa1_baseline",
            "--replications",
            "2",
            "--out",
            "out",
            "--no-figures",
            "--quiet",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (elsewhere / "out" / "summary.csv").is_file()


@pytest.mark.slow
def test_run_py_with_a_python_that_lacks_the_dependencies_says_how_to_set_up(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import runpy, sys; sys.argv = ['run.py']; "
            f"runpy.run_path({str(ROOT / 'run.py')!r}, run_name='__main__')",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "tasks.py" in r.stderr and "lacks the project's dependencies" in r.stderr
