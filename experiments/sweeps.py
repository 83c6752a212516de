"""Scenario sweeps: many parameter points x replications, on any ``concurrent.futures.Executor``.

    python run.py sweep experiments/ppg_vs_reward.yaml                 # local processes, all cores
    python run.py sweep experiments/ppg_vs_reward.yaml --workers 2
    python run.py sweep experiments/ppg_vs_reward.yaml --dask local    # a Dask LocalCluster
    python run.py sweep experiments/ppg_vs_reward.yaml --dask tcp://HOST:8786   # an existing cluster

A sweep file (``experiments/*.yaml``, schema ``SweepFile`` below) names a base scenario, the
parameters to vary (dotted scenario paths) as a grid or as Latin hypercube / Sobol samples over
ranges, the replications per point and the master seed. Every point's overrides are validated
against the scenario schema before anything runs.

Replication ``r`` of every point runs on ``replication_seed(seed, r)`` (common random numbers across
points), so results are identical bit for bit whatever the backend and the number of workers.

Results go to ``results/<sweep>/`` (or ``--out``): runs are grouped into chunks, each chunk written
atomically as ``chunks/chunk-NNNNN.parquet`` as soon as it is done; at the end they are combined
into ``runs.parquet`` (one row per run: run id, point, replication, seed, parameters, outputs,
status, error) and ``manifest.json`` records the git commit, package versions, file hashes, seeds and
times. A sweep that is killed resumes with the same command, skipping finished chunks. A run that
raises is recorded with its error and the sweep goes on; the command then reports the failures and
exits 1. On Dask, tasks of a worker that dies are retried (``--retries``).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import subprocess
import time
import traceback
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from tqdm.auto import tqdm

from model import LPSAModel, Scenario, ScenarioError, load_scenario
from model.outputs import ATTRIBUTION_COLUMNS, SUMMARY_COLUMNS
from model.scenario import format_validation_error, read_yaml_mapping

from . import io
from .points import nested
from .runs import replication_seed, targets_with_twin

ROOT = Path(__file__).resolve().parent.parent
NUMERIC_OUTPUTS = [c for c in SUMMARY_COLUMNS if c not in ("scenario", "replications")]
FAIL_HOOK = "LPSA_SWEEP_FAIL_RUNS"
"""Fault injection for tests and drills: comma-separated run ids that raise instead of running."""
DIE_HOOK = "LPSA_SWEEP_DIE_ONCE"
"""Fault injection: a folder; the first worker to reach run 0 creates a marker there and dies
(the process exits), as a crashed or killed worker would."""


class WorkersLost(ScenarioError):
    """The executor lost its workers (a process was killed, a cluster worker died too often)."""


class ParameterSpec(BaseModel):
    """One swept parameter: explicit ``values`` (grid) or a ``low``..``high`` range (samples)."""

    model_config = ConfigDict(extra="forbid")
    values: list[float | int | bool] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ParameterSpec:
        if (self.values is None) == (self.low is None or self.high is None):
            raise ValueError("give either 'values' (a list) or both 'low' and 'high'")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class SweepFile(BaseModel):
    """The sweep file schema."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str = "lpsa1_baseline"
    seed: int = Field(2001, ge=0, le=2**63 - 1)
    replications: int = Field(10, ge=1, le=100_000)
    method: Literal["grid", "lhs", "sobol"] = "grid"
    samples: int | None = Field(None, ge=1, le=1_000_000, description="points for lhs/sobol (sobol: a power of 2)")
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    outputs: list[str] | None = None
    twins: bool = False
    chunk_size: int = Field(20, ge=1, le=100_000)
    compare: list[str] = Field(default_factory=list, description="scenario files compared side by side in the report")

    @model_validator(mode="after")
    def _consistent(self) -> SweepFile:
        if self.method == "grid":
            bad = [k for k, v in self.parameters.items() if v.values is None]
            if bad:
                raise ValueError(f"method 'grid' needs 'values' for every parameter; missing for {', '.join(bad)}")
        else:
            bad = [k for k, v in self.parameters.items() if v.values is not None]
            if bad:
                raise ValueError(f"method '{self.method}' needs 'low' and 'high' for every parameter; got values for {', '.join(bad)}")
            if self.samples is None:
                raise ValueError(f"method '{self.method}' needs 'samples'")
            if self.method == "sobol" and self.samples & (self.samples - 1):
                raise ValueError(f"samples: got {self.samples}; allowed for sobol: a power of 2")
        allowed = set(NUMERIC_OUTPUTS) | set(ATTRIBUTION_COLUMNS)
        unknown = [o for o in self.outputs or [] if o not in allowed]
        if unknown:
            raise ValueError(f"outputs: unknown {unknown}; allowed: {', '.join(sorted(allowed))}")
        if not self.twins and any(o in ATTRIBUTION_COLUMNS for o in self.outputs or []):
            raise ValueError("outputs: attribution columns need 'twins: true'")
        return self

    def output_columns(self) -> list[str]:
        return self.outputs or NUMERIC_OUTPUTS + (ATTRIBUTION_COLUMNS if self.twins else [])


class Sweep:
    """A validated sweep: its points, its base scenario and where its file lives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = read_yaml_mapping(path)
        try:
            self.spec = SweepFile.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(str(path), exc)) from None
        try:
            self.base = load_scenario(self.spec.base)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: field 'base': {exc}") from None
        self.points = self._points()
        for i, point in enumerate(self.points):  # every point must be a valid scenario before anything runs
            try:
                load_scenario(self.base, nested(point))
            except ScenarioError as exc:
                raise ScenarioError(f"{path}: point {i} {point}: {str(exc).split(': ', 1)[-1]}") from None
        for ref in self.spec.compare:
            try:
                load_scenario(ref)
            except ScenarioError as exc:
                raise ScenarioError(f"{path}: field 'compare': {exc}") from None

    def _points(self) -> list[dict[str, Any]]:
        names = list(self.spec.parameters)
        specs = [self.spec.parameters[n] for n in names]
        if self.spec.method == "grid":
            return [dict(zip(names, combo)) for combo in itertools.product(*(s.values for s in specs))]
        from scipy.stats import qmc

        d = len(names)
        if self.spec.method == "lhs":
            unit = qmc.LatinHypercube(d=d, seed=self.spec.seed).random(self.spec.samples)
        else:
            unit = qmc.Sobol(d=d, scramble=True, seed=self.spec.seed).random(self.spec.samples)
        lows = np.array([s.low for s in specs])
        highs = np.array([s.high for s in specs])
        return [{n: float(v) for n, v in zip(names, row)} for row in lows + unit * (highs - lows)]

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.spec.replications

    def chunks(self) -> list[list[int]]:
        """Run ids grouped into chunks; run id = point x replications + replication."""
        ids = list(range(self.n_runs))
        size = self.spec.chunk_size
        return [ids[i:i + size] for i in range(0, len(ids), size)]

    def file_hash(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def run_chunk(base: Scenario, points: list[dict[str, Any]], run_ids: list[int], replications: int, seed: int,
              outputs: list[str], twins: bool) -> pd.DataFrame:
    """Run the given run ids (in a worker); a run that raises becomes a 'failed' row with its error."""
    fail = {int(x) for x in os.environ.get(FAIL_HOOK, "").split(",") if x.strip()}
    die_dir = os.environ.get(DIE_HOOK)
    if die_dir and 0 in run_ids:
        marker = Path(die_dir) / "worker-died"
        if not marker.exists():
            marker.touch()
            os._exit(70)
    rows = []
    for run_id in run_ids:
        point_id, r = divmod(run_id, replications)
        run_seed = replication_seed(seed, r)
        row: dict[str, Any] = {"run_id": run_id, "point": point_id, "replication": r, "seed": run_seed, **points[point_id]}
        try:
            if run_id in fail:
                raise RuntimeError(f"injected failure ({FAIL_HOOK})")
            sc = load_scenario(base, nested(points[point_id]))
            m = LPSAModel(sc, seed=run_seed).run()
            twin = None
            if twins:
                from model.counterfactual import twin_scenario

                twin = twin_scenario(sc)
            from model.outputs import summarise

            summary = summarise(targets_with_twin(m, twin), m.authorities_frame(), sc.name)
            row.update({o: summary[o] for o in outputs})
            row.update(status="ok", error="")
        except Exception as exc:  # recorded, not raised: the sweep goes on
            row.update({o: np.nan for o in outputs})
            row.update(status="failed", error=f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=2).splitlines()[-1]}")
        rows.append(row)
    return pd.DataFrame(rows)


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "dask", "distributed", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def chunk_path(out: Path, index: int) -> Path:
    return out / "chunks" / f"chunk-{index:05d}.parquet"


def run_sweep(sweep: Sweep, out: Path, executor: Executor, backend: str, progress: bool = True) -> pd.DataFrame:
    """Run every unfinished chunk of ``sweep`` on ``executor``, write results, return the runs table."""
    spec = sweep.spec
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    if old and old.get("sweep_file_sha256") != sweep.file_hash():
        raise ScenarioError(f"{out}: holds results of a different sweep file (sha256 {old.get('sweep_file_sha256', '?')[:12]}); "
                            "allowed: the same sweep file to resume, or another --out folder")
    manifest = {
        "sweep": spec.name, "sweep_file": str(sweep.path), "sweep_file_sha256": sweep.file_hash(),
        "base_scenario": spec.base, "scenario_sha256": hashlib.sha256(json.dumps(sweep.base.model_dump(), sort_keys=True).encode()).hexdigest(),
        "git_commit": _git_commit(), "versions": _versions(), "seed": spec.seed, "replications": spec.replications,
        "points": len(sweep.points), "runs": sweep.n_runs, "backend": backend, "method": spec.method,
        "parameters": list(spec.parameters), "outputs": spec.output_columns(), "twins": spec.twins,
        "compare": spec.compare, "run_seeds": [replication_seed(spec.seed, r) for r in range(spec.replications)],
        "started": (old or {}).get("started", time.strftime("%Y-%m-%dT%H:%M:%S%z")), "finished": None,
    }
    io.write_json(manifest_path, manifest)
    chunks = sweep.chunks()
    todo = [i for i in range(len(chunks)) if not chunk_path(out, i).is_file()]
    done_runs = sum(len(chunks[i]) for i in range(len(chunks)) if i not in set(todo))
    failures = 0
    with tqdm(total=sweep.n_runs, initial=done_runs, desc=spec.name, unit="run", disable=not progress, delay=1) as bar:
        futures: dict[Future, int] = {
            executor.submit(run_chunk, sweep.base, sweep.points, chunks[i], spec.replications, spec.seed,
                            spec.output_columns(), spec.twins): i
            for i in todo}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                frame = fut.result()
            except Exception as exc:  # run errors are caught inside run_chunk: this is the executor failing
                for other in futures:
                    other.cancel()
                raise WorkersLost(f"{type(exc).__name__}: {exc}") from exc
            io.write_parquet(chunk_path(out, i), frame)
            failures += int((frame["status"] != "ok").sum())
            bar.update(len(frame))
            bar.set_postfix(failed=failures)
    runs = combine(out, len(chunks))
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    manifest["failed_runs"] = int((runs["status"] != "ok").sum())
    io.write_json(manifest_path, manifest)
    return runs


def combine(out: Path, n_chunks: int) -> pd.DataFrame:
    """Stack every chunk into ``runs.parquet`` (sorted by run id), atomically."""
    runs = pd.concat([pd.read_parquet(chunk_path(out, i)) for i in range(n_chunks)], ignore_index=True)
    runs = runs.sort_values("run_id", ignore_index=True)
    if runs["run_id"].duplicated().any():
        raise RuntimeError(f"{out}: duplicated run ids in chunks; remove {out / 'chunks'} and rerun")
    io.write_parquet(out / "runs.parquet", runs)
    return runs


def make_executor(stack: ExitStack, workers: int | None, dask: str | None, retries: int = 2) -> tuple[Executor, str]:
    """A process pool, or a Dask executor on a LocalCluster / an existing scheduler.

    On Dask, a task whose worker dies is resubmitted up to ``retries`` times by the scheduler.
    """
    if dask is None:
        return stack.enter_context(ProcessPoolExecutor(max_workers=workers)), f"processes x{workers or os.cpu_count()}"
    from distributed import Client, LocalCluster

    if dask == "local":
        cluster = stack.enter_context(LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1,
                                                  processes=True, dashboard_address=None, host="127.0.0.1"))
        client = stack.enter_context(Client(cluster))
    else:
        try:
            client = stack.enter_context(Client(dask, timeout="20s"))
        except OSError as exc:
            raise ScenarioError(f"--dask: cannot reach scheduler {dask!r} ({exc}); allowed: 'local' or a reachable tcp://HOST:PORT") from None
    return client.get_executor(retries=retries, pure=False), f"dask {dask}"


def results_for(path: Path, workers: int | None = None) -> Path:
    """A results folder for ``path``: the folder itself, or, for a sweep file, its results after
    running (or resuming) the sweep on local processes, so that a report regenerates in one command."""
    if path.suffix not in (".yaml", ".yml"):
        return path
    if not path.is_file():
        raise ScenarioError(f"{path}: sweep file not found")
    sweep = Sweep(path)
    out = Path("results") / sweep.spec.name
    with ExitStack() as stack:
        executor, backend = make_executor(stack, workers, None)
        runs = run_sweep(sweep, out, executor, backend)
    if (runs["status"] != "ok").any():
        print(f"note: {(runs['status'] != 'ok').sum()} run(s) failed and are left out (see {out / 'runs.parquet'})")
    return out


def main(argv: list[str]) -> int:
    from run import _positive_int

    ap = argparse.ArgumentParser(prog="run.py sweep", description="Run a scenario sweep (resumable).")
    ap.add_argument("sweep_file", type=Path, help="sweep file, e.g. experiments/ppg_vs_reward.yaml")
    ap.add_argument("--workers", type=_positive_int, help="worker processes (default: all cores)")
    ap.add_argument("--dask", help="'local' for a Dask LocalCluster, or tcp://HOST:PORT of a running scheduler")
    ap.add_argument("--retries", type=int, default=2,
                    help="times to retry the chunks of a worker that died: a Dask task, or the whole local pool, resuming (default 2)")
    ap.add_argument("--out", type=Path, help="results folder (default results/<sweep name>)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not args.sweep_file.is_file():
        raise ScenarioError(f"{args.sweep_file}: sweep file not found")
    if args.dask is not None and args.dask != "local" and not args.dask.startswith(("tcp://", "tls://")):
        ap.error(f"argument --dask: got {args.dask!r}; allowed: 'local' or tcp://HOST:PORT")
    sweep = Sweep(args.sweep_file)
    out = args.out or Path("results") / sweep.spec.name
    start = time.perf_counter()
    for attempt in range(args.retries + 1):
        try:
            with ExitStack() as stack:
                executor, backend = make_executor(stack, args.workers, args.dask, args.retries)
                runs = run_sweep(sweep, out, executor, backend, progress=not args.quiet)
            break
        except WorkersLost as exc:
            if attempt == args.retries:
                raise WorkersLost(f"{out}: workers were lost {attempt + 1} times ({exc}); finished chunks are kept; "
                                  "run the same command again to resume") from None
            print(f"workers lost ({exc}); resuming with fresh workers ({attempt + 1} of {args.retries} retries)", flush=True)
    failed = runs[runs["status"] != "ok"]
    if not args.quiet:
        print(f"{sweep.spec.name}: {len(runs)} runs ({len(sweep.points)} points x {sweep.spec.replications}) "
              f"in {time.perf_counter() - start:.1f} s on {backend}; results in {out / 'runs.parquet'}")
    if len(failed):
        print(f"{len(failed)} run(s) failed; their parameters and errors are in {out / 'runs.parquet'} (status == 'failed'):")
        print(failed[["run_id", "point", "replication", "error"]].head(10).to_string(index=False))
        return 1
    return 0
