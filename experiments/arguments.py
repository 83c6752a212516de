"""Command-line argument types and the executor options every command shares.

Each type turns a bad value into argparse's one-line usage error that names the option, the bad
value and what is allowed (exit status 2, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

from lpsa.model.scenario import did_you_mean

from .patterns import FORECAST, FORECAST_MARGINS, ForecastRule
from .runner import Health, WorkersLost
from .uncertainty import UNCERTAIN_FILE


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage error for a misspelt option or choice adds "did you mean"
    (Python 3.11's argparse suggests nothing). Every command's parser is one of these."""

    def error(self, message: str) -> NoReturn:
        super().error(message + self._suggestion(message))

    def _suggestion(self, message: str) -> str:
        if message.startswith("unrecognized arguments: "):
            words = message.removeprefix("unrecognized arguments: ").split()
            options = [o for o in self._option_string_actions if o.startswith("--")]
            for word in words:
                if word.startswith("--"):
                    hint = did_you_mean(word.split("=")[0], options)
                    if hint:
                        return hint
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            return did_you_mean(choice[1], re.findall(r"'?([^',\s]+)'?", choice[2]))
        return ""


def whole_number(text: str, low: int, high: int, allowed: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text[:50]!r}; allowed: {allowed}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: {allowed}")
    return value


def population_size(text: str) -> int:
    """``--population``: a whole number from 2 to 1,000,000."""
    return whole_number(text, 2, 1_000_000, "a whole number from 2 to 1,000,000")


def number_in(text: str, low: float, high: float, allowed: str) -> float:
    """A finite number from ``low`` to ``high``, or argparse's one-line refusal naming the value
    and what is ``allowed`` (the float counterpart of ``whole_number``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text[:50]!r}; allowed: {allowed}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"got {value:g}; allowed: {allowed}")
    return value


def non_negative_float(text: str) -> float:
    """``--min-epsilon``: a finite number >= 0."""
    return number_in(text, 0.0, math.inf, "a finite number >= 0")


def positive_int(text: str) -> int:
    """A count of points, samples, trajectories or boxes: 1 to 1,000,000."""
    return whole_number(text, 1, 1_000_000, "a whole number from 1 to 1,000,000")


def workers(text: str) -> int:
    return whole_number(text, 1, 1024, "a whole number from 1 to 1024")


def run_limit(text: str) -> int:
    return whole_number(text, 1, 10**9, "a whole number from 1 to 1,000,000,000")


def replications(text: str) -> int:
    return whole_number(text, 1, 100_000, "a whole number from 1 to 100,000")


def non_negative_int(text: str) -> int:
    return whole_number(text, 0, 100, "a whole number from 0 to 100")


def seed(text: str) -> int:
    return whole_number(text, 0, 2**63 - 1, "a whole number from 0 to 2**63-1")


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"got {text[:50]!r}; allowed: a fraction in (0, 1]"
        ) from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: a fraction in (0, 1]")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text[:50]!r}; allowed: seconds > 0") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: seconds from 0 to 86400")
    return value


def dask_address(text: str) -> str:
    if text == "local" or text.startswith(("tcp://", "tls://")):
        return text
    raise argparse.ArgumentTypeError(f"got {text[:100]!r}; allowed: 'local' or tcp://HOST:PORT")


def add_executor_arguments(ap: argparse.ArgumentParser) -> None:
    """--workers, --dask, --retries and --worker-timeout."""
    ap.add_argument("--workers", type=workers, help="worker processes (default: all cores)")
    ap.add_argument(
        "--dask",
        type=dask_address,
        help="'local' for a Dask LocalCluster, or tcp://HOST:PORT of a running scheduler",
    )
    ap.add_argument(
        "--retries",
        type=non_negative_int,
        default=2,
        help="times the chunks of a worker that died are run again: Dask resubmits the "
        "task; a broken local pool is replaced and the run resumes (default 2)",
    )
    ap.add_argument(
        "--worker-timeout",
        type=positive_seconds,
        default=60.0,
        help="seconds without any Dask worker, or without the scheduler, before "
        "giving up (default 60)",
    )


def add_overwrite(ap: argparse.ArgumentParser) -> None:
    """``--overwrite``: replace an earlier result of the same command in ``--out`` (only the
    files its manifest records; a folder of another command, or a job still running, is never
    touched)."""
    ap.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results of an earlier run of this command in --out (only the files "
        "its manifest records); without it, a folder holding results is refused",
    )


def add_unfitted(ap: argparse.ArgumentParser) -> None:
    """``--unfitted``: what the worlds do with an uncertain parameter the posterior does not cover
    (``Posterior.worlds``)."""
    ap.add_argument(
        "--unfitted",
        choices=("prior", "scenario"),
        default="prior",
        help="an uncertain parameter the posterior does not cover (added to "
        "experiments/uncertain_parameters.yaml after it was fitted): drawn in each world from its "
        "prior (default), or held at the scenario's value",
    )


def gigabytes(text: str) -> float:
    """``--max-memory``, ``--max-disk``: a size in GB, above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text[:50]!r}; allowed: GB above 0") from None
    if not 0 < value < 1e9:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: GB above 0")
    return value


def add_size_limits(ap: argparse.ArgumentParser) -> None:
    """``--max-memory`` and ``--max-disk``: the sizes a job may reach (default: what the machine
    has free when the job starts); a job estimated to need more is refused before it runs."""
    ap.add_argument(
        "--max-memory",
        type=gigabytes,
        help="GB of memory the job may use (default: the machine's free memory); a job "
        "estimated to need more is refused before it starts",
    )
    ap.add_argument(
        "--max-disk",
        type=gigabytes,
        help="GB of disk the results may take (default: the free space of --out's disk)",
    )


def add_max_runs(ap: argparse.ArgumentParser) -> None:
    from .design import MAX_RUNS

    ap.add_argument(
        "--max-runs",
        type=run_limit,
        default=MAX_RUNS,
        help=f"refuse designs of more runs than this (default {MAX_RUNS:,})",
    )


def add_forecast_arguments(p: argparse.ArgumentParser) -> None:
    """``--forecast-margin`` and ``--forecast-almost-met``: the measurement choices of the
    interim forecast (``ForecastRule``), for the commands that judge P1 and P4."""
    p.add_argument(
        "--forecast-margin",
        type=fraction,
        default=FORECAST.margin,
        help="how far past or short of the stretch last year's trend must carry a target for the "
        f"interim forecast to call it on track or likely missed (default {FORECAST.margin:g}; "
        f"{FORECAST_MARGINS[0]:g}-{FORECAST_MARGINS[-1]:g} is the range a year-long trend can "
        "support: see ForecastRule)",
    )
    p.add_argument(
        "--forecast-almost-met",
        type=fraction,
        default=FORECAST.almost_met,
        help="share of the stretch already reached that counts as met or almost certain "
        f"(default {FORECAST.almost_met:g})",
    )


def forecast_rule(args: argparse.Namespace) -> ForecastRule:
    """The forecast rule of ``add_forecast_arguments``' options."""
    return ForecastRule(almost_met=args.forecast_almost_met, margin=args.forecast_margin)


def add_analysis_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every analysis over the uncertain parameters shares (calibrate, sensitivity)."""
    ap.add_argument(
        "--parameters",
        type=Path,
        default=UNCERTAIN_FILE,
        help="experiment file whose 'uncertainties' are analysed (default "
        "experiments/uncertain_parameters.yaml); its base scenario is used",
    )
    ap.add_argument(
        "--replications", type=replications, default=2, help="replications per point (default 2)"
    )
    ap.add_argument("--seed", type=seed, default=2001, help="master seed (default 2001)")
    ap.add_argument("--out", type=Path, help="output folder (default results/<analysis>-<time>)")
    add_overwrite(ap)
    add_max_runs(ap)
    add_executor_arguments(ap)


DASK_LOGGERS = ("distributed", "tornado", "asyncio")


def silence_dask_logging() -> None:
    """Mute Dask's, Tornado's and asyncio's loggers and every child logger they have configured:
    a lost cluster is reported by the runner in one line, not by pages of their tracebacks."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in DASK_LOGGERS]
    for name in (*DASK_LOGGERS, *names):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def without_huge_pages() -> None:
    """Stop numpy asking Linux for transparent huge pages, in this process and the workers
    forked from it (the ``lpsa`` command does this first; Dask workers do it as they join,
    through ``WithoutHugePages``).

    numpy advises huge pages for arrays over 4 MB. Where Linux then compacts memory on demand to
    find them (``/sys/kernel/mm/transparent_hugepage/defrag`` = ``madvise``, as on the
    development machine), a large run stalls: at 10,000 councils, whose history is about 80 MB
    of fresh arrays, one run in three took 0.34-0.39 s instead of 0.19-0.22 s; without huge pages
    every run took 0.21-0.26 s. A default run holds no array that large. Results are unchanged:
    this only decides how memory is mapped.
    """
    setter = huge_page_setter()
    if setter is not None:
        setter(False)


def huge_page_setter() -> Callable[[bool], bool] | None:
    """numpy's switch for asking for huge pages (returns the previous setting), if it has one."""
    import numpy as np

    core = getattr(np, "_core", None) or np.core  # numpy 2 / numpy 1.26
    return getattr(core.multiarray, "_set_madvise_hugepage", None)


def _without_huge_pages_plugin() -> object:
    """A Dask worker plugin that runs ``without_huge_pages`` on every worker, present or later."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class WithoutHugePages(WorkerPlugin):
        name = "lpsa-without-huge-pages"

        def setup(self, worker: object) -> None:
            without_huge_pages()

    return WithoutHugePages()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes; on Linux, forked from this one.

    Importing Mesa sets the process-wide start method to 'spawn' (``mesa/batchrunner.py``), so
    every spawned worker would import numpy, pandas, numba and the model afresh and load the
    compiled quarter from numba's cache: about a second before its first run. A forked worker
    starts with what this process has already imported. Results do not depend on it (every run is
    fixed by its seed). Elsewhere (macOS, Windows) the platform's safe default is kept.
    """
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    death_signal = threading.current_thread() is threading.main_thread()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(), death_signal),
    )


PARENT_CHECK_SECONDS = 0.5
"""How often a worker looks whether the command that started it is still there [seconds]."""


def die_with_parent(parent: int, death_signal: bool = True) -> None:
    """A worker's initializer: the worker ends when process ``parent`` (the command) dies, however
    it dies (SIGKILL included), instead of running on with its memory and the command's output
    pipes (a caller waiting for the command's output would wait for ever).

    On Linux the kernel sends the worker SIGKILL when its parent dies (``prctl``
    ``PR_SET_PDEATHSIG``; only when the pool was made on the main thread, since the signal follows
    the death of the thread that forked the worker). Everywhere, a daemon thread looks every
    ``PARENT_CHECK_SECONDS`` whether the worker's parent has changed (it is adopted when its
    parent dies) and ends the worker if so."""
    if death_signal and sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass  # the watchdog below still ends the worker
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="lpsa-parent-watch", daemon=True).start()


def make_executor(
    stack: ExitStack,
    workers: int | None = None,
    dask: str | None = None,
    retries: int = 2,
    worker_timeout: float = 60.0,
) -> tuple[Executor, str, Health | None]:
    """A process pool, or a Dask executor on a LocalCluster or an existing scheduler.

    Returns the executor, a description of the backend and, for Dask, a health check that raises
    ``WorkersLost`` once there has been no worker or no scheduler for ``worker_timeout`` seconds.
    Dask's own logging is silenced: the runner reports what went wrong in one line.
    """
    if dask is None:
        n = workers or os.cpu_count() or 1
        return stack.enter_context(process_pool(n)), f"processes x{n}", None
    from distributed import Client, LocalCluster

    silence_dask_logging()  # after the import, which configures these loggers

    if dask == "local":
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=workers or os.cpu_count(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                silence_logs=logging.CRITICAL,
            )
        )
        client = stack.enter_context(Client(cluster))
    else:
        try:
            client = stack.enter_context(Client(dask, timeout="20s"))
        except (OSError, TimeoutError) as exc:
            raise WorkersLost(
                f"--dask: cannot reach scheduler {dask!r} ({exc}); allowed: 'local' "
                "or a reachable tcp://HOST:PORT"
            ) from None
    silence_dask_logging()  # and the loggers the client has added since
    client.register_plugin(_without_huge_pages_plugin())
    last_ok = [time.monotonic()]

    def health() -> None:
        ok = client.status == "running" and bool(client.scheduler_info().get("workers"))
        if ok:
            last_ok[0] = time.monotonic()
        elif time.monotonic() - last_ok[0] > worker_timeout:
            what = "no Dask scheduler" if client.status != "running" else "no Dask workers"
            raise WorkersLost(f"{what} for {worker_timeout:g} s")

    return client.get_executor(retries=retries, pure=False), f"dask {dask}", health


def default_out(name: str) -> Path:
    return Path("results") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
