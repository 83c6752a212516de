"""The experiment runner: every command's runs go through here.

A :class:`Design` is a set of parameter points over one or more base scenarios, times a number of
replications, optionally with no-agreement twins. :func:`iter_chunks` runs it on any
``concurrent.futures.Executor`` (local processes, a Dask cluster, or in this process when none is
given) and yields one list of rows per chunk as chunks finish; :func:`run_table` returns them as
one tidy table, one row per run.

Replication ``r`` of every point runs on ``replication_seed(seed, r)`` (common random numbers), and
a run's result depends only on its point and seed, so tables are identical bit for bit whatever the
executor, the number of workers or the chunk size. A run that raises becomes a row with
``status == "failed"`` and its error; a lost executor raises :class:`WorkersLost`.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from lpsa.model import LPSAModel, Scenario, ScenarioError, load_scenario, replication_seed, run_pair
from lpsa.model.counterfactual import twin_scenario
from lpsa.model.outcomes import outcome_names
from lpsa.model.scenario import parameter_overrides
from lpsa.model.single_run import run_outcomes

Health = Callable[[], None]
"""A health check called while waiting for workers: it raises ``WorkersLost`` when the cluster
is gone (``arguments.make_executor`` makes one for Dask)."""
FAIL_HOOK = "LPSA_FAIL_RUNS"
"""Fault injection for tests and drills: comma-separated run ids that raise instead of running."""
DIE_HOOK = "LPSA_DIE_ONCE"
"""Fault injection: a folder; the first worker to reach run 0 creates a marker there and exits,
as a crashed or killed worker would."""

ROW_INTEGERS = {"run_id": "int64", "point": "int64", "replication": "int64", "seed": "uint64"}
"""The integer columns every row has, and their types: a model seed is a full 64-bit unsigned
integer, which a float (or a mix of int64 and uint64 chunks) would round."""

Measure = Callable[[LPSAModel, "LPSAModel | None"], dict[str, Any]]
"""What a run reports: a function of the finished model and its twin (or None)."""


class WorkersLost(ScenarioError):
    """The executor lost its workers: a process was killed, or a cluster lost its
    workers or scheduler."""


@dataclass(frozen=True)
class Point:
    """One parameter point: scenario parameters over the base scenario ``base``.

    ``params`` names parameters by dotted path (``{"funding.ppg_share": 0.3}``), which become
    columns of the results, or gives whole nested sections (``{"mechanisms": {...}}``, a
    theory-of-change variant). ``name`` labels the point in tables (default: the base's name).
    """

    params: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    base: str = "base"

    def columns(self) -> dict[str, Any]:
        return {k: v for k, v in self.params.items() if not isinstance(v, Mapping)}


@dataclass
class Design:
    """What to run: ``points`` over ``bases`` x ``replications`` on master ``seed``."""

    bases: dict[str, Scenario]
    points: list[Point]
    replications: int
    seed: int
    twins: bool = False

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replications

    def chunks(self, size: int) -> list[range]:
        """Run ids in chunks of ``size``; run id = point x replications + replication."""
        return [range(i, min(i + size, self.n_runs)) for i in range(0, self.n_runs, size)]

    def scenario(self, point: Point) -> Scenario:
        return load_scenario(self.bases[point.base], parameter_overrides(point.params) or None)


def scenarios_design(
    scenarios: Sequence[Scenario], replications: int, seed: int, twins: bool = False
) -> Design:
    """A design with one point per scenario, each as it is (named by the scenario)."""
    bases = {f"s{i}": sc for i, sc in enumerate(scenarios)}
    points = [Point(name=sc.name, base=key) for key, sc in bases.items()]
    return Design(bases, points, replications, seed, twins)


def single(scenario: Scenario, replications: int, seed: int, twins: bool = False) -> Design:
    """A design with one point: ``scenario`` as it is."""
    return scenarios_design([scenario], replications, seed, twins)


class Outcomes:
    """The default measure: registered outcomes (all, or ``names``) as floats."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        self.names = list(names) if names is not None else None

    def __call__(self, model: LPSAModel, twin: LPSAModel | None) -> dict[str, Any]:
        values = run_outcomes(model, twin)
        return values if self.names is None else {n: values.get(n, np.nan) for n in self.names}

    def columns(self, twins: bool) -> list[str]:
        return self.names if self.names is not None else outcome_names(twins)


def _inject_faults(run_ids: range) -> set[int]:
    die_dir = os.environ.get(DIE_HOOK)
    if die_dir and 0 in run_ids:
        marker = Path(die_dir) / "worker-died"
        if not marker.exists():
            marker.touch()
            os._exit(70)
    return {int(x) for x in os.environ.get(FAIL_HOOK, "").split(",") if x.strip()}


def run_chunk(
    design: Design, points: dict[int, Point], run_ids: range, measure: Measure, empty: list[str]
) -> list[dict[str, Any]]:
    """Run ``run_ids`` (in a worker); ``points`` holds the points they need."""
    fail = _inject_faults(run_ids)
    rows = []
    scenarios: dict[int, Scenario] = {}
    twins: dict[int, Scenario] = {}  # each point's no-agreement twin, made once
    for run_id in run_ids:
        point_id, r = divmod(run_id, design.replications)
        point = points[point_id]
        seed = replication_seed(design.seed, r)
        row: dict[str, Any] = {
            "run_id": run_id,
            "point": point_id,
            "name": point.name,
            "replication": r,
            "seed": seed,
            **point.columns(),
        }
        try:
            if point_id not in scenarios:
                scenarios[point_id] = design.scenario(point)
            sc = scenarios[point_id]
            row["name"] = point.name or sc.name
            if run_id in fail:
                raise RuntimeError(f"injected failure ({FAIL_HOOK})")
            if design.twins and point_id not in twins:
                twins[point_id] = twin_scenario(sc)
            factual, twin = run_pair(sc, seed, design.twins, twins.get(point_id))
            row.update(measure(factual, twin))
            for model in (factual, twin):
                if model is not None:
                    model.release()  # measured: free it now, not at the next cyclic collection
            row.update(status="ok", error="")
        except Exception as exc:  # recorded, not raised: the other runs go on
            last = traceback.format_exc(limit=2).splitlines()[-1]
            row.update({c: np.nan for c in empty})
            row.update(
                status="failed", error=f"{type(exc).__name__}: {str(exc)[:300]} | {last[:200]}"
            )
        rows.append(row)
    return rows


class InProcessExecutor(Executor):
    """Runs each task at once, in this process: the runner's executor when none is given."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            fut.set_exception(exc)
        return fut


def in_flight_limit(executor: Executor) -> int:
    """How many chunks to keep submitted at once: two per worker, so that every worker has the
    next chunk waiting while the caller writes the last one, and an error in the caller (a full
    disk) stops the sweep after at most this many more chunks. Dask executors count the cluster's
    threads now, with room for workers that join later."""
    workers = getattr(executor, "_max_workers", None)  # ProcessPoolExecutor, ThreadPoolExecutor
    if workers is None and hasattr(executor, "_client"):  # distributed's ClientExecutor
        workers = max(sum(executor._client.nthreads().values()), 8)
    return 2 * int(workers or 1)


def iter_chunks(
    design: Design,
    measure: Measure | None = None,
    executor: Executor | None = None,
    chunk_size: int = 20,
    skip: Iterable[int] = (),
    progress: str | None = None,
    health: Callable[[], None] | None = None,
) -> Iterator[tuple[int, list[dict]]]:
    """Run every chunk of ``design`` not in ``skip``; yield ``(chunk index, rows)`` as each ends.

    ``health`` is called every few seconds while waiting (it raises ``WorkersLost`` when the
    executor cannot make progress, e.g. a Dask cluster with no workers). At most
    :func:`in_flight_limit` chunks are submitted at a time. Closing the generator early cancels the
    chunks not yet started.
    """
    measure = measure or Outcomes()
    empty = measure.columns(design.twins) if isinstance(measure, Outcomes) else []
    executor = executor or InProcessExecutor()
    chunks = design.chunks(chunk_size)
    todo = [i for i in range(len(chunks)) if i not in set(skip)]
    done = design.n_runs - sum(len(chunks[i]) for i in todo)
    bar = tqdm(
        total=design.n_runs,
        initial=done,
        desc=progress or "runs",
        unit="run",
        delay=2,
        disable=progress is None,
    )
    light = Design(design.bases, [], design.replications, design.seed, design.twins)
    window = in_flight_limit(executor)
    queue = iter(todo)
    pending: dict[Future, int] = {}

    def submit_next() -> None:
        i = next(queue, None)
        if i is None:
            return
        ids = chunks[i]
        pts = {
            p: design.points[p]
            for p in range(ids[0] // design.replications, (ids[-1] // design.replications) + 1)
        }
        pending[executor.submit(run_chunk, light, pts, ids, measure, empty)] = i

    try:
        for _ in range(window):
            submit_next()
        while pending:
            finished, _ = wait(pending, timeout=2.0, return_when=FIRST_COMPLETED)
            if not finished and health is not None:
                health()
            for fut in finished:
                i = pending.pop(fut)
                try:
                    rows = fut.result()
                except Exception as exc:  # run errors are caught in run_chunk: the executor failed
                    reason = " ".join(str(exc).split())[:300] or (
                        "no detail; the cluster's scheduler or workers may be gone"
                    )
                    raise WorkersLost(f"{type(exc).__name__}: {reason}") from None
                submit_next()
                bar.update(len(rows))
                bar.set_postfix(failed=sum(r["status"] != "ok" for r in rows), refresh=False)
                yield i, rows
    finally:
        for fut in pending:
            fut.cancel()
        bar.close()


def rows_to_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :func:`iter_chunks` as one table, sorted by run id (``ROW_INTEGERS`` typed)."""
    frame = pd.DataFrame(rows).sort_values("run_id", ignore_index=True)
    return frame.astype({k: v for k, v in ROW_INTEGERS.items() if k in frame})


def run_table(
    design: Design,
    measure: Measure | None = None,
    executor: Executor | None = None,
    chunk_size: int = 20,
    progress: str | None = None,
    health: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Run the whole design and return one row per run (see the module docstring; ``health`` as
    in :func:`iter_chunks`)."""
    rows: list[dict[str, Any]] = []
    for _, chunk in iter_chunks(
        design, measure, executor, chunk_size, progress=progress, health=health
    ):
        rows.extend(chunk)
    return rows_to_table(rows)


def require_success(table: pd.DataFrame) -> pd.DataFrame:
    """The table, or a ``ScenarioError`` naming the first failed runs."""
    bad = table[table["status"] != "ok"]
    if len(bad):
        first = "; ".join(f"run {r.run_id} ({r.name}): {r.error}" for r in bad.head(3).itertuples())
        raise ScenarioError(f"{len(bad)} of {len(table)} runs failed: {first}")
    return table
