"""``tasks.py``: set-up that talks. No step stays silent: pip's progress in a few lines, a 'still
...' line when a step has said nothing for a while, the model compiled once with a message, and a
mistyped command named."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cli_helpers import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tasks(monkeypatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("lpsa_tasks", ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_step_that_says_nothing_is_announced_as_still_going(tasks, monkeypatch, tmp_path):
    """The command waits, silent, until the heartbeat has been printed, then ends: the heartbeat
    must come on its own while the command says nothing."""
    monkeypatch.setattr(tasks, "HEARTBEAT_SECONDS", 0.2)
    flag = tmp_path / "heard"
    said: list[str] = []

    class Recording(tasks.Talking):
        def say(self, text: str) -> None:
            said.append(text)
            if "still" in text:
                flag.touch()
            super().say(text)

    waits = (
        "import pathlib, time\n"
        f"end = time.monotonic() + {HANG_SECONDS}\n"
        f"while not pathlib.Path({str(flag)!r}).exists() and time.monotonic() < end:\n"
        "    time.sleep(0.01)\n"
        "print('done')\n"
    )
    status = Recording("doing it", "a moment").run([sys.executable, "-c", waits])
    assert status == 0
    assert said[-1] == "done" and said[0].startswith("  ... still doing it (")
    assert "usually a moment" in said[0]


def test_pip_is_shown_in_a_few_lines_without_the_machines_index_notices(tasks):
    progress = tasks.PipProgress("installing", "1-3 minutes")
    pip_says = [
        "Looking in indexes: https://pypi.org/simple, file:///opt/pypi/simple",
        "WARNING: Location 'file:///opt/pypi/simple/mesa/' is ignored: it is neither a file",
        "Obtaining file:///work/main",
        "Collecting mesa<3.6,>=3.3",
        "  Downloading mesa-3.3.1-py3-none-any.whl (300 kB)",
        "Collecting numpy>=1.26",
        "Installing collected packages: numpy, mesa, lpsa-sim",
        "Successfully installed lpsa-sim-0.1.0 mesa-3.3.1 numpy-2.2.0",
        "ERROR: Could not find a version that satisfies the requirement nothing",
    ]
    shown = [line for line in map(progress.show, pip_says) if line]
    assert shown == [
        "  found 1 package so far (now mesa<3.6,>=3.3) ...",  # the next one within 5 s: quiet
        "  unpacking 3 packages into .venv ...",
        "  installed 3 packages",
        "ERROR: Could not find a version that satisfies the requirement nothing",
    ]


def test_a_failed_step_prints_its_last_lines(tasks, capsys):
    talk = tasks.Talking("installing", "a minute")
    talk.show = lambda line: None  # as pip's progress: nothing shown while it runs
    code = "print(\"WARNING: Location 'file:///x' is ignored\"); print('the reason'); exit(3)"
    cmd = [sys.executable, "-c", code]
    status = talk.run(cmd)
    error = talk.failed(cmd, status)
    assert status == 3 and error.returncode == 3
    assert capsys.readouterr().err.strip() == "the reason"


@pytest.fixture
def checkout(tasks, monkeypatch, tmp_path) -> Path:
    """A checkout whose 'compilation' only records that it ran."""
    (tmp_path / "model" / "__pycache__").mkdir(parents=True)
    for name in tasks.MODEL_SOURCES:
        (tmp_path / name).write_text("# the quarter\n")
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "VENV", tmp_path)
    monkeypatch.setattr(tasks, "PY", Path(sys.executable))
    monkeypatch.setattr(tasks, "WARM_UP", "open('compiled', 'a').write('x')")
    return tmp_path


def compilations(folder: Path) -> int:
    file = folder / "compiled"
    return len(file.read_text()) if file.exists() else 0


def test_the_model_is_compiled_once_and_again_only_when_its_sources_or_cache_change(
    tasks, checkout, capsys
):
    cache = checkout / "model" / "__pycache__" / "quarter.run_quarters-1.py311.nbi"
    tasks.compile_model()
    assert compilations(checkout) == 1
    assert "Compiling the model's quarter with numba" in capsys.readouterr().out
    cache.touch()  # numba wrote its cache
    tasks.compile_model()
    assert compilations(checkout) == 1  # current: nothing to do, nothing said
    assert capsys.readouterr().out == ""
    (checkout / "model" / "quarter.py").write_text("# the quarter, changed\n")
    tasks.compile_model()
    assert compilations(checkout) == 2
    cache.unlink()  # the cache was removed
    tasks.compile_model()
    assert compilations(checkout) == 3


def test_a_mistyped_command_is_named_with_the_closest_one(tasks, capsys):
    assert tasks.main(["tset"]) == 2
    assert "unknown command 'tset'; did you mean 'test'?" in capsys.readouterr().err


def test_a_model_that_fails_to_compile_is_reported_and_set_up_goes_on(tasks, checkout, capsys):
    tasks.WARM_UP = "import sys; print('the quarter is broken'); sys.exit(1)"
    tasks.compile_model()  # no exception: the tests or the run show the failure in context
    err = capsys.readouterr().err
    assert "the quarter is broken" in err and "could not compile the model" in err
    assert not (checkout / ".lpsa-compiled").exists()  # tried again next time
