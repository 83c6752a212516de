"""The project installs as a normal (non-editable) wheel that works from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_ships_scenarios_and_experiments_and_runs_from_another_folder(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("lpsa_sim-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    compiled_as_in_the_checkout(tmp_path / "site" / "lpsa" / "model")
    assert {
        "lpsa/scenarios/lpsa1_baseline.yaml",
        "lpsa/experiments/ppg_vs_reward.yaml",
        "lpsa/experiments/uncertain_parameters.yaml",
        "lpsa/experiments/posteriors/lpsa1_baseline.csv",
    } <= names
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"lpsa"}  # no generic name: model, experiments, viz, scenarios
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "lpsa = lpsa.experiments.cli:console" in (tmp_path / "site" / entry_points).read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # a Mesa user's own model.py (Mesa's usual layout) beside them: it must not be imported
    (elsewhere / "model.py").write_text("raise SystemExit('the user model.py was imported')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    code = (
        "import sys; import lpsa.model as m; "
        "assert m.__file__.startswith(sys.argv[1]), m.__file__; "
        "from lpsa.experiments.cli import main; sys.exit(main(sys.argv[2:]))"
    )

    def lpsa(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "site"), *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert "usage: lpsa" in lpsa("--help").stdout
    r = lpsa("lpsa1_baseline", "--replications", "2", "--out", "out", "--no-figures", "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (elsewhere / "out" / "summary.csv").is_file()


def compiled_as_in_the_checkout(installed: Path) -> None:
    """Give the installed model the checkout's compiled quarter (numba's cache), as if it had run
    once, so that the test does not wait for a first compilation (30-60 s; its message is tested
    elsewhere). numba takes a cached function only where the source file has the same size and
    modification time as when it was compiled, and its compiled code: a source that differs from
    the checkout's is compiled afresh, as a user's would be."""
    cache = ROOT / "model" / "__pycache__"
    if not cache.is_dir():
        return
    (installed / "__pycache__").mkdir(exist_ok=True)
    for f in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
        shutil.copy2(f, installed / "__pycache__" / f.name)
    for source in installed.glob("*.py"):
        checkout = ROOT / "model" / source.name
        if checkout.is_file() and checkout.read_bytes() == source.read_bytes():
            stat = checkout.stat()
            os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.slow
def test_run_py_with_a_python_that_lacks_the_dependencies_says_how_to_set_up(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import runpy, sys; sys.argv = ['run.py']; "
            f"runpy.run_path({str(ROOT / 'run.py')!r}, run_name='__main__')",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "tasks.py" in r.stderr and "lacks the project's dependencies" in r.stderr


@pytest.mark.parametrize(
    ("command", "library", "extra"),
    [("calibrate", "pyabc", "calibrate"), ("sensitivity", "SALib", "analysis")],
)
def test_a_command_whose_extra_is_not_installed_says_which_extra_to_install(
    monkeypatch, capsys, command, library, extra
):
    """The core install leaves out the libraries of the dashboard, calibration, Dask and the
    analyses; a command that needs one says, in one line, which extra brings it (exit 2)."""
    from lpsa.experiments import cli

    for name in [library, *(m for m in sys.modules if m.startswith(f"{library}."))]:
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    for name in [m for m in sys.modules if m.startswith(f"lpsa.experiments.{command}")]:
        monkeypatch.delitem(sys.modules, name)
    assert cli.main([command, "--help"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and library in err
    assert f"pip install 'lpsa-sim[{extra}]'" in err
