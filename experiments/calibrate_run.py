"""The calibration's ABC-SMC run with pyabc, reproducible, and the posterior it leaves.

A prior sample sets the first epsilon; each generation proposes particles
(``calibrate_setup.ShapedGaussian``), accepts those closer than epsilon and weights them by
prior over proposal density; the next epsilon is the median distance of the accepted. It stops at
``generations``, ``min_epsilon`` or ``max_simulations``; the last population, with its weights, is
the posterior ensemble (``posterior_from``).

Reproducibility: pyabc's ``MappingSampler`` reseeds every task from the operating system's entropy
(``np.random.seed()`` in ``map_function``), so its populations differ from run to run whatever the
caller seeds. :class:`SeededMappingSampler` gives task ``i`` of its ``k``-th population the
``i``-th child of ``SeedSequence([seed, k])``; each task samples until it accepts one particle,
and results are gathered in task order, so the same seed gives the same posterior whatever the
number of workers or the executor.
"""

from __future__ import annotations

import functools
import logging
import pickle
import random
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.population import Sample, SampleFactory
from pyabc.sampler import MappingSampler

from lpsa.model import Scenario

from . import provenance
from .calibrate_setup import (
    NAN_DISTANCE,
    CalibrationSettings,
    ParameterSpace,
    PatternDistance,
    PatternModel,
    ShapedGaussian,
    evidence_values,
)
from .design import shown_path
from .patterns import ForecastRule, PatternValues, pattern_values
from .posterior import Posterior, effective_size
from .uncertainty import Uncertain

PYABC_LOGGER = "ABC"


def task_seeds(seed: int, call: int, n: int) -> list[int]:
    """Seeds (32-bit, for numpy's global generator) of the ``n`` tasks of the sampler's
    ``call``-th population."""
    states = np.random.SeedSequence([int(seed), int(call)]).spawn(n)
    return [int(s.generate_state(1, np.uint32)[0]) for s in states]


def accept_one(payload: bytes, factory: SampleFactory, seed: int) -> tuple[Sample, int]:
    """One task (in a worker): seed numpy's and Python's global generators, then simulate until
    one particle is accepted; the sample and the number of simulations."""
    silence_pyabc()  # in this worker too (spawned workers import pyabc afresh)
    np.random.seed(seed)
    random.seed(seed)
    simulate_one = pickle.loads(payload)  # cloudpickle's output; plain pickle reads it
    sample = factory()
    n = 0
    while True:
        particle = simulate_one()
        n += 1
        sample.append(particle)
        if particle.accepted:
            return sample, n


Report = Callable[[int, int, int, "float | None"], None]
"""Called after each population: generation ``t`` (-1: the prior sample that sets the first
epsilon), particles accepted, simulations, epsilon (None for ``t`` = -1)."""


class SeededMappingSampler(MappingSampler):
    """pyabc's ``MappingSampler`` with seeded tasks (see the module docstring): one task per
    particle wanted, task ``i`` of call ``k`` seeded from ``SeedSequence([seed, k])``'s ``i``-th
    child, results in task order. ``report`` is called after each population."""

    def __init__(
        self, map_: Callable[..., Iterable[Any]], seed: int, report: Report | None = None
    ) -> None:
        super().__init__(map_=map_)
        self.seed = int(seed)
        self.calls = 0
        self.report = report

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable,
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Sample:
        seeds = task_seeds(self.seed, self.calls, n)
        self.calls += 1
        task = functools.partial(accept_one, self.pickle(simulate_one), self.sample_factory)
        results = list(self.map_(task, seeds))
        self.nr_evaluations_ = sum(count for _, count in results)
        sample = self._create_empty_sample()
        for part, _ in results:
            sample += part
        if self.report is not None:
            eps = float(ana_vars.eps(t)) if ana_vars is not None and t >= 0 else None
            self.report(t, n, self.nr_evaluations_, eps)
        return sample


def mapper(executor: Executor, health: Callable[[], None] | None) -> Callable[..., list]:
    """``executor.map``, or, with a health check (Dask), a map that calls it while waiting."""
    if health is None:
        return executor.map

    def map_(fn: Callable, items: Iterable[Any]) -> list:
        futures = [executor.submit(fn, x) for x in items]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=2.0, return_when=FIRST_COMPLETED)
            if pending:
                health()
        return [f.result() for f in futures]

    return map_


def silence_pyabc() -> None:
    """Mute pyabc's logger ('ABC') and its children: the command prints its own lines."""
    logging.getLogger(PYABC_LOGGER).setLevel(logging.CRITICAL + 1)


def run_abc(
    base: Scenario,
    params: Sequence[Uncertain],
    fitted: Sequence[str],
    settings: CalibrationSettings,
    db: Path,
    map_: Callable[..., Iterable[Any]],
    report: Report | None,
    measure: PatternValues = pattern_values,
) -> pyabc.History:
    """The ABC-SMC run of ``settings``, each particle measured by ``measure``; its history (also
    in ``db``, replaced if it exists)."""
    space = ParameterSpace(params)
    sampler = SeededMappingSampler(map_, settings.seed, report)
    abc = pyabc.ABCSMC(
        PatternModel(base, space, settings.replications, settings.seed, measure),
        space.prior(),
        PatternDistance(fitted),
        population_size=settings.population,
        transitions=ShapedGaussian(),
        eps=pyabc.MedianEpsilon(),
        sampler=sampler,
    )
    db.unlink(missing_ok=True)
    np.random.seed(int(np.random.SeedSequence(settings.seed).generate_state(1, np.uint32)[0]))
    abc.new(f"sqlite:///{db.resolve()}", evidence_values())
    return abc.run(
        minimum_epsilon=settings.min_epsilon,
        max_nr_populations=settings.generations,
        max_total_nr_simulations=settings.max_simulations,
    )


def generations(history: pyabc.History) -> pd.DataFrame:
    """One row per population (generation -1: the prior sample that sets the first epsilon):
    epsilon, simulations, particles accepted, acceptance rate and effective sample size."""
    pops = history.get_all_populations().sort_values("t")
    rows = []
    for t, eps, sims, accepted in zip(
        pops["t"], pops["epsilon"], pops["samples"], pops["particles"]
    ):
        t, sims = int(t), int(sims)
        if t < 0:
            rows.append({"generation": t, "epsilon": np.nan, "simulations": sims, "accepted": sims})
            rows[-1].update(acceptance=1.0, effective_size=float(sims))
            continue
        _, w = history.get_distribution(m=0, t=t)
        rows.append(
            {
                "generation": t,
                "epsilon": float(eps),
                "simulations": sims,
                "accepted": int(accepted),
                "acceptance": int(accepted) / sims,
                "effective_size": effective_size(w),
            }
        )
    return pd.DataFrame(rows)


def posterior_from(
    history: pyabc.History, space: ParameterSpace, base: Scenario, meta: dict[str, Any]
) -> Posterior:
    """The last population, on the natural scale, as a posterior ensemble."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    return Posterior(
        base=base.name,
        particles=space.to_frame(frame),
        weights=np.asarray(weights, dtype=float) / float(np.sum(weights)),
        meta=meta,
    )


def fit_metadata(
    settings: CalibrationSettings,
    command: str,
    gens: pd.DataFrame,
    held: Sequence[str],
    fitted: Sequence[str],
    rule: ForecastRule,
    seconds: float,
) -> dict[str, Any]:
    """How the posterior was made, as ``posterior.json`` records it: the method, the command
    line, the settings, the generations run (``gens``, from :func:`generations`), the held-out
    and fitted patterns, the forecast rule, the effective sample size and the fit's time."""
    done = gens[gens["generation"] >= 0]
    return {
        "method": f"ABC-SMC (pyabc {pyabc.__version__}): median epsilon, shaped Gaussian "
        "proposal on the probit scale, seeded mapping sampler",
        "command": command,
        "seed": settings.seed,
        "parameters_file": shown_path(settings.parameters),
        "population_size": settings.population,
        "generations": len(done),
        "max_generations": settings.generations,
        "epsilons": [float(e) for e in done["epsilon"]],
        "final_epsilon": float(done["epsilon"].iloc[-1]),
        "min_epsilon": settings.min_epsilon,
        "total_simulations": int(gens["simulations"].sum()),
        "max_simulations": settings.max_simulations,
        "replications": settings.replications,
        "held_out": list(held),
        "fitted": list(fitted),
        "forecast_rule": asdict(rule),
        "distance": "root mean square of Pattern.distance over the fitted patterns; "
        f"an undefined statistic counts {NAN_DISTANCE:g}",
        "effective_sample_size": round(float(done["effective_size"].iloc[-1]), 1),
        "pyabc_version": pyabc.__version__,
        "seconds": round(seconds, 1),
        "created": provenance.now(),
    }
