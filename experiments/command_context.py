"""What every command does around its analysis: the output folder, the executor and the manifest.

A command's ``main`` parses its arguments and checks its inputs, then::

    ctx = CommandContext("validate", argv, args.out, default=f"validation-{scenario.name}")
    with ctx.executor(args) as executor:  # --workers, --dask, --retries, --worker-timeout
        ...                               # run, write the tables and the report into ctx.out
    ctx.record(scenario=scenario.name, seed=seed)  # manifest.json, with the backend used

Making the context notes the start time and claims the output folder (``io.JobFolder``): created
and writable, locked for this command alone while it runs, and holding no other job's results
(unless ``--overwrite`` replaces an earlier result of the same command), or a one-line
``OutputError`` naming it, so nothing runs before a bad folder is refused. A manifest marked
unfinished is written at once, so that the folder records which command is making it; ``record``
writes the finished manifest, with the checksum of every file the command wrote, and releases the
lock.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from . import io, provenance
from .arguments import default_out, make_executor
from .runner import Health, WorkersLost


class CommandContext:
    """One run of command ``command`` (its name in the manifest) with arguments ``argv``.

    The output folder is ``out``, or ``results/<default>-<time>`` when ``out`` is None; with
    neither, it is set later by :meth:`use_folder` (a command that learns its folder while it
    runs, as ``lpsa report`` on an experiment file)."""

    def __init__(
        self,
        command: str,
        argv: Sequence[str],
        out: Path | None = None,
        default: str | None = None,
        overwrite: bool = False,
    ) -> None:
        self.command = command
        self.argv = list(argv)
        self.started = provenance.now()
        self.overwrite = overwrite
        self.backend: str | None = None
        self.health: Health | None = None
        self._out: Path | None = None
        self._folder: io.JobFolder | None = None
        self._written: io.WrittenFiles | None = None
        if out is not None or default is not None:
            self.use_folder(out if out is not None else default_out(str(default)))

    @property
    def out(self) -> Path:
        """The prepared output folder."""
        if self._out is None:
            raise RuntimeError(f"{self.command}: no output folder set")
        return self._out

    def use_folder(self, folder: Path, inside: str | None = None) -> Path:
        """Claim ``folder`` for this command (``io.JobFolder``) and write its outputs there.

        ``inside``: the folder holds the finished results of command ``inside`` (``lpsa report``
        in a sweep's folder) and this command only adds its own files beside them, under the
        folder's lock, with its own manifest ``<command>-manifest.json``."""
        name = io.MANIFEST_NAME if inside is None else f"{self.command}-{io.MANIFEST_NAME}"
        if inside is not None and not Path(folder).is_dir():
            raise io.OutputError(
                f"{folder}: no such folder; allowed: the results folder of `lpsa {inside}`"
            )
        guard = io.JobFolder(folder, self.command, self.overwrite, name)
        if inside is None:
            guard.claim()
        else:
            guard.lock()
        _held.append(guard)
        self._folder = guard
        self._out = folder
        io.set_job_tag(f"lpsa-{self.command}-{os.getpid()}")
        self._written = io.WrittenFiles(folder).start()
        if inside is None:
            try:
                io.write_json(guard.manifest_path, self._manifest({}, finished=False))
            except BaseException:
                self.close()
                raise
        return folder

    def note(self, path: Path) -> None:
        """Record ``path`` as written by this command (a file another library wrote, as pyabc's
        database), so that its manifest lists it."""
        if self._written is not None:
            self._written.note(path)

    def _manifest(self, fields: dict[str, Any], finished: bool) -> dict[str, Any]:
        data = provenance.manifest(self.command, self.argv, **fields)
        data.update(started=self.started, finished=provenance.now() if finished else None)
        return data

    def close(self) -> None:
        """Stop recording writes and release the folder's lock (``record`` does it)."""
        if self._written is not None:
            self._written.stop()
        if self._folder is not None:
            self._folder.release()
            if self._folder in _held:
                _held.remove(self._folder)

    @contextmanager
    def executor(self, args: argparse.Namespace) -> Iterator[Executor]:
        """The executor of the command's ``add_executor_arguments`` options, shut down on leaving
        the block; its backend goes in the manifest, and a Dask health check in ``health``."""
        with ExitStack() as stack:
            executor, self.backend, self.health = make_executor(
                stack, args.workers, args.dask, args.retries, args.worker_timeout
            )
            yield executor

    def record(self, **fields: Any) -> Path:
        """Write the finished manifest with ``fields``, the backend (when the command made an
        executor) and ``files``: the SHA-256 of every file this command wrote in its folder; then
        release the folder."""
        if self.backend is not None:
            fields["backend"] = self.backend
        guard = self._folder
        name = guard.manifest_name if guard is not None else io.MANIFEST_NAME
        written = self._written.names if self._written is not None else []
        fields["files"] = io.checksums(self.out, [n for n in written if n != name])
        try:
            return io.write_json(self.out / name, self._manifest(fields, finished=True))
        finally:
            self.close()


def database_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a pyabc database failing (a full or read-only disk): sqlite's own
    errors, or SQLAlchemy's, through which pyabc writes it."""
    import sqlite3

    if isinstance(exc, sqlite3.Error | OSError):
        return True
    return any(k.__module__.startswith("sqlalchemy") for k in type(exc).__mro__)


@contextmanager
def abc_failures(what: str, db: Path) -> Iterator[None]:
    """Turn what ends a pyabc run from outside it (``lpsa calibrate``, ``lpsa toc``) into one-line
    errors (exit 2): a worker process that died (``WorkersLost``: pyabc cannot resume a
    generation) and a database that cannot be written (``io.OutputError`` naming ``db``). ``what``
    names the run ("the calibration", "the model selection"). Anything else, a particle's run that
    raised included, passes through."""
    try:
        yield
    except BrokenExecutor as exc:
        raise WorkersLost(
            f"a worker process died during {what} ({type(exc).__name__}); "
            "pyabc cannot resume a generation: run again"
        ) from None
    except Exception as exc:
        if not database_error(exc):
            raise
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]
        raise io.OutputError(
            f"{db}: cannot write {what}'s database ({reason}); allowed: "
            "a folder on a disk with room (another --out)"
        ) from None


_held: list[io.JobFolder] = []
"""Folders claimed by commands of this process and not yet released."""


def release_folders() -> None:
    """Release every folder a command of this process still holds (a command that failed part
    way); the command line calls it as each command ends."""
    for guard in list(_held):
        guard.release()
    _held.clear()
    for tracked in list(io._trackers):
        tracked.stop()
