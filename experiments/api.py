"""Experiments from Python: declare and run them as the command line does, without files.

    from lpsa.experiments import api

    exp = api.experiment(
        name="ppg_share",
        base="lpsa1_baseline",
        levers={"funding.ppg_share": {"values": [0.1, 0.5, 0.9]}},
        replications=5,
    )
    runs = api.run(exp)                               # one row per run, in this process
    runs = api.run(exp, executor=client)              # a Dask client, or any Executor
    runs = api.run(exp, executor=pool, out="results/ppg_share")   # a resumable results folder

    from lpsa.experiments import figures_report       # the command line's figures
    figures_report.plot_sweep(runs, out="figures")    # each headline outcome by swept value
    figures_report.plot_results("results/lpsa1_baseline-...")   # the main job's four figures

An experiment is declared with the fields of an experiment file (``design.py``: ``base``,
``levers``, ``uncertainties``, ``method``, ``samples``, ``variants``, ``replications``, ``seed``,
``twins``, ``outcomes``, ``chunk_size``, ``compare``), as a dict, as keyword arguments, or both,
and is validated exactly as ``lpsa sweep`` validates a file: the same schema, the same check of
every value against the scenario schema and of what a sweep file may say
(``sweeps.check_sweep_file``), the same limit on the number of runs, the same messages (naming the
experiment instead of a file). It runs through the one runner (``runner.py``) on any
``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, a ``ThreadPoolExecutor``, a Dask
``Client`` or its ``get_executor()``), with the same results bit for bit whatever the executor.
With ``out`` it is a sweep (``sweeps.py``): chunks written as they finish, a manifest, resumable,
and ``lpsa report OUT`` reads it. ``figures_report.py`` draws the command line's own figures
(``figures.py``, ``sweep_summary_report.py``) from results (``load_results`` reads the main job's
folder back) or a table of runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from lpsa.model import Scenario, ScenarioError, load_scenario
from lpsa.model.scenario import format_validation_error

from .design import MAX_RUNS, Experiment, ExperimentSpec, check_run_count, json_sha256
from .runner import Outcomes, run_table
from .sweeps import check_sweep_file

if TYPE_CHECKING:
    from .runs import ScenarioResults

__all__ = ["DeclaredExperiment", "as_executor", "experiment", "load_results", "run"]


def _plain(value: Any) -> Any:
    """``value`` with numpy numbers and arrays as Python numbers and lists, and tuples as lists,
    as YAML gives them (``np.float64(0.5)`` is a number in a file too)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # arrays and scalars
        return _plain(value.tolist())
    return value


class DeclaredExperiment(Experiment):
    """An experiment declared in Python (a mapping of an experiment file's fields) instead of a
    file; everything else is :class:`design.Experiment`'s. ``base`` may also be a ``Scenario``
    (e.g. ``load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 40}})``). Relative
    scenario paths are resolved against ``folder``. Its identity (the manifest's, for resuming a
    sweep) is the hash of its validated fields instead of a file's bytes."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        folder: str | Path = ".",
        max_runs: int = MAX_RUNS,
    ) -> None:
        if not isinstance(spec, Mapping):
            raise ScenarioError(
                f"experiment: got {type(spec).__name__}; allowed: a mapping of field: value"
            )
        data = _plain(dict(spec))
        base = data.get("base")
        given_base = base if isinstance(base, Scenario) else None
        if given_base is not None:
            data["base"] = given_base.name
        name = data.get("name", "?")
        self.source = f"experiment {str(name)[:100]!r} (declared in Python)"
        self.path = Path(folder).resolve() / self.source
        try:
            self.spec = ExperimentSpec.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(self.source, exc)) from None
        check_run_count(self.source, self.spec.n_points(), self.spec.replications, max_runs)
        self.base = given_base or self._scenario(self.spec.base, "base")
        self.compare = [self._scenario(ref, "compare") for ref in self.spec.compare]
        self._check_parameters()
        self._points = None
        try:
            check_sweep_file(self, max_runs)
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace(str(self.path), self.source, 1)) from None

    def _scenario(
        self, ref: str | Scenario, field: str, overrides: Mapping[str, Any] | None = None
    ) -> Scenario:
        try:
            return super()._scenario(ref, field, dict(overrides) if overrides else None)
        except ScenarioError as exc:  # name the experiment, not a file that does not exist
            raise ScenarioError(str(exc).replace(str(self.path), self.source, 1)) from None

    def identity(self) -> dict[str, str]:
        from .design import scenario_hash

        out = {
            "experiment": json_sha256(self.spec.model_dump()),
            f"scenario {self.base.name}": scenario_hash(self.base),
        }
        out.update({f"scenario {sc.name}": scenario_hash(sc) for sc in self.compare})
        return out


def experiment(
    spec: Mapping[str, Any] | str | Path | None = None,
    /,
    *,
    folder: str | Path = ".",
    max_runs: int = MAX_RUNS,
    **fields: Any,
) -> Experiment:
    """A validated experiment from a mapping of an experiment file's fields, from keyword
    arguments (which win over the mapping's), or from an experiment file's path or shipped name
    (``"ppg_vs_reward.yaml"``; keyword arguments then override its fields). Raises
    ``ScenarioError`` with the message a file with the same fields would get."""
    if isinstance(spec, str | Path):
        if not fields:
            exp = Experiment(spec, max_runs=max_runs)
            check_sweep_file(exp, max_runs)  # as lpsa sweep checks a file
            return exp
        from lpsa.model.scenario import read_yaml_mapping

        file = Experiment(spec, max_runs=max_runs).path  # finds a shipped experiment by name
        return DeclaredExperiment(
            {**read_yaml_mapping(file), **fields}, folder=file.parent, max_runs=max_runs
        )
    return DeclaredExperiment({**(spec or {}), **fields}, folder=folder, max_runs=max_runs)


def as_executor(executor: Any) -> Executor | None:
    """``executor`` as the runner takes it: a Dask ``Client`` becomes its ``get_executor()``;
    any ``concurrent.futures.Executor`` (or None: this process) is taken as it is."""
    if executor is None or isinstance(executor, Executor):
        return executor
    get_executor = getattr(executor, "get_executor", None)
    if callable(get_executor):
        return get_executor()
    raise ScenarioError(
        f"executor: got {type(executor).__name__}; allowed: a concurrent.futures.Executor, a "
        "Dask Client, or None (this process)"
    )


def run(
    exp: Experiment | Mapping[str, Any] | str | Path,
    executor: Any = None,
    *,
    out: str | Path | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run every point x replication of ``exp`` (an experiment, a mapping of its fields, or a
    file) on ``executor`` and return one row per run: run id, point, name, replication, seed, the
    swept parameters, the outcomes, status and error (a run that raised is a row with status
    ``failed``; check ``runs["status"]``).

    With ``out``, a sweep into that folder as ``lpsa sweep`` makes it: each chunk written as it
    finishes, ``runs.parquet`` (columns described in its schema) and ``manifest.json``; the same
    call resumes it, and ``lpsa report OUT`` or ``figures_report.plot_sweep`` reads it."""
    if not isinstance(exp, Experiment):
        exp = experiment(exp)
    pool = as_executor(executor)
    if out is None:
        return run_table(
            exp.design(),
            Outcomes(exp.outcome_columns()),
            pool,
            exp.spec.chunk_size,
            progress=exp.spec.name if progress else None,
        )
    from .runner import InProcessExecutor
    from .sweeps import run_sweep

    backend = type(pool).__name__ if pool is not None else "this process"
    return run_sweep(exp, Path(out), pool or InProcessExecutor(), backend, progress=progress)


# ---------------------------------------------------------------------------------- figures


def load_results(folder: str | Path) -> list[ScenarioResults]:
    """The main job's results folder (``lpsa SCENARIO... --out FOLDER``) read back as the
    results it was written from: one ``ScenarioResults`` per scenario, with its resolved scenario
    and its tables."""
    from .runs import TABLES, ScenarioResults

    folder = Path(folder)
    files = sorted(folder.glob("scenario-*.yaml"))
    if not files or not (folder / "runs.parquet").is_file():
        raise ScenarioError(
            f"{folder}: no scenario-*.yaml and runs.parquet here; allowed: a results folder of "
            "the main job (lpsa SCENARIO... --out FOLDER)"
        )
    runs = pd.read_parquet(folder / "runs.parquet")
    tables = {t: pd.read_parquet(folder / f"{t}.parquet") for t in TABLES}
    results = []
    for sc in (load_scenario(f) for f in files):
        mine = {
            t: frame[frame["scenario"] == sc.name].reset_index(drop=True)
            for t, frame in tables.items()
        }
        results.append(
            ScenarioResults(sc, runs[runs["name"] == sc.name].reset_index(drop=True), **mine)
        )
    order = {name: i for i, name in enumerate(dict.fromkeys(runs["name"]))}  # as they were run
    return sorted(results, key=lambda r: order.get(r.scenario.name, len(order)))
