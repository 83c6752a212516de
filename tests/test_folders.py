"""Every command guards its output folder: nothing lost, nothing mixed.

A command writes only into a folder that is new, empty, or holds its own earlier results (a sweep
resumes; ``--overwrite`` replaces an earlier result of the same command, removing only the files
its manifest records). A folder holding another job's results is refused in one line naming the
folder, what it holds and the way forward; a folder another job is writing to (its lock held) is
refused at once. Refusals run in this process and come before any model is built (the ``lpsa``
fixture fails the test otherwise); races between two real processes run as subprocesses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import HANG_SECONDS, ROOT
from filelock import FileLock

TINY = "extends: lpsa1_baseline\nscheme:\n  n_authorities: 12\n"


def tiny_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def tiny_sweep_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_sweep.yaml"
    path.write_text(
        f"name: tiny_sweep\nbase: {tiny_scenario(tmp_path)}\nseed: 5\nreplications: 2\n"
        "chunk_size: 2\nlevers:\n  funding.ppg_share: {values: [0.1, 0.9]}\n"
    )
    return path


def runs_table(tmp_path: Path) -> Path:
    path = tmp_path / "table.csv"
    pd.DataFrame({"x": [0.1, 0.2, 0.8, 0.9] * 5, "y": [0.0, 0.1, 0.9, 1.0] * 5}).to_csv(
        path, index=False
    )
    return path


def command_args(command: str, tmp_path: Path) -> list[str]:
    """A cheap, valid invocation of ``command`` (without --out)."""
    return {
        "run": [str(tiny_scenario(tmp_path)), "--replications", "1", "--no-figures", "--quiet"],
        "validate": [
            "validate",
            str(tiny_scenario(tmp_path)),
            "--replications",
            "1",
            "--prior-worlds",
            "0",
            "--quiet",
        ],  # fmt: skip
        "toc": [
            "toc",
            "--population",
            "2",
            "--generations",
            "1",
            "--replications",
            "1",
            "--max-simulations",
            "4",
            "--quiet",
        ],
        "compare": [
            "compare",
            "ppg_heavy",
            "reward_heavy",
            "--worlds",
            "1",
            "--replications",
            "1",
            "--no-constants",
            "--quiet",
        ],
        "calibrate": ["calibrate", "--population", "2", "--generations", "1", "--quiet"],
        "sensitivity": ["sensitivity", "--trajectories", "1", "--sobol-n", "2", "--sobol-top", "1"],
        "discover": ["discover", str(runs_table(tmp_path)), "--outcome", "y", "--below", "0.5"],
        "sweep": ["sweep", str(tiny_sweep_file(tmp_path)), "--quiet"],
        "design": [
            "design",
            "--trials",
            "2",
            "--population",
            "2",
            "--worlds",
            "1",
            "--replications",
            "1",
        ],  # fmt: skip
    }[command]


COMMANDS = [
    "run", "validate", "toc", "compare", "calibrate", "sensitivity", "discover", "sweep", "design",
]  # fmt: skip


def finished_folder(folder: Path, command: str) -> dict[str, bytes]:
    """A folder holding the finished results of ``command``; returns its files' bytes."""
    folder.mkdir(parents=True)
    (folder / "runs.parquet").write_bytes(b"PAR1 the other job's runs PAR1")
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "command": command,
                "argv": ["lpsa", command, "experiments/theirs.yaml"],
                "started": "2026-12-01T10:00:00+0000",
                "finished": "2026-12-01T10:05:00+0000",
                "files": {},
            }
        )
    )
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != ".lpsa.lock"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_another_jobs_folder_in_one_line(command, tmp_path, lpsa):
    other = "run" if command == "sweep" else "sweep"
    out = tmp_path / "theirs"
    before = finished_folder(out, other)
    r = lpsa(*command_args(command, tmp_path), "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert str(out) in r.stderr and "holds the finished results of" in r.stderr
    assert f"`lpsa {other}`" in r.stderr or "`lpsa`" in r.stderr
    assert "allowed: another --out" in r.stderr
    assert contents(out) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_a_folder_another_job_is_writing_to(command, tmp_path, lpsa):
    out = tmp_path / "busy"
    out.mkdir()
    with FileLock(str(out / ".lpsa.lock")):  # another job, running
        r = lpsa(*command_args(command, tmp_path), "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{out}: another lpsa job is writing to this folder" in r.stderr
    assert contents(out) == {}


def test_report_refuses_a_folder_a_sweep_is_writing_to(tmp_path, lpsa):
    out = tmp_path / "sweep"
    before = finished_folder(out, "sweep")
    with FileLock(str(out / ".lpsa.lock")):
        r = lpsa("report", str(out))
    assert r.returncode == 2 and "another lpsa job is writing to this folder" in r.stderr
    assert contents(out) == before


def test_report_refuses_a_main_job_folder_in_one_line(tmp_path, lpsa):
    out = tmp_path / "main"
    before = finished_folder(out, "run")
    r = lpsa("report", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{out}: holds the finished results of `lpsa`" in r.stderr and "not a sweep" in r.stderr
    assert contents(out) == before


def test_a_folder_of_files_lpsa_did_not_make_is_refused(tmp_path, lpsa):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("a year of work")
    r = lpsa(*command_args("run", tmp_path), "--out", str(out))
    assert r.returncode == 2 and "holds files no lpsa job recorded making (thesis.docx)" in r.stderr
    assert (out / "thesis.docx").read_text() == "a year of work"


def test_overwrite_is_refused_for_another_commands_results(tmp_path, lpsa):
    out = tmp_path / "theirs"
    before = finished_folder(out, "sweep")
    r = lpsa(*command_args("run", tmp_path), "--out", str(out), "--overwrite")
    assert (
        r.returncode == 2
        and "allowed: another --out" in r.stderr
        and "--overwrite" not in (r.stderr.split("allowed:")[1])
    )
    assert contents(out) == before


@pytest.mark.slow
def test_the_main_job_into_a_finished_sweep_keeps_the_sweep_and_overwrite_replaces_only_its_own(
    tmp_path,
):
    from lpsa.experiments.cli import main

    sweep_out = tmp_path / "sweep"
    assert main([*command_args("sweep", tmp_path), "--workers", "1", "--out", str(sweep_out)]) == 0
    sweep_runs = (sweep_out / "runs.parquet").read_bytes()
    assert main([*command_args("run", tmp_path), "--out", str(sweep_out)]) == 2
    assert (sweep_out / "runs.parquet").read_bytes() == sweep_runs
    assert main(["report", str(sweep_out), "--no-compare"]) == 0

    out = tmp_path / "main"
    assert main([*command_args("run", tmp_path), "--out", str(out)]) == 0
    recorded = json.loads((out / "manifest.json").read_text())["files"]
    assert set(recorded) >= {"summary.csv", "runs.parquet", "targets.parquet"}
    (out / "notes.txt").write_text("mine")
    assert main([*command_args("run", tmp_path), "--out", str(out)]) == 2
    assert main([*command_args("run", tmp_path), "--out", str(out), "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "mine"


def held_by_a_job(folder: Path) -> bool:
    """Whether a job holds ``folder``'s lock: a fresh ``flock`` on its lock file is refused
    (``filelock`` locks with ``flock``, which conflicts between open files even in one
    process)."""
    import fcntl
    import os

    fd = os.open(folder / ".lpsa.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the file releases a lock taken here
    return False


def second_job(command: str, args: list[str]) -> None:
    """``lpsa ARGS`` as another job in this process, by the command's own ``main`` (the command
    line's ``main`` would release this process's folders as it ends)."""
    import importlib

    from lpsa.experiments import cli

    if command == "run":
        cli.main_job(args)
    else:
        importlib.import_module(cli.SUBCOMMANDS[args[0]]).main(args[1:])


SERIAL = {"validate", "toc", "compare", "sweep"}
"""Commands with ``--workers``: one worker, so that everything runs in this process."""


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        "run",
        "validate",
        "toc",
        "compare",
        "calibrate",
        "sensitivity",
        "discover",
        "sweep",
        "report",
    ],
)
def test_a_job_started_while_another_writes_its_folder_is_refused_and_nothing_mixes(
    command, tmp_path, monkeypatch
):
    """Two jobs started together into one folder: whichever takes the folder first writes every
    file while it holds the folder's lock, under a manifest naming its command, and the other is
    refused at once; the folder ends holding only the first job's files, each recorded with its
    checksum. (Started here as a second job at the first job's first write into the folder, the
    moment two real processes overlap most; two real processes race in the test below.)"""
    from lpsa.experiments import cli, io

    out = tmp_path / "shared"
    if command == "report":
        assert (
            cli.main([*command_args("sweep", tmp_path), "--workers", "1", "--out", str(out)]) == 0
        )
        args, manifest_name = ["report", str(out), "--no-compare"], "report-manifest.json"
    else:
        args = [*command_args(command, tmp_path), "--out", str(out)]
        args += ["--workers", "1"] if command in SERIAL else []
        manifest_name = "manifest.json"
    real_write, writes, refusals = io.atomic_write, [], []

    def watched(path, write):
        path = Path(path)
        if out.resolve() in path.resolve().parents and path.name != manifest_name:
            assert held_by_a_job(out), f"{path.name} written without holding {out}"
            manifest = json.loads((out / "manifest.json").read_text())
            mine = manifest_name != "manifest.json" or (
                manifest["command"] == command and not manifest["finished"]
            )
            assert mine, f"{path.name} written under {manifest}"
            if not writes:
                with pytest.raises(io.OutputError, match="another lpsa job is writing to this"):
                    second_job(command, args)
                refusals.append(path.name)
            writes.append(path.name)
        return real_write(path, write)

    monkeypatch.setattr(io, "atomic_write", watched)
    status = cli.main(args)
    assert status in ((0, 1) if command in ("validate", "calibrate") else (0,))  # 1: a verdict
    assert refusals and writes
    assert not held_by_a_job(out)
    manifest = json.loads((out / manifest_name).read_text())
    assert manifest["command"] == command and manifest["finished"]
    recorded = {**manifest["files"], **manifest.get("chunks", {})}
    assert io.damaged(out, recorded) == []  # every file recorded is as the job wrote it
    everything = {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != ".lpsa.lock"
    }
    if command == "report":
        sweep = json.loads((out / "manifest.json").read_text())
        everything -= {"manifest.json", *sweep["files"], *sweep["chunks"]}
    assert everything - {manifest_name} == set(recorded)  # and nothing else is there


def start(args: list[str], out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *args, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "compare"])
def test_two_jobs_started_together_into_one_folder_one_runs_and_nothing_mixes(command, tmp_path):
    args = command_args(command, tmp_path)
    if command == "run":
        args = [a if a != "1" else "2" for a in args]  # two replications: long enough to overlap
    out = tmp_path / "shared"
    procs = [start(args, out), start(args, out)]
    ended = [(p, *p.communicate(timeout=HANG_SECONDS)) for p in procs]
    codes = sorted(p.returncode for p, _, _ in ended)
    assert codes == [0, 2], [e for _, _, e in ended]
    refused = next(err for p, _, err in ended if p.returncode == 2)
    assert str(out) in refused and refused.count("\n") == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finished"] and manifest["command"] == command
    from lpsa.experiments import io

    assert io.damaged(out, manifest["files"]) == []  # every file is the finished job's own


ABC_RUNS = {  # command: (its module, the pyabc run it calls, its database, the run's name)
    "calibrate": ("calibrate_command", "run_abc", "abc.db", "the calibration"),
    "toc": ("toc_command", "select", "model_selection.db", "the model selection"),
}


def _abc_run_raising(command, exc, tmp_path, lpsa, monkeypatch):
    """``lpsa COMMAND`` with its pyabc run raising ``exc``: (the finished command, its --out)."""
    import importlib

    module, function, _, _ = ABC_RUNS[command]

    def failing(*args, **kwargs):
        raise exc

    monkeypatch.setattr(importlib.import_module(f"lpsa.experiments.{module}"), function, failing)
    out = tmp_path / "out"
    return lpsa(*command_args(command, tmp_path), "--out", str(out)), out


@pytest.mark.parametrize("command", sorted(ABC_RUNS))
def test_a_full_disk_under_a_pyabc_database_is_one_line_naming_it(
    command, tmp_path, lpsa, monkeypatch
):
    pytest.importorskip("pyabc")
    import sqlite3

    from sqlalchemy.exc import OperationalError

    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    r, out = _abc_run_raising(command, full, tmp_path, lpsa, monkeypatch)
    _, _, db, what = ABC_RUNS[command]
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{out / db}: cannot write {what}'s database (database or disk is full)" in r.stderr


@pytest.mark.parametrize("command", sorted(ABC_RUNS))
def test_a_worker_lost_under_a_pyabc_run_is_one_line_saying_run_again(
    command, tmp_path, lpsa, monkeypatch
):
    pytest.importorskip("pyabc")
    from concurrent.futures.process import BrokenProcessPool

    lost = BrokenProcessPool("a process in the pool was terminated abruptly")
    r, _ = _abc_run_raising(command, lost, tmp_path, lpsa, monkeypatch)
    _, _, _, what = ABC_RUNS[command]
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"a worker process died during {what} (BrokenProcessPool)" in r.stderr
    assert "run again" in r.stderr


@pytest.mark.parametrize("command", sorted(ABC_RUNS))
def test_a_particle_whose_run_fails_stops_the_pyabc_run_with_status_1_naming_it(
    command, tmp_path, lpsa, monkeypatch
):
    # the model's failure, not the disk's or a worker's: never reported as either
    pytest.importorskip("pyabc")
    from lpsa.experiments.calibrate_setup import CalibrationRunFailed

    failed = CalibrationRunFailed("a run failed at capacity_half=0.5, replication 0 (seed 1)")
    r, _ = _abc_run_raising(command, failed, tmp_path, lpsa, monkeypatch)
    _, _, _, what = ABC_RUNS[command]
    assert r.returncode == 1, r.stderr
    assert f"error: {what.removeprefix('the ')} stopped: a run failed at capacity_half=0.5" in (
        r.stderr
    )
    assert "database" not in r.stderr and "worker" not in r.stderr
