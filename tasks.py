#!/usr/bin/env python3
"""Set up and run the project with nothing but Python installed.

    python3 tasks.py run [run.py arguments...]   # create .venv on first use, run the main job
    python3 tasks.py test [pytest arguments...]  # create .venv on first use (and Debian's
                                                 # chromium for the browser test, when missing
                                                 # and run as root), lint (ruff check and
                                                 # format --check) and test
    python3 tasks.py setup                       # only create/update .venv and compile the
                                                 # model once (numba's cache)

The virtualenv is rebuilt when pyproject.toml changes (a hash stamp in .venv), and the model is
compiled again when its compiled sources change. No step stays silent for more than
HEARTBEAT_SECONDS: pip's progress is shown in a few lines, and a long step says it is still going.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
EXTRAS = "all,dev"
COMMANDS = ("run", "test", "setup")


HEARTBEAT_SECONDS = 10.0
"""Longest a set-up step stays silent: after this long with nothing new, it says it is still
going (issue 28: set-up that talks)."""
PIP_NOISE = ("WARNING: Location 'file:", "Looking in indexes:", "Looking in links:")
"""pip lines that say nothing about this install (a machine's index configuration)."""
QUIET_WARNINGS = "ignore:Editable installation"
"""setuptools' editable-install notice (it maps ``lpsa`` onto this folder with a meta path
finder, and says so in eight lines of asterisks); nothing for the user to do."""
MODEL_SOURCES = ("model/quarter.py", "model/sums.py")
"""The compiled model (numba caches it in model/__pycache__, keyed by these files)."""
WARM_UP = (
    "from lpsa.model import run_model; "
    "run_model('lpsa1_baseline', seed=1, twins=True, **{'scheme.n_authorities': 8})"
)
"""One small run with its twin: compiles every kernel of the quarter and writes numba's cache."""


def _stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()


def _compiled_stamp() -> str:
    data = b"".join((ROOT / f).read_bytes() for f in MODEL_SOURCES if (ROOT / f).is_file())
    return hashlib.sha256(data + sys.version.encode()).hexdigest()


class Talking:
    """Run a command, showing what it does, and never staying silent for more than
    ``HEARTBEAT_SECONDS``: ``show(line)`` decides what each output line becomes (None: nothing
    now); when nothing was shown for that long, a line says what is still going on."""

    def __init__(self, what: str, expected: str) -> None:
        self.what, self.expected = what, expected
        self.start = time.monotonic()
        self.last = self.start
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def say(self, text: str) -> None:
        with self.lock:
            print(text, flush=True)
            self.last = time.monotonic()

    def show(self, line: str) -> str | None:
        return line

    def _heartbeat(self, done: threading.Event) -> None:
        while not done.wait(min(1.0, HEARTBEAT_SECONDS / 2)):
            now = time.monotonic()
            if now - self.last >= HEARTBEAT_SECONDS:
                self.say(
                    f"  ... still {self.what} ({now - self.start:.0f} s so far; "
                    f"usually {self.expected})"
                )

    def run(self, cmd: list[str], env: dict[str, str] | None = None) -> int:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(done,), daemon=True)
        beat.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.rstrip()
                self.lines.append(line)
                shown = self.show(line)
                if shown:
                    self.say(shown)
            return proc.wait()
        finally:
            done.set()
            beat.join()

    def failed(self, cmd: list[str], status: int) -> subprocess.CalledProcessError:
        """Print the command's last lines (what went wrong) and return the error to raise."""
        tail = [line for line in self.lines if not line.startswith(PIP_NOISE)][-40:]
        print("\n".join(tail), file=sys.stderr)
        return subprocess.CalledProcessError(status, cmd)


class PipProgress(Talking):
    """pip's output in a few lines: packages found, then installing, then done (the full output
    is printed only when pip fails)."""

    def __init__(self, what: str, expected: str) -> None:
        super().__init__(what, expected)
        self.collected = 0
        self.shown_at = 0.0

    def show(self, line: str) -> str | None:
        text = line.strip()
        if text.startswith("ERROR"):
            return line
        if text.startswith("Collecting "):
            self.collected += 1
            now = time.monotonic()
            if now - self.shown_at >= 5.0:
                self.shown_at = now
                name = text.split()[1]
                return f"  found {plural(self.collected, 'package')} so far (now {name}) ..."
        elif text.startswith("Installing collected packages:"):
            count = len(text.split(":", 1)[1].split(","))
            return f"  unpacking {plural(count, 'package')} into .venv ..."
        elif text.startswith("Successfully installed"):
            return f"  installed {plural(len(text.split()) - 2, 'package')}"
        return None


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def pip(args: list[str], what: str, expected: str, python: Path = PY) -> None:
    cmd = [str(python), "-m", "pip", "install", "--progress-bar", "off", *args]
    talk = PipProgress(what, expected)
    status = talk.run(cmd, env={"PYTHONWARNINGS": QUIET_WARNINGS})
    if status != 0:
        raise talk.failed(cmd, status)


def compile_model(force: bool = False) -> None:
    """Compile the model's quarter once (numba, cached in model/__pycache__), so that the first
    run starts at once instead of compiling for 20-30 s without a word. A model that fails to run
    is reported and set-up goes on: the run or the tests then show the failure where it
    matters."""
    stamp_file = VENV / ".lpsa-compiled"
    cached = any((ROOT / "model" / "__pycache__").glob("quarter.*.nbi"))
    if (
        not force
        and cached
        and stamp_file.is_file()
        and stamp_file.read_text() == _compiled_stamp()
    ):
        return
    print(
        "Compiling the model's quarter with numba, unless its cache is current (once: about "
        "20-30 s; cached in model/__pycache__, so later runs start at once) ...",
        flush=True,
    )
    cmd = [str(PY), "-c", WARM_UP]
    talk = Talking("compiling the model", "20-30 s")
    status = talk.run(cmd)
    if status != 0:  # the run or the tests then say what is wrong with the model, in context
        talk.failed(cmd, status)
        print("could not compile the model (its last lines are above); going on", file=sys.stderr)
        return
    stamp_file.write_text(_compiled_stamp())
    print(f"  compiled in {time.monotonic() - talk.start:.0f} s", flush=True)


def setup() -> None:
    stamp_file = VENV / ".lpsa-stamp"
    if stamp_file.exists() and stamp_file.read_text() == _stamp() and PY.exists():
        compile_model()
        return
    if not PY.exists():
        print("Creating a virtualenv in .venv (a few seconds) ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(
        "Installing the project and its dependencies into .venv (first run, or after "
        "pyproject.toml changed; 1-3 minutes, most of it downloading) ...",
        flush=True,
    )
    pip(["--upgrade", "pip"], "upgrading pip", "a few seconds")
    pip(["-e", f".[{EXTRAS}]"], "installing", "1-3 minutes")
    stamp_file.write_text(_stamp())
    compile_model(force=True)


EMA_VENV = ROOT / ".venv-ema"
EMA_PY = EMA_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
EMA_REQUIREMENT = "ema-workbench>=3,<4"
"""docs/ema_workbench.md's example is EMA Workbench 3, which needs Python 3.12 or newer: the tests
run it in this second virtualenv when such a Python is on the machine (pyenv's included)."""


def newer_python() -> str | None:
    """A Python 3.12 or newer on this machine (on the PATH, or pyenv's), for EMA Workbench 3."""
    found = [shutil.which(f"python3.{minor}") for minor in range(12, 16)]
    found += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python"))
    check = "import sys, venv; sys.exit(sys.version_info < (3, 12))"
    for python in filter(None, found):  # a pyenv shim of a version not selected fails this
        if subprocess.call([python, "-c", check], stderr=subprocess.DEVNULL) == 0:
            return python
    return None


def _core_requirements() -> list[str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def ensure_ema_python() -> Path | None:
    """A virtualenv with EMA Workbench 3 and the model's core dependencies (the checkout itself is
    put on the path by the test), made once per pyproject.toml, with the model compiled for it;
    None when this machine has no Python 3.12 or newer."""
    python = newer_python()
    if python is None:
        return None
    stamp_file = EMA_VENV / ".lpsa-stamp"
    stamp = hashlib.sha256((_stamp() + python + EMA_REQUIREMENT).encode()).hexdigest()
    if stamp_file.is_file() and stamp_file.read_text() == stamp and EMA_PY.exists():
        return EMA_PY
    print(
        f"Creating .venv-ema with {python} for the EMA Workbench 3 example's test (once, or "
        "after pyproject.toml changed; about a minute) ...",
        flush=True,
    )
    subprocess.check_call([python, "-m", "venv", "--clear", str(EMA_VENV)])
    pip([EMA_REQUIREMENT, *_core_requirements()], "installing EMA Workbench", "1 minute", EMA_PY)
    link = EMA_VENV / "lpsa-path" / "lpsa"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(ROOT, target_is_directory=True)
    talk = Talking("compiling the model for .venv-ema", "20-30 s")
    status = talk.run([str(EMA_PY), "-c", WARM_UP], env={"PYTHONPATH": str(link.parent)})
    if status != 0:
        talk.failed([str(EMA_PY), "-c", WARM_UP], status)  # the test shows it in context
    stamp_file.write_text(stamp)
    return EMA_PY


def ensure_chromium() -> bool:
    """The dashboard's browser tests drive Debian's Chromium; install it when missing and we are
    root. True when it is there (or was just installed): the browser tests must then run, never
    skip."""
    if shutil.which("chromium"):
        return True
    if os.name == "nt" or not shutil.which("apt-get") or os.geteuid() != 0:
        return False
    print("Installing Debian's chromium for the browser tests ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.call(["apt-get", "update", "-qq"], env=env)
    installed = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]
    if subprocess.call(installed, env=env) != 0:
        print("could not install chromium; the browser tests will fail", file=sys.stderr)
    return True


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        if argv:
            import difflib

            close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            print(
                f"\nunknown command '{argv[0]}'{hint} (allowed: run, test, setup)", file=sys.stderr
            )
        return 2
    try:
        setup()
    except subprocess.CalledProcessError as exc:
        print(
            f"setup failed: {' '.join(map(str, exc.cmd))} exited with {exc.returncode} "
            "(its last lines are above)",
            file=sys.stderr,
        )
        return exc.returncode or 1
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "run":
        return subprocess.call([str(PY), "run.py", *rest], cwd=ROOT)
    env = dict(os.environ)
    if ensure_chromium():
        env["LPSA_REQUIRE_BROWSER"] = "1"  # tests/test_dashboard.py: no skipping the browser
    ema = ensure_ema_python()
    if ema is not None:  # tests/test_docs_examples.py: the EMA example runs, never skips
        env["LPSA_EMA_PYTHON"] = str(ema)
    for lint in (["check", "."], ["format", "--check", "."]):
        status = subprocess.call([str(PY), "-m", "ruff", *lint], cwd=ROOT)
        if status != 0:
            print(f"ruff {lint[0]} found problems (above)", file=sys.stderr)
            return status
    return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
