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

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd

from lpsa.model import ScenarioError

from . import io, provenance
from .arguments import make_executor
from .design import MAX_RUNS, Experiment, check_run_count, json_sha256
from .runner import ROW_INTEGERS, Health, Outcomes, WorkersLost, iter_chunks

LOCK_NAME = io.LOCK_NAME
CHECKSUM_EVERY = 2.0
"""Seconds between rewrites of the manifest's chunk checksums while a sweep runs (and at its end):
a chunk written after the last rewrite is run again on resume, so a kill costs at most these
seconds of work, and a long sweep does not rewrite its manifest after every chunk."""


class SweepFolder:
    """A results folder held under an exclusive lock while a sweep writes to it
    (``io.JobFolder``), with each chunk's checksum recorded in the manifest."""

    def __init__(self, out: Path, experiment: Experiment, overwrite: bool = False) -> None:
        self.out = out
        self.experiment = experiment
        self.identity = {
            **experiment.identity(),
            "code": provenance.code_fingerprint(),
            "seed": str(experiment.spec.seed),
        }
        self.sweep_id = json_sha256(self.identity)
        self.guard = io.JobFolder(out, "sweep", overwrite)
        self.tag = f"lpsa-sweep-{self.sweep_id[:16]}"
        self.old: dict[str, Any] | None = None
        self.chunk_sums: dict[str, str] = {}
        """Checksums of this sweep's chunks on disk, by path relative to the folder."""

    @property
    def manifest_path(self) -> Path:
        return self.out / "manifest.json"

    def chunk_path(self, index: int) -> Path:
        return self.out / "chunks" / f"chunk-{index:05d}.parquet"

    def chunk_name(self, index: int) -> str:
        return f"chunks/chunk-{index:05d}.parquet"

    def __enter__(self) -> SweepFolder:
        self.guard.lock()
        try:
            self.old = self._check_resume()
            io.set_job_tag(self.tag)
            for folder in (self.out, self.out / "chunks"):
                if folder.is_dir():
                    io.remove_stale_temporaries(folder, self.tag)
        except BaseException:
            self.guard.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.guard.release()

    def _check_resume(self) -> dict[str, Any] | None:
        """The manifest of this same sweep when resuming, None for a fresh start; refuse a folder
        that holds anything else, naming what differs (``--overwrite`` replaces an earlier sweep's
        results: the files its manifest records and the chunks that carry its identity)."""
        chunks = sorted((self.out / "chunks").glob("chunk-*.parquet"))
        old = io.read_manifest(self.manifest_path)
        if old is None:
            if chunks:
                raise ScenarioError(
                    f"{self.out}: holds chunk files but no manifest.json; allowed: "
                    "an empty folder or one of the same sweep"
                )
            return self.guard.claim()
        if old.get("command") != "sweep":
            raise ScenarioError(self.guard.refusal(old))
        if old.get("sweep_id") == self.sweep_id:
            return old
        if self.guard.overwrite:
            for path in chunks:
                try:
                    theirs = io.parquet_metadata(path).get("sweep_id") == old.get("sweep_id")
                except Exception:  # noqa: BLE001 - an unreadable chunk is not shown to be theirs
                    theirs = False
                if theirs:
                    path.unlink(missing_ok=True)
            self.guard.remove_recorded(old)
            return None
        previous = old.get("identity") if isinstance(old.get("identity"), dict) else {}
        keys = sorted(set(previous) | set(self.identity))
        changed = [k for k in keys if previous.get(k) != self.identity.get(k)]
        raise ScenarioError(
            f"{self.out}: holds results of a different sweep ({old.get('experiment', '?')}); "
            f"changed since: {', '.join(changed)}; allowed: the same experiment file, scenarios "
            "and code to resume, another --out, or --overwrite to replace them"
        )

    def _check_chunk(self, path: Path, metadata: dict[str, str]) -> None:
        if metadata.get("sweep_id") != self.sweep_id:
            raise ScenarioError(
                f"{path}: a chunk of another sweep; allowed: remove it, or another --out"
            )

    def done_chunks(self, n_chunks: int, say: Callable[[str], None] = print) -> list[int]:
        """Indices of the chunks already written, each checked to be this sweep's and whole: its
        checksum as the manifest recorded it. A chunk whose bytes differ (damaged) is named,
        set aside as ``chunk-NNNNN.parquet.damaged`` and run again; one written after the
        manifest last recorded checksums (a kill) is run again."""
        recorded = dict((self.old or {}).get("chunks") or {})
        done = []
        for i in range(n_chunks):
            path, name = self.chunk_path(i), self.chunk_name(i)
            if not path.is_file():
                continue
            try:
                metadata = io.parquet_metadata(path)
            except Exception:  # noqa: BLE001 - truncated, empty or garbled: damaged
                metadata = None
            if metadata is not None:
                self._check_chunk(path, metadata)
            digest = io.file_sha256(path)
            if metadata is not None and recorded.get(name) == digest:
                self.chunk_sums[name] = digest
                done.append(i)
            elif metadata is None or name in recorded:
                aside = path.with_name(path.name + ".damaged")
                try:
                    os.replace(path, aside)
                except OSError as exc:
                    raise io.output_error(path, exc) from None
                say(
                    f"{path}: damaged (its checksum differs from the manifest's); set aside as "
                    f"{aside.name} and run again"
                )
        return done

    def write_chunk(self, index: int, rows: list[dict[str, Any]]) -> None:
        """A chunk's rows (in run-id order, as ``runner.run_chunk`` makes them) straight to Arrow
        (``io.rows_to_arrow``); its checksum is kept for the manifest."""
        table = io.rows_to_arrow(rows, ROW_INTEGERS, {"sweep_id": self.sweep_id})
        path = io.write_arrow(self.chunk_path(index), table)
        self.chunk_sums[self.chunk_name(index)] = io.file_sha256(path)

    def combine(self, n_chunks: int) -> pd.DataFrame:
        """Stack every chunk into ``runs.parquet`` (sorted by run id), atomically; each chunk is
        checked against its recorded checksum first."""
        import pyarrow as pa

        tables = []
        for i in range(n_chunks):
            path, name = self.chunk_path(i), self.chunk_name(i)
            if not path.is_file() or io.file_sha256(path) != self.chunk_sums.get(name):
                raise ScenarioError(
                    f"{path}: missing or damaged since it was written (checksum differs); "
                    "allowed: run the same command again (it runs the chunk again)"
                )
            table, metadata = io.read_arrow(path)
            self._check_chunk(path, metadata)
            tables.append(table.replace_schema_metadata(None))
        stacked = pa.concat_tables(tables, promote_options="permissive").to_pandas()
        runs = stacked.sort_values("run_id", ignore_index=True)
        if runs["run_id"].duplicated().any():
            raise ScenarioError(
                f"{self.out}: duplicated run ids in chunks; remove {self.out / 'chunks'} and rerun"
            )
        io.write_parquet(self.out / "runs.parquet", runs, {"sweep_id": self.sweep_id})
        return runs


def scenario_sections() -> set[str]:
    """The scenario's sections (``funding``, ``areas``, ...): a parameter is a path inside one;
    the top-level fields (name, seed, replications) are not parameters."""
    from typing import get_origin

    from pydantic import BaseModel

    from lpsa.model import Scenario

    out = set()
    for name, f in Scenario.model_fields.items():
        kind = f.annotation
        if get_origin(kind) is dict or isinstance(kind, type) and issubclass(kind, BaseModel):
            out.add(name)
    return out


def check_sweep_file(experiment: Experiment, max_runs: int | None = None) -> None:
    """Refuse, in one line naming the file and the field, a sweep file that says something other
    than what will run: a lever or uncertainty that is not a scenario parameter (``seed``,
    ``replications``: the experiment's own fields), one parameter under two spellings
    (``a.b`` and ``a__b``), a field the method ignores (``samples`` without sampling), a name
    that is no folder name of its own (``.``, ``..``, hidden); and, with ``max_runs``, more
    runs than that, each run's no-agreement twin counted."""
    spec, path = experiment.spec, experiment.path
    if spec.name.startswith("."):
        raise ScenarioError(
            f"{path}: field 'name': got {spec.name!r}; allowed: a folder name of letters, "
            "digits, '_', '-' and '.', not starting with '.'"
        )
    sections = scenario_sections()
    seen: dict[str, str] = {}
    for field, params in (("levers", spec.levers), ("uncertainties", spec.uncertainties)):
        for name in params:
            canonical = name.replace("__", ".")
            parts = canonical.split(".")
            if len(parts) < 2 or parts[0] not in sections or not all(parts):
                raise ScenarioError(
                    f"{path}: field '{field}.{name}': not a scenario parameter (seed, "
                    "replications and the like are the experiment's own fields); allowed: a "
                    f"dotted path inside a scenario section ({', '.join(sorted(sections))}), "
                    "e.g. funding.ppg_share"
                )
            if canonical in seen:
                raise ScenarioError(
                    f"{path}: field '{field}.{name}': the same parameter as "
                    f"'{seen[canonical]}'; allowed: each parameter once, in one spelling"
                )
            seen[canonical] = f"{field}.{name}"
    if spec.samples is not None and (spec.method == "grid" or spec.variants):
        raise ScenarioError(
            f"{path}: field 'samples': got {spec.samples}, which method "
            f"'{spec.method}'{' with variants' if spec.variants else ''} ignores; allowed: "
            "samples only with method lhs or sobol over levers or uncertainties"
        )
    if max_runs is not None:
        check_run_count(str(path), spec.n_points(), spec.replications, max_runs, spec.twins)


def largest_scenario(experiment: Experiment) -> Any:
    """The experiment's base with the largest council and target counts its parameters reach
    (the run that needs the most memory)."""
    from lpsa.model import load_scenario

    size = {}
    for name, p in experiment.spec.parameters().items():
        canonical = name.replace("__", ".")
        if canonical in ("scheme.n_authorities", "scheme.targets_per_authority"):
            size[canonical] = int(max(p.values) if p.values is not None else p.high or 1)
    for v in experiment.spec.variants:
        scheme = v.overrides.get("scheme") if isinstance(v.overrides, dict) else None
        for key in ("n_authorities", "targets_per_authority"):
            value = scheme.get(key) if isinstance(scheme, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                size[f"scheme.{key}"] = max(int(value), size.get(f"scheme.{key}", 0))
    if not size:
        return experiment.base
    from lpsa.model.scenario import parameter_overrides

    return load_scenario(experiment.base, parameter_overrides(size))


def check_sweep_size(
    experiment: Experiment,
    out: Path,
    workers: int | None,
    dask: str | None,
    max_memory_gb: float | None = None,
    max_disk_gb: float | None = None,
) -> None:
    """Refuse, before anything runs, a sweep whose estimated peak memory (its workers on this
    machine, each running its largest run) or disk exceeds what the machine has, or the given
    limits (``runs.check_size``). A remote Dask cluster's memory is its own: only disk is
    checked."""
    from .runs import check_size, sweep_size

    spec = experiment.spec
    n = workers or os.cpu_count() or 1
    memory, disk = sweep_size(
        largest_scenario(experiment), spec.n_points() * spec.replications, n, spec.twins
    )
    if dask is not None and dask != "local":
        memory = 0.0
    what = f"a sweep of {spec.n_points() * spec.replications:,} runs on {n} worker(s)"
    check_size(str(experiment.path), what, memory, disk, out, max_memory_gb, max_disk_gb)


def run_sweep(
    experiment: Experiment,
    out: Path,
    executor: Executor,
    backend: str,
    progress: bool = True,
    health: Health | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Run every unfinished chunk of ``experiment`` into ``out``; return the runs table
    (``overwrite``: replace an earlier, different sweep's results in ``out``)."""
    check_sweep_file(experiment)
    spec = experiment.spec
    design = experiment.design()
    chunk_count = len(design.chunks(spec.chunk_size))
    with SweepFolder(out, experiment, overwrite) as folder:
        old = folder.old or {}
        done = folder.done_chunks(chunk_count)
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

        def save_manifest() -> None:
            manifest["chunks"] = dict(sorted(folder.chunk_sums.items()))
            io.write_json(folder.manifest_path, manifest)

        save_manifest()
        chunks = iter_chunks(
            design,
            Outcomes(experiment.outcome_columns()),
            executor,
            spec.chunk_size,
            skip=done,
            progress=spec.name if progress else None,
            health=health,
        )
        saved = time.monotonic()
        with ExitStack() as close:
            close.callback(save_manifest)  # also when a write fails or the workers are lost
            close.callback(chunks.close)
            for index, rows in chunks:
                folder.write_chunk(index, rows)
                if time.monotonic() - saved > CHECKSUM_EVERY:
                    save_manifest()
                    saved = time.monotonic()
        runs = folder.combine(chunk_count)
        manifest["finished"] = provenance.now()
        manifest["failed_runs"] = int((runs["status"] != "ok").sum())
        manifest["files"] = io.checksums(folder.out, ["runs.parquet"])
        save_manifest()
    return runs


def sweep_with_retries(
    experiment: Experiment,
    out: Path,
    workers: int | None,
    dask: str | None,
    retries: int,
    worker_timeout: float = 60.0,
    progress: bool = True,
    overwrite: bool = False,
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
                runs = run_sweep(experiment, out, executor, backend, progress, health, overwrite)
                return runs, backend
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


def load_finished_sweep(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A finished sweep's runs and manifest from its results ``folder``: refused in one line when
    the folder holds no sweep, another command's results, an unfinished sweep, or a
    ``runs.parquet`` whose bytes differ from the checksum the sweep recorded."""
    manifest = io.read_manifest(folder / "manifest.json")
    if manifest is None:
        raise ScenarioError(
            f"{folder}: no manifest.json here; allowed: a finished sweep's results folder "
            "(lpsa sweep FILE makes one)"
        )
    if manifest.get("command") != "sweep":
        raise ScenarioError(
            f"{folder}: holds {io.describe_job(manifest)}, not a sweep's; allowed: a sweep's "
            "results folder (lpsa sweep FILE makes one)"
        )
    again = f"lpsa sweep {manifest.get('experiment_file', 'FILE')} --out {folder}"
    if not manifest.get("finished"):
        raise ScenarioError(
            f"{folder}: holds an unfinished sweep; allowed: finish it first ({again})"
        )
    recorded = manifest.get("files") or {}
    if io.damaged(folder, recorded, ["runs.parquet"]):
        raise ScenarioError(
            f"{folder / 'runs.parquet'}: damaged or missing since the sweep wrote it (its "
            f"checksum differs from the manifest's); allowed: rebuild it from the chunks ({again})"
        )
    return io.read_table(folder / "runs.parquet", "a sweep's runs"), manifest


def results_for(path: Path, workers: int | None = None, max_runs: int = MAX_RUNS) -> Path:
    """A results folder for ``path``: the folder itself, or, for an experiment file, its results
    after running (or resuming) the sweep, so that a report regenerates in one command."""
    if path.suffix not in (".yaml", ".yml"):
        return path
    experiment = Experiment(path, max_runs)
    check_sweep_file(experiment, max_runs)
    out = Path("results") / experiment.spec.name
    runs, _ = sweep_with_retries(experiment, out, workers, None, retries=2)
    if (runs["status"] != "ok").any():
        print(
            f"note: {(runs['status'] != 'ok').sum()} run(s) failed and are left out (see "
            f"{out / 'runs.parquet'})"
        )
    return out
