"""Which theory of change does the evidence favour, each theory at its best? (``lpsa toc``)

ABC model selection with pyabc's ABC-SMC (Toni et al. 2009): every theory of change in the
experiment file (``experiments/theory_of_change.yaml``: the null H0, government's H1, the
evaluation's H2, the reference, H3 and H4 off) is a model with its own prior, and one run
calibrates them together. The posterior probability of a theory is the share of the final
population's weight that it holds; with equal prior weights, the ratio of two theories'
probabilities is their Bayes factor.

1. A theory (``Theory``) is the base scenario with the variant's overrides fixed (its mechanism
   switches and the parameters it sets) and, as its prior, independent uniforms over every
   uncertain parameter of ``experiments/uncertain_parameters.yaml`` that the variant does not fix
   (``calibrate_setup.ParameterSpace``: a standard normal per parameter on the probit scale of
   its range). So each theory is judged at its own best parameters, not at the reference's.
2. A particle runs ``replications`` times on common random numbers, each run with its
   no-agreement twin (Boyne and Chen's panel, ``R-boyne_chen``, needs it, and it is the record
   that speaks most directly against the null); its statistics are the mean over runs of every
   pattern, observation and twin pattern of ``experiments/patterns.py``, and of the outcomes in
   ``PREDICTIONS`` (``TheoryMeasure``).
3. Distance (``evidence_distance``): the calibration's weighted root mean square of standardised
   distances (``Pattern.distance``, ``calibrate_setup.distance_weights``) over every pattern of
   the seeds and the councils' records, with Boyne and Chen's panel as one more pattern of
   weight 1. Nothing is held out: model selection weighs all the evidence.
4. Proposal: a theory is kept with probability 0.7 (pyabc's default model perturbation) and its
   parameters are drawn afresh from its prior (``PriorProposal``), so every particle of a theory
   in a generation carries the same weight, median epsilon, the calibration's seeded
   sampler (``calibrate_run.SeededMappingSampler``): the same seed gives the same probabilities
   whatever the number of workers.

``select`` returns a :class:`Selection`: the probabilities, the Bayes factors, each theory's
best worlds judged on each pattern (``pattern_support``), and for each pair of theories the
patterns that separate them or, where the evidence cannot, the prediction that would
(``compare_pair``). The report is ``model_selection_report.py``.

Caveat (Robert et al. 2011, PNAS 108:15112): ABC Bayes factors are exact only for sufficient
statistics; here they weigh the theories by how close each comes to the stated patterns, at the
final epsilon, and the Monte Carlo error of a probability is about ``sqrt(p (1 - p) / ESS)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.transition import Transition
from scipy.stats import norm

from lpsa.model import LPSAModel, Scenario, ScenarioError, load_scenario
from lpsa.model.outcomes import REGISTRY
from lpsa.model.scenario import parameter_overrides
from lpsa.model.single_run import run_outcomes

from .calibrate_run import Report, SeededMappingSampler
from .calibrate_setup import (
    NAN_DISTANCE,
    ParameterSpace,
    distance_weights,
    simulate,
)
from .design import Experiment
from .discrimination import independent_key
from .patterns import (
    FORECAST,
    OBSERVATIONS,
    PATTERNS,
    TWIN_PATTERNS,
    ForecastRule,
    Pattern,
    PatternValues,
)
from .posterior import effective_size
from .uncertainty import Uncertain

PREDICTIONS: tuple[str, ...] = tuple(REGISTRY)
"""Every registered outcome of a run (``model/outcomes.py``), recorded for every particle though
no evidence states them: where the evidence cannot separate two theories, the one that separates
their predictions most is the observation that would (``separating_observation``)."""

UNSEPARATED = 3.0
"""A Bayes factor below this (either way) is 'not worth more than a bare mention' (Kass and
Raftery 1995, J. Am. Stat. Assoc. 90:773): the evidence cannot separate the two theories."""

STRENGTH: tuple[tuple[float, str], ...] = (
    (3.0, "not worth more than a bare mention"),
    (20.0, "positive"),
    (150.0, "strong"),
    (np.inf, "very strong"),
)
"""Kass and Raftery's (1995) words for a Bayes factor, by its upper bound."""

SEPARATING_SHARE = 0.5
"""A pattern separates two theories when the shares of their best worlds within its tolerance
differ by at least this."""

SEPARATING_D = 1.0
"""A prediction separates two theories when their best worlds' means differ by at least this many
pooled standard deviations (Cohen's d)."""


@dataclass(frozen=True)
class Theory:
    """One theory of change as a model: its name and hypothesis (from the experiment file), the
    scenario values it fixes (dotted path -> value: its mechanism switches and the parameters it
    sets) and the uncertain parameters it leaves free (its prior)."""

    name: str
    hypothesis: str
    description: str
    fixed: Mapping[str, Any]
    params: tuple[Uncertain, ...]


def flatten(overrides: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested overrides -> {dotted path: value}."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def theories(exp: Experiment, params: Sequence[Uncertain]) -> list[Theory]:
    """Every variant of the theory-of-change experiment as a theory: its overrides fixed, every
    uncertain parameter it does not fix free."""
    out = []
    for v in exp.spec.variants:
        fixed = flatten(v.overrides)
        free = tuple(p for p in params if p.path not in fixed)
        out.append(Theory(v.name, v.hypothesis, " ".join(v.description.split()), fixed, free))
    return out


def check_theories(base: Scenario, models: Sequence[Theory], source: Path | str) -> None:
    """Refuse (``ScenarioError``, exit 2) a theory whose fixed values, with its free parameters at
    both ends of their ranges, the base scenario does not accept, naming the file and the
    variant; and fewer than two theories."""
    if len(models) < 2:
        raise ScenarioError(
            f"{source}: field 'variants': model selection needs at least two theories; "
            f"got {len(models)}"
        )
    for t in models:
        for end in ("low", "high"):
            values = {**t.fixed, **{p.path: getattr(p, end) for p in t.params}}
            try:
                load_scenario(base, parameter_overrides(values))
            except ScenarioError as exc:
                raise ScenarioError(
                    f"{source}: variant {t.name!r} (free parameters at the {end} ends of their "
                    f"ranges): {exc}"
                ) from None


def judged_patterns() -> list[Pattern]:
    """The patterns the distance weighs: the seeds' and the records' (``PATTERNS``) and Boyne and
    Chen's panel (``TWIN_PATTERNS``)."""
    return [*PATTERNS, *TWIN_PATTERNS]


def with_observed(observed: Mapping[str, float]) -> list[Pattern]:
    """``judged_patterns`` with each named level pattern's target moved to ``observed`` (a
    constructed case: data made by one theory). Raises ``ScenarioError`` for an unknown id or a
    direction pattern."""
    out = []
    known = {p.id for p in judged_patterns()}
    unknown = sorted(set(observed) - known)
    if unknown:
        raise ScenarioError(f"observed: unknown pattern {unknown[0]!r}; allowed: {sorted(known)}")
    for p in judged_patterns():
        if p.id in observed:
            if p.kind != "level":
                raise ScenarioError(f"observed: {p.id} is a direction pattern; allowed: levels")
            p = replace(p, target=float(observed[p.id]))
        out.append(p)
    return out


def evidence_distance(
    stats: Mapping[str, float],
    fitted: Sequence[str],
    patterns: Sequence[Pattern] | None = None,
) -> float:
    """Weighted root mean square of the patterns' standardised distances over ``fitted``: the
    calibration's ``pattern_distance`` over the seeds' and records' patterns, with each twin
    pattern (Boyne and Chen's panel) one more term of weight 1. ``patterns`` (default
    ``judged_patterns``) may move targets (``with_observed``)."""
    by_id = {p.id: p for p in (patterns or judged_patterns())}
    twin_ids = {p.id for p in TWIN_PATTERNS}
    weights = {**distance_weights([f for f in fitted if f not in twin_ids])}
    weights.update({f: 1.0 for f in fitted if f in twin_ids})
    total = sum(w * _squared(by_id[f], stats) for f, w in weights.items())
    return float(np.sqrt(total / sum(weights.values())))


def _squared(p: Pattern, stats: Mapping[str, float]) -> float:
    """One pattern's squared standardised distance (``Pattern.distance``); an undefined value
    counts ``NAN_DISTANCE``, as in the calibration."""
    value = float(stats.get(p.id, np.nan))
    d = p.distance(value) if np.isfinite(value) else NAN_DISTANCE
    return d * d if np.isfinite(d) else NAN_DISTANCE**2


class PriorProposal(Transition):
    """A theory's proposal of parameters: its prior (a standard normal per parameter on the
    probit scale, ``ParameterSpace``), whatever the last population.

    A theory's probability is the sum of its particles' importance weights (prior over proposal
    density). A proposal fitted to the last population, as the calibration's former
    ``DefensiveGaussian`` (diagonal normals, a tenth of draws from the prior), narrows in each of
    40-odd dimensions from a few dozen particles, and the density ratio then spans many orders of
    magnitude: measured on six theories, 60 particles, half the draws from the prior, one theory's
    probability came out 0.00007 from particles that fitted as well as the others'; with a tenth
    from the prior, one theory took 0.9997. Drawn from the prior, every particle of a theory in a
    generation has the same weight (pyabc's model factor), so its probability is its share of
    accepted particles corrected for how often it was proposed: sequential rejection ABC over the
    theories, at the cost of acceptance falling faster with epsilon. Draws use numpy's global
    generator, which the seeded sampler seeds per task."""

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        self.columns = list(X.columns)

    def rvs_single(self) -> pyabc.Parameter:
        z = np.random.standard_normal(len(self.columns))
        return pyabc.Parameter(dict(zip(self.columns, z)))

    def pdf(self, x: Mapping[str, float] | pd.DataFrame) -> float | np.ndarray:
        if isinstance(x, pd.DataFrame):
            return np.exp(norm.logpdf(x[self.columns].to_numpy(dtype=float)).sum(axis=1))
        return float(np.exp(norm.logpdf([float(x[k]) for k in self.columns]).sum()))


class EvidenceDistance(pyabc.Distance):
    """pyabc's distance: :func:`evidence_distance` over ``fitted`` (pyabc's 'observed' data is
    not used: each pattern carries its own target and tolerance)."""

    def __init__(self, fitted: Sequence[str], patterns: Sequence[Pattern] | None = None) -> None:
        super().__init__()
        self.fitted = tuple(fitted)
        self.patterns = list(patterns) if patterns is not None else None

    def __call__(
        self, x: dict, x_0: dict | None = None, t: int | None = None, par: dict | None = None
    ) -> float:
        return evidence_distance(x, self.fitted, self.patterns)


@dataclass(frozen=True)
class TheoryMeasure:
    """One run's statistics (with its no-agreement twin): every pattern, observation and twin
    pattern (the interim forecast by ``rule``), and the ``PREDICTIONS`` outcomes."""

    rule: ForecastRule = FORECAST

    def __call__(self, m: LPSAModel, twin: LPSAModel | None = None) -> dict[str, float]:
        values = PatternValues(self.rule)(m, twin)
        outcomes = run_outcomes(m, twin)
        return {**values, **{k: float(outcomes.get(k, np.nan)) for k in PREDICTIONS}}


def simulate_theory(
    base: Scenario,
    fixed: Mapping[str, Any],
    point: Mapping[str, float],
    replications: int,
    seed: int,
    measure: Callable[[LPSAModel, LPSAModel | None], dict[str, float]],
) -> dict[str, float]:
    """Mean statistics of a theory at ``point`` over ``replications`` runs, each with its twin, on
    common random numbers (replication ``r`` on ``replication_seed(seed, r)``), as the
    calibration's ``simulate`` takes them. A failed run raises ``CalibrationRunFailed``."""
    return simulate(base, {**fixed, **point}, replications, seed, measure, twins=True)


class TheoryModel(pyabc.Model):
    """pyabc's model of one theory (named by it): :func:`simulate_theory` at a particle."""

    def __init__(
        self,
        theory: Theory,
        base: Scenario,
        replications: int,
        seed: int,
        measure: Callable[[LPSAModel, LPSAModel | None], dict[str, float]],
    ) -> None:
        super().__init__(theory.name)
        self.theory = theory
        self.space = ParameterSpace(theory.params)
        self.base = base
        self.replications = replications
        self.seed = seed
        self.measure = measure

    def sample(self, pars: Mapping[str, float]) -> dict[str, float]:
        point = self.space.to_point(pars)
        return simulate_theory(
            self.base, self.theory.fixed, point, self.replications, self.seed, self.measure
        )


@dataclass(frozen=True)
class SelectionSettings:
    """What a model selection was asked for: master seed, replications per particle, population
    (all theories together) and the stopping rules."""

    seed: int
    replications: int
    population: int
    generations: int
    min_epsilon: float
    max_simulations: int


def run_selection(
    base: Scenario,
    models: Sequence[Theory],
    settings: SelectionSettings,
    db: Path,
    map_: Callable[..., Iterable[Any]],
    report: Report | None = None,
    rule: ForecastRule = FORECAST,
    patterns: Sequence[Pattern] | None = None,
) -> pyabc.History:
    """The ABC-SMC model selection of ``models`` (equal prior weights), its history also in
    ``db`` (replaced if it exists)."""
    pats = list(patterns) if patterns is not None else judged_patterns()
    fitted = [p.id for p in pats]
    measure = TheoryMeasure(rule)
    abc = pyabc.ABCSMC(
        [TheoryModel(t, base, settings.replications, settings.seed, measure) for t in models],
        [ParameterSpace(t.params).prior() for t in models],
        EvidenceDistance(fitted, pats),
        population_size=settings.population,
        transitions=[PriorProposal() for _ in models],
        eps=pyabc.MedianEpsilon(),
        sampler=SeededMappingSampler(map_, settings.seed, report),
    )
    db.unlink(missing_ok=True)
    np.random.seed(int(np.random.SeedSequence(settings.seed).generate_state(1, np.uint32)[0]))
    observed = {p.id: float(p.target if p.target is not None else p.low) for p in pats}
    abc.new(f"sqlite:///{db.resolve()}", observed)
    return abc.run(
        minimum_epsilon=settings.min_epsilon,
        max_nr_populations=settings.generations,
        max_total_nr_simulations=settings.max_simulations,
    )


@dataclass
class Selection:
    """What the evidence says of the theories (``select``)."""

    theories: list[Theory]
    probabilities: pd.Series
    """Posterior probability of each theory (final population), by name, summing to 1."""
    bayes_factors: pd.DataFrame
    """Row theory over column theory (equal prior weights): inf where the column has none."""
    support: pd.DataFrame
    """One row per theory: the generation of its best worlds, their effective size and mean
    distance, and per statistic its weighted mean (``<id>``), and per judged pattern the weighted
    share within tolerance (``<id>_within``)."""
    pairs: pd.DataFrame
    """One row per pair of theories (``compare_pair``)."""
    generations: pd.DataFrame
    """One row per population: epsilon, simulations, accepted, each theory's probability."""
    population: int
    effective_size: float
    """Effective sample size of the final population (Kish): a probability's Monte Carlo
    standard error is about ``sqrt(p (1 - p) / effective_size)``."""
    patterns: list[Pattern] = field(default_factory=judged_patterns)


def model_probabilities(history: pyabc.History, names: Sequence[str]) -> pd.DataFrame:
    """Each population's probability of each theory (columns by name, a theory without
    particles 0)."""
    probs = history.get_model_probabilities()
    probs = probs.reindex(columns=range(len(names)), fill_value=0.0).fillna(0.0)
    probs.columns = list(names)
    return probs


def bayes_factors(probabilities: pd.Series) -> pd.DataFrame:
    """Bayes factor of each row theory over each column theory from posterior probabilities with
    equal prior weights: their ratio; inf where only the column is zero, NaN where both are."""
    p = probabilities.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        bf = p[:, None] / p[None, :]
    return pd.DataFrame(bf, index=probabilities.index, columns=probabilities.index)


def strength(bf: float) -> str:
    """Kass and Raftery's words for a Bayes factor of at least 1."""
    return next(word for bound, word in STRENGTH if bf < bound)


def weighted_mean_sd(values: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and standard deviation over the finite values."""
    ok = np.isfinite(values)
    if not ok.any():
        return float("nan"), float("nan")
    v, ww = values[ok], w[ok] / w[ok].sum()
    mean = float(ww @ v)
    return mean, float(np.sqrt(ww @ (v - mean) ** 2))


def best_worlds(
    history: pyabc.History, m: int
) -> tuple[int, np.ndarray, list[dict[str, float]]] | None:
    """A theory's best worlds: its particles in the last population that has any, with their
    weights and statistics; None if it never had an accepted particle."""
    for t in range(history.max_t, -1, -1):
        w, stats = history.get_weighted_sum_stats_for_model(m=m, t=t)
        if len(stats):
            w = np.asarray(w, dtype=float)
            return t, w / w.sum(), list(stats)
    return None


def pattern_support(
    history: pyabc.History,
    models: Sequence[Theory],
    patterns: Sequence[Pattern],
    fitted: Sequence[str],
) -> pd.DataFrame:
    """One row per theory, from its best worlds (``best_worlds``): the generation, effective
    size and mean distance; per statistic (patterns, observations, predictions) the weighted mean
    and standard deviation; per judged pattern the weighted share within tolerance."""
    rows = []
    statistics = [
        *(p.id for p in patterns),
        *(p.id for p in OBSERVATIONS),
        *PREDICTIONS,
    ]
    for m, theory in enumerate(models):
        row: dict[str, Any] = {"theory": theory.name}
        found = best_worlds(history, m)
        if found is None:
            row.update(generation=np.nan, effective_size=0.0, distance=np.nan)
            rows.append(row)
            continue
        t, w, stats = found
        dist = np.array([evidence_distance(s, fitted, patterns) for s in stats])
        row.update(generation=t, effective_size=effective_size(w), distance=float(w @ dist))
        for k in statistics:
            values = np.array([float(s.get(k, np.nan)) for s in stats])
            row[k], row[f"{k}_sd"] = weighted_mean_sd(values, w)
        for p in patterns:
            within = np.array([p.within(float(s.get(p.id, np.nan))) for s in stats], dtype=float)
            row[f"{p.id}_within"] = float(w @ within)
        rows.append(row)
    return pd.DataFrame(rows).set_index("theory")


def separating_patterns(
    support: pd.DataFrame, a: str, b: str, patterns: Sequence[Pattern]
) -> list[str]:
    """The patterns on which the two theories' best worlds differ by ``SEPARATING_SHARE`` or more
    in the share within tolerance, largest difference first."""
    diffs = []
    for p in patterns:
        x, y = support.loc[a].get(f"{p.id}_within"), support.loc[b].get(f"{p.id}_within")
        if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
            continue
        if abs(x - y) >= SEPARATING_SHARE:
            diffs.append((-abs(x - y), p.id))
    return [pid for _, pid in sorted(diffs)]


def prediction_label(key: str) -> str:
    """A statistic's words: an observation's statistic or an outcome's label."""
    for p in OBSERVATIONS:
        if p.id == key:
            return f"{key} ({p.statistic})"
    return REGISTRY[key].label if key in REGISTRY else key


def separating_observation(support: pd.DataFrame, a: str, b: str) -> tuple[str, float] | None:
    """The statistic no evidence states (an observation or a ``PREDICTIONS`` outcome) whose means
    over the two theories' best worlds differ most in pooled standard deviations, with that
    difference (Cohen's d), if it is at least ``SEPARATING_D``."""
    best: tuple[str, float] | None = None
    for k in [*(p.id for p in OBSERVATIONS), *PREDICTIONS]:
        ma, mb = support.loc[a].get(k), support.loc[b].get(k)
        sa, sb = support.loc[a].get(f"{k}_sd"), support.loc[b].get(f"{k}_sd")
        if any(v is None or not np.isfinite(v) for v in (ma, mb, sa, sb)):
            continue
        pooled = np.sqrt((sa**2 + sb**2) / 2)
        d = abs(ma - mb) / pooled if pooled > 0 else (np.inf if ma != mb else 0.0)
        if d >= SEPARATING_D and (best is None or d > best[1]):
            best = (k, float(d))
    return best


def compare_pair(
    selection_probs: pd.Series,
    support: pd.DataFrame,
    a: str,
    b: str,
    patterns: Sequence[Pattern],
    population: int,
) -> dict[str, Any]:
    """Theories ``a`` and ``b`` (``a`` the more probable): the Bayes factor (a lower bound
    ``p_a * population`` where ``b`` has no particle left: fewer than one in ``population``),
    Kass and Raftery's word, whether the evidence separates them, whether it supports neither
    (``a`` below one particle's share), the patterns that separate their best worlds (and the
    independent pieces of evidence they make), and, where the evidence cannot separate two
    theories it does not reject, the prediction that would."""
    pa, pb = float(selection_probs[a]), float(selection_probs[b])
    bound = pb == 0 and pa > 0
    bf = pa * population if bound else (pa / pb if pb > 0 else float("nan"))
    separated = bool(np.isfinite(bf) and bf >= UNSEPARATED)
    neither = pa < 1.0 / population
    pats = separating_patterns(support, a, b, patterns)
    observation = None if separated or neither else separating_observation(support, a, b)
    return {
        "favoured": a,
        "other": b,
        "bayes_factor": bf,
        "lower_bound": bound,
        "strength": strength(bf) if np.isfinite(bf) else "",
        "separated": separated,
        "neither": neither,
        "patterns": " ".join(pats),
        "independent": " ".join(dict.fromkeys(independent_key(p) for p in pats)),
        "observation": observation[0] if observation else "",
        "observation_d": observation[1] if observation else np.nan,
    }


def generation_table(history: pyabc.History, names: Sequence[str]) -> pd.DataFrame:
    """One row per population: epsilon, simulations, accepted, and each theory's probability."""
    pops = history.get_all_populations().sort_values("t")
    pops = pops[pops["t"] >= 0]
    probs = model_probabilities(history, names)
    rows = []
    for t, eps, sims, accepted in zip(
        pops["t"], pops["epsilon"], pops["samples"], pops["particles"]
    ):
        row = {
            "generation": int(t),
            "epsilon": float(eps),
            "simulations": int(sims),
            "accepted": int(accepted),
        }
        row.update({n: float(probs.loc[int(t), n]) for n in names})
        rows.append(row)
    return pd.DataFrame(rows)


def summarise(
    history: pyabc.History,
    models: Sequence[Theory],
    population: int,
    patterns: Sequence[Pattern] | None = None,
) -> Selection:
    """The selection's findings from its pyabc history."""
    pats = list(patterns) if patterns is not None else judged_patterns()
    names = [t.name for t in models]
    probs = model_probabilities(history, names).loc[history.max_t]
    probs = probs / probs.sum()
    support = pattern_support(history, models, pats, [p.id for p in pats])
    order = list(probs.sort_values(ascending=False, kind="stable").index)
    pairs = pd.DataFrame(
        [compare_pair(probs, support, a, b, pats, population) for a, b in combinations(order, 2)]
    )
    return Selection(
        theories=list(models),
        probabilities=probs,
        bayes_factors=bayes_factors(probs),
        support=support,
        pairs=pairs,
        generations=generation_table(history, names),
        population=population,
        effective_size=effective_size(history.get_weighted_distances()["w"].to_numpy()),
        patterns=pats,
    )


def select(
    base: Scenario,
    models: Sequence[Theory],
    settings: SelectionSettings,
    db: Path,
    map_: Callable[..., Iterable[Any]] = map,
    report: Report | None = None,
    rule: ForecastRule = FORECAST,
    patterns: Sequence[Pattern] | None = None,
) -> Selection:
    """Run the model selection (``run_selection``) and summarise it (``summarise``), on the
    evidence (``judged_patterns``) or on ``patterns`` (a constructed case, e.g. targets moved by
    ``with_observed``)."""
    pats = list(patterns) if patterns is not None else judged_patterns()
    history = run_selection(base, models, settings, db, map_, report, rule, pats)
    return summarise(history, models, settings.population, pats)
