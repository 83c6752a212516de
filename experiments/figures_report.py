"""The command line's standard figures, for Python users: the main job's four figures from its
results folder (or ``runs.run_scenarios``' results), and a sweep report's figures from a sweep's
folder or a table of runs (``api.run``). The drawing is ``figures.py``'s and
``sweep_summary_report.py``'s; this module only finds what to draw.

    from lpsa.experiments import api, figures_report

    runs = api.run(api.experiment(levers={"funding.ppg_share": {"values": [0.1, 0.9]}}))
    figures_report.plot_sweep(runs, out="figures")          # report_funding.ppg_share.png
    figures_report.plot_results("results/lpsa1_baseline-...")   # {file name: Figure}
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lpsa.model import ScenarioError

from .api import load_results

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .runs import ScenarioResults

__all__ = ["plot_results", "plot_sweep"]


def plot_results(
    source: str | Path | Sequence[ScenarioResults], out: str | Path | None = None
) -> dict[str, Figure]:
    """The main job's figures (``figures.FIGURES``: performance over time, attainment by area,
    retained gain by approach, rating moves by year) from its results folder or from
    ``runs.run_scenarios``' results; with ``out``, also saved there under their usual names."""
    from . import io
    from .figures import FIGURES

    results = load_results(source) if isinstance(source, str | Path) else list(source)
    figures = {name: make(results) for name, make in FIGURES.items()}
    if out is not None:
        for name, fig in figures.items():
            io.save_figure(Path(out) / name, fig)  # closed in pyplot; still shown in a notebook
    return figures


def plot_sweep(
    source: str | Path | pd.DataFrame,
    out: str | Path | None = None,
    parameters: Sequence[str] | None = None,
    seed: int | None = None,
) -> dict[str, Path]:
    """``lpsa report``'s figures of a sweep: per swept parameter, each headline outcome's mean
    and 95 % bootstrap interval by value (or decile bin), as ``report_<parameter>.png``.

    ``source`` is a sweep's results folder (figures go there unless ``out`` is given) or a table
    of runs (from ``api.run``; ``out`` is then needed). ``parameters``: default, the folder's
    swept parameters, or every column of the table that is a scenario parameter. Returns each
    parameter's figure file."""
    from lpsa.model.columns import parameter_column

    from .sweep_summary import per_value, report_outcomes
    from .sweep_summary_report import parameter_figure

    if isinstance(source, pd.DataFrame):
        if out is None:
            raise ScenarioError("plot_sweep: a table of runs needs out=FOLDER for its figures")
        runs, swept, seed_used = source, None, seed or 0
    else:
        from .sweep_summary import load

        runs, manifest = load(Path(source))
        swept = manifest["parameters"]
        seed_used = int(manifest.get("seed", 0)) if seed is None else seed
        out = Path(source) if out is None else out
    found = [c for c in runs.columns if parameter_column(c) is not None]
    names = list(parameters or swept or found)
    unknown = [p for p in names if p not in runs.columns]
    if unknown:
        raise ScenarioError(f"plot_sweep: no column {unknown} in the runs; allowed: {found}")
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    outcomes = [o for o in report_outcomes(ok.columns) if ok[o].notna().any()]
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for param in names:
        parameter_figure(folder, param, {o: per_value(ok, param, o, seed_used) for o in outcomes})
        paths[param] = folder / f"report_{param}.png"
    return paths
