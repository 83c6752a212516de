"""``lpsa calibrate``: ABC-SMC (pyabc) over the uncertain parameters, with held-out patterns.

Method (documented in docs/calibration.md):

1. Prior: independent uniforms over the ranges of ``experiments/uncertain_parameters.yaml``.
2. A particle (one parameter set) runs ``--replications`` times on common random numbers
   (replication ``r`` on ``replication_seed(seed, r)`` for every particle); its summary statistics
   are the mean over those runs of every pattern statistic of ``experiments/patterns.py``.
3. Distance: the root mean square of the patterns' standardised distances from the evidence
   (``Pattern.distance``), over the *fitted* patterns only; a statistic that is undefined (NaN)
   counts as ``NAN_DISTANCE``.
4. ABC-SMC (pyabc): a prior sample sets the first epsilon; each generation proposes particles
   (``DefensiveGaussian``, on the probit scale of each range: ``ParameterSpace``), accepts those
   closer than epsilon and weights them by prior over proposal density; the next epsilon is the
   median distance of the accepted. It stops at ``--generations``, ``--min-epsilon`` or
   ``--max-simulations``; the last population, with its weights, is the posterior ensemble.
5. The *held-out* patterns (``--hold-out``, default ``HELD_OUT``) never enter the distance. After
   the fit, ``--check-worlds`` worlds drawn from the posterior run ``--check-replications`` times
   on fresh random numbers; every pattern is judged on them (posterior predictive check). As many
   worlds drawn from the prior run on the same random numbers (prior predictive check): a
   held-out pattern that nearly every prior world passes too could not have failed, so its pass
   does not test the fit (``CAN_FAIL_SHARE``). The exit status is 0 when every held-out pattern
   passes and at least one of them could have failed (or none is held out: ``--hold-out none``),
   1 otherwise (``held_out_verdict``).
6. Identification: each parameter's posterior 90 % interval against its prior's.

A run that raises stops the calibration with :class:`CalibrationRunFailed`, naming the parameters
and the seed (exit status 1): a parameter set inside the prior's ranges that cannot run is a bug to
fix, not a particle to reject quietly.

Reproducibility: pyabc's ``MappingSampler`` reseeds every task from the operating system's entropy
(``np.random.seed()`` in ``map_function``), so its populations differ from run to run whatever the
caller seeds. :class:`SeededMappingSampler` gives task ``i`` of its ``k``-th population the
``i``-th child of ``SeedSequence([seed, k])``; each task samples until it accepts one particle,
and results are gathered in task order, so the same seed gives the same posterior whatever the
number of workers or the executor.
"""

from __future__ import annotations

import argparse
import functools
import logging
import pickle
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, wait
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.population import Sample, SampleFactory
from pyabc.sampler import MappingSampler
from pyabc.transition import Transition
from scipy.special import ndtr
from scipy.stats import norm

from model import Scenario, ScenarioError, load_scenario, replication_seed, run_pair
from model.scenario import parameter_overrides

from . import io, provenance
from .arguments import (
    add_forecast_arguments,
    forecast_rule,
    positive_int,
    whole_number,
)
from .command_context import CommandContext
from .design import check_run_count, shown_path
from .formatting import assignments, fixed, pct, significant, span
from .patterns import (
    PATTERNS,
    ForecastRule,
    PatternValues,
    check_patterns,
    describe_rule,
    pattern_values,
)
from .posterior import Posterior, effective_size, save_posterior
from .runner import WorkersLost
from .uncertainty import (
    Uncertain,
    add_analysis_arguments,
    evaluate_points,
    load_uncertain,
    to_points,
)

HELD_OUT: tuple[str, ...] = ("P1a", "P1b", "P1c")
"""Patterns kept out of the distance by default and checked by posterior prediction: the interim
forecast (001:127), emergent, and the only patterns that worlds of the prior fail. Over 100 worlds
drawn from the prior of ``uncertain_parameters.yaml`` (4 replications each), P1a was within
tolerance in 37 % of them, P1b in 54 %, P1c in 14 %, and every other pattern in all 100: a
held-out check of any of those could not fail. Held out by default, the forecast tests whether
the other patterns predict it; ``--hold-out none`` fits it instead."""
CAN_FAIL_SHARE = 0.1
"""A held-out pattern tests the fit only when at least this share of the prior's worlds fall
outside its tolerance in the prior predictive check; otherwise a posterior that passes it has
learnt nothing the prior did not already guarantee."""
NO_HOLD_OUT = "none"
"""``--hold-out none``: every pattern is fitted and nothing is checked out of sample."""
NAN_DISTANCE = 10.0
"""Standardised distance of a statistic that is undefined (NaN) in a particle's runs."""
IDENTIFIED = 0.5
WEAKLY_IDENTIFIED = 0.8
"""Verdicts on the posterior 90 % width over the prior 90 % width: below ``IDENTIFIED``
'identified', below ``WEAKLY_IDENTIFIED`` 'weakly identified', else 'not identified'."""
PYABC_LOGGER = "ABC"
DEFENSIVE_SHARE = 0.1
"""Share of each generation's proposals drawn from the prior (``DefensiveGaussian``)."""
MIN_PROPOSAL_SD = 0.01
"""Floor of the proposal's standard deviations (probit scale; the prior's is 1)."""
LOW_ESS_SHARE = 0.2
"""The report cautions when the posterior's effective sample size is below this share of the
population."""
MODEL_NAME = "lpsa"


class CalibrationRunFailed(RuntimeError):
    """A particle's run raised; the message names the parameters, replication and seed."""


# --- Held-out and fitted patterns ------------------------------------------------------------


def pattern_ids() -> list[str]:
    return [p.id for p in PATTERNS]


def parse_hold_out(text: str | Sequence[str]) -> tuple[str, ...]:
    """The held-out pattern ids from ``--hold-out`` (comma-separated, or a sequence of ids);
    ``none`` holds nothing out.

    Raises ``ScenarioError`` (exit status 2) naming the flag, the bad value and the allowed ids
    for an unknown id, an empty list, a list holding out every pattern (nothing left to fit), or
    part of a group (``Pattern.group``: the fitted members would fix the held-out one).
    """
    given = text.split(",") if isinstance(text, str) else list(text)
    ids = tuple(dict.fromkeys(s.strip() for s in given if s.strip()))
    if ids == (NO_HOLD_OUT,):
        return ()
    known = pattern_ids()
    allowed = (
        f"allowed: comma-separated ids among {', '.join(known)}, not all of them, "
        f"or {NO_HOLD_OUT!r}"
    )
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ScenarioError(f"--hold-out: unknown pattern {unknown[0]!r}; {allowed}")
    if not ids:
        raise ScenarioError(f"--hold-out: got {text!r}, no pattern; {allowed}")
    if len(ids) == len(known):
        raise ScenarioError(f"--hold-out: {','.join(ids)} holds out every pattern; {allowed}")
    for members in pattern_groups().values():
        part = [m for m in members if m in ids]
        if part and len(part) < len(members):
            raise ScenarioError(
                f"--hold-out: {','.join(part)} is part of {', '.join(members)}, which sum to one "
                f"(the fitted ones would fix the rest); hold out all of them or none; {allowed}"
            )
    return ids


def pattern_groups() -> dict[str, tuple[str, ...]]:
    """{group: its pattern ids} for every ``Pattern.group``."""
    groups: dict[str, tuple[str, ...]] = {}
    for p in PATTERNS:
        if p.group:
            groups[p.group] = (*groups.get(p.group, ()), p.id)
    return groups


def fitted_patterns(held_out: Iterable[str]) -> tuple[str, ...]:
    """Every pattern id not held out, in ``PATTERNS`` order."""
    held = set(held_out)
    return tuple(p.id for p in PATTERNS if p.id not in held)


# --- Distance ---------------------------------------------------------------------------------


def distance_weights(fitted: Sequence[str]) -> dict[str, float]:
    """Each fitted pattern's weight in the distance: 1, except within a group of shares that sum
    to one (``Pattern.group``), whose ``k`` fitted members of ``n`` carry ``min(k, n - 1)``
    degrees of freedom between them. The interim forecast's three shares count as two patterns,
    not three: otherwise the forecast would count twice what any other statement counts."""
    groups = pattern_groups()
    by_id = {p.id: p for p in PATTERNS}
    weights = {}
    for pid in fitted:
        group = by_id[pid].group
        if not group:
            weights[pid] = 1.0
            continue
        n, k = len(groups[group]), sum(by_id[f].group == group for f in fitted)
        weights[pid] = min(k, n - 1) / k
    return weights


def pattern_distance(stats: Mapping[str, float], fitted: Sequence[str]) -> float:
    """Weighted root mean square of ``Pattern.distance`` over the ``fitted`` pattern ids
    (``distance_weights``); a missing or non-finite statistic (or distance) counts as
    ``NAN_DISTANCE``. Other statistics in ``stats`` (the held-out patterns') are ignored."""
    by_id = {p.id: p for p in PATTERNS}
    total = weight_sum = 0.0
    for pid, w in distance_weights(fitted).items():
        value = float(stats.get(pid, np.nan))
        d = by_id[pid].distance(value) if np.isfinite(value) else NAN_DISTANCE
        total += w * (d * d if np.isfinite(d) else NAN_DISTANCE**2)
        weight_sum += w
    return float(np.sqrt(total / weight_sum))


class PatternDistance(pyabc.Distance):
    """pyabc's distance: :func:`pattern_distance` over the fitted patterns. The observed data
    ``x_0`` is not used: each pattern carries its own target and tolerance."""

    def __init__(self, fitted: Sequence[str]) -> None:
        super().__init__()
        self.fitted = tuple(fitted)

    def __call__(
        self,
        x: dict,
        x_0: dict | None = None,
        t: int | None = None,
        par: dict | None = None,
    ) -> float:
        return pattern_distance(x, self.fitted)


def evidence_values() -> dict[str, float]:
    """What the evidence says, stored by pyabc as the 'observed' statistics: a level pattern's
    target, a direction pattern's bound."""
    return {p.id: float(p.target if p.target is not None else p.low) for p in PATTERNS}


# --- Prior and model --------------------------------------------------------------------------


class ParameterSpace:
    """The uncertain parameters as pyabc sees them: each on the probit scale of its position in
    its range, ``z = Phi^-1((x - low) / (high - low))``, named by its dotted path with ``__`` for
    each dot (``a.b`` -> ``a__b``, which ``parameter_overrides`` also reads).

    The uniform prior over a range is exactly a standard normal on this scale, so pyabc's prior is
    ``RV("norm", 0, 1)`` per parameter; every real ``z`` is a value inside the range, so no
    proposal falls outside the prior. Particles are mapped back to the natural scale
    (``to_point``, ``to_frame``); importance weights are unchanged by the one-to-one map.
    """

    def __init__(self, params: Sequence[Uncertain]) -> None:
        self.params = list(params)
        self.keys = {p.path.replace(".", "__"): p for p in self.params}
        if len(self.keys) != len(self.params):
            raise ScenarioError("uncertainties: two parameter paths map to the same pyabc name")

    def prior(self) -> pyabc.Distribution:
        """Uniform over each range, as pyabc sees it: a standard normal per key."""
        return pyabc.Distribution(**{k: pyabc.RV("norm", 0.0, 1.0) for k in self.keys})

    def natural(self, key: str, z: float | np.ndarray) -> float | np.ndarray:
        p = self.keys[key]
        return p.low + (p.high - p.low) * ndtr(z)

    def to_point(self, pars: Mapping[str, float]) -> dict[str, float]:
        """pyabc's parameters -> {dotted path: natural value}."""
        return {self.keys[k].path: float(self.natural(k, float(v))) for k, v in pars.items()}

    def to_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """pyabc's particles (one column per key) -> one column per dotted path on the natural
        scale, in the parameters' order."""
        return pd.DataFrame(
            {
                p.path: np.asarray(self.natural(k, frame[k].to_numpy(dtype=float)), dtype=float)
                for k, p in self.keys.items()
            }
        )


class DefensiveGaussian(Transition):
    """pyabc's proposal (transition) from one population to the next.

    With probability ``alpha`` a draw from the prior (independent standard normals on the probit
    scale); otherwise from independent normals with each parameter's weighted mean and standard
    deviation in the last population. A particle's importance weight is prior / proposal density,
    at most ``1 / alpha``. pyabc's default, a Gaussian kernel around each particle, makes these
    weights collapse with this many parameters (one particle carries nearly all the weight after
    a generation or two; docs/calibration.md gives the figures). Draws use numpy's global
    generator, which :func:`accept_one` seeds per task.
    """

    def __init__(self, alpha: float = DEFENSIVE_SHARE) -> None:
        self.alpha = alpha

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        x = X.to_numpy(dtype=float)
        w = np.asarray(w, dtype=float) / np.sum(w)
        self.columns = list(X.columns)
        self.mean = w @ x
        unbiased = max(1.0 - float(np.sum(w**2)), 1e-12)
        var = (w @ (x - self.mean) ** 2) / unbiased
        self.sd = np.sqrt(np.maximum(var, MIN_PROPOSAL_SD**2))

    def rvs_single(self) -> pyabc.Parameter:
        z = np.random.standard_normal(len(self.columns))
        if np.random.uniform() >= self.alpha:
            z = self.mean + self.sd * z
        return pyabc.Parameter(dict(zip(self.columns, z)))

    def _density(self, z: np.ndarray) -> np.ndarray:
        prior = norm.logpdf(z).sum(axis=1)
        fitted = norm.logpdf(z, self.mean, self.sd).sum(axis=1)
        return np.exp(np.logaddexp(np.log(self.alpha) + prior, np.log1p(-self.alpha) + fitted))

    def pdf(self, x: Mapping[str, float] | pd.DataFrame) -> float | np.ndarray:
        if isinstance(x, pd.DataFrame):
            return self._density(x[self.columns].to_numpy(dtype=float))
        z = np.array([[float(x[k]) for k in self.columns]])
        return float(self._density(z)[0])


def _finite_mean(values: Iterable[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def simulate(
    base: Scenario,
    point: Mapping[str, float],
    replications: int,
    seed: int,
    measure: PatternValues = pattern_values,
) -> dict[str, float]:
    """Every pattern statistic at ``point`` (dotted path -> value), as ``measure`` takes them,
    averaged over ``replications`` runs on common random numbers (replication ``r`` on
    ``replication_seed(seed, r)``); a statistic undefined in some runs is the mean of the others,
    NaN if undefined in all. A failure raises :class:`CalibrationRunFailed`."""
    try:
        scenario = load_scenario(base, parameter_overrides(point))
    except ScenarioError as exc:
        raise CalibrationRunFailed(f"parameters {assignments(point)}: {exc}") from None
    runs = []
    for r in range(replications):
        s = replication_seed(seed, r)
        try:
            model, _ = run_pair(scenario, s)
            runs.append(measure(model, None))
            model.release()
        except Exception as exc:
            reason = " ".join(str(exc).split())[:300]
            raise CalibrationRunFailed(
                f"a run failed at {assignments(point)}, replication {r} (seed {s}): "
                f"{type(exc).__name__}: {reason}"
            ) from None
    return {k: _finite_mean(run[k] for run in runs) for k in runs[0]}


class PatternModel(pyabc.Model):
    """pyabc's model: a particle's mean pattern statistics (:func:`simulate`). Picklable: it
    holds the base scenario, the parameter space, the run settings and the measure."""

    def __init__(
        self,
        base: Scenario,
        space: ParameterSpace,
        replications: int,
        seed: int,
        measure: PatternValues = pattern_values,
    ) -> None:
        super().__init__(MODEL_NAME)
        self.base = base
        self.space = space
        self.replications = replications
        self.seed = seed
        self.measure = measure

    def sample(self, pars: Mapping[str, float]) -> dict[str, float]:
        point = self.space.to_point(pars)
        return simulate(self.base, point, self.replications, self.seed, self.measure)


# --- A reproducible mapping sampler -----------------------------------------------------------


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


# --- Identification and the predictive check --------------------------------------------------


def verdict(ratio: float) -> str:
    if ratio < IDENTIFIED:
        return "identified"
    if ratio < WEAKLY_IDENTIFIED:
        return "weakly identified"
    return "not identified"


def identification(posterior: Posterior, params: Sequence[Uncertain]) -> pd.DataFrame:
    """Per parameter: prior range, posterior weighted median and 5-95 % interval, the width
    ratio (posterior 90 % width over prior 90 % width) and its verdict, with the reason."""
    q05, q50, q95 = (posterior.quantiles(q) for q in (0.05, 0.5, 0.95))
    rows = []
    for p in params:
        ratio = (q95[p.path] - q05[p.path]) / (0.9 * (p.high - p.low))
        rows.append(
            {
                "parameter": p.path,
                "prior_low": p.low,
                "prior_high": p.high,
                "posterior_median": q50[p.path],
                "posterior_5": q05[p.path],
                "posterior_95": q95[p.path],
                "width_ratio": float(ratio),
                "verdict": verdict(ratio),
                "reason": p.reason,
            }
        )
    return pd.DataFrame(rows)


def _world_means(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per world (``point``): each pattern's mean statistic over the world's runs."""
    return runs.groupby("point")[pattern_ids()].agg(_finite_mean)


def predictive_check(
    runs: pd.DataFrame, held_out: Iterable[str], prior_runs: pd.DataFrame
) -> pd.DataFrame:
    """Judge every pattern on posterior worlds: ``runs`` has one row per run with columns
    ``point`` (the world) and one per pattern id. Per pattern: median and 5-95 % interval of the
    worlds' mean statistic, the share of worlds within tolerance, and ``check_patterns`` on the
    pooled per-run values (mean, 95 % bootstrap interval, passed). ``prior_runs``, the same for
    worlds drawn from the prior, gives the share of the prior's worlds within tolerance and
    whether the pattern could fail (``CAN_FAIL_SHARE``)."""
    held = set(held_out)
    worlds, prior = _world_means(runs), _world_means(prior_runs)
    pooled = check_patterns({p.id: runs[p.id].tolist() for p in PATTERNS}).set_index("pattern")
    rows = []
    for p in PATTERNS:
        w = worlds[p.id].to_numpy(dtype=float)
        finite = w[np.isfinite(w)]
        q = np.quantile(finite, [0.05, 0.5, 0.95]) if finite.size else [np.nan] * 3
        prior_within = np.array([p.within(v) for v in prior[p.id]])
        rows.append(
            {
                "pattern": p.id,
                "role": "held out" if p.id in held else "fitted",
                "emergent": p.emergent,
                "kind": p.kind,
                "evidence": p.evidence,
                "tolerance": pooled.loc[p.id, "tolerance"],
                "median": float(q[1]),
                "interval_5": float(q[0]),
                "interval_95": float(q[2]),
                "share_within": float(np.mean([p.within(v) for v in w])),
                "prior_share_within": float(prior_within.mean()),
                "can_fail": bool((~prior_within).mean() >= CAN_FAIL_SHARE),
                "pooled_mean": float(pooled.loc[p.id, "model"]),
                "pooled_ci_low": float(pooled.loc[p.id, "ci_low"]),
                "pooled_ci_high": float(pooled.loc[p.id, "ci_high"]),
                "passed": bool(pooled.loc[p.id, "passed"]),
            }
        )
    return pd.DataFrame(rows)


def _prior_shares(rows: pd.DataFrame) -> str:
    """'P4 100 %, P6 98 %': each pattern's share of the prior's worlds within tolerance."""
    return ", ".join(f"{r.pattern} {pct(r.prior_share_within)}" for r in rows.itertuples())


def held_out_verdict(check: pd.DataFrame) -> tuple[int, str]:
    """The exit status and its one-line reason. 0: every held-out pattern passes the posterior
    predictive check and at least one of them could have failed (``can_fail``), or nothing is
    held out; 1: a held-out pattern fails, or none of them could have failed."""
    held = check[check["role"] == "held out"]
    if held.empty:
        return 0, "no pattern held out: the fit is not tested out of sample"
    failed = held.loc[~held["passed"], "pattern"].tolist()
    if failed:
        return 1, f"held-out patterns fail the posterior predictive check: {', '.join(failed)}"
    ids = ", ".join(held["pattern"])
    if not held["can_fail"].any():
        could = check.loc[check["can_fail"], "pattern"].tolist()
        return 1, (
            f"held-out patterns {ids} pass, but the prior's worlds pass them too "
            f"({_prior_shares(held)}): the check could not fail, so it does not test the fit; "
            "hold out patterns the prior fails"
            + (f" ({', '.join(could)})" if could else " (no pattern is one)")
        )
    return 0, f"held-out patterns pass the posterior predictive check: {ids}"


# --- The report -------------------------------------------------------------------------------


def headline(ident: pd.DataFrame, check: pd.DataFrame, ess: float, population: int) -> list[str]:
    """The report's opening lines: identification, the held-out patterns, the fitted ones, and a
    caution when the posterior rests on few effective particles."""
    counts = ident["verdict"].value_counts()
    _, verdict_line = held_out_verdict(check)
    held = check[check["role"] == "held out"]
    fitted = check[check["role"] == "fitted"]
    fitted_failed = fitted.loc[~fitted["passed"], "pattern"].tolist()
    constraining = fitted.loc[fitted["can_fail"], "pattern"].tolist()
    lines = [
        f"**{counts.get('identified', 0)} of {len(ident)} parameters identified**, "
        f"{counts.get('weakly identified', 0)} weakly identified, "
        f"{counts.get('not identified', 0)} not identified by the fitted patterns.",
        "",
        f"**{verdict_line[0].upper()}{verdict_line[1:]}.**"
        + (
            f" Share of the prior's worlds within tolerance (a check could fail, and so tests "
            f"the fit, only at {pct(1 - CAN_FAIL_SHARE)} or less): {_prior_shares(held)}."
            if len(held)
            else ""
        ),
        "",
        f"Fitted patterns: {len(fitted) - len(fitted_failed)} of {len(fitted)} pass in the "
        "posterior predictive check"
        + (f" (failing: {', '.join(fitted_failed)})." if fitted_failed else ".")
        + " Of them, "
        + (
            f"only {', '.join(constraining)} fail in {pct(CAN_FAIL_SHARE)} or more of the "
            "prior's worlds; the others"
            if constraining
            else f"none fails in {pct(CAN_FAIL_SHARE)} or more of the prior's worlds: all"
        )
        + " hold across the prior and constrain the fit only through their distance from the"
        " evidence's target (level patterns) or not at all (direction patterns).",
    ]
    if ess < LOW_ESS_SHARE * population:
        lines += [
            "",
            f"**Caution: the posterior rests on {ess:.0f} effective particles of {population}.** "
            "Its intervals, and so the verdicts, are rough; a larger `--population` sharpens "
            "them.",
        ]
    return lines


def method_text(args: argparse.Namespace, fitted: Sequence[str], held: Sequence[str]) -> str:
    proposal = (
        f"{pct(DEFENSIVE_SHARE)} of proposals from the prior, the rest from independent normals "
        "with each parameter's weighted mean and spread in the last population"
    )
    return f"""\
ABC-SMC (approximate Bayesian computation by sequential Monte Carlo, pyabc {pyabc.__version__}).

- *Prior*: each uncertain parameter uniform over its range in `{shown_path(args.parameters)}`.
- *Simulation*: a candidate parameter set (a particle) runs {args.replications} times on common
  random numbers; its statistics are the mean pattern statistics of `experiments/patterns.py`.
- *Distance*: the root mean square of the fitted patterns' standardised distances from the
  evidence ({", ".join(fitted)}): a level pattern's distance from its target in half-bands (from
  its band where the evidence names no figure: P4), a direction pattern's shortfall below its
  bound in units of 0.05; the interim forecast's three shares, which sum to one, count as two
  patterns; an undefined statistic counts {NAN_DISTANCE:g}.
- *Populations*: {args.population} particles each. A prior sample sets the first epsilon; each
  generation proposes particles ({proposal}; on the probit scale of each range, where the prior
  is a standard normal), accepts those closer than epsilon, and weights them by prior density
  over proposal density. The next epsilon is the median distance of the accepted. The run
  stops after {args.generations} generations, at epsilon {args.min_epsilon:g}, or once
  {args.max_simulations:,} particles have been simulated, whichever comes first; the last
  population, with its weights, is the posterior ensemble.
- *Held-out patterns* ({", ".join(held) or "none"}) never enter the distance. They are judged
  afterwards by posterior prediction: {args.check_worlds} worlds drawn from the posterior, each run
  {args.check_replications} times on random numbers the fit did not see; a pattern passes as in
  `lpsa validate`, on the pooled runs (level: the mean inside the band; direction: the whole
  95 % bootstrap interval above the bound). The shares of the interim forecast (P1a-c) sum to
  one: they are held out together or not at all, and in the distance count as two patterns.
- *Could the check fail?* {args.check_worlds} worlds drawn from the prior run on the same random
  numbers. A held-out pattern that at least {pct(1 - CAN_FAIL_SHARE)} of them pass too could not
  have failed, and its pass says nothing about the fit; the check counts only when some held-out
  pattern could fail.
- *Identification*: a parameter is identified when its posterior 90 % interval is less than
  {IDENTIFIED:g} times as wide as its prior's, weakly identified below {WEAKLY_IDENTIFIED:g},
  otherwise not identified."""


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


def generations_view(gens: pd.DataFrame) -> pd.DataFrame:
    prior = gens["generation"] < 0
    return pd.DataFrame(
        {
            "generation": np.where(prior, "prior sample", gens["generation"].astype(str)),
            "epsilon": np.where(prior, "(sets the first)", gens["epsilon"].map(significant)),
            "simulations": gens["simulations"],
            "accepted": gens["accepted"],
            "acceptance": gens["acceptance"].map(pct),
            "effective sample size": gens["effective_size"].map(lambda e: fixed(e, 0)),
        }
    )


def identification_view(ident: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameter": ident["parameter"],
            "prior": [span(lo, hi) for lo, hi in zip(ident["prior_low"], ident["prior_high"])],
            "posterior median": ident["posterior_median"].map(significant),
            "posterior 90% interval": [
                span(lo, hi) for lo, hi in zip(ident["posterior_5"], ident["posterior_95"])
            ],
            "width vs prior": ident["width_ratio"].map(lambda r: fixed(r, 2)),
            "verdict": ident["verdict"],
            "reason": ident["reason"],
        }
    )


def check_view(check: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pattern": check["pattern"],
            "role": check["role"],
            "checks": np.where(check["emergent"], "emergent", "input check"),
            "evidence": check["evidence"],
            "tolerance": check["tolerance"],
            "median across worlds (90% interval)": [
                f"{significant(m)} ({span(lo, hi)})"
                for m, lo, hi in zip(check["median"], check["interval_5"], check["interval_95"])
            ],
            "worlds within tolerance": check["share_within"].map(pct),
            "prior's worlds within": check["prior_share_within"].map(pct),
            "pooled mean (95% CI)": [
                f"{significant(m)} ({span(lo, hi)})"
                for m, lo, hi in zip(
                    check["pooled_mean"], check["pooled_ci_low"], check["pooled_ci_high"]
                )
            ],
            "result": np.where(check["passed"], "pass", "**FAIL**"),
        }
    )


def write_report(
    out: Path,
    base: Scenario,
    args: argparse.Namespace,
    argv: Sequence[str],
    meta: Mapping[str, Any],
    gens: pd.DataFrame,
    ident: pd.DataFrame,
    check: pd.DataFrame,
) -> Path:
    """calibration.md: headline, method, generations, identification, predictive check."""
    fitted, held = meta["fitted"], meta["held_out"]
    ess = float(meta["effective_sample_size"])
    lines = [
        f"# Calibration of {base.name} (ABC-SMC)",
        "",
        *headline(ident, check, ess, args.population),
        "",
        f"Command: `lpsa calibrate {' '.join(argv)}` (seed {args.seed}); "
        f"{meta['generations']} generations, {meta['total_simulations']:,} simulated particles "
        f"x {args.replications} replications, final epsilon {significant(meta['final_epsilon'])}, "
        f"effective sample size {meta['effective_sample_size']:.0f} of {args.population}; "
        f"{meta['seconds']:.0f} s for the fit. Posterior: `posterior.csv` (+ `posterior.json`); "
        f"pyabc's history: `abc.db`. P1 and P4 are measured by the "
        f"{describe_rule(ForecastRule(**meta['forecast_rule']))}.",
        "",
        "## Method",
        "",
        method_text(args, fitted, held),
        "",
        "## Epsilon per generation",
        "",
        "Epsilon is the distance a particle must not exceed to be accepted; the effective sample "
        "size of a population is 1 / sum of its squared normalised weights (`generations.csv`).",
        "",
        generations_view(gens).to_markdown(index=False),
        "",
        "## Identification",
        "",
        "Posterior median and 90 % interval (weighted 5 % and 95 % quantiles) of each parameter, "
        "and the interval's width over the prior's 90 % width (`identification.csv`).",
        "",
        identification_view(ident).to_markdown(index=False),
        "",
        "## Posterior predictive check",
        "",
        f"{args.check_worlds} worlds drawn from the posterior, {args.check_replications} "
        "replications each, and as many worlds drawn from the prior on the same random numbers "
        "(`predictive_check.csv`). *Held out*: not in the distance; "
        "*emergent*: not encoded by any input (a validation), *input check*: reproduced because a "
        "parameter says so. Worlds within tolerance: the share of worlds whose mean statistic is "
        "inside the band (level) or above the bound (direction); the prior's worlds within: the "
        "same share among worlds of the prior, the chance a check had of failing. The result "
        "judges the pooled runs as `lpsa validate` does.",
        "",
        check_view(check).to_markdown(index=False),
        "",
    ]
    return io.write_text(out / "calibration.md", "\n".join(lines))


# --- The command ------------------------------------------------------------------------------


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text[:50]!r}; allowed: a number >= 0") from None
    if not 0 <= value < np.inf:
        raise argparse.ArgumentTypeError(f"got {value}; allowed: a finite number >= 0")
    return value


def population_size(text: str) -> int:
    return whole_number(text, 2, 1_000_000, "a whole number from 2 to 1,000,000")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="lpsa calibrate",
        usage="lpsa calibrate [OPTIONS]  (see --help)",
        description="ABC-SMC calibration of the uncertain parameters against the fitted "
        "patterns, with a posterior predictive check of the held-out ones.",
    )
    add_analysis_arguments(ap)
    ap.add_argument(
        "--population", type=population_size, default=100, help="particles per generation (100)"
    )
    ap.add_argument(
        "--generations", type=positive_int, default=6, help="most generations (default 6)"
    )
    ap.add_argument(
        "--min-epsilon",
        type=non_negative_float,
        default=0.3,
        help="stop once a generation's epsilon is at most this (default 0.3)",
    )
    ap.add_argument(
        "--max-simulations",
        type=positive_int,
        default=3000,
        help="stop after the generation in which this many particles have been simulated, "
        "counting the prior sample (default 3000)",
    )
    ap.add_argument(
        "--hold-out",
        default=",".join(HELD_OUT),
        help=f"comma-separated pattern ids kept out of the fit and checked by posterior "
        f"prediction, or {NO_HOLD_OUT!r} (default {','.join(HELD_OUT)})",
    )
    ap.add_argument(
        "--check-worlds",
        type=positive_int,
        default=20,
        help="worlds drawn from the posterior, and as many from the prior, for the predictive "
        "check (default 20)",
    )
    ap.add_argument(
        "--check-replications",
        type=positive_int,
        default=4,
        help="replications of each world in the predictive check (default 4)",
    )
    add_forecast_arguments(ap)
    ap.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    return ap


def print_now(line: str) -> None:
    print(line, flush=True)


def check_seed(seed: int) -> int:
    """Master seed of the predictive check's runs: random numbers the fit never saw."""
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1, np.uint64)[0]) >> 1


def prior_worlds(params: Sequence[Uncertain], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` points drawn uniformly from the prior's ranges (stream ``[seed, 2]``)."""
    unit = np.random.default_rng(np.random.SeedSequence([int(seed), 2])).random((n, len(params)))
    return to_points(params, unit)


def check_corners(base: Scenario, params: Sequence[Uncertain]) -> None:
    """Refuse (exit 2) ranges the base scenario does not accept, at both ends."""
    for end in ("low", "high"):
        point = {p.path: getattr(p, end) for p in params}
        try:
            load_scenario(base, parameter_overrides(point))
        except ScenarioError as exc:
            raise ScenarioError(
                f"uncertainties: the {end} ends of the ranges do not fit scenario "
                f"{base.name!r}: {exc}"
            ) from None


def run_abc(
    base: Scenario,
    params: Sequence[Uncertain],
    fitted: Sequence[str],
    args: argparse.Namespace,
    db: Path,
    map_: Callable[..., Iterable[Any]],
    report: Report | None,
    measure: PatternValues = pattern_values,
) -> pyabc.History:
    """The ABC-SMC run, each particle measured by ``measure``; its history (also in ``db``,
    replaced if it exists)."""
    space = ParameterSpace(params)
    sampler = SeededMappingSampler(map_, args.seed, report)
    abc = pyabc.ABCSMC(
        PatternModel(base, space, args.replications, args.seed, measure),
        space.prior(),
        PatternDistance(fitted),
        population_size=args.population,
        transitions=DefensiveGaussian(),
        eps=pyabc.MedianEpsilon(),
        sampler=sampler,
    )
    db.unlink(missing_ok=True)
    np.random.seed(int(np.random.SeedSequence(args.seed).generate_state(1, np.uint32)[0]))
    abc.new(f"sqlite:///{db.resolve()}", evidence_values())
    return abc.run(
        minimum_epsilon=args.min_epsilon,
        max_nr_populations=args.generations,
        max_total_nr_simulations=args.max_simulations,
    )


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


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    held = parse_hold_out(args.hold_out)
    fitted = fitted_patterns(held)
    measure = PatternValues(forecast_rule(args))
    exp, params = load_uncertain(args.parameters)
    check_run_count("--max-simulations", args.max_simulations, args.replications, args.max_runs)
    check_run_count("--population", args.population, args.replications, args.max_runs)
    check_run_count("--check-worlds", args.check_worlds, args.check_replications, args.max_runs)
    base = exp.base
    check_corners(base, params)
    ctx = CommandContext("calibrate", argv, args.out, default=f"calibration-{base.name}")
    out = ctx.out
    silence_pyabc()
    say: Callable[[str], None] = (lambda _: None) if args.quiet else print_now
    say(
        f"calibrating {base.name}: {len(params)} parameters; fitting {', '.join(fitted)}; "
        f"holding out {', '.join(held)}"
    )

    def report(t: int, accepted: int, sims: int, eps: float | None) -> None:
        if t < 0:
            say(f"prior sample: {sims} particles (sets the first epsilon)")
        else:
            say(
                f"generation {t}: epsilon {significant(np.nan if eps is None else eps)}, "
                f"accepted {accepted} of {sims} ({pct(accepted / sims)})"
            )

    clock = time.perf_counter()
    with ctx.executor(args) as executor:
        try:
            history = run_abc(
                base,
                params,
                fitted,
                args,
                out / "abc.db",
                mapper(executor, ctx.health),
                report,
                measure,
            )
        except CalibrationRunFailed as exc:
            print(f"error: calibration stopped: {exc}", file=sys.stderr)
            return 1
        except BrokenExecutor as exc:
            raise WorkersLost(
                f"a worker process died during the calibration ({type(exc).__name__}); "
                "pyabc cannot resume a generation: run again"
            ) from None
        seconds = time.perf_counter() - clock
        gens = generations(history)
        done = gens[gens["generation"] >= 0]
        meta: dict[str, Any] = {
            "method": f"ABC-SMC (pyabc {pyabc.__version__}): median epsilon, defensive Gaussian "
            "proposal on the probit scale, seeded mapping sampler",
            "command": " ".join(["lpsa", "calibrate", *argv]),
            "seed": args.seed,
            "parameters_file": shown_path(args.parameters),
            "population_size": args.population,
            "generations": len(done),
            "max_generations": args.generations,
            "epsilons": [float(e) for e in done["epsilon"]],
            "final_epsilon": float(done["epsilon"].iloc[-1]),
            "min_epsilon": args.min_epsilon,
            "total_simulations": int(gens["simulations"].sum()),
            "max_simulations": args.max_simulations,
            "replications": args.replications,
            "held_out": list(held),
            "fitted": list(fitted),
            "forecast_rule": asdict(measure.rule),
            "distance": "root mean square of Pattern.distance over the fitted patterns; "
            f"an undefined statistic counts {NAN_DISTANCE:g}",
            "effective_sample_size": round(float(done["effective_size"].iloc[-1]), 1),
            "pyabc_version": pyabc.__version__,
            "seconds": round(seconds, 1),
            "created": provenance.now(),
        }
        posterior = posterior_from(history, ParameterSpace(params), base, meta)
        save_posterior(out / "posterior.csv", posterior)
        io.write_csv(out / "generations.csv", gens)
        ident = identification(posterior, params)
        io.write_csv(out / "identification.csv", ident)
        worlds = posterior.worlds(args.check_worlds, args.seed)
        points = [{k: float(row[k]) for k in posterior.parameters} for _, row in worlds.iterrows()]
        say(
            f"predictive check: {len(points)} worlds of the posterior and {len(points)} of the "
            f"prior x {args.check_replications} replications"
        )
        runs, prior_runs = (
            evaluate_points(
                base,
                worlds_of,
                args.check_replications,
                check_seed(args.seed),
                measure,
                executor,
                progress=None if args.quiet else label,
            )
            for worlds_of, label in (
                (points, "check"),
                (prior_worlds(params, args.check_worlds, args.seed), "prior"),
            )
        )
    check = predictive_check(runs, held, prior_runs)
    io.write_csv(out / "predictive_check.csv", check)
    path = write_report(out, base, args, argv, meta, gens, ident, check)
    ctx.record(
        identity=exp.identity(),
        seed=args.seed,
        population=args.population,
        generations=meta["generations"],
        replications=args.replications,
        total_simulations=meta["total_simulations"],
        held_out=list(held),
    )
    say(f"Report written to {path}")
    if meta["effective_sample_size"] < LOW_ESS_SHARE * args.population:
        say(
            f"caution: the posterior rests on {meta['effective_sample_size']:.0f} effective "
            f"particles of {args.population}; a larger --population sharpens it"
        )
    status, line = held_out_verdict(check)
    print(line)
    return status
