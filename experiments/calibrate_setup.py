"""The calibration's setup: what is fitted, the distance, the prior and the proposal, and how a
particle is simulated (``lpsa calibrate``, documented in docs/calibration.md).

1. Prior: independent uniforms over the ranges of ``experiments/uncertain_parameters.yaml``, seen
   by pyabc on the probit scale of each range (``ParameterSpace``).
2. A particle (one parameter set) runs ``replications`` times on common random numbers
   (replication ``r`` on ``replication_seed(seed, r)`` for every particle); its summary statistics
   are the mean over those runs of every pattern statistic of ``experiments/patterns.py``
   (``simulate``, ``PatternModel``).
3. Distance: the root mean square of the patterns' standardised distances from the evidence
   (``Pattern.distance``), over the *fitted* patterns only; a statistic that is undefined (NaN)
   counts as ``NAN_DISTANCE`` (``pattern_distance``). The *held-out* patterns (``HELD_OUT`` by
   default, ``parse_hold_out``) never enter it.
4. Proposal: ``ShapedGaussian``, a normal with the last population's mean and covariance, no
   wider than the prior in any direction, with a wider tail component.

A run that raises stops the calibration with :class:`CalibrationRunFailed`, naming the parameters
and the seed (exit status 1): a parameter set inside the prior's ranges that cannot run is a bug to
fix, not a particle to reject quietly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
from pyabc.transition import Transition
from scipy.special import ndtr

from lpsa.model import (
    LPSAModel,
    Scenario,
    ScenarioError,
    load_scenario,
    replication_seed,
    run_pair,
)
from lpsa.model.scenario import parameter_overrides

from .formatting import assignments
from .patterns import PATTERNS, PatternValues, pattern_values
from .uncertainty import Uncertain

HELD_OUT: tuple[str, ...] = ("P1a", "P1b", "P1c")
"""Patterns kept out of the distance by default and checked by posterior prediction: the interim
forecast (001:127), emergent, and the only patterns that worlds of the prior fail. Over 100 worlds
drawn from the prior of ``uncertain_parameters.yaml`` (4 replications each), P1a was within
tolerance in 37 % of them, P1b in 54 %, P1c in 14 %, and every other pattern in all 100: a
held-out check of any of those could not fail. Held out by default, the forecast tests whether
the other patterns predict it; ``--hold-out none`` fits it instead."""


NO_HOLD_OUT = "none"
"""``--hold-out none``: every pattern is fitted and nothing is checked out of sample."""


NAN_DISTANCE = 10.0
"""Standardised distance of a statistic that is undefined (NaN) in a particle's runs."""


CORE_WIDEN = 1.5
"""``ShapedGaussian``: factor on the population's principal variances in the proposal's core
(capped at the prior's 1)."""


TAIL_WIDEN = 4.0
"""``ShapedGaussian``: factor on the population's principal variances in the proposal's wide tail
component (capped at the prior's 1)."""


MIN_SHRINK = 0.5
"""``ShapedGaussian``: least shrinkage of the population's covariance toward its diagonal."""


TAIL_SHARE = 0.1
"""``ShapedGaussian``: share of proposals drawn from the wide tail component."""


MIN_PROPOSAL_SD = 0.01
"""Floor of the proposal's standard deviations (probit scale; the prior's is 1)."""


MODEL_NAME = "lpsa"


class CalibrationRunFailed(RuntimeError):
    """A particle's run raised; the message names the parameters, replication and seed."""


@dataclass(frozen=True)
class CalibrationSettings:
    """What a calibration was asked for (``lpsa calibrate``'s options): the experiment file of
    uncertain parameters, the master seed and replications per particle, the population size and
    the stopping rules of the fit, and the worlds and replications of the predictive check."""

    parameters: Path
    seed: int
    replications: int
    population: int
    generations: int
    min_epsilon: float
    max_simulations: int
    check_worlds: int
    check_replications: int


def pattern_ids() -> list[str]:
    """Every pattern's id, in ``PATTERNS`` order."""
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


class ShapedGaussian(Transition):
    """pyabc's proposal (transition) from one population to the next, shaped like the population.

    On the probit scale the prior is a standard normal in every direction. The proposal is a
    mixture: with probability ``1 - TAIL_SHARE`` a normal with the last population's weighted mean
    and covariance (its correlations included), each principal variance ``lambda`` widened to
    ``min(1, CORE_WIDEN * lambda)``; otherwise the same normal with ``min(1, TAIL_WIDEN * lambda)``.
    A particle's importance weight is prior / proposal density.

    Why this shape (docs/calibration.md, *The proposal*): most of the parameters are not identified,
    so in most directions the posterior is the prior, and any mismatch there multiplies over
    40-odd directions into importance weights that span orders of magnitude. Capping every
    variance at the prior's 1 keeps the proposal equal to the prior in those directions; widening
    only the narrow directions lets the proposal cover where the next population lies; the wider
    tail component bounds the weights without the rare, heavy particles that a share of draws from
    the whole prior gave (``DefensiveGaussian`` before 2026-12-05: effective sample size 3 of 400).
    The covariance is shrunk toward its diagonal by ``min(1, d / ESS)`` (``d`` parameters, ``ESS``
    the population's effective sample size), and at least by ``MIN_SHRINK``: a few hundred
    particles do not fix ``d * (d - 1) / 2`` correlations (the sample eigenvalues of a
    55-dimensional identity from 400 particles spread from 0.39 to 1.88), and a spurious narrow
    direction makes the proposal narrower than the prior where the posterior is not. Draws use
    numpy's global generator, which :func:`accept_one` seeds per task.
    """

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        x = X.to_numpy(dtype=float)
        w = np.asarray(w, dtype=float) / np.sum(w)
        self.columns = list(X.columns)
        self.mean = w @ x
        ess = 1.0 / float(np.sum(w**2))
        centred = x - self.mean
        cov = (centred * w[:, None]).T @ centred / max(1.0 - 1.0 / ess, 1e-12)
        shrink = max(MIN_SHRINK, min(1.0, len(self.columns) / ess))
        cov = (1.0 - shrink) * cov + shrink * np.diag(np.diag(cov))
        lam, self.axes = np.linalg.eigh(cov)
        lam = np.maximum(lam, MIN_PROPOSAL_SD**2)
        self.variances = np.stack(
            [np.minimum(1.0, CORE_WIDEN * lam), np.minimum(1.0, TAIL_WIDEN * lam)]
        )

    def rvs_single(self) -> pyabc.Parameter:
        eps = np.random.standard_normal(len(self.columns))
        component = int(np.random.uniform() < TAIL_SHARE)
        z = self.mean + self.axes @ (np.sqrt(self.variances[component]) * eps)
        return pyabc.Parameter(dict(zip(self.columns, z)))

    def _density(self, z: np.ndarray) -> np.ndarray:
        y = (z - self.mean) @ self.axes
        logs = [-0.5 * np.sum(y**2 / v + np.log(2 * np.pi * v), axis=1) for v in self.variances]
        return np.exp(np.logaddexp(np.log1p(-TAIL_SHARE) + logs[0], np.log(TAIL_SHARE) + logs[1]))

    def pdf(self, x: Mapping[str, float] | pd.DataFrame) -> float | np.ndarray:
        if isinstance(x, pd.DataFrame):
            return self._density(x[self.columns].to_numpy(dtype=float))
        z = np.array([[float(x[k]) for k in self.columns]])
        return float(self._density(z)[0])


def finite_mean(values: Iterable[float]) -> float:
    """Mean of the finite values; NaN when there are none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def simulate(
    base: Scenario,
    point: Mapping[str, float],
    replications: int,
    seed: int,
    measure: Callable[[LPSAModel, LPSAModel | None], dict[str, float]] = pattern_values,
    twins: bool = False,
) -> dict[str, float]:
    """Every pattern statistic at ``point`` (dotted path -> value), as ``measure`` takes them,
    averaged over ``replications`` runs on common random numbers (replication ``r`` on
    ``replication_seed(seed, r)``), each with its no-agreement twin when ``twins``; a statistic
    undefined in some runs is the mean of the others, NaN if undefined in all. A failure raises
    :class:`CalibrationRunFailed`."""
    try:
        scenario = load_scenario(base, parameter_overrides(point))
    except ScenarioError as exc:
        raise CalibrationRunFailed(f"parameters {assignments(point)}: {exc}") from None
    runs = []
    for r in range(replications):
        s = replication_seed(seed, r)
        try:
            model, twin = run_pair(scenario, s, twins)
            runs.append(measure(model, twin))
            for run in (model, twin):
                if run is not None:
                    run.release()
        except Exception as exc:
            reason = " ".join(str(exc).split())[:300]
            raise CalibrationRunFailed(
                f"a run failed at {assignments(point)}, replication {r} (seed {s}): "
                f"{type(exc).__name__}: {reason}"
            ) from None
    return {k: finite_mean(run[k] for run in runs) for k in runs[0]}


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
