"""The clients' examples in docs/ work as written: a sweep from Python on a Dask cluster with its
figure (docs/examples/dask_sweep.py), EMA Workbench 3 with replications (docs/ema_workbench.md,
wherever a Python with EMA Workbench 3 is found), and SALib with undefined outcomes
(docs/salib.md)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import HANG_SECONDS

import lpsa.model

ROOT = Path(__file__).resolve().parent.parent
EMA_PYTHON = "LPSA_EMA_PYTHON"
"""An interpreter with EMA Workbench 3 and the project's dependencies, for the EMA example (else
this Python, then python3.12 and python3.13 on the PATH, are tried)."""


def python_block(doc: Path) -> str:
    (block,) = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)
    return block


def importable_lpsa(folder: Path) -> dict[str, str]:
    """An environment in which any Python imports this checkout as ``lpsa`` (a link to it)."""
    link = folder / "path" / "lpsa"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    path = os.pathsep.join([str(link.parent), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore"}


@pytest.mark.slow
def test_the_dask_example_runs_a_sweep_on_a_local_cluster_and_draws_its_figure(tmp_path):
    out = tmp_path / "results"
    r = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "dask_sweep.py"), str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 3 * 4 and (runs["status"] == "ok").all()
    assert sorted(runs["funding.ppg_share"].unique()) == [0.1, 0.5, 0.9]
    figure = out / "report_funding.ppg_share.png"
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert f"figure: {figure}" in r.stdout


def ema3_python(env: dict[str, str]) -> tuple[str | None, list[str]]:
    """The first candidate interpreter that imports EMA Workbench 3 and the model, and what each
    candidate tried said."""
    candidates = [os.environ.get(EMA_PYTHON), sys.executable]
    candidates += [shutil.which(name) for name in ("python3.12", "python3.13")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python"))
    probe = "import ema_workbench, lpsa.model; print(ema_workbench.__version__)"
    tried = []
    for python in dict.fromkeys(c for c in candidates if c):
        r = subprocess.run(
            [python, "-c", probe], capture_output=True, text=True, env=env, timeout=HANG_SECONDS
        )
        version = r.stdout.strip()
        if r.returncode == 0 and int(version.split(".")[0]) >= 3:
            return python, tried
        lines = r.stderr.strip().splitlines() or ["?"]
        why = next((line for line in reversed(lines) if "Error" in line), lines[0]).strip()
        tried.append(f"{python}: {f'EMA Workbench {version}' if r.returncode == 0 else why}")
    return None, tried


@pytest.mark.slow
def test_the_ema_workbench_3_example_runs_as_written_with_replications(tmp_path):
    env = importable_lpsa(tmp_path)
    python, tried = ema3_python(env)
    if python is None and os.environ.get(EMA_PYTHON):  # tasks.py test made it: never skip
        pytest.fail(f"{EMA_PYTHON}={os.environ[EMA_PYTHON]} does not run EMA Workbench 3: {tried}")
    if python is None:
        pytest.skip(
            "no Python with EMA Workbench 3 (pip install ema-workbench on Python 3.12+) and this "
            f"project's dependencies; set {EMA_PYTHON}. Tried: " + "; ".join(tried)
        )
    script = tmp_path / "ema_example.py"
    script.write_text(python_block(ROOT / "docs" / "ema_workbench.md"))
    r = subprocess.run(
        [python, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_SECONDS,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "200 experiments x 3 replications" in r.stdout
    assert re.search(r"PRIM box \d+: coverage [\d.]+, density [\d.]+", r.stdout)


def test_the_ema_example_reduces_its_replications_as_ema_3_requires():
    block = python_block(ROOT / "docs" / "ema_workbench.md")
    assert "ReplicatorModel(" in block and "model.replications = [" in block
    scalars = re.findall(r"ScalarOutcome\(([^)]*)\)", block)
    assert scalars and all("function=" in s for s in scalars)  # EMA 3 refuses them otherwise


def test_salib_turns_undefined_outcomes_into_zeros_without_a_word_as_docs_salib_md_warns():
    from SALib import ProblemSpec

    sp = ProblemSpec({"names": ["a", "b"], "bounds": [[0, 1], [0, 1]], "outputs": ["y"]})
    sp.sample_sobol(8, calc_second_order=False, seed=1)
    y = sp.samples[:, 0] + 0.1 * sp.samples[:, 1]
    y[3] = np.nan
    sp.set_results(y)
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")  # no warning either
        sp.analyze_sobol(calc_second_order=False, seed=1)
    total, first = sp.to_df()
    assert (total.to_numpy() == 0).all() and (first.to_numpy() == 0).all()
    assert "returns first-order and total indices of exactly 0" in (
        " ".join((ROOT / "docs" / "salib.md").read_text().split())
    )


def test_the_salib_example_stops_on_undefined_outcomes_instead_of_analysing_them(monkeypatch):
    real = lpsa.model.run_model
    calls = {"n": 0}

    def sometimes_undefined(*args: object, **kwargs: object) -> dict[str, float]:
        """The model's outcomes with retained_gain_3y undefined at every fifth call (as when no
        target improved), and no model run: the point is what the example does with NaN."""
        calls["n"] += 1
        outcomes = dict.fromkeys(lpsa.model.REGISTRY, 0.5)
        if calls["n"] % 5 == 0:
            outcomes["retained_gain_3y"] = float("nan")
        return outcomes

    monkeypatch.setattr(lpsa.model, "run_model", sometimes_undefined)
    with pytest.raises(ValueError, match=r"undefined \(NaN\) outcomes: retained_gain_3y at \d+ of"):
        exec(python_block(ROOT / "docs" / "salib.md"), {"__name__": "salib_example"})
    assert calls["n"] > 0 and lpsa.model.run_model is sometimes_undefined is not real
