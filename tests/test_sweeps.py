"""Sweeps: identical results on any backend, resumable after a kill, failures recorded, clear
errors.

A sweep that must still be running when the test acts (a kill, a second sweep into its folder, a
lost scheduler) is held part way through (``cli_helpers.start_held``), not raced against the
clock. Refusals run in this process (the ``lpsa`` fixture)."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import HANG_SECONDS, ROOT, release, run_cli, start_held, wait_until_held

from lpsa.experiments.design import Experiment
from lpsa.experiments.runner import InProcessExecutor
from lpsa.experiments.sweeps import run_sweep


def tiny_sweep(
    tmp_path: Path,
    body: str = "",
    name: str = "tiny",
    reps: int = 2,
    chunk: int = 2,
    councils: int = 12,
) -> Path:
    base = tmp_path / "tiny_base.yaml"
    base.write_text(f"extends: lpsa1_baseline\nscheme:\n  n_authorities: {councils}\n")
    sweep = tmp_path / f"{name}.yaml"
    sweep.write_text(
        f"name: {name}\nbase: {base}\nseed: 5\nreplications: {reps}\nchunk_size: {chunk}\n"
        + (body or "levers:\n  funding.ppg_share: {values: [0.1, 0.5, 0.9]}\n")
    )
    return sweep


def start_held_sweep(
    hold: Path, after_chunks: int, sweep: Path, out: Path, *options: str, **popen
) -> subprocess.Popen:
    """Start ``run.py sweep`` in a new process, held before it writes chunk ``after_chunks + 1``
    (text pipes unless ``popen`` says otherwise)."""
    return start_held(
        hold, after_chunks, "sweep", str(sweep), *options, "--out", str(out), "--quiet", **popen
    )


def sweep_here(sweep: Path, out: Path) -> pd.DataFrame:
    """Run a sweep to the end in this process: the folder a later command finds."""
    return run_sweep(Experiment(sweep), out, InProcessExecutor(), "here", progress=False)


def chunks_written(out: Path) -> int:
    return len(list((out / "chunks").glob("chunk-*.parquet")))


@pytest.mark.slow
def test_local_processes_and_dask_give_identical_results(tmp_path):
    sweep = tiny_sweep(
        tmp_path,
        "twins: true\nlevers:\n  funding.ppg_share: {values: [0.1, 0.9]}\n"
        "  mechanisms.late_start: {values: [true, false]}\n",
    )
    r1 = run_cli("sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "procs"), "--quiet")
    r2 = run_cli(
        "sweep",
        str(sweep),
        "--dask",
        "local",
        "--workers",
        "2",
        "--out",
        str(tmp_path / "dask"),
        "--quiet",
    )
    r3 = run_cli("sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "one"), "--quiet")
    assert r1.returncode == r2.returncode == r3.returncode == 0, r1.stderr + r2.stderr + r3.stderr
    a = pd.read_parquet(tmp_path / "procs" / "runs.parquet")
    assert len(a) == 8 and (a["status"] == "ok").all() and "additionality_mean" in a
    pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "dask" / "runs.parquet"))
    pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "one" / "runs.parquet"))


def test_points_share_random_numbers_across_the_sweep(tmp_path):
    runs = sweep_here(tiny_sweep(tmp_path), tmp_path / "o")
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()


@pytest.mark.slow
def test_a_killed_sweep_resumes_with_nothing_lost_or_duplicated(tmp_path):
    sweep = tiny_sweep(
        tmp_path,
        "levers:\n  funding.ppg_share: {values: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]}\n",
        reps=4,
        chunk=1,
    )
    out, hold = tmp_path / "killed", tmp_path / "hold"
    proc = start_held_sweep(
        hold,
        3,
        sweep,
        out,
        "--workers",
        "1",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until_held(proc, hold)  # three of its 24 chunks written, the fourth about to be
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the sweep and its workers
    proc.wait()
    assert chunks_written(out) == 3 and not (out / "runs.parquet").exists()
    r = run_cli("sweep", str(sweep), "--workers", "2", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    resumed = pd.read_parquet(out / "runs.parquet")
    assert list(resumed["run_id"]) == list(range(24))
    pd.testing.assert_frame_equal(resumed, sweep_here(sweep, tmp_path / "clean"))


@pytest.mark.slow
def test_a_failing_run_is_recorded_and_reported(tmp_path):
    sweep = tiny_sweep(tmp_path)
    r = run_cli(
        "sweep",
        str(sweep),
        "--workers",
        "2",
        "--out",
        str(tmp_path / "f"),
        env={"LPSA_FAIL_RUNS": "3"},
    )
    assert r.returncode == 1
    assert "1 run(s) failed" in r.stdout and "injected failure" in r.stdout
    runs = pd.read_parquet(tmp_path / "f" / "runs.parquet").set_index("run_id")
    assert runs.loc[3, "status"] == "failed" and "injected failure" in runs.loc[3, "error"]
    assert runs.loc[3, "funding.ppg_share"] == 0.5  # its parameters are kept
    assert (runs.drop(index=3)["status"] == "ok").all() and len(runs) == 6


@pytest.mark.parametrize(
    "body, expected",
    [
        ("levers:\n  funding.ppg_shares: {values: [0.1]}\n", "funding.ppg_shares"),
        ("levers:\n  funding.ppg_share: {values: [1.5]}\n", "less than or equal to 1"),
        ("method: lhs\nlevers:\n  funding.ppg_share: {low: 0, high: 1}\n", "needs 'samples'"),
        (
            "levers:\n  funding.ppg_share: {low: 0.8, high: 0.2}\n",
            "low (0.8) must be below high (0.2)",
        ),
        ("replication: 3\nlevers:\n  funding.ppg_share: {values: [0.1]}\n", "replication"),
        (
            'levers:\n  mechanisms.late_start: {values: [true, "5e5"]}\n',
            "allowed: numbers or true/false",
        ),
        ("levers:\n  mechanisms.late_start: {values: [true, 1]}\n", "values of one type"),
        # a sweep file says only what will run
        ("levers:\n  seed: {values: [1, 2]}\n", "field 'levers.seed': not a scenario parameter"),
        (
            "uncertainties:\n  replications: {values: [1, 5]}\n",
            "field 'uncertainties.replications': not a scenario parameter",
        ),
        (
            "levers:\n  funding.ppg_share: {values: [0.1]}\n"
            "uncertainties:\n  funding__ppg_share: {values: [0.2, 0.3]}\n",
            "'uncertainties.funding__ppg_share': the same parameter as 'levers.funding.ppg_share'",
        ),
        (
            "samples: 8\nlevers:\n  funding.ppg_share: {values: [0.1]}\n",
            "field 'samples': got 8, which method 'grid' ignores",
        ),
    ],
)
def test_bad_sweep_files_get_one_clear_message(tmp_path, body, expected, lpsa):
    sweep = tiny_sweep(tmp_path, body)
    r = lpsa("sweep", str(sweep), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert str(sweep) in r.stderr and expected in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "line, written, field",
    [
        ("seed: 5", "seed: yes", "seed"),
        ("replications: 2", "replications: yes", "replications"),
        ("chunk_size: 2", "chunk_size: yes", "chunk_size"),
        ("seed: 5", "seed: 5\ntwins: 1", "twins"),
        (
            "levers:\n  funding.ppg_share: {values: [0.1, 0.5, 0.9]}\n",
            "method: lhs\nsamples: yes\nlevers:\n  funding.ppg_share: {low: 0.1, high: 0.9}\n",
            "samples",
        ),
    ],
)
def test_true_false_is_not_a_count_and_a_count_is_not_true_false(
    line, written, field, tmp_path, lpsa
):
    """YAML reads ``yes`` as true: a sweep must not run it as 1 (nor 1 as true)."""
    sweep = tiny_sweep(tmp_path)
    sweep.write_text(sweep.read_text().replace(line, written))
    r = lpsa("sweep", str(sweep), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"field '{field}'" in r.stderr and "true/false" in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", [".", "..", ".hidden"])
def test_a_sweep_name_must_be_a_folder_of_its_own(name, tmp_path, lpsa):
    sweep = tiny_sweep(tmp_path, name="x")
    sweep.write_text(sweep.read_text().replace("name: x", f"name: '{name}'"))
    r = lpsa("sweep", str(sweep))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"{sweep}: field 'name': got {name!r}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny_base.yaml", "x.yaml"]


def test_twins_count_towards_a_sweeps_run_limit(tmp_path, lpsa):
    sweep = tiny_sweep(
        tmp_path, "twins: true\nlevers:\n  funding.ppg_share: {values: [0.1, 0.5, 0.9]}\n"
    )
    r = lpsa("sweep", str(sweep), "--max-runs", "10", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "3 points x 2 replications x 2 (each run with its twin) = 12 runs" in r.stderr
    assert not (tmp_path / "o").exists()


def test_results_of_another_sweep_are_not_mixed(tmp_path, lpsa):
    a = tiny_sweep(tmp_path, name="a")
    before = sweep_here(a, tmp_path / "o")
    b = tiny_sweep(tmp_path, "levers:\n  funding.ppg_share: {values: [0.3]}\n", name="b")
    r = lpsa("sweep", str(b), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "different sweep" in r.stderr and "experiment_file" in r.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "o" / "runs.parquet"), before)


@pytest.mark.slow
def test_report_regenerates_with_figures_and_comparison(tmp_path):
    sweep = tiny_sweep(
        tmp_path,
        "compare: [ppg_heavy, reward_heavy]\nlevers:\n  funding.ppg_share: {values: [0.1, 0.9]}\n",
    )
    assert (
        run_cli(
            "sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "o"), "--quiet"
        ).returncode
        == 0
    )
    r = run_cli("report", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    report = (tmp_path / "o" / "report.md").read_text()
    assert "targets met" in report and "ppg_heavy - reward_heavy" in report
    assert (tmp_path / "o" / "report_funding.ppg_share.png").stat().st_size > 0
    manifest = (tmp_path / "o" / "manifest.json").read_text()
    assert (
        "git_commit" in manifest
        and "experiment_file" in manifest
        and "code_sha256" in manifest
        and "versions" in manifest
    )


@pytest.mark.slow
def test_report_and_discovery_regenerate_from_the_sweep_file_in_one_command(tmp_path):
    sweep = tiny_sweep(
        tmp_path,
        (
            "levers:\n"
            "  funding.ppg_share: {values: [0.0, 0.3, 0.6, 0.9]}\n"
            "  stretch.ambition: {values: [0.8, 1.4]}\n"
        ),
    )
    r = run_cli("report", str(sweep), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "results" / "tiny" / "report.md").is_file()
    r = run_cli(
        "discover",
        str(sweep),
        "--outcome",
        "targets_met_share",
        "--below",
        "0.35",
        "--min-density",
        "0.5",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr + r.stdout
    assert list((tmp_path / "results" / "tiny").glob("discovery-targets_met_share-*/discovery.md"))


@pytest.mark.slow
@pytest.mark.parametrize("backend", [["--dask", "local"], []], ids=["dask", "processes"])
def test_runs_of_a_worker_that_dies_are_retried(tmp_path, backend):
    sweep = tiny_sweep(tmp_path)
    r = run_cli(
        "sweep",
        str(sweep),
        *backend,
        "--workers",
        "2",
        "--out",
        str(tmp_path / "d"),
        "--quiet",
        env={"LPSA_DIE_ONCE": str(tmp_path)},
    )
    assert (tmp_path / "worker-died").exists(), "the injected worker death did not happen"
    assert r.returncode == 0, r.stderr[-2000:]
    runs = pd.read_parquet(tmp_path / "d" / "runs.parquet")
    assert len(runs) == 6 and (runs["status"] == "ok").all() and runs["run_id"].is_unique


def test_an_empty_sweep_file_is_refused(tmp_path, lpsa):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n")
    r = lpsa("sweep", str(empty), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "the file is empty" in r.stderr and str(empty) in r.stderr


@pytest.mark.slow
def test_two_sweeps_into_one_folder_at_once_one_refuses_and_no_row_is_mixed(tmp_path, lpsa):
    a = tiny_sweep(
        tmp_path, "levers:\n  funding.ppg_share: {values: [0.0, 0.2, 0.4, 0.6]}\n", name="a"
    )
    b = tiny_sweep(tmp_path, "levers:\n  funding.ppg_share: {values: [0.9]}\n", name="b")
    out, hold = tmp_path / "shared", tmp_path / "hold"
    first = start_held_sweep(hold, 1, a, out, "--workers", "1")
    try:
        wait_until_held(first, hold)  # running, with its folder locked and one chunk written
        second = lpsa("sweep", str(b), "--workers", "1", "--out", str(out))
        assert first.poll() is None, "the first sweep is still running"
    finally:
        release(hold)
        _, err = first.communicate(timeout=HANG_SECONDS)
    assert second.returncode == 2 and "another lpsa job is writing" in second.stderr
    assert str(out) in second.stderr and second.stderr.count("\n") == 1
    assert first.returncode == 0, err
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and sorted(runs["funding.ppg_share"].unique()) == [0.0, 0.2, 0.4, 0.6]
    assert json.loads((out / "manifest.json").read_text())["experiment"] == "a"


def test_a_resume_after_the_base_scenario_changed_refuses_naming_it(tmp_path, lpsa):
    sweep = tiny_sweep(tmp_path)
    out = tmp_path / "o"
    sweep_here(sweep, out)
    before = (out / "runs.parquet").read_bytes()
    base = tmp_path / "tiny_base.yaml"
    base.write_text(base.read_text() + "stretch:\n  ambition: 1.3\n")
    r = lpsa("sweep", str(sweep), "--workers", "1", "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "changed since: scenario tiny_base" in r.stderr
    assert (out / "runs.parquet").read_bytes() == before


def test_a_chunk_of_another_sweep_is_never_combined(tmp_path, lpsa):
    a, b = tiny_sweep(tmp_path, name="a"), tiny_sweep(tmp_path, name="b", reps=3)
    for name, sweep in (("oa", a), ("ob", b)):
        sweep_here(sweep, tmp_path / name)
    mine = tmp_path / "oa" / "chunks" / "chunk-00001.parquet"
    mine.write_bytes((tmp_path / "ob" / "chunks" / "chunk-00001.parquet").read_bytes())
    r = lpsa("sweep", str(a), "--workers", "1", "--out", str(tmp_path / "oa"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"{mine}: a chunk of another sweep" in r.stderr


def flip_a_bit(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_a_chunk_is_named_and_the_chunk_run_again(tmp_path, capsys):
    sweep = tiny_sweep(tmp_path)
    out = tmp_path / "o"
    before = sweep_here(sweep, out)
    damaged = out / "chunks" / "chunk-00001.parquet"
    value = pd.read_parquet(damaged)["targets_met_share"].iloc[0]
    data = bytearray(damaged.read_bytes())
    at = data.find(struct.pack("<d", value))
    assert at > 0, "the value is stored as is (plain encoding)"
    data[at + 6] ^= 0x01  # one bit of the exponent: the file still reads, with another number
    damaged.write_bytes(bytes(data))
    assert pd.read_parquet(damaged)["targets_met_share"].iloc[0] != value
    capsys.readouterr()
    after = sweep_here(sweep, out)
    said = capsys.readouterr().out
    assert f"{damaged}: damaged" in said and "run again" in said
    pd.testing.assert_frame_equal(after, before)
    assert (out / "chunks" / "chunk-00001.parquet.damaged").is_file()  # set aside, not deleted


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_truncated_or_empty_chunk_is_named_and_run_again(damage, tmp_path, capsys):
    sweep = tiny_sweep(tmp_path)
    out = tmp_path / "o"
    before = sweep_here(sweep, out)
    chunk = out / "chunks" / "chunk-00002.parquet"
    chunk.write_bytes(chunk.read_bytes()[: 40 if damage == "truncated" else 0])
    capsys.readouterr()
    pd.testing.assert_frame_equal(sweep_here(sweep, out), before)
    assert f"{chunk}: damaged" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_report_refuses_a_damaged_runs_table_in_one_line(damage, tmp_path, lpsa):
    out = tmp_path / "o"
    sweep_here(tiny_sweep(tmp_path), out)
    runs = out / "runs.parquet"
    if damage == "flipped":
        flip_a_bit(runs, 0.1)
    else:
        runs.write_bytes(runs.read_bytes()[:100])
    r = lpsa("report", str(out), "--no-compare")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{runs}: damaged or missing since the sweep wrote it" in r.stderr
    assert not (out / "report.md").exists()


def test_a_billion_point_grid_is_refused_before_a_point_is_built(tmp_path, lpsa, monkeypatch):
    values = "{values: [" + ", ".join(f"0.{i}" for i in range(1, 11)) + "]}"
    body = "levers:\n" + "".join(
        f"  {p}: {values}\n"
        for p in (
            "funding.ppg_share",
            "stretch.ambition",
            "authorities.capacity_mean",
            "authorities.will_mean",
            "authorities.leadership_mean",
            "authorities.risk_tolerance_mean",
            "authorities.budget_climate_mean",
            "partners.alignment_mean",
            "departments.engagement_mean",
        )
    )
    body = body.replace("stretch.ambition: {values: [0.1", "stretch.ambition: {values: [1.1")
    body = body.replace(
        "0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.10]}\n  authorities.ca",
        "0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]}\n  authorities.ca",
    )
    sweep = tiny_sweep(
        tmp_path,
        body.replace(
            "1.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.10",
            "1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9",
        ),
    )

    def build_points(self: Experiment) -> list:
        raise AssertionError("the grid's points were built: it is refused by their count")

    monkeypatch.setattr(Experiment, "_build_points", build_points)
    r = lpsa("sweep", str(sweep), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and len(r.stderr) < 400
    assert "1,000,000,000 points" in r.stderr and "--max-runs" in r.stderr
    assert not (tmp_path / "o").exists()


@contextmanager
def memory_cap(headroom: int) -> Iterator[None]:
    """Let this process map at most ``headroom`` more bytes: past that, MemoryError (a failed
    test) instead of the machine running out of memory."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    cap = mapped + headroom if hard == resource.RLIM_INFINITY else min(mapped + headroom, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_a_yaml_alias_bomb_is_refused_at_its_first_alias_with_a_short_message(tmp_path, lpsa):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("name: bomb\n" + "\n".join(lines) + "\n")
    try:
        with memory_cap(2**29):  # expanded, the bomb would take all the machine's memory
            r = lpsa("sweep", str(bomb), "--out", str(tmp_path / "o"))
    except MemoryError:
        r = None  # (outside the handler, the failure's report does not show the bomb's data)
    assert r is not None, "the aliases were expanded: 512 MB more memory did not suffice"
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and len(r.stderr) < 400
    assert str(bomb) in r.stderr and "at line 3: YAML aliases (*name) are not allowed" in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_result_files_are_readable_by_the_group(tmp_path):
    sweep = tiny_sweep(tmp_path)
    out = tmp_path / "o"
    r = subprocess.run(
        [
            "sh",
            "-c",
            f"umask 022 && exec {sys.executable} {ROOT / 'run.py'} sweep "
            f"{sweep} --workers 1 --out {out} --quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
    )
    assert r.returncode == 0, r.stderr
    files = [out / "runs.parquet", out / "manifest.json", *(out / "chunks").glob("*.parquet")]
    assert all(f.stat().st_mode & 0o044 == 0o044 for f in files), [
        oct(f.stat().st_mode) for f in files
    ]


def test_a_sweep_removes_only_its_own_leftover_temporaries(tmp_path):
    """Its killed run's temporary files go; a user's ``.notes.tmp`` and another job's write in
    progress stay, whatever their names."""
    from lpsa.experiments.sweeps import SweepFolder

    sweep = tiny_sweep(tmp_path)
    out = tmp_path / "o"
    sweep_here(sweep, out)
    tag = SweepFolder(out, Experiment(sweep)).tag
    mine = [
        out / f".manifest.json.{tag}.abc.tmp",
        out / "chunks" / f".chunk-00000.parquet.{tag}.x.tmp",
    ]
    theirs = [
        out / ".notes.tmp",
        out / "chunks" / ".notes.tmp",
        out / ".runs.parquet.lpsa-run-4242.q1w2.tmp",
        out / ".manifest.json.abc.tmp",
    ]
    for f in mine + theirs:
        f.write_text("half")
    sweep_here(sweep, out)
    assert not any(f.exists() for f in mine)
    assert all(f.read_text() == "half" for f in theirs)


NOBODY = {"user": 65534, "group": 65534, "extra_groups": []}


def _nobody_can_run_python() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import lpsa.model"],
        cwd=ROOT,
        capture_output=True,
        timeout=HANG_SECONDS,
        **NOBODY,
    )
    return probe.returncode == 0


def _read_only_folder(work: Path) -> tuple[Path, dict]:
    """A folder this test's sweep cannot write to, and how to run the sweep.

    Root ignores permission bits, so as root the sweep runs as 'nobody' on a folder of mode 555;
    where 'nobody' cannot run this Python (an interpreter under root's home), the folder is /sys,
    where not even root may create a file."""
    out = work / "readonly"
    out.mkdir()
    os.chmod(out, 0o555)
    if os.geteuid() != 0:
        return out, {}
    if _nobody_can_run_python():
        return out, NOBODY
    return Path("/sys"), {}


@pytest.mark.slow
def test_a_read_only_output_folder_stops_the_sweep_at_once_naming_the_path():
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="lpsa-ro-"))
    try:
        os.chmod(work, 0o755)
        sweep = tiny_sweep(work)
        for f in work.iterdir():
            os.chmod(f, 0o644)
        out, user = _read_only_folder(work)
        runs_started = work / "runs-started"  # the runner's fault hook marks run 0 starting here
        runs_started.mkdir()
        os.chmod(runs_started, 0o777)
        r = subprocess.run(
            [
                sys.executable,
                str(ROOT / "run.py"),
                "sweep",
                str(sweep),
                "--workers",
                "1",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            env={**os.environ, "LPSA_DIE_ONCE": str(runs_started)},
            **user,
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert str(out) in r.stderr and "cannot write" in r.stderr
        assert not (runs_started / "worker-died").exists(), "a run started before the refusal"
    finally:
        os.chmod(work / "readonly", 0o755)
        shutil.rmtree(work, ignore_errors=True)


def test_bad_retries_are_refused(lpsa):
    r = lpsa("sweep", str(ROOT / "experiments" / "ppg_vs_reward.yaml"), "--retries", "-1")
    assert r.returncode == 2
    assert "--retries: got -1; allowed: a whole number from 0 to 100" in r.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args: str) -> subprocess.Popen:
    dask = Path(sys.executable).with_name("dask")
    return subprocess.Popen(
        [str(dask), *args, "--no-dashboard"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_port(port: int, server: subprocess.Popen) -> None:
    import socket

    deadline = time.monotonic() + HANG_SECONDS
    while server.poll() is None and time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} (the scheduler ended or hangs)")


@pytest.mark.slow
def test_a_dask_cluster_without_workers_ends_the_sweep_with_one_line(tmp_path):
    port = _free_port()
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port))
    try:
        _wait_for_port(port, scheduler)
        r = run_cli(
            "sweep",
            str(tiny_sweep(tmp_path)),
            "--dask",
            f"tcp://127.0.0.1:{port}",
            "--worker-timeout",
            "3",
            "--retries",
            "0",
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        )
        assert r.returncode != 0 and "no Dask workers for 3 s" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    finally:
        scheduler.kill()


@pytest.mark.slow
def test_losing_the_dask_scheduler_ends_the_sweep_with_one_line(tmp_path):
    port = _free_port()
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port))
    worker = None
    try:
        _wait_for_port(port, scheduler)
        worker = _dask("worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1", "--nthreads", "1")
        # 30 chunks: more than are ever in flight (16) besides the one written when it is held
        sweep = tiny_sweep(
            tmp_path, "levers:\n  funding.ppg_share: {values: [0.0, 0.5, 1.0]}\n", reps=10, chunk=1
        )
        out, hold = tmp_path / "o", tmp_path / "hold"
        proc = start_held_sweep(
            hold, 1, sweep, out, "--dask", f"tcp://127.0.0.1:{port}", "--worker-timeout", "3",
            "--retries", "0",
        )  # fmt: skip
        wait_until_held(proc, hold)
        scheduler.kill()
        scheduler.wait()
        release(hold)
        _, err = proc.communicate(timeout=HANG_SECONDS)
        assert proc.returncode != 0 and "workers lost" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert list((out / "chunks").glob("chunk-*.parquet")), "finished chunks are kept"
    finally:
        scheduler.kill()
        if worker is not None:
            worker.kill()


def test_a_write_error_part_way_stops_the_sweep_at_once_naming_the_path(tmp_path, monkeypatch):
    import errno
    from concurrent.futures import ThreadPoolExecutor

    from lpsa.experiments import io
    from lpsa.experiments.design import Experiment
    from lpsa.experiments.sweeps import run_sweep

    sweep = tiny_sweep(tmp_path, reps=10, chunk=1)  # 30 chunks
    real = io.atomic_write
    written: list[Path] = []

    def disk_full_after_two_chunks(path, write):
        path = Path(path)
        if path.parent.name == "chunks":
            time.sleep(0.3)  # a slow disk: the worker runs on while the caller writes
            if len(written) >= 2:
                raise io.output_error(path, OSError(errno.ENOSPC, "No space left on device"))
            written.append(path)
        return real(path, write)

    from lpsa.experiments import runner

    ran: list[int] = []
    real_chunk = runner.run_chunk

    def counted(*args):
        ran.append(1)
        return real_chunk(*args)

    monkeypatch.setattr(io, "atomic_write", disk_full_after_two_chunks)
    monkeypatch.setattr(runner, "run_chunk", counted)
    with pytest.raises(io.OutputError, match=r"chunk-000\d\d\.parquet: cannot write \(No space"):
        with ThreadPoolExecutor(1) as executor:
            run_sweep(Experiment(sweep), tmp_path / "o", executor, "threads", progress=False)
    assert len(list((tmp_path / "o" / "chunks").glob("chunk-*.parquet"))) == 2
    # two chunks in flight for one worker: at most the three yielded and the two behind them ran
    assert len(ran) <= 5, f"{len(ran)} of 30 chunks ran: the sweep did not stop at the error"
    assert not list((tmp_path / "o" / "chunks").glob(".*.tmp"))


def worker_rss_mb(model, twin) -> dict:
    """Measure for the runner: the resident memory of the process that ran this model [MB], after
    looking at its Mesa agents (which are made on first look), as a library user would."""
    assert len(model.agents) > 0
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return {"rss_mb": pages * os.sysconf("SC_PAGE_SIZE") / 1e6}


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_a_sweep_workers_memory_stays_flat_over_a_long_sweep():
    from concurrent.futures import ProcessPoolExecutor

    from lpsa.experiments.runner import Design, Point, run_table
    from lpsa.model import load_scenario

    small = load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 12}})
    design = Design({"base": small}, [Point({"funding.ppg_share": 0.5})], 1500, seed=1)
    with ProcessPoolExecutor(1) as one_worker:
        runs = run_table(design, worker_rss_mb, one_worker, chunk_size=100)
    rss = runs["rss_mb"].to_numpy()
    growth = rss[-100:].max() - rss[300:400].min()
    # A run makes no Mesa agents unless someone looks at them (test_runner.py has the test of
    # freeing a model whose agents were made); this bounds what any other leak could keep: 25 MB
    # over 1,200 runs is about 20 kB a run.
    assert growth < 25, f"worker memory grew {growth:.1f} MB from run 300 to run 1,500"


def test_a_sweeps_seeds_are_exact_64_bit_integers_whatever_its_chunks_hold(tmp_path):
    """Seed 5's replications 0-7 draw model seeds on both sides of 2**63; in chunks of one, some
    chunks hold only small seeds (int64 alone) and some only large ones (uint64 alone)."""
    from lpsa.experiments.design import Experiment
    from lpsa.experiments.runner import InProcessExecutor
    from lpsa.experiments.sweeps import run_sweep
    from lpsa.model import replication_seed

    seeds = [replication_seed(5, r) for r in range(8)]
    assert min(seeds) < 2**63 <= max(seeds)
    sweep = tiny_sweep(tmp_path, "levers:\n  funding.ppg_share: {values: [0.5]}\n", reps=8, chunk=1)
    runs = run_sweep(Experiment(sweep), tmp_path / "o", InProcessExecutor(), "here", progress=False)
    assert runs["seed"].dtype == "uint64" and runs["seed"].tolist() == seeds
    again = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert again["seed"].tolist() == seeds


def test_chunk_rows_go_to_arrow_typed_with_missing_values_null():
    from lpsa.experiments import io

    rows = [
        {"run_id": 1, "seed": 2**64 - 1, "x": 0.5, "status": "ok"},
        {"run_id": 0, "seed": 3, "status": "failed", "flag": True},
    ]
    table = io.rows_to_arrow(rows, {"run_id": "int64", "seed": "uint64"}, {"sweep_id": "s"})
    assert table.column_names == ["run_id", "seed", "x", "status", "flag"]
    assert str(table.schema.field("seed").type) == "uint64"
    assert table.column("seed").to_pylist() == [2**64 - 1, 3]
    assert table.column("x").to_pylist() == [0.5, None]
    assert table.column("flag").to_pylist() == [None, True]
    assert table.schema.metadata == {b"lpsa.sweep_id": b"s"}


def test_a_results_column_mixing_kinds_of_value_is_refused_naming_it():
    from lpsa.experiments import io
    from lpsa.model import ScenarioError

    with pytest.raises(ScenarioError, match=r"column 'x': values of kinds int, str"):
        io.rows_to_arrow([{"run_id": 0, "x": 1}, {"run_id": 1, "x": "a"}], {"run_id": "int64"})


def constructed_lever_runs() -> pd.DataFrame:
    """Three worlds (values of one uncertainty u) x two settings of lever x x two replications.
    Setting x=1 keeps more in worlds 0 and 1; world 2 is a tie; x=0 meets more targets in all, and
    misses more (lower is better there) in all."""
    kept = {(0, 0): [0.5, 0.5], (0, 1): [0.6, 0.6], (1, 0): [0.4, 0.6], (1, 1): [0.6, 0.6],
            (2, 0): [0.7, 0.7], (2, 1): [0.6, 0.8]}  # fmt: skip
    rows = []
    for (world, x), values in kept.items():
        for r, value in enumerate(values):
            rows.append(
                {
                    "u": 0.1 * (world + 1),
                    "x": float(x),
                    "replication": r,
                    "retained_gain_3y": value,
                    "targets_met_share": 0.5 - 0.1 * x,
                    "targets_missed_share": 0.3 - 0.1 * x,
                }
            )
    return pd.DataFrame(rows)


def test_levers_are_compared_within_each_world_and_a_tie_counts_for_neither():
    from lpsa.experiments.sweep_summary import levers_across_worlds

    table, worlds = levers_across_worlds(constructed_lever_runs(), ["x"], ["u"], "retained_gain_3y")
    assert worlds == 3
    assert table.set_index("setting")["best_in"].to_dict() == {"x=0": 0, "x=1": 2}
    met, _ = levers_across_worlds(constructed_lever_runs(), ["x"], ["u"], "targets_met_share")
    assert met.set_index("setting")["best_in"].to_dict() == {"x=0": 3, "x=1": 0}
    missed, _ = levers_across_worlds(constructed_lever_runs(), ["x"], ["u"], "targets_missed_share")
    assert missed.set_index("setting")["best_in"].to_dict() == {"x=0": 0, "x=1": 3}


def test_lever_settings_are_named_in_the_sweep_files_words():
    from lpsa.experiments.sweep_summary import lever_settings

    runs = pd.DataFrame({"funding.ppg_share": [0.05, 0.5], "mechanisms.gaming": [True, False]})
    assert lever_settings(runs, list(runs)).tolist() == [
        "funding.ppg_share=0.05, mechanisms.gaming=true",
        "funding.ppg_share=0.5, mechanisms.gaming=false",
    ]


def test_the_report_says_which_lever_setting_does_best_in_how_many_worlds(tmp_path):
    from lpsa.experiments.sweep_summary_report import lever_section

    manifest = {"levers": ["x"], "uncertainties": ["u"]}
    lines, table = lever_section(constructed_lever_runs(), manifest, ["retained_gain_3y"])
    text = "\n".join(lines)
    assert "`x=1` does best in 2 of 3 worlds (67 %, 95 % interval 18-96 %): borderline" in text
    assert len(table) == 2 and set(table["outcome"]) == {"retained_gain_3y"}
    sampled_together = constructed_lever_runs().assign(u=lambda t: t["u"] + t["x"])
    assert lever_section(sampled_together, manifest, ["retained_gain_3y"]) == ([], None)
    without_uncertainties = {"levers": ["x"], "uncertainties": []}
    assert (
        lever_section(constructed_lever_runs(), without_uncertainties, ["retained_gain_3y"])[0]
        == []
    )


def test_a_sweep_of_runs_too_large_for_the_memory_limit_is_refused(tmp_path, lpsa):
    sweep = tiny_sweep(
        tmp_path, "levers:\n  scheme.n_authorities: {values: [12, 30000]}\n", name="big"
    )
    r = lpsa(
        "sweep", str(sweep), "--workers", "2", "--max-memory", "1.5", "--out", str(tmp_path / "o")
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{sweep}: a sweep of 4 runs on 2 worker(s) needs about" in r.stderr
    assert "the limit is 1.5 GB (--max-memory)" in r.stderr
    assert not (tmp_path / "o").exists()
