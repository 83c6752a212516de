"""Atomic file writing: a file appears whole under its name or not at all.

Every writer goes through a temporary file in the same folder and ``os.replace``, which is atomic
on POSIX and Windows, so an interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_csv(p, index=False))


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_parquet(p, index=False))


def save_figure(path: str | Path, fig: Any, dpi: int = 110) -> Path:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda p: fig.savefig(p, dpi=dpi, format=Path(path).suffix.lstrip(".")))
    finally:
        plt.close(fig)
