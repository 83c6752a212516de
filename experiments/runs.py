"""Replications of whole scenarios with their tidy tables (the main job, the tests, notebooks).

Built on the experiment runner: each scenario is a base of one design, so scenarios run together
share their random numbers (replication ``r`` of each uses ``replication_seed(seed, r)``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lpsa.model import LPSAModel, Scenario
from lpsa.model.outcomes import outcome_names, summarise
from lpsa.model.single_run import targets_with_twin

from .runner import iter_chunks, require_success, rows_to_table, scenarios_design

TABLES = ("targets", "authorities", "quarters", "trajectory", "ratings")


@dataclass
class ScenarioResults:
    """All replications of one scenario: per-run outcomes and tidy tables, each with ``scenario``
    and ``replication`` columns."""

    scenario: Scenario
    runs: pd.DataFrame
    targets: pd.DataFrame
    authorities: pd.DataFrame
    quarters: pd.DataFrame
    trajectory: pd.DataFrame
    ratings: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """Each registered outcome's mean over replications."""
        names = [c for c in outcome_names() if c in self.runs]
        return {
            "scenario": self.scenario.name,
            "replications": len(self.runs),
            **{n: float(self.runs[n].mean()) for n in names},
        }


def run_tables(model: LPSAModel, twin: LPSAModel | None) -> dict[str, Any]:
    """Measure: every outcome, plus the run's tables under ``"tables"``."""
    targets = targets_with_twin(model, twin)
    authorities = model.authorities_frame()
    tables = {
        "targets": targets,
        "authorities": authorities,
        "quarters": model.quarters_frame(),
        "trajectory": model.trajectory_frame(twin),
        "ratings": model.ratings_frame(),
    }
    return {**summarise(targets, authorities), "tables": tables}


def run_scenarios(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    twins: bool = False,
    executor: Executor | None = None,
    progress: str | None = None,
) -> list[ScenarioResults]:
    """Run ``replications`` of each scenario on common random numbers; tables per scenario."""
    design = scenarios_design(scenarios, replications, seed, twins)
    rows: list[dict[str, Any]] = []
    for _, chunk in iter_chunks(design, run_tables, executor, chunk_size=1, progress=progress):
        rows.extend(chunk)
    runs = rows_to_table(rows)
    require_success(runs)
    results = []
    for sc in scenarios:
        mine = runs[runs["name"] == sc.name]
        tables: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        for r, run_tables_ in zip(mine["replication"], mine["tables"]):
            for t in TABLES:
                frame = run_tables_[t].copy()
                frame.insert(0, "replication", int(r))
                frame.insert(0, "scenario", sc.name)
                tables[t].append(frame)
        results.append(
            ScenarioResults(
                sc,
                mine.drop(columns="tables").reset_index(drop=True),
                **{t: pd.concat(v, ignore_index=True) for t, v in tables.items()},
            )
        )
    return results


def run_replications(
    scenario: Scenario, replications: int, master_seed: int, twins: bool = False
) -> ScenarioResults:
    """One scenario's replications, in this process."""
    return run_scenarios([scenario], replications, master_seed, twins)[0]


def summary_table(results: Sequence[ScenarioResults]) -> pd.DataFrame:
    """One row per scenario: replications and each outcome's mean."""
    return pd.DataFrame([r.summary() for r in results])


# --- Size before work ---------------------------------------------------------------------------

RUN_BYTES_PER_TARGET = 920.0
"""Memory a run holds per target (its build and its history) [bytes]: the linear part of the
peak (tracemalloc at 1,000 to 100,000 councils of 12 targets; peak resident memory agrees)."""
RUN_BYTES_PER_COUNCIL_PAIR = 3.2
"""The quadratic part [bytes per council squared], fitted to the peak resident memory of one
run (``/usr/bin/time``, main job, 1 replication, no twins), less the process: 0.47 GB at 5,000
councils, 1.68 GB at 20,000, 3.11 GB at 30,000, 7.51 GB at 50,000; 100,000 councils passed 24 GB
and were killed (a fit gives 2.9, rounded up so that the estimate covers every peak).
tracemalloc, which misses memory the compiled quarter allocates, had given 0.3, and the
estimate let 100,000 councils start."""
TABLE_BYTES_PER_TARGET = 1_100.0
"""The main job's peak memory per target and replication for its tables (kept, copied, stacked
and converted to Arrow): 1,073 bytes measured over 100 replications of 1,800 targets."""
DISK_BYTES_PER_TARGET = 120.0
"""The main job's Parquet files per target and replication on disk [bytes] (measured 60-70)."""
SWEEP_BYTES_PER_RUN = 1_000.0
"""A sweep's runs table in memory when combined, and its chunks plus runs.parquet on disk, per
run [bytes] (an upper bound for every registered outcome)."""
PROCESS_BYTES = 300e6
"""A process with numba and the model loaded [bytes] (about 265 MB measured)."""
SAFETY = 1.3
"""Margin on every estimate: the fits are measured on one machine."""


def run_bytes(scenario: Scenario, twins: bool) -> float:
    """Estimated peak memory of one run of ``scenario`` (with its twin) [bytes]. The twin runs
    after the run, whose tables are kept: the per-target part doubles, the quadratic part (a
    run's transient) does not (measured: 2.01 GB with the twin at 20,000 councils, 1.68 GB
    without)."""
    n = scenario.scheme.n_authorities
    targets = n * scenario.scheme.targets_per_authority
    held = RUN_BYTES_PER_TARGET * targets * (2 if twins else 1)
    return SAFETY * (held + RUN_BYTES_PER_COUNCIL_PAIR * n * n)


def main_job_size(
    scenarios: Sequence[Scenario], replications: int, twins: bool
) -> tuple[float, float]:
    """Estimated peak memory and disk of the main job (runs in this process, tables kept until
    written) [bytes]."""
    targets = sum(s.scheme.n_authorities * s.scheme.targets_per_authority for s in scenarios)
    memory = (
        PROCESS_BYTES
        + max(run_bytes(s, twins) for s in scenarios)
        + SAFETY * TABLE_BYTES_PER_TARGET * targets * replications
    )
    return memory, SAFETY * DISK_BYTES_PER_TARGET * targets * replications


def sweep_size(largest: Scenario, runs: int, workers: int, twins: bool) -> tuple[float, float]:
    """Estimated peak memory and disk of a sweep whose largest run is of ``largest``, on
    ``workers`` local processes [bytes]."""
    memory = PROCESS_BYTES * (workers + 1) + workers * run_bytes(largest, twins)
    memory += SAFETY * SWEEP_BYTES_PER_RUN * runs
    return memory, SAFETY * 2 * SWEEP_BYTES_PER_RUN * runs


def memory_available() -> float | None:
    """Memory the machine can give now [bytes] (Linux's MemAvailable), None where unknown."""
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def disk_available(folder: Path) -> float | None:
    """Free space for ``folder`` (or its nearest existing parent) [bytes]; None where unknown or
    where that folder cannot be written at all."""
    import shutil

    for candidate in (folder.resolve(), *folder.resolve().parents):
        if candidate.exists():
            if not os.access(candidate, os.W_OK):
                return None  # not writable at all: the folder's claim says so, naming it
            try:
                if hasattr(os, "statvfs"):
                    stat = os.statvfs(candidate)
                    if stat.f_blocks == 0 or stat.f_flag & os.ST_RDONLY:
                        return None  # a pseudo or read-only file system: the claim says so
                return float(shutil.disk_usage(candidate).free)
            except OSError:
                return None
    return None


def check_size(
    source: str,
    what: str,
    memory: float,
    disk: float,
    folder: Path,
    max_memory_gb: float | None = None,
    max_disk_gb: float | None = None,
) -> None:
    """Refuse, before any run, a job whose estimated peak ``memory`` or ``disk`` [bytes] exceeds
    what this machine has now, or the limit the user gave instead (``--max-memory``,
    ``--max-disk``, in GB)."""
    from lpsa.model import ScenarioError

    for kind, need, limit, have, option in (
        ("memory", memory, max_memory_gb, memory_available(), "--max-memory"),
        ("disk space", disk, max_disk_gb, disk_available(folder), "--max-disk"),
    ):
        allowed = limit * 1e9 if limit is not None else have
        if allowed is None or need <= allowed:
            continue
        if limit is not None:
            where = f"the limit is {limit:g} GB ({option})"
        elif kind == "memory":
            where = f"this machine has {allowed / 1e9:,.1f} GB free"
        else:
            where = f"the disk of {folder} has {allowed / 1e9:,.1f} GB free"
        raise ScenarioError(
            f"{source}: {what} needs about {need / 1e9:,.1f} GB of {kind}, and {where}; "
            f"allowed: fewer replications, runs or councils, or {option} GB to set the limit "
            "yourself"
        )
