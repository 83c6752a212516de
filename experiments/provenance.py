"""Provenance: what produced a result folder, written as ``manifest.json`` by every command.

The manifest records the command line, the package version and git commit (when run from a
checkout), a fingerprint of the code itself (so an installed wheel is identified too), the versions
of the packages that shape results, hashes of the scenarios and experiment files used, the seeds,
and start and end times.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "lpsa-sim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "pydantic",
    "scipy",
    "SALib",
    "dask",
    "pyabc",
    "distributed",
)
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> str:
    """The checkout's commit ('+dirty' with uncommitted changes), or 'unknown' for an installed
    package (whose folder is not a checkout, even if a checkout holds the virtualenv)."""
    if not (SOURCE_ROOT / ".git").exists():
        return "unknown"
    try:
        run = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=SOURCE_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        commit = run.stdout.strip()
        if run.returncode != 0 or not commit:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=SOURCE_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return commit + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def code_fingerprint() -> str:
    """SHA-256 of the model's and the experiments' source files: the code version of a result,
    the same in a checkout and in an installed wheel."""
    import lpsa.experiments as experiments
    import lpsa.model as model

    digest = hashlib.sha256()
    for package in (model, experiments):
        folder = Path(package.__file__).parent
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def manifest(command: str, argv: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    """A manifest for ``command``; ``fields`` adds seeds, hashes, sizes and the like."""
    return {
        "command": command,
        "argv": list(sys.argv if argv is None else argv),
        "git_commit": git_commit(),
        "code_sha256": code_fingerprint(),
        "versions": versions(),
        "started": now(),
        "finished": None,
        **fields,
    }


def record(
    out: Path,
    command: str,
    argv: list[str],
    started: str,
    name: str = "manifest.json",
    **fields: Any,
) -> Path:
    """Write ``out/<name>`` for a finished command that started at ``started``."""
    from . import io

    data = manifest(command, argv, **fields)
    data.update(started=started, finished=now())
    return io.write_json(out / name, data)
