#!/usr/bin/env python3
"""Set up and run the project with nothing but Python installed.

    python3 tasks.py run [run.py arguments...]   # create .venv on first use, run the main job
    python3 tasks.py test [pytest arguments...]  # create .venv on first use (and Debian's
                                                 # chromium for the browser test, when missing
                                                 # and run as root), lint (ruff check and
                                                 # format --check) and test
    python3 tasks.py setup                       # only create/update .venv

The virtualenv is rebuilt when pyproject.toml changes (a hash stamp in .venv).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
EXTRAS = "all,dev"


def _stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()


def setup() -> None:
    stamp_file = VENV / ".lpsa-stamp"
    if stamp_file.exists() and stamp_file.read_text() == _stamp() and PY.exists():
        return
    if not PY.exists():
        print("Creating virtualenv in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing dependencies (first run only) ...", flush=True)
    subprocess.check_call([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call(
        [str(PY), "-m", "pip", "install", "--quiet", "-e", f".[{EXTRAS}]"], cwd=ROOT
    )
    stamp_file.write_text(_stamp())


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
    if not argv or argv[0] not in ("run", "test", "setup"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        setup()
    except subprocess.CalledProcessError as exc:
        print(
            f"setup failed: {' '.join(map(str, exc.cmd))} exited with {exc.returncode} "
            "(see the pip output above)",
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
    for lint in (["check", "."], ["format", "--check", "."]):
        status = subprocess.call([str(PY), "-m", "ruff", *lint], cwd=ROOT)
        if status != 0:
            print(f"ruff {lint[0]} found problems (above)", file=sys.stderr)
            return status
    return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
