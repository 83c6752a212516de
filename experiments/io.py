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
_job_tag = f"lpsa-{os.getpid()}"
"""What a temporary file's name says about the job writing it (``set_job_tag``): a job removes
only its own leftovers, never a user's ``.notes.tmp`` or another job's write in progress."""


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
            prefix=f"{TEMP_PREFIX}{path.name}.{_job_tag}.", suffix=TEMP_SUFFIX, dir=path.parent
        )
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())
        write(Path(tmp))
        os.replace(tmp, path)
        for tracked in _trackers:
            tracked.note(path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise output_error(path, exc) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


def set_job_tag(tag: str) -> str:
    """Name this process's temporary files after job ``tag`` (letters, digits, '-', '_'; a sweep
    uses its identity, so that a resumed sweep recognises the leftovers of its killed run);
    returns the previous tag."""
    global _job_tag
    if not tag or not all(c.isalnum() or c in "-_" for c in tag):
        raise ValueError(f"job tag {tag!r}: allowed: letters, digits, '-' and '_'")
    previous, _job_tag = _job_tag, tag
    return previous


def temporary_pattern(tag: str | None = None) -> str:
    """The glob of the temporary files job ``tag`` (default: this process's job) writes."""
    return f"{TEMP_PREFIX}*.{tag or _job_tag}.*{TEMP_SUFFIX}"


class WrittenFiles:
    """The files written (through :func:`atomic_write`) under ``folder`` since :meth:`start`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        self.names: list[str] = []

    def note(self, path: Path) -> None:
        try:
            name = str(Path(path).resolve().relative_to(self.folder))
        except ValueError:
            return
        if name not in self.names:
            self.names.append(name)

    def start(self) -> WrittenFiles:
        _trackers.append(self)
        return self

    def stop(self) -> None:
        if self in _trackers:
            _trackers.remove(self)


_trackers: list[WrittenFiles] = []


def remove_stale_temporaries(folder: Path, tag: str | None = None) -> int:
    """Delete the temporary files that job ``tag`` (default: this process's job) left in
    ``folder`` when it was killed; call it under the folder's lock. Temporary files of other jobs
    and a user's own files are left alone, whatever their names. Returns how many."""
    count = 0
    for tmp in folder.glob(temporary_pattern(tag)):
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


def read_table(path: Path, what: str = "a table") -> pd.DataFrame:
    """A Parquet or CSV file as a DataFrame; a missing, truncated or garbled file raises a
    ``ScenarioError`` naming it, instead of the reader's own words ('Couldn't deserialize
    thrift')."""
    import pyarrow as pa

    try:
        if path.suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:150] or type(exc).__name__
        raise ScenarioError(
            f"{path}: cannot be read as {what} ({reason}); allowed: a whole file as lpsa "
            "wrote it (run the command that made it again)"
        ) from None


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


# --- Output folders: one job's, and nobody else's ------------------------------------------------

LOCK_NAME = ".lpsa.lock"
"""The lock file every command holds on its output folder while it writes there."""
MANIFEST_NAME = "manifest.json"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path, names: Sequence[str]) -> dict[str, str]:
    """``{name: sha256}`` of the files ``names`` (relative to ``folder``) that exist."""
    return {n: file_sha256(folder / n) for n in names if (folder / n).is_file()}


def damaged(folder: Path, recorded: Mapping[str, str], names: Sequence[str] | None = None) -> list:
    """The files among ``names`` (default: all of ``recorded``) whose bytes differ from the
    checksum recorded for them, or that are missing."""
    wanted = list(recorded) if names is None else [n for n in names if n in recorded]
    bad = []
    for name in wanted:
        path = folder / name
        if not path.is_file() or file_sha256(path) != recorded[name]:
            bad.append(name)
    return bad


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest at ``path``; None when there is none; an ``OutputError`` naming it when it is
    not one lpsa wrote."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("command"), str):
        raise OutputError(
            f"{path}: not a manifest lpsa wrote (unreadable, or no 'command'); allowed: a folder "
            "lpsa made, or another --out"
        )
    return data


def describe_job(manifest: Mapping[str, Any]) -> str:
    """A manifest's job in a few words: 'the finished results of `lpsa sweep ppg` (started …)'."""
    command = str(manifest.get("command", "?"))
    what = " ".join(str(a) for a in manifest.get("argv") or [])[:120]
    state = "finished results" if manifest.get("finished") else "unfinished results"
    shown = "lpsa" if command == "run" else f"lpsa {command}"
    detail = f": {what}" if what else ""
    return f"the {state} of `{shown}`{detail} (started {manifest.get('started', '?')})"


def _visible_entries(folder: Path) -> list[str]:
    try:
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []


class JobFolder:
    """An output folder held by one job: an exclusive lock (``filelock``) while the job writes,
    and the job's manifest (``manifest.json``: which command, with which inputs) as the record of
    who made it.

    :meth:`claim` takes the lock at once or refuses (another job is writing there), then looks at
    what the folder holds: nothing (a new or empty folder) is taken; another job's results are
    refused in one line naming the folder, what it holds and the way forward, unless they are the
    same job's (``same_job``: a sweep resumes) or the same command's and ``overwrite`` is set, in
    which case the files that job recorded making are removed first (never any other file)."""

    def __init__(
        self,
        folder: Path,
        command: str,
        overwrite: bool = False,
        manifest_name: str = MANIFEST_NAME,
    ) -> None:
        self.folder = Path(folder)
        self.command = command
        self.overwrite = overwrite
        self.manifest_name = manifest_name
        self._lock: Any = None

    @property
    def manifest_path(self) -> Path:
        return self.folder / self.manifest_name

    def lock(self) -> None:
        """Create the folder and take its lock, or refuse at once naming the job holding it."""
        from filelock import FileLock, Timeout

        if self._lock is not None:
            return
        prepare_folder(self.folder)
        lock = FileLock(str(self.folder / LOCK_NAME))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            holder = ""
            try:
                old = read_manifest(self.folder / MANIFEST_NAME)
                holder = f" ({describe_job(old)})" if old else ""
            except OutputError:
                pass
            raise OutputError(
                f"{self.folder}: another lpsa job is writing to this folder{holder}; allowed: "
                "wait for it to finish, or another --out"
            ) from None
        except OSError as exc:
            raise output_error(self.folder / LOCK_NAME, exc) from None
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> JobFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def claim(
        self, same_job: Callable[[dict[str, Any]], bool] | None = None, resumable: bool = False
    ) -> dict[str, Any] | None:
        """Lock the folder and decide whether this job may write there (see the class). Returns
        the old manifest when ``same_job`` accepts it (a resume), else None. ``resumable``: the
        refusal says that the same command resumes."""
        self.lock()
        try:
            old = read_manifest(self.manifest_path)
            if old is None:
                stray = [n for n in _visible_entries(self.folder) if n != self.manifest_name]
                if stray:
                    shown = ", ".join(stray[:3]) + (", ..." if len(stray) > 3 else "")
                    raise OutputError(
                        f"{self.folder}: holds files no lpsa job recorded making ({shown}); "
                        "allowed: a new or empty folder (another --out)"
                    )
                return None
            if old.get("command") == self.command and same_job is not None and same_job(old):
                return old
            if old.get("command") == self.command and self.overwrite:
                self.remove_recorded(old)
                return None
            raise OutputError(self.refusal(old, resumable))
        except BaseException:
            self.release()
            raise

    def refusal(self, old: Mapping[str, Any], resumable: bool = False) -> str:
        """The one line refusing a folder that holds ``old``'s results."""
        ways = ["another --out"]
        if old.get("command") == self.command:
            ways.append("--overwrite to replace them")
            if resumable:
                ways.insert(0, "the same command and inputs to resume")
        return f"{self.folder}: holds {describe_job(old)}; allowed: {', or '.join(ways)}"

    def remove_recorded(self, old: Mapping[str, Any]) -> None:
        """Remove the files the job of manifest ``old`` recorded making (``files`` and
        ``chunks``), then the manifest itself: nothing it did not record."""
        recorded = [*dict(old.get("files") or {}), *dict(old.get("chunks") or {})]
        for name in recorded:
            path = (self.folder / str(name)).resolve()
            if self.folder.resolve() not in path.parents:
                continue  # a manifest naming files outside its folder: never follow it
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise output_error(path, exc) from None
        try:
            self.manifest_path.unlink(missing_ok=True)
        except OSError as exc:
            raise output_error(self.manifest_path, exc) from None
