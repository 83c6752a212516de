#!/usr/bin/env python3
"""LPSA simulator, command line, in a checkout: the same as the installed ``lpsa`` command.

    python3 tasks.py run [ARGS...]     # from a fresh machine: sets up .venv, then runs this
    .venv/bin/python run.py [ARGS...]  # once set up
    python run.py --help               # any Python with the project's dependencies

See ``experiments/cli.py`` for the commands.
"""

from __future__ import annotations

import sys


def _missing_dependencies() -> str | None:
    import importlib.util

    for name in ("mesa", "numpy", "pandas", "pydantic", "yaml", "pyarrow", "filelock"):
        if importlib.util.find_spec(name) is None:
            return name
    return None


if __name__ == "__main__":
    missing = _missing_dependencies()
    if missing is not None:
        print(
            f"error: this Python ({sys.executable}) lacks the project's dependencies (no module "
            f"{missing!r}); run 'python3 tasks.py run ...' (sets up .venv), or use "
            "'.venv/bin/python run.py ...' after 'python3 tasks.py setup'",
            file=sys.stderr,
        )
        sys.exit(2)
    from lpsa.experiments.cli import main

    sys.exit(main(prog="run.py"))
