"""Sweeps: identical results on any backend, resumable after a kill, failures recorded, clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_run_cli import ROOT, run_cli


def tiny_sweep(tmp_path: Path, body: str = "", name: str = "tiny", reps: int = 2, chunk: int = 2, councils: int = 12) -> Path:
    base = tmp_path / "tiny_base.yaml"
    base.write_text(f"extends: lpsa1_baseline\nscheme:\n  n_authorities: {councils}\n")
    sweep = tmp_path / f"{name}.yaml"
    sweep.write_text(f"name: {name}\nbase: {base}\nseed: 5\nreplications: {reps}\nchunk_size: {chunk}\n"
                     + (body or "parameters:\n  funding.ppg_share: {values: [0.1, 0.5, 0.9]}\n"))
    return sweep


def test_local_processes_and_dask_give_identical_results(tmp_path):
    sweep = tiny_sweep(tmp_path, "twins: true\nparameters:\n  funding.ppg_share: {values: [0.1, 0.9]}\n"
                                 "  mechanisms.late_start: {values: [true, false]}\n")
    r1 = run_cli("sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "procs"), "--quiet")
    r2 = run_cli("sweep", str(sweep), "--dask", "local", "--workers", "2", "--out", str(tmp_path / "dask"), "--quiet")
    r3 = run_cli("sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "one"), "--quiet")
    assert r1.returncode == r2.returncode == r3.returncode == 0, r1.stderr + r2.stderr + r3.stderr
    a = pd.read_parquet(tmp_path / "procs" / "runs.parquet")
    assert len(a) == 8 and (a["status"] == "ok").all() and "additionality_mean" in a
    pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "dask" / "runs.parquet"))
    pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "one" / "runs.parquet"))


def test_points_share_random_numbers_across_the_sweep(tmp_path):
    sweep = tiny_sweep(tmp_path)
    assert run_cli("sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "o"), "--quiet").returncode == 0
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()


def test_a_killed_sweep_resumes_with_nothing_lost_or_duplicated(tmp_path):
    # Full-size runs (130 councils) so that the sweep is still going when the kill lands.
    sweep = tiny_sweep(tmp_path, "parameters:\n  funding.ppg_share: {values: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]}\n", reps=4, chunk=1,
                       councils=130)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "sweep", str(sweep), "--workers", "1", "--out", str(out), "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def chunks_written() -> int:
        return len(list((out / "chunks").glob("chunk-*.parquet")))

    deadline = time.time() + 120
    while time.time() < deadline and chunks_written() < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the sweep and its workers
    proc.wait()
    written = chunks_written()
    assert 3 <= written < 24, "the kill should land part way through"
    assert not (out / "runs.parquet").exists()
    r = run_cli("sweep", str(sweep), "--workers", "2", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    resumed = pd.read_parquet(out / "runs.parquet")
    assert len(resumed) == 24 and resumed["run_id"].is_unique and list(resumed["run_id"]) == list(range(24))
    clean = tmp_path / "clean"
    assert run_cli("sweep", str(sweep), "--workers", "2", "--out", str(clean), "--quiet").returncode == 0
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(clean / "runs.parquet"))


def test_a_failing_run_is_recorded_and_reported(tmp_path):
    sweep = tiny_sweep(tmp_path)
    env = {**os.environ, "LPSA_SWEEP_FAIL_RUNS": "3"}
    r = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "f")],
                       cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 1
    assert "1 run(s) failed" in r.stdout and "injected failure" in r.stdout
    runs = pd.read_parquet(tmp_path / "f" / "runs.parquet").set_index("run_id")
    assert runs.loc[3, "status"] == "failed" and "injected failure" in runs.loc[3, "error"]
    assert runs.loc[3, "funding.ppg_share"] == 0.5  # its parameters are kept
    assert (runs.drop(index=3)["status"] == "ok").all() and len(runs) == 6


@pytest.mark.parametrize("body, expected", [
    ("parameters:\n  funding.ppg_shares: {values: [0.1]}\n", "funding.ppg_shares"),
    ("parameters:\n  funding.ppg_share: {values: [1.5]}\n", "less than or equal to 1"),
    ("method: lhs\nparameters:\n  funding.ppg_share: {low: 0, high: 1}\n", "needs 'samples'"),
    ("parameters:\n  funding.ppg_share: {low: 0.8, high: 0.2}\n", "low (0.8) must be below high (0.2)"),
    ("replication: 3\nparameters:\n  funding.ppg_share: {values: [0.1]}\n", "replication"),
])
def test_bad_sweep_files_get_one_clear_message(tmp_path, body, expected):
    sweep = tiny_sweep(tmp_path, body)
    r = run_cli("sweep", str(sweep), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(sweep) in r.stderr and expected in r.stderr


def test_results_of_another_sweep_are_not_mixed(tmp_path):
    a = tiny_sweep(tmp_path, name="a")
    assert run_cli("sweep", str(a), "--workers", "1", "--out", str(tmp_path / "o"), "--quiet").returncode == 0
    b = tiny_sweep(tmp_path, "parameters:\n  funding.ppg_share: {values: [0.3]}\n", name="b")
    r = run_cli("sweep", str(b), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "different sweep file" in r.stderr


def test_report_regenerates_with_figures_and_comparison(tmp_path):
    sweep = tiny_sweep(tmp_path, "compare: [ppg_heavy, reward_heavy]\nparameters:\n  funding.ppg_share: {values: [0.1, 0.9]}\n")
    assert run_cli("sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "o"), "--quiet").returncode == 0
    r = run_cli("report", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "o" / "report.md").read_text()
    assert "share of targets met" in report and "reward_heavy - ppg_heavy" in report
    assert (tmp_path / "o" / "report_funding.ppg_share.png").stat().st_size > 0
    manifest = (tmp_path / "o" / "manifest.json").read_text()
    assert "git_commit" in manifest and "sweep_file_sha256" in manifest and "versions" in manifest


def test_report_and_discovery_regenerate_from_the_sweep_file_in_one_command(tmp_path):
    sweep = tiny_sweep(tmp_path, "parameters:\n  funding.ppg_share: {values: [0.0, 0.3, 0.6, 0.9]}\n  stretch.ambition: {values: [0.8, 1.4]}\n")
    r = run_cli("report", str(sweep), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "results" / "tiny" / "report.md").is_file()
    r = run_cli("discover", str(sweep), "--outcome", "targets_met_share", "--below", "0.35", "--min-density", "0.5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    assert list((tmp_path / "results" / "tiny").glob("discovery-targets_met_share-*/discovery.md"))


@pytest.mark.parametrize("backend", [["--dask", "local"], []], ids=["dask", "processes"])
def test_runs_of_a_worker_that_dies_are_retried(tmp_path, backend):
    sweep = tiny_sweep(tmp_path)
    env = {**os.environ, "LPSA_SWEEP_DIE_ONCE": str(tmp_path)}
    r = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(sweep), *backend, "--workers", "2",
                        "--out", str(tmp_path / "d"), "--quiet"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert (tmp_path / "worker-died").exists(), "the injected worker death did not happen"
    assert r.returncode == 0, r.stderr[-2000:]
    runs = pd.read_parquet(tmp_path / "d" / "runs.parquet")
    assert len(runs) == 6 and (runs["status"] == "ok").all() and runs["run_id"].is_unique
