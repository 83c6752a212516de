"""Running the ``lpsa`` command in tests.

In this process (``in_process``, through the ``lpsa`` fixture of conftest.py): refusals and usage
messages, which must come before anything runs. As a real process (``run_cli``,
``start_held``): where a process is the point of the test (a kill, a resume after a kill, a lock
held by another process, lost workers) or a whole run is checked as a user starts it.

No test waits on the clock for its verdict: ``HANG_SECONDS`` only stops a test that hangs.

Run as a script, this file is the ``lpsa`` command held part way through a sweep (see
``start_held``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HANG_SECONDS = 300
"""The longest a test waits for anything: a guard against a hang, never a bound on speed."""


@dataclass(frozen=True)
class Finished:
    """How a command ended: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``run.py ARGS`` as a user would, in a new process; ``env`` adds environment
    variables."""
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        env={**os.environ, **(env or {})},
    )


# --- In this process ---------------------------------------------------------------------------


def _refuse_to_run(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the command built a model instead of refusing before anything runs")


@contextmanager
def _nothing_leaks() -> Iterator[None]:
    """Restore what the command changes in its process: numpy's huge-page request (the command
    turns it off first) and the levels of the loggers it silences (Dask's, pyabc's)."""
    from lpsa.experiments.arguments import huge_page_setter

    setter = huge_page_setter()
    huge_pages = setter(True) if setter is not None else False  # reads the setting: put back
    if setter is not None:
        setter(huge_pages)
    loggers = logging.root.manager.loggerDict
    levels = {n: lg.level for n, lg in loggers.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        if setter is not None:
            setter(huge_pages)
        for name, logger in list(loggers.items()):
            if isinstance(logger, logging.Logger):
                logger.setLevel(levels.get(name, logging.NOTSET))


def in_process(
    args: Sequence[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Finished:
    """``lpsa ARGS`` in this process, ended as the console command ends (``SystemExit`` from
    argparse included). Building any model fails the test: a refusal comes before any run."""
    from lpsa.experiments.cli import main
    from lpsa.model import LPSAModel

    capsys.readouterr()  # only what this command prints
    with _nothing_leaks(), monkeypatch.context() as patch:
        patch.setattr(LPSAModel, "__init__", _refuse_to_run)
        try:
            status: object = main(list(args))
        except SystemExit as exc:
            status = exc.code
    printed = capsys.readouterr()
    if status is None:
        status = 0
    if not isinstance(status, int):  # sys.exit("message"): Python prints it, status 1
        return Finished(1, printed.out, printed.err + f"{status}\n")
    return Finished(status, printed.out, printed.err)


# --- A real process, held part way through a sweep ---------------------------------------------


def start_held(hold: Path, after_chunks: int, *args: str, **popen: Any) -> subprocess.Popen:
    """Start ``lpsa ARGS`` (a sweep) in a new process that stops before writing chunk number
    ``after_chunks + 1``, holding its folder's lock, until ``release(hold)``.

    ``wait_until_held`` returns once it has stopped there: exactly ``after_chunks`` chunks are on
    disk and the sweep is still running, however fast or slow the machine is."""
    hold.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    command = [sys.executable, str(Path(__file__)), str(hold), str(after_chunks), *args]
    # a command started under nohup rightly ignores hangups; the tests kill it as a terminal
    # would, so it starts with the default handling of SIGHUP whatever the test runner inherited
    kwargs["preexec_fn"] = lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL)
    return subprocess.Popen(command, cwd=ROOT, **{**kwargs, **popen})


def wait_until_held(proc: subprocess.Popen, hold: Path) -> None:
    deadline = time.monotonic() + HANG_SECONDS
    while not (hold / "held").exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the sweep ended ({proc.returncode}) before it was held: {err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the sweep was not held within {HANG_SECONDS} s (a hang)")
        time.sleep(0.02)


def release(hold: Path) -> None:
    (hold / "go").touch()


def _held_sweep(hold: Path, after_chunks: int, argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from lpsa.experiments.cli import main
    from lpsa.experiments.sweeps import SweepFolder

    write_chunk = SweepFolder.write_chunk
    written = [0]

    def held(self: SweepFolder, index: int, rows: list[dict[str, Any]]) -> None:
        if written[0] == after_chunks:
            (hold / "held").touch()
            while not (hold / "go").exists():
                time.sleep(0.02)
        write_chunk(self, index, rows)
        written[0] += 1

    SweepFolder.write_chunk = held  # type: ignore[method-assign]
    return main(argv)


if __name__ == "__main__":
    sys.exit(_held_sweep(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]))
