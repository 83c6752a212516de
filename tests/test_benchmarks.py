"""The benchmark scripts run and print their figures (no timing is asserted: speed and memory
targets live in the benchmarks themselves, never in tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench(script: str, *args: str) -> str:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.slow
def test_model_benchmark_prints_build_and_run_times_by_size():
    out = bench("bench_model.py", "--repeats", "1", "--sizes", "150", "1500")
    assert "median run" in out and "1,500" in out


@pytest.mark.slow
def test_sweep_benchmark_prints_throughput_for_every_backend():
    out = bench("bench_sweep.py", "--runs", "4")
    for backend in ("1 local worker", "2 local workers", "Dask LocalCluster, 2 workers"):
        assert backend in out


@pytest.mark.slow
def test_memory_benchmark_prints_growth_per_run():
    out = bench("bench_memory.py", "--runs", "40")
    assert "per run" in out


@pytest.mark.slow
def test_throughput_benchmark_prints_every_figure_against_its_target():
    out = bench(
        "bench_throughput.py",
        *("--repeats", "1", "--sweep-runs", "4", "--memory-runs", "5"),
        *("--big-repeats", "1", "--step-quarters", "3", "--big-councils", "2000"),
    )
    for figure in (
        "run end to end / kernel",
        "compiled quarters alone / kernel",
        "runs, 2 workers",
        "server time per Step",
        "memory growth",
        "2,000 councils",
    ):
        assert figure in out
    assert "at least 500" in out and "at most 2.5x" in out and "at most 25 ms" in out
    assert "at 10,000: not judged here" in out


@pytest.mark.slow
def test_dashboard_benchmark_prints_step_and_play_times_against_their_targets():
    # the server's memory over sessions: tests/test_dashboard_room.py measures it the same way
    out = bench("bench_dashboard.py", "--quarters", "2", "--play-quarters", "3", "--sessions", "0")
    assert "Step median" in out and "Play quarter" in out and "Step <= " in out
    assert "server memory: not measured" in out


@pytest.mark.slow
def test_scale_benchmark_prints_time_and_memory_by_councils_against_their_targets():
    out = bench("bench_scale.py", "--sizes", "200", "400")
    assert "peak MB" in out and "400" in out
