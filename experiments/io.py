"""Writing results: every file appears whole under its name or not at all.

Every writer goes through a temporary file in the same folder and ``os.replace``, which is atomic
on POSIX and Windows, so an interrupted run never leaves a half-written result. Files get the
user's normal permissions (``0666`` less the umask), as any other program's output, so colleagues
can read a shared results folder. A write that fails raises :class:`OutputError` naming the path.
Parquet files carry every column's description and unit as field metadata (and an outcome's label
and direction), declared once in ``model/columns.py``, and the caller's ``metadata`` (a sweep's
identity) in the schema.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lpsa.model import ScenarioError
from lpsa.model.columns import field_metadata

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


class OutputError(ScenarioError):
    """A result could not be written; the message names the path and the reason."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_error(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"{exc.filename or path}: cannot write ({reason})")


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
        )
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise output_error(path, exc) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files left by killed writers in ``folder`` (call it under the folder's
    lock, so that no live writer's file is removed); returns how many."""
    count = 0
    for tmp in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        count += 1
    return count


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_scenario(path: str | Path, scenario: Any) -> Path:
    """A resolved scenario as YAML, every field written out (what a run actually used)."""
    import yaml

    return write_text(path, yaml.safe_dump(scenario.model_dump(), sort_keys=False))


def write_json(path: str | Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_csv(p, index=False))


def table_name(path: str | Path) -> str:
    """The table a Parquet file holds, by its name: ``targets.parquet`` -> ``targets``; a
    sweep's chunk (``chunk-00003.parquet``) holds rows of runs."""
    stem = Path(path).stem
    return "runs" if stem.startswith("chunk-") else stem


def with_column_metadata(schema: Any, table: str) -> Any:
    """``schema`` with each declared column's description and unit (``model/columns.py``) as
    field metadata."""
    import pyarrow as pa

    fields = []
    for f in schema:
        meta = field_metadata(table, f.name)
        fields.append(f.with_metadata(meta) if meta else f)
    return pa.schema(fields, metadata=schema.metadata)


def to_arrow(
    frame: pd.DataFrame, metadata: Mapping[str, str] | None = None, table: str = "runs"
) -> Any:
    """``frame`` as an Arrow table with its columns' descriptions (as columns of ``table``) and
    ``metadata`` in its schema."""
    import pyarrow as pa

    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    schema = with_column_metadata(arrow.schema, table)
    schema_meta = {**(arrow.schema.metadata or {}), **_schema_metadata(metadata)}
    return arrow.cast(schema.with_metadata(schema_meta))


def _schema_metadata(metadata: Mapping[str, str] | None) -> dict[bytes, bytes]:
    return {f"lpsa.{k}".encode(): str(v).encode() for k, v in (metadata or {}).items()}


def write_parquet(
    path: str | Path, frame: pd.DataFrame, metadata: Mapping[str, str] | None = None
) -> Path:
    return write_arrow(path, to_arrow(frame, metadata, table_name(path)))


def write_arrow(path: str | Path, table: Any) -> Path:
    """An Arrow table as a Parquet file, atomically."""
    import pyarrow.parquet as pq

    return atomic_write(path, lambda p: pq.write_table(table, p))


def rows_to_arrow(
    rows: Sequence[Mapping[str, Any]],
    types: Mapping[str, str],
    metadata: Mapping[str, str] | None = None,
) -> Any:
    """Rows (one mapping per row) as an Arrow table without going through pandas: a sweep's
    parent process converts every chunk while its workers run, and pandas' conversion cost it
    more than the rest of its work. Columns come in order of first appearance; a value a row
    lacks is null; ``types`` fixes named columns' Arrow types (the rest are inferred: a column
    whose values Arrow cannot put in one type raises ``ScenarioError`` naming it); ``metadata``
    goes in the schema as in :func:`to_arrow`, with the columns' descriptions as columns of
    runs."""
    import pyarrow as pa

    columns = {}
    for name in dict.fromkeys(name for row in rows for name in row):
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values, type=types.get(name))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            kinds = sorted({type(v).__name__ for v in values if v is not None})
            raise ScenarioError(
                f"results column {name!r}: values of kinds {', '.join(kinds)} cannot share a "
                "column; allowed: one kind per parameter (numbers, text or true/false), integers "
                "below 2**63"
            ) from None
    table = pa.table(columns)
    schema = with_column_metadata(table.schema, "runs").with_metadata(_schema_metadata(metadata))
    return table.cast(schema)


def _lpsa_metadata(schema: Any) -> dict[str, str]:
    meta = schema.metadata or {}
    return {k.decode()[5:]: v.decode() for k, v in meta.items() if k.startswith(b"lpsa.")}


def parquet_metadata(path: Path) -> dict[str, str]:
    """The ``lpsa.*`` schema metadata written by :func:`write_parquet` (the footer only)."""
    import pyarrow.parquet as pq

    return _lpsa_metadata(pq.read_schema(path))


def read_arrow(path: Path) -> tuple[Any, dict[str, str]]:
    """A Parquet file as an Arrow table, and its ``lpsa.*`` metadata."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return table, _lpsa_metadata(table.schema)


def save_figure(path: str | Path, fig: Any, dpi: int = 110) -> Path:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        fmt = Path(path).suffix.lstrip(".")
        return atomic_write(path, lambda p: fig.savefig(p, dpi=dpi, format=fmt))
    finally:
        plt.close(fig)


def prepare_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) or raise an ``OutputError`` naming it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(folder, exc) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: cannot write (permission denied)")
    return folder
