"""The best regime design across plausible worlds (``lpsa design``): levers, robustness, search.

A *design* sets the regime's levers (``LEVERS``: the PPG share, the PPG condition, stretch
ambition, the number of targets, the reward floor and its taper) over the actual rules
(``lpsa1_baseline``). Each design runs in every world drawn from the posterior, on common random
numbers (replication ``r`` of every design and world runs on the same seed), with the no-agreement
twin, and is judged on three objectives (``OBJECTIVES``): value for money (added gain kept three
years on per £m), targets met and cost (PPG and reward paid). A world's value is the mean over its
replications; a design's score on an objective is a *robustness measure* of its values across the
worlds (``MEASURES``): their mean, a pessimistic percentile, the largest regret (how far it falls
short of the best design in each world), or the share of worlds in which it does at least as well
as a threshold (by default the actual rules in the same world).

The search is Optuna's NSGA-II (``search``), multi-objective and seeded, in generations of
``population`` designs, each generation run as one batch through the runner. Its study lives in a
journal file, so an interrupted search resumes where it stopped: a generation asked but not told is
run again with the designs it had drawn, and each generation's sampler is seeded from the master
seed and the generation's number, so a resumed search draws the designs an uninterrupted one would.
While searching, regret is measured against the reference regimes (the actual rules and the named
regimes, fixed from the start); the report measures it against every design found.

Pure: the command is ``design_command.py``, the report ``regime_design_report.py``; see
docs/design.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import Scenario, ScenarioError
from lpsa.model.scenario import FundingParams, SchemeParams, StretchParams

from .runner import Design, Health, Outcomes, Point, require_success, run_table


@dataclass(frozen=True)
class Lever:
    """One lever of the regime: the scenario parameter at ``path``, searched over
    ``low``..``high`` (``allowed``: the widest range a user may ask for). ``relative``: the value
    multiplies the world's own value of the parameter (which the posterior sets), clipped to the
    schema's range."""

    path: str
    low: float
    high: float
    allowed: tuple[float, float]
    integer: bool = False
    relative: bool = False
    meaning: str = ""


def _schema_range(section: Any, name: str) -> tuple[float, float]:
    """The ``ge``..``le`` bounds of a scenario field, from model/scenario.py's schema."""
    low = high = None
    for item in section.model_fields[name].metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    return float(low), float(high)


AMBITION_FACTOR = (0.5, 1.5)
"""Stretch ambition is a factor on each world's calibrated ambition (LPSA1's, which the posterior
leaves uncertain, 0.80-1.30 in the shipped posterior): from half to one and a half times it."""


LEVERS: dict[str, Lever] = {
    lever.path: lever
    for lever in [
        Lever(
            "funding.ppg_share",
            *_schema_range(FundingParams, "ppg_share"),
            _schema_range(FundingParams, "ppg_share"),
            meaning="share of the money (PPG + maximum reward) paid up front as PPG (001:91)",
        ),
        Lever(
            "funding.ppg_coordination_min",
            *_schema_range(FundingParams, "ppg_coordination_min"),
            _schema_range(FundingParams, "ppg_coordination_min"),
            meaning="least share of PPG to be spent on co-ordinating posts (000:347)",
        ),
        Lever(
            "stretch.ambition",
            *AMBITION_FACTOR,
            AMBITION_FACTOR,
            relative=True,
            meaning="stretch ambition, times LPSA1's in each world (001:77)",
        ),
        Lever(
            "scheme.targets_per_authority",
            *_schema_range(SchemeParams, "targets_per_authority"),
            _schema_range(SchemeParams, "targets_per_authority"),
            integer=True,
            meaning="stretch targets per agreement (001:65)",
        ),
        Lever(
            "funding.payout_floor",
            *_schema_range(FundingParams, "payout_floor"),
            _schema_range(FundingParams, "payout_floor"),
            meaning="reward floor: share of stretch below which a target pays nothing",
        ),
        Lever(
            "funding.payout_cap",
            *_schema_range(FundingParams, "payout_cap"),
            _schema_range(FundingParams, "payout_cap"),
            meaning="reward taper: share of stretch at which the whole reward is paid (from the "
            "floor up to it, the share achieved over it)",
        ),
    ]
}
"""The levers ``lpsa design`` searches, by scenario path, with the schema's ranges."""


assert _schema_range(StretchParams, "ambition") == (0.5, 2.0)


@dataclass(frozen=True)
class Objective:
    """One thing a design is judged on: per run, ``value(row)`` of the runner's outcomes."""

    name: str
    label: str
    higher_is_better: bool
    unit: str


OBJECTIVES: tuple[Objective, ...] = (
    Objective("additional_gain_per_million", "value for money", True, "per £m"),
    Objective("targets_met_share", "targets met", True, "share"),
    Objective("cost", "cost (PPG + reward paid)", False, "£m"),
)
"""What a design is judged on: added gain kept 3 years on per £m (the registry's
``additional_gain_per_million``, with twins), the share of targets met and the money paid."""


RUN_OUTCOMES = ("additional_gain_per_million", "targets_met_share", "ppg_spent", "reward_paid")
"""The registered outcomes each run reports (``lpsa.model.outcomes.REGISTRY``)."""


MEASURES = ("mean", "percentile", "regret", "satisficing")
"""Robustness measures: across worlds, the mean; the ``q``-th percentile on the bad side (the
10th of a higher-is-better outcome, the 90th of a cost); the largest regret (minimax regret:
lower is better); the share of worlds at least as good as a threshold (satisficing)."""


def measure_is_higher_better(measure: str, objective: Objective) -> bool:
    """Whether a larger score is better: regret never, satisficing always, else the outcome's."""
    if measure == "regret":
        return False
    if measure == "satisficing":
        return True
    return objective.higher_is_better


def regret(values: np.ndarray, best: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Regret in each world: how far ``values`` (designs x worlds) fall short of ``best`` (one
    per world), never below zero."""
    gap = best[None, :] - values if higher_is_better else values - best[None, :]
    return np.maximum(gap, 0.0)


def best_per_world(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """The best of ``values`` (designs x worlds) in each world."""
    return values.max(axis=0) if higher_is_better else values.min(axis=0)


def robustness(
    values: np.ndarray,
    higher_is_better: bool,
    measure: str,
    q: float = 10.0,
    best: np.ndarray | None = None,
    threshold: np.ndarray | float | None = None,
) -> np.ndarray:
    """Each design's score across worlds: ``values`` is designs x worlds.

    ``mean``; ``percentile``: the ``q``-th percentile on the bad side; ``regret``: the largest
    regret against ``best`` per world (default: the best of ``values`` themselves); ``satisficing``:
    the share of worlds at least as good as ``threshold`` (a number, or one per world)."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if measure == "mean":
        return values.mean(axis=1)
    if measure == "percentile":
        return np.percentile(values, q if higher_is_better else 100.0 - q, axis=1)
    if measure == "regret":
        best = best_per_world(values, higher_is_better) if best is None else np.asarray(best)
        return regret(values, best, higher_is_better).max(axis=1)
    if measure == "satisficing":
        if threshold is None:
            raise ValueError("satisficing needs a threshold")
        limit = np.broadcast_to(np.asarray(threshold, dtype=float), values.shape[1:])
        ok = values >= limit[None, :] if higher_is_better else values <= limit[None, :]
        return ok.mean(axis=1)
    raise ValueError(f"measure {measure!r}; allowed: {', '.join(MEASURES)}")


def non_dominated(scores: np.ndarray, higher_is_better: Sequence[bool]) -> np.ndarray:
    """Which rows of ``scores`` (designs x objectives) no other row dominates: at least as good
    on every objective and better on one. Rows with a NaN are never non-dominated."""
    s = np.asarray(scores, dtype=float) * np.where(higher_is_better, 1.0, -1.0)[None, :]
    finite = np.isfinite(s).all(axis=1)
    keep = finite.copy()
    for i in np.flatnonzero(finite):
        others = s[finite]
        dominated = (others >= s[i]).all(axis=1) & (others > s[i]).any(axis=1)
        keep[i] = not dominated.any()
    return keep


# --- ranges ---------------------------------------------------------------------------------


def parse_range(text: str) -> tuple[str, float, float]:
    """``LEVER=LOW:HIGH`` (``--range``) as its parts, or a one-line ``ScenarioError``."""
    name, sep, span = text.partition("=")
    low, sep2, high = span.partition(":")
    try:
        if not (sep and sep2):
            raise ValueError
        return name.strip(), float(low), float(high)
    except ValueError:
        raise ScenarioError(
            f"--range: got {text!r}; allowed: LEVER=LOW:HIGH, e.g. funding.ppg_share=0.05:0.6"
        ) from None


def lever_ranges(overrides: Mapping[str, tuple[float, float]] | None = None) -> dict[str, Lever]:
    """The levers with the user's ranges (``--range``), each checked: a known lever, low <= high,
    inside its allowed range (whole numbers for a count), or a one-line ``ScenarioError``."""
    chosen = dict(LEVERS)
    for name, (low, high) in (overrides or {}).items():
        if name not in LEVERS:
            raise ScenarioError(f"--range: unknown lever {name!r}; allowed: {', '.join(LEVERS)}")
        lever = LEVERS[name]
        lo, hi = lever.allowed
        if not (np.isfinite(low) and np.isfinite(high) and lo <= low <= high <= hi):
            raise ScenarioError(
                f"--range {name}: got {low:g}:{high:g}; allowed: LOW <= HIGH within "
                f"{lo:g}:{hi:g}" + (" (times each world's value)" if lever.relative else "")
            )
        if lever.integer and (low != int(low) or high != int(high)):
            raise ScenarioError(
                f"--range {name}: got {low:g}:{high:g}; allowed: whole numbers within {lo:g}:{hi:g}"
            )
        chosen[name] = Lever(
            lever.path, low, high, lever.allowed, lever.integer, lever.relative, lever.meaning
        )
    return chosen


def check_levers(levers: Mapping[str, Lever], posterior_parameters: Sequence[str]) -> None:
    """Refuse an absolute lever that the posterior sets: each world would overwrite it."""
    clash = [p for p, lever in levers.items() if p in posterior_parameters and not lever.relative]
    if clash:
        raise ScenarioError(
            f"levers {', '.join(clash)}: the posterior sets them in every world, which would "
            "overwrite the design; allowed: levers the posterior does not set"
        )


# --- running designs ------------------------------------------------------------------------


def design_point(levers: Mapping[str, float], world: Mapping[str, float]) -> dict[str, Any]:
    """Scenario overrides for a design in a world: the world's parameters, then the levers (a
    relative lever multiplies the world's value, clipped to the schema's range)."""
    params: dict[str, Any] = dict(world)
    for path, value in levers.items():
        lever = LEVERS.get(path)
        if lever is not None and lever.relative:
            low, high = _schema_range(StretchParams, path.split(".")[-1])
            params[path] = float(np.clip(float(world.get(path, 1.0)) * value, low, high))
        elif lever is not None and lever.integer:
            params[path] = int(round(value))
        else:
            params[path] = float(value)
    return params


def run_values(runs: pd.DataFrame) -> pd.DataFrame:
    """Each run's objectives from its outcomes (cost: PPG and reward paid, in £m)."""
    out = runs[["point", "replication"]].copy()
    out["additional_gain_per_million"] = runs["additional_gain_per_million"].astype(float)
    out["targets_met_share"] = runs["targets_met_share"].astype(float)
    out["cost"] = (runs["ppg_spent"].astype(float) + runs["reward_paid"].astype(float)) / 1e6
    return out


@dataclass
class Evaluation:
    """What a batch of designs gives: ``values[objective]`` is designs x worlds (the mean over
    replications of each world)."""

    values: dict[str, np.ndarray]

    def design(self, i: int) -> dict[str, list[float]]:
        return {k: v[i].tolist() for k, v in self.values.items()}


Evaluator = Callable[[Sequence[tuple[str, Mapping[str, float]]]], Evaluation]
"""Runs designs, each ``(base, levers)``, in every world: the search's only access to the model."""


def model_evaluator(
    bases: Mapping[str, Scenario],
    worlds: pd.DataFrame,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    progress: str | None = None,
    health: Health | None = None,
) -> Evaluator:
    """An ``Evaluator`` that runs each design in each world ``replications`` times through the
    runner with twins; point ``d * worlds + w`` is design ``d`` in world ``w``, one design, so
    every design and world shares replication ``r``'s seed."""
    params = worlds.drop(columns="particle", errors="ignore")
    rows = [{k: float(v) for k, v in row.items()} for _, row in params.iterrows()]

    def evaluate(designs: Sequence[tuple[str, Mapping[str, float]]]) -> Evaluation:
        points = [
            Point(design_point(levers, world), base, base)
            for base, levers in designs
            for world in rows
        ]
        design = Design(dict(bases), points, replications, seed, twins=True)
        chunk = replications * max(1, 20 // replications)
        runs = run_table(design, Outcomes(RUN_OUTCOMES), executor, chunk, progress, health)
        per_point = run_values(require_success(runs)).groupby("point").mean()
        shape = (len(designs), len(rows))
        return Evaluation({o.name: per_point[o.name].to_numpy().reshape(shape) for o in OBJECTIVES})

    return evaluate


# --- the search -----------------------------------------------------------------------------


REFERENCES = ("lpsa1_baseline", "ppg_heavy", "reward_heavy")
"""The regimes every design is compared with: LPSA1's actual rules and the two named regimes."""


ACTUAL = "lpsa1_baseline"


@dataclass(frozen=True)
class Judging:
    """How designs are scored while searching: the robustness ``measure``, its percentile ``q``
    and satisficing thresholds by objective (absent: the actual rules' value in each world)."""

    measure: str = "mean"
    q: float = 10.0
    thresholds: Mapping[str, float] | None = None

    def threshold(self, objective: str, references: Mapping[str, Evaluation]) -> Any:
        given = dict(self.thresholds or {})
        if objective in given:
            return given[objective]
        return references[ACTUAL].values[objective][0]

    def scores(
        self, evaluation: Evaluation, references: Mapping[str, Evaluation], best: Any = None
    ) -> np.ndarray:
        """Designs x objectives; regret against ``best`` per objective (default: the best of the
        references in each world)."""
        cols = []
        for o in OBJECTIVES:
            values = evaluation.values[o.name]
            if best is None:
                ref = np.vstack([r.values[o.name] for r in references.values()])
                b = best_per_world(ref, o.higher_is_better)
            else:
                b = best[o.name]
            cols.append(
                robustness(
                    values,
                    o.higher_is_better,
                    self.measure,
                    self.q,
                    best=b,
                    threshold=self.threshold(o.name, references),
                )
            )
        return np.column_stack(cols)


def _sampler(seed: int, generation: int, population: int) -> Any:
    import optuna

    ss = np.random.SeedSequence([seed, generation])
    return optuna.samplers.NSGAIISampler(
        population_size=population, seed=int(ss.generate_state(1)[0])
    )


def _distributions(levers: Mapping[str, Lever]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    return {
        p: IntDistribution(int(lv.low), int(lv.high))
        if lv.integer
        else FloatDistribution(lv.low, lv.high)
        for p, lv in levers.items()
    }


def open_study(path: Path, identity: Mapping[str, Any]) -> Any:
    """The study in journal file ``path`` (created when new); refuse one of another identity."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(path)))
    directions = [
        "maximize" if measure_is_higher_better(identity["measure"], o) else "minimize"
        for o in OBJECTIVES
    ]
    study = optuna.create_study(
        study_name="lpsa-design", storage=storage, directions=directions, load_if_exists=True
    )
    wanted = json.loads(json.dumps(dict(identity), sort_keys=True, default=str))
    old = study.user_attrs.get("identity")
    if old is None:
        study.set_user_attr("identity", wanted)
    else:
        check_identity(path, old, wanted)
    return study


def check_identity(path: Path, old: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
    """Refuse to resume a study whose inputs differ, naming what changed."""
    wanted = json.loads(json.dumps(dict(wanted), sort_keys=True, default=str))
    if dict(old) != wanted:
        changed = sorted(k for k in set(old) | set(wanted) if old.get(k) != wanted.get(k))
        raise ScenarioError(
            f"{path}: a design study of other inputs (changed: {', '.join(changed)}); allowed: "
            "the same inputs to resume, another --out, or --overwrite"
        )


def stored_identity(path: Path) -> dict[str, Any] | None:
    """The inputs of the study in journal file ``path`` (None: no study there), read only."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if not Path(path).is_file():
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(path)))
    try:
        study = optuna.load_study(study_name="lpsa-design", storage=storage)
    except KeyError:
        return None
    return study.user_attrs.get("identity")


def reference_evaluations(study: Any, evaluate: Evaluator) -> dict[str, Evaluation]:
    """The reference regimes in every world, run once and kept in the study."""
    kept = study.user_attrs.get("references")
    if kept is None:
        ev = evaluate([(name, {}) for name in REFERENCES])
        kept = {name: ev.design(i) for i, name in enumerate(REFERENCES)}
        study.set_user_attr("references", kept)
    return {
        name: Evaluation({k: np.asarray([v], dtype=float) for k, v in kept[name].items()})
        for name in REFERENCES
    }


def search(
    study: Any,
    levers: Mapping[str, Lever],
    evaluate: Evaluator,
    judging: Judging,
    trials: int,
    population: int,
    seed: int,
    say: Callable[[str], None] | None = None,
) -> Any:
    """Run NSGA-II until the study holds ``trials`` finished designs, a generation of
    ``population`` at a time (the last may be smaller); a generation asked but not told (an
    interrupted run) is run again first with the designs it drew. Each design's values in every
    world are kept as its ``worlds`` user attribute. Returns the study."""
    import optuna
    from optuna.trial import Trial, TrialState

    references = reference_evaluations(study, evaluate)
    dists = _distributions(levers)
    while True:
        all_trials = study.get_trials(deepcopy=False)
        pending = [t for t in all_trials if t.state == TrialState.RUNNING]
        finished = [t for t in all_trials if t.state.is_finished()]
        if pending:
            batch = [(t.number, Trial(study, t._trial_id), dict(t.params)) for t in pending]
        else:
            if len(finished) >= trials:
                return study
            generation = len(finished) // population
            study.sampler = _sampler(seed, generation, population)
            batch = []
            for _ in range(min(population, trials - len(finished))):
                trial = study.ask(dists)
                batch.append((trial.number, trial, dict(trial.params)))
        if say is not None:
            say(f"designs {len(finished) + 1}-{len(finished) + len(batch)} of {trials}")
        ev = evaluate([("lpsa1_baseline", params) for _, _, params in batch])
        scores = judging.scores(ev, references)
        for i, (number, trial, _) in enumerate(batch):
            trial.set_user_attr("worlds", ev.design(i))
            if np.isfinite(scores[i]).all():
                study.tell(number, scores[i].tolist())
            else:
                study.tell(number, state=optuna.trial.TrialState.FAIL)


# --- after the search -------------------------------------------------------------------------


@dataclass
class Results:
    """Every finished design and reference, judged together."""

    designs: pd.DataFrame  # one row per design: kind, name, levers, scores per measure
    values: dict[str, np.ndarray]  # objective -> (designs incl. references) x worlds
    judging: Judging
    recommended: int  # row of ``designs``
    recommended_reason: str


def reference_levers(scenario: Scenario, levers: Mapping[str, Lever]) -> dict[str, float]:
    """A reference regime's levers as its scenario sets them (a relative lever: 1, the world's
    own; the rules' PPG split, which no share names: NaN)."""
    from .compare import value_at

    tree = scenario.model_dump()
    out = {}
    for path, lever in levers.items():
        value = 1.0 if lever.relative else value_at(tree, path)
        out[path] = float("nan") if value is None else float(value)
    return out


def collect(
    study: Any,
    levers: Mapping[str, Lever],
    references: Mapping[str, Mapping[str, float]] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The references (with their ``references`` levers, when given) and the study's completed
    designs: one row each (kind, name, levers) and their values per objective (rows x worlds)."""
    from optuna.trial import TrialState

    refs = study.user_attrs["references"]
    rows: list[dict[str, Any]] = []
    per: dict[str, list[list[float]]] = {o.name: [] for o in OBJECTIVES}
    for name in REFERENCES:
        known = dict((references or {}).get(name, {}))
        rows.append({"kind": "reference", "name": name, "trial": -1, **known})
        for o in OBJECTIVES:
            per[o.name].append(refs[name][o.name])
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        rows.append({"kind": "design", "name": f"design {t.number}", "trial": t.number, **t.params})
        for o in OBJECTIVES:
            per[o.name].append(t.user_attrs["worlds"][o.name])
    frame = pd.DataFrame(rows)
    for p in levers:
        if p not in frame:
            frame[p] = np.nan
    return frame, {k: np.asarray(v, dtype=float) for k, v in per.items()}


def judge(
    frame: pd.DataFrame, values: Mapping[str, np.ndarray], judging: Judging, primary: str = ""
) -> Results:
    """Every measure of every row on every objective (``<objective>_<measure>``; regret against
    the best of all rows in each world; satisficing against the judging's thresholds), the
    non-dominated designs under the chosen measure, and the recommendation: of the non-dominated
    designs at least as good as the actual rules on every objective but the primary one (value for
    money), the best on the primary; none such: the best non-dominated design on the primary."""
    primary = primary or OBJECTIVES[0].name
    out = frame.copy()
    actual = int(np.flatnonzero(out["name"].to_numpy() == ACTUAL)[0])
    refs = {ACTUAL: Evaluation({k: v[actual : actual + 1] for k, v in values.items()})}
    for o in OBJECTIVES:
        v = values[o.name]
        for m in MEASURES:
            threshold = judging.threshold(o.name, refs)
            out[f"{o.name}_{m}"] = robustness(
                v, o.higher_is_better, m, judging.q, threshold=threshold
            )
    cols = [f"{o.name}_{judging.measure}" for o in OBJECTIVES]
    better = [measure_is_higher_better(judging.measure, o) for o in OBJECTIVES]
    is_design = (out["kind"] == "design").to_numpy()
    scores = out[cols].to_numpy(dtype=float)
    nd = np.zeros(len(out), dtype=bool)
    nd[is_design] = non_dominated(scores[is_design], better)
    out["non_dominated"] = nd
    k = [o.name for o in OBJECTIVES].index(primary)
    sign = np.where(better, 1.0, -1.0)
    signed = scores * sign[None, :]
    others = [j for j in range(len(OBJECTIVES)) if j != k]
    fit = nd & (signed[:, others] >= signed[actual, others][None, :]).all(axis=1)
    pool = fit if fit.any() else nd
    reason = (
        "best on value for money among the non-dominated designs at least as good as the actual "
        "rules on the other objectives"
        if fit.any()
        else "best on value for money among the non-dominated designs (none is at least as good "
        "as the actual rules on every other objective)"
    )
    if not pool.any():
        raise ScenarioError("no design finished with every measure defined; allowed: more --trials")
    candidates = np.flatnonzero(pool)
    best = int(candidates[np.argmax(signed[candidates, k])])
    out["recommended"] = np.arange(len(out)) == best
    return Results(out, dict(values), judging, best, reason)


def wins_against(
    values: Mapping[str, np.ndarray], row: int, other: int
) -> dict[str, tuple[int, int]]:
    """Per objective: worlds in which row ``row`` does strictly better than row ``other``, of the
    worlds where both are defined."""
    out = {}
    for o in OBJECTIVES:
        a, b = values[o.name][row], values[o.name][other]
        ok = np.isfinite(a) & np.isfinite(b)
        better = a[ok] > b[ok] if o.higher_is_better else a[ok] < b[ok]
        out[o.name] = (int(better.sum()), int(ok.sum()))
    return out
