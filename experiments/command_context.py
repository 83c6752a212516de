"""What every command does around its analysis: the output folder, the executor and the manifest.

A command's ``main`` parses its arguments and checks its inputs, then::

    ctx = CommandContext("validate", argv, args.out, default=f"validation-{scenario.name}")
    with ctx.executor(args) as executor:  # --workers, --dask, --retries, --worker-timeout
        ...                               # run, write the tables and the report into ctx.out
    ctx.record(scenario=scenario.name, seed=seed)  # manifest.json, with the backend used

Making the context notes the start time and prepares the output folder (created, writable, or a
one-line ``OutputError`` naming it), so nothing runs before a bad folder is refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from . import io, provenance
from .arguments import default_out, make_executor
from .runner import Health


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
    ) -> None:
        self.command = command
        self.argv = list(argv)
        self.started = provenance.now()
        self.backend: str | None = None
        self.health: Health | None = None
        self._out: Path | None = None
        if out is not None or default is not None:
            self.use_folder(out if out is not None else default_out(str(default)))

    @property
    def out(self) -> Path:
        """The prepared output folder."""
        if self._out is None:
            raise RuntimeError(f"{self.command}: no output folder set")
        return self._out

    def use_folder(self, folder: Path) -> Path:
        """Prepare ``folder`` (``io.prepare_folder``) and write this command's outputs there."""
        self._out = io.prepare_folder(folder)
        return folder

    @contextmanager
    def executor(self, args: argparse.Namespace) -> Iterator[Executor]:
        """The executor of the command's ``add_executor_arguments`` options, shut down on leaving
        the block; its backend goes in the manifest, and a Dask health check in ``health``."""
        with ExitStack() as stack:
            executor, self.backend, self.health = make_executor(
                stack, args.workers, args.dask, args.retries, args.worker_timeout
            )
            yield executor

    def record(self, name: str = "manifest.json", **fields: Any) -> Path:
        """Write the manifest ``name`` (``provenance.record``) with ``fields`` and, when the
        command made an executor, its backend."""
        if self.backend is not None:
            fields["backend"] = self.backend
        return provenance.record(self.out, self.command, self.argv, self.started, name, **fields)
