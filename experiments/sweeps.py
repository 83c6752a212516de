"""Scenario sweeps: an experiment file's points x replications, resumable, on any executor.

    lpsa sweep experiments/ppg_vs_reward.yaml                 # local processes, all cores
    lpsa sweep experiments/ppg_vs_reward.yaml --workers 2
    lpsa sweep experiments/ppg_vs_reward.yaml --dask local    # a Dask LocalCluster
    lpsa sweep experiments/ppg_vs_reward.yaml --dask tcp://HOST:8786   # an existing cluster

The experiment file (``experiments/design.py``) names a base scenario, levers and uncertainties,
replications, seed and outcomes. The runs go through the experiment runner in chunks; each chunk
is written atomically as ``chunks/chunk-NNNNN.parquet`` as soon as it is done, and at the end they
are combined into ``runs.parquet`` (one row per run: run id, point, replication, seed, parameters,
outcomes, status, error). ``manifest.json`` records the provenance.

Safety of a results folder:
- a lock (``filelock``) on the folder: a second sweep into it refuses at once;
- the sweep's identity (hashes of the experiment file, every scenario it uses and the code) is in
  the manifest and in every chunk file; a resume whose identity differs refuses, naming what
  changed, and a chunk of another sweep is never combined;
- temporary files of killed writers are removed when the next sweep takes the lock;
- a write error stops the sweep at once and names the path.
"""

from __future__ import annotations

import json
from concurrent.futures import Executor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from lpsa.model import ScenarioError

from . import io, provenance
from .arguments import make_executor
from .design import MAX_RUNS, Experiment, json_sha256
from .runner import ROW_INTEGERS, Health, Outcomes, WorkersLost, iter_chunks

LOCK_NAME = ".lpsa.lock"


class SweepFolder:
    """A results folder held under an exclusive lock while a sweep writes to it."""

    def __init__(self, out: Path, experiment: Experiment) -> None:
        self.out = out
        self.experiment = experiment
        self.identity = {
            **experiment.identity(),
            "code": provenance.code_fingerprint(),
            "seed": str(experiment.spec.seed),
        }
        self.sweep_id = json_sha256(self.identity)
        self._lock: FileLock | None = None

    @property
    def manifest_path(self) -> Path:
        return self.out / "manifest.json"

    def chunk_path(self, index: int) -> Path:
        return self.out / "chunks" / f"chunk-{index:05d}.parquet"

    def __enter__(self) -> SweepFolder:
        io.prepare_folder(self.out)
        self._lock = FileLock(str(self.out / LOCK_NAME))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise ScenarioError(
                f"{self.out}: another sweep is writing to this folder (lock "
                f"{self.out / LOCK_NAME}); allowed: wait for it, or another --out"
            ) from None
        except OSError as exc:
            raise io.output_error(self.out / LOCK_NAME, exc) from None
        try:
            self._check_resume()
            for folder in (self.out, self.out / "chunks"):
                if folder.is_dir():
                    io.remove_stale_temporaries(folder)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()

    def _check_resume(self) -> None:
        """Refuse to add to a folder that holds another sweep's results, naming what differs."""
        chunks = sorted((self.out / "chunks").glob("chunk-*.parquet"))
        if not self.manifest_path.is_file():
            if chunks:
                raise ScenarioError(
                    f"{self.out}: holds chunk files but no manifest.json; allowed: "
                    "an empty folder or one of the same sweep"
                )
            return
        try:
            old = json.loads(self.manifest_path.read_text())
            previous = old["identity"]
        except (OSError, ValueError, KeyError, TypeError):
            raise ScenarioError(
                f"{self.manifest_path}: not a sweep manifest; allowed: a folder of "
                "the same sweep, or another --out"
            ) from None
        if old.get("sweep_id") == self.sweep_id:
            return
        keys = sorted(set(previous) | set(self.identity))
        changed = [k for k in keys if previous.get(k) != self.identity.get(k)]
        raise ScenarioError(
            f"{self.out}: holds results of a different sweep ({old.get('experiment', '?')}); "
            f"changed since: {', '.join(changed)}; allowed: the same experiment file, scenarios "
            "and code to resume, or another --out"
        )

    def _check_chunk(self, path: Path, metadata: dict[str, str]) -> None:
        if metadata.get("sweep_id") != self.sweep_id:
            raise ScenarioError(
                f"{path}: a chunk of another sweep; allowed: remove it, or another --out"
            )

    def done_chunks(self, n_chunks: int) -> list[int]:
        """Indices of the chunks already written (each checked to be this sweep's)."""
        done = []
        for i in range(n_chunks):
            path = self.chunk_path(i)
            if path.is_file():
                self._check_chunk(path, io.parquet_metadata(path))
                done.append(i)
        return done

    def write_chunk(self, index: int, rows: list[dict[str, Any]]) -> None:
        """A chunk's rows (in run-id order, as ``runner.run_chunk`` makes them) straight to Arrow
        (``io.rows_to_arrow``)."""
        table = io.rows_to_arrow(rows, ROW_INTEGERS, {"sweep_id": self.sweep_id})
        io.write_arrow(self.chunk_path(index), table)

    def combine(self, n_chunks: int) -> pd.DataFrame:
        """Stack every chunk into ``runs.parquet`` (sorted by run id), atomically."""
        import pyarrow as pa

        tables = []
        for i in range(n_chunks):
            table, metadata = io.read_arrow(self.chunk_path(i))
            self._check_chunk(self.chunk_path(i), metadata)
            tables.append(table.replace_schema_metadata(None))
        stacked = pa.concat_tables(tables, promote_options="permissive").to_pandas()
        runs = stacked.sort_values("run_id", ignore_index=True)
        if runs["run_id"].duplicated().any():
            raise ScenarioError(
                f"{self.out}: duplicated run ids in chunks; remove {self.out / 'chunks'} and rerun"
            )
        io.write_parquet(self.out / "runs.parquet", runs, {"sweep_id": self.sweep_id})
        return runs


def run_sweep(
    experiment: Experiment,
    out: Path,
    executor: Executor,
    backend: str,
    progress: bool = True,
    health: Health | None = None,
) -> pd.DataFrame:
    """Run every unfinished chunk of ``experiment`` into ``out``; return the runs table."""
    spec = experiment.spec
    design = experiment.design()
    chunk_count = len(design.chunks(spec.chunk_size))
    with SweepFolder(out, experiment) as folder:
        old = json.loads(folder.manifest_path.read_text()) if folder.manifest_path.is_file() else {}
        manifest = provenance.manifest(
            "sweep",
            experiment=spec.name,
            experiment_file=str(experiment.path),
            identity=folder.identity,
            sweep_id=folder.sweep_id,
            base_scenario=spec.base,
            seed=spec.seed,
            replications=spec.replications,
            points=len(design.points),
            runs=design.n_runs,
            backend=backend,
            method=spec.method,
            parameters=list(spec.parameters()),
            levers=list(spec.levers),
            uncertainties=list(spec.uncertainties),
            outcomes=experiment.outcome_columns(),
            twins=spec.twins,
            compare=spec.compare,
            chunk_size=spec.chunk_size,
        )
        manifest["started"] = old.get("started", manifest["started"])
        io.write_json(folder.manifest_path, manifest)
        done = folder.done_chunks(chunk_count)
        chunks = iter_chunks(
            design,
            Outcomes(experiment.outcome_columns()),
            executor,
            spec.chunk_size,
            skip=done,
            progress=spec.name if progress else None,
            health=health,
        )
        with ExitStack() as close:
            close.callback(chunks.close)
            for index, rows in chunks:
                folder.write_chunk(index, rows)
        runs = folder.combine(chunk_count)
        manifest["finished"] = provenance.now()
        manifest["failed_runs"] = int((runs["status"] != "ok").sum())
        io.write_json(folder.manifest_path, manifest)
    return runs


def sweep_with_retries(
    experiment: Experiment,
    out: Path,
    workers: int | None,
    dask: str | None,
    retries: int,
    worker_timeout: float = 60.0,
    progress: bool = True,
) -> tuple[pd.DataFrame, str]:
    """Run the sweep; when the executor loses its workers, resume on a fresh one, up to
    ``retries`` times (on Dask, the scheduler also resubmits a dead worker's task ``retries``
    times before the sweep sees a loss)."""
    for attempt in range(retries + 1):
        try:
            with ExitStack() as stack:
                executor, backend, health = make_executor(
                    stack, workers, dask, retries, worker_timeout
                )
                return run_sweep(experiment, out, executor, backend, progress, health), backend
        except WorkersLost as exc:
            if attempt == retries:
                raise WorkersLost(
                    f"{out}: workers lost ({exc}); finished chunks are kept; run "
                    "the same command again to resume"
                ) from None
            print(
                f"workers lost ({exc}); resuming on fresh workers (retry {attempt + 1} of "
                f"{retries})",
                flush=True,
            )
    raise AssertionError("unreachable")


def results_for(path: Path, workers: int | None = None, max_runs: int = MAX_RUNS) -> Path:
    """A results folder for ``path``: the folder itself, or, for an experiment file, its results
    after running (or resuming) the sweep, so that a report regenerates in one command."""
    if path.suffix not in (".yaml", ".yml"):
        return path
    experiment = Experiment(path, max_runs)
    out = Path("results") / experiment.spec.name
    runs, _ = sweep_with_retries(experiment, out, workers, None, retries=2)
    if (runs["status"] != "ok").any():
        print(
            f"note: {(runs['status'] != 'ok').sum()} run(s) failed and are left out (see "
            f"{out / 'runs.parquet'})"
        )
    return out
