"""Two regimes on the same plausible worlds (``lpsa compare A B``): the runs and what they show.

One parameter set answers "does A sustain more improvement than B?" with a narrow interval, because
common random numbers remove most of the replication noise; across the parameter sets that the
evidence allows, the answer can flip. ``run_worlds`` runs A and B in every world (parameter sets
drawn from a posterior ensemble, ``experiments/posterior.py``) ``replications`` times on common
random numbers (replication ``r`` of every world and regime runs on the same seed, with the
no-agreement twin when asked); ``world_table`` and ``comparison_table`` give, per registered
outcome, how the paired difference A - B is spread across worlds, kept apart from the replication
noise within a world.

Robustness of a headline outcome: the share of worlds in which the regime that wins in most worlds
does better (ties count against it), with a 95 % Jeffreys interval on that share
(``SHARE_INTERVAL``: the worlds are a sample of the posterior, so the share is an estimate). A
word is given only when the whole interval is on one side of a cut-off: at least ``ROBUST``
(95 %) *robust*, from ``FAIRLY_ROBUST`` (80 %) to below 95 % *fairly robust*, below 80 % *depends
on the world*; an interval across a cut-off is *borderline*, naming the two words it lies between
(``Finding``).
Another draw of worlds (``--seed``, ``--worlds``) can then move a finding between a word and a
borderline next to it, but not from one word to another unless the intervals do not overlap. What
flips the main outcome (``what_flips``): PRIM scenario discovery (``experiments/discover.py``) over
the ``PRIM_INPUTS`` world parameters most associated with the worlds in which the other regime does
better (the cases of interest); with fewer than ``MIN_FLIP_CASES`` such worlds, the parameters most
correlated with the difference (Spearman) instead.

Pure: the report (``comparison.md``, ``comparison.png`` and the tables) is ``compare_report.py``,
the command ``compare_command.py``; see docs/compare.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import REGISTRY, Scenario, ScenarioError
from lpsa.model.outcomes import Direction, outcome_names
from lpsa.model.scenario import read_yaml_mapping, resolve_scenario_path

from .discover import discover
from .runner import Design, Health, Point, require_success, run_table

ROBUST = 0.95
"""At least this share of the posterior's worlds, the whole interval: *robust*."""


FAIRLY_ROBUST = 0.80
"""At least this share, the whole interval (and not all of it at ``ROBUST`` or more): *fairly
robust*; the whole interval below it: *depends on the world*."""


SHARE_INTERVAL = 0.95
"""The interval on a share of worlds: the central 95 % of Beta(k + 1/2, n - k + 1/2), Jeffreys'
interval for k successes in n draws (0 as its lower end when k = 0, 1 as its upper when k = n);
it covers close to its nominal level even near 0 and 1 (Brown, Cai and DasGupta 2001)."""


MIN_FLIP_CASES = 3
"""Fewest worlds of the minority sign for PRIM; with fewer, correlations are reported instead."""


FLIP_MIN_DENSITY = 0.8
"""The PRIM box chosen is the largest (by coverage) in which the other regime wins in at least
80 % of the worlds (the densest box if none does), as ``lpsa discover`` chooses by default."""


FLIP_MASS_MIN = 0.05


PRIM_INPUTS = 4
"""PRIM looks at the parameters most associated with the minority worlds (|Spearman rho| with
the case indicator), at most this many: with tens of worlds and tens of parameters, PRIM on all
of them peels on chance and returns boxes of many meaningless restrictions (the EMA Workbench
screens with feature scoring first for the same reason)."""


INTERVAL = 0.90
"""Replication interval: a 90 % Student t interval of a world's mean paired difference."""


REGIMES = ("A", "B")


def base_scenario_name(ref: str | Path) -> str:
    """The scenario at the root of ``ref``'s ``extends:`` chain (``ppg_heavy`` ->
    ``lpsa1_baseline``): the base whose shipped posterior is the default."""
    path = resolve_scenario_path(ref)
    seen = {path}
    while True:
        data = read_yaml_mapping(path)
        parent = data.get("extends")
        if not isinstance(parent, str):
            return str(data.get("name", path.stem))
        path = resolve_scenario_path(parent, path.parent)
        if path in seen:  # load_scenario refuses cycles first; never loop here
            return path.stem
        seen.add(path)


def value_at(tree: Any, path: str) -> Any:
    """The value at dotted ``path`` of nested dicts (``Scenario.model_dump()``), or None."""
    node = tree
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def check_shared_parameters(a: Scenario, b: Scenario, parameters: Sequence[str]) -> None:
    """Refuse scenarios that set a posterior parameter to different values: each world sets it
    for both, so the difference between the regimes would be overwritten."""
    da, db = a.model_dump(), b.model_dump()
    clash = [p for p in parameters if value_at(da, p) != value_at(db, p)]
    if clash:
        shown = ", ".join(f"{p} ({value_at(da, p)!r} vs {value_at(db, p)!r})" for p in clash[:5])
        raise ScenarioError(
            f"{a.name} and {b.name} differ on posterior parameters: {shown}; every world sets "
            "these, which would overwrite the difference between the regimes; allowed: "
            "scenarios that differ only in parameters the posterior does not set"
        )


def display_names(a: Scenario, b: Scenario) -> tuple[str, str]:
    """The regimes' names for people; the same scenario twice becomes 'x (A)' and 'x (B)'."""
    if a.name == b.name:
        return f"{a.name} (A)", f"{b.name} (B)"
    return a.name, b.name


def comparison_design(
    a: Scenario,
    b: Scenario,
    worlds: pd.DataFrame,
    replications: int,
    seed: int,
    twins: bool,
) -> Design:
    """Points world 0 A, world 0 B, world 1 A, ...: point ``2 w + k`` is world ``w`` under regime
    ``k``. One design, so replication ``r`` of every point runs on the same seed."""
    name_a, name_b = display_names(a, b)
    params = worlds.drop(columns="particle")
    points = []
    for _, row in params.iterrows():
        world = {k: float(v) for k, v in row.items()}
        points += [Point(world, name_a, "A"), Point(world, name_b, "B")]
    return Design({"A": a, "B": b}, points, replications, seed, twins)


def label_runs(runs: pd.DataFrame, worlds: pd.DataFrame) -> pd.DataFrame:
    """The runner's table with ``world``, ``regime`` (A or B) and ``particle`` columns."""
    world = runs["point"].to_numpy() // len(REGIMES)
    labelled = runs.copy()
    labelled.insert(1, "world", world)
    labelled.insert(2, "regime", np.array(REGIMES)[runs["point"].to_numpy() % len(REGIMES)])
    labelled.insert(3, "particle", worlds["particle"].to_numpy()[world])
    return labelled


def run_worlds(
    a: Scenario,
    b: Scenario,
    worlds: pd.DataFrame,
    replications: int,
    seed: int,
    twins: bool,
    executor: Executor | None = None,
    progress: str | None = None,
    health: Health | None = None,
) -> pd.DataFrame:
    """Every world x regime x replication through the runner; one row per run, labelled. A
    failed run stops the comparison with its error (a paired difference needs both runs)."""
    design = comparison_design(a, b, worlds, replications, seed, twins)
    chunk = replications * max(1, 20 // replications)
    runs = run_table(design, None, executor, chunk, progress=progress, health=health)
    return label_runs(require_success(runs), worlds)


def half_width(count: pd.Series, sd: pd.Series) -> pd.Series:
    """Half-width of the ``INTERVAL`` Student t interval of a mean of ``count`` values with
    standard deviation ``sd`` (NaN for fewer than two)."""
    from scipy.stats import t

    n = count.astype(float)
    q = pd.Series(t.ppf(0.5 + INTERVAL / 2, np.where(n >= 2, n - 1, np.nan)), index=n.index)
    return q * sd / np.sqrt(n)


def world_table(
    runs: pd.DataFrame, outcomes: Sequence[str], worlds: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per world: its parameters (from ``worlds``), then per outcome the mean of A and of
    B and the mean paired difference A - B over the replications where both are defined
    (``<outcome>_a``, ``_b``, ``_difference``), and the half-width of that mean's 90 % interval
    over replications (``_half_width``: the replication noise).

    ``runs`` has columns ``world``, ``regime`` ("A" or "B"), ``replication`` and the outcomes.
    """
    index = pd.Index(
        range(len(worlds)) if worlds is not None else sorted(runs["world"].unique()), name="world"
    )
    by = ["world", "replication"]
    a = runs[runs["regime"] == "A"].set_index(by).sort_index()
    b = runs[runs["regime"] == "B"].set_index(by).sort_index()
    columns: dict[str, pd.Series] = {}
    for o in outcomes:
        va = a[o].astype(float)
        vb = b[o].astype(float).reindex(va.index)
        both = va.notna() & vb.notna()
        diff = (va - vb)[both].groupby(level="world")
        columns[f"{o}_a"] = va[both].groupby(level="world").mean()
        columns[f"{o}_b"] = vb[both].groupby(level="world").mean()
        columns[f"{o}_difference"] = diff.mean()
        columns[f"{o}_half_width"] = half_width(diff.count(), diff.std(ddof=1))
    table = pd.DataFrame({k: v.reindex(index) for k, v in columns.items()}, index=index)
    if worlds is not None:
        table = pd.concat([worlds.set_axis(index), table], axis=1)
    return table.reset_index()


def _quantile(values: pd.Series, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def comparison_table(
    per_world: pd.DataFrame, outcomes: Sequence[str], names: tuple[str, str] = ("A", "B")
) -> pd.DataFrame:
    """One row per outcome: medians across worlds of A, B and the world's mean paired difference;
    its 5th and 95th percentiles across worlds (``low``, ``high``); the shares of worlds in which
    A, or B, does better (NaN for outcomes with no better side) and in which A is higher;
    ``worlds`` (all) and ``worlds_defined`` (with a difference, the shares' denominator); and the
    median replication half-width."""
    rows = []
    for o in outcomes:
        spec = REGISTRY[o]
        d = per_world[f"{o}_difference"].dropna()
        a_wins, b_wins = wins(d, spec.direction)
        judged = len(d) > 0 and spec.direction != "neither"  # no better side: no share
        rows.append(
            {
                "outcome": o,
                "label": spec.label,
                "unit": spec.unit,
                "direction": spec.direction,
                "headline": spec.headline,
                "scenario_a": names[0],
                "scenario_b": names[1],
                "median_a": per_world[f"{o}_a"].median(),
                "median_b": per_world[f"{o}_b"].median(),
                "median_difference": d.median() if len(d) else float("nan"),
                "low": _quantile(d, 5),
                "high": _quantile(d, 95),
                "share_a_better": float(a_wins.mean()) if judged else float("nan"),
                "share_b_better": float(b_wins.mean()) if judged else float("nan"),
                "share_a_higher": float((d > 0).mean()) if len(d) else float("nan"),
                "worlds": len(per_world),
                "worlds_defined": len(d),
                "replication_half_width": per_world[f"{o}_half_width"].median(),
            }
        )
    return pd.DataFrame(rows)


def share_interval(k: int, n: int, level: float = SHARE_INTERVAL) -> tuple[float, float]:
    """Jeffreys' interval on a share of ``k`` of ``n`` worlds (NaN, NaN for none)."""
    from scipy.stats import beta

    if n <= 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2
    low = 0.0 if k <= 0 else float(beta.ppf(tail, k + 0.5, n - k + 0.5))
    high = 1.0 if k >= n else float(beta.ppf(1.0 - tail, k + 0.5, n - k + 0.5))
    return low, high


def robustness(low: float, high: float) -> str:
    """The word for a finding whose share of worlds lies in the interval ``low``..``high``: a word
    only when the whole interval is on one side of each cut-off, otherwise 'borderline' and the
    two words it lies between."""
    if low >= ROBUST:
        return "robust"
    if high < FAIRLY_ROBUST:
        return "depends on the world"
    if low >= FAIRLY_ROBUST:
        return "fairly robust" if high < ROBUST else "borderline: fairly robust or robust"
    if high < ROBUST:
        return "borderline: depends on the world or fairly robust"
    return "borderline: anything from depends on the world to robust"


def robustness_of(k: int, n: int) -> str:
    """The word for a finding held in ``k`` of ``n`` worlds, judged on its interval."""
    return robustness(*share_interval(k, n)) if n else "undefined"


@dataclass(frozen=True)
class Finding:
    """How the worlds split on one outcome. ``a_wins``: worlds where A does better (where the
    outcome has no better side: where A is higher); ``b_wins`` likewise; the rest tie."""

    outcome: str
    a_wins: int
    b_wins: int
    defined: int
    worlds: int

    @property
    def ties(self) -> int:
        return self.defined - self.a_wins - self.b_wins

    @property
    def majority(self) -> str | None:
        """'A' or 'B', whichever wins in more worlds; None on an even split."""
        if self.a_wins == self.b_wins:
            return None
        return "A" if self.a_wins > self.b_wins else "B"

    @property
    def share(self) -> float:
        """Share of the defined worlds in which the majority regime wins."""
        return max(self.a_wins, self.b_wins) / self.defined if self.defined else float("nan")

    @property
    def count(self) -> int:
        """Worlds in which the majority regime wins."""
        return max(self.a_wins, self.b_wins)

    @property
    def interval(self) -> tuple[float, float]:
        """The ``SHARE_INTERVAL`` Jeffreys interval on ``share``."""
        return share_interval(self.count, self.defined)

    @property
    def category(self) -> str:
        """The robustness word, judged on ``interval`` (``robustness``)."""
        return robustness_of(self.count, self.defined)


def wins(difference: pd.Series | np.ndarray, direction: Direction) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the worlds in which A wins and in which B wins (``difference`` = A - B; with no
    better side, winning means being higher)."""
    d = np.asarray(difference, dtype=float)
    higher_wins = direction != "lower is better"
    return (d > 0, d < 0) if higher_wins else (d < 0, d > 0)


def finding(difference: pd.Series | np.ndarray, outcome: str) -> Finding:
    d = np.asarray(difference, dtype=float)
    defined = d[~np.isnan(d)]
    a, b = wins(defined, REGISTRY[outcome].direction)
    return Finding(outcome, int(a.sum()), int(b.sum()), int(defined.size), int(d.size))


def minority_cases(difference: pd.Series | np.ndarray, outcome: str) -> np.ndarray:
    """The worlds in which the regime that wins in fewer worlds wins (B on an even split); the
    cases of interest of "what flips it". Ties and undefined differences are not cases."""
    f = finding(difference, outcome)
    a, b = wins(np.nan_to_num(np.asarray(difference, dtype=float)), REGISTRY[outcome].direction)
    return a if f.majority == "B" else b


@dataclass
class Flips:
    """What the minority worlds of one outcome have in common.

    ``kind``: "box" (PRIM found one), "no box" (PRIM found none), "too few" (fewer than
    ``MIN_FLIP_CASES`` minority worlds), "none" (no minority world) or "no variation" (the worlds
    do not differ in any parameter). ``correlations``: Spearman's rho of each varying parameter
    with the difference, strongest first.
    """

    kind: str
    cases: int
    worlds: int
    inputs: list[str] = field(default_factory=list)  # the parameters PRIM looked at
    limits: pd.DataFrame | None = None  # index parameter; min, max, range_min, range_max
    coverage: float = float("nan")
    density: float = float("nan")
    mass: float = float("nan")
    correlations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["parameter", "rho"])
    )


def varying(params: pd.DataFrame) -> list[str]:
    """The parameter columns that take more than one value across the worlds."""
    return [c for c in params.columns if params[c].nunique(dropna=True) > 1]


def spearman_ranking(params: pd.DataFrame, difference: pd.Series | np.ndarray) -> pd.DataFrame:
    """Spearman's rho of each parameter with ``difference`` (undefined ones left out), strongest
    first."""
    from scipy.stats import spearmanr

    d = pd.Series(np.asarray(difference, dtype=float), index=params.index)
    ok = d.notna()
    rows = []
    if d[ok].nunique() > 1:
        for c in varying(params[ok]):
            rho = spearmanr(params.loc[ok, c], d[ok]).statistic
            if np.isfinite(rho):
                rows.append({"parameter": c, "rho": float(rho)})
    frame = pd.DataFrame(rows, columns=["parameter", "rho"])
    order = frame["rho"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def screen(params: pd.DataFrame, cases: np.ndarray, most: int = PRIM_INPUTS) -> list[str]:
    """The (at most ``most``) parameters most associated with ``cases``: largest |Spearman rho|
    with the case indicator; ties in the order of the columns."""
    ranked = spearman_ranking(params, np.asarray(cases, dtype=float))
    return list(ranked["parameter"].head(most)) or varying(params)[:most]


def what_flips(
    params: pd.DataFrame, difference: pd.Series | np.ndarray, cases: np.ndarray
) -> Flips:
    """PRIM over the world parameters ``params`` (the ``PRIM_INPUTS`` most associated with the
    cases, see :func:`screen`) with the minority worlds ``cases`` as cases of interest; below
    ``MIN_FLIP_CASES`` cases, only the correlations of the parameters with ``difference``."""
    params = params.reset_index(drop=True)
    cases = np.asarray(cases, dtype=bool)
    n = int(cases.sum())
    flips = Flips("none", n, len(params), correlations=spearman_ranking(params, difference))
    inputs = varying(params)
    if n == 0:
        return flips
    if not inputs:
        flips.kind = "no variation"
        return flips
    if n < MIN_FLIP_CASES:
        flips.kind = "too few"
        return flips
    import prim

    flips.inputs = screen(params, cases)
    try:
        found = discover(params, flips.inputs, cases, 1, FLIP_MIN_DENSITY, FLIP_MASS_MIN)
    except prim.PrimError:
        found = []
    if not found or found[0]["limits"].empty:
        flips.kind = "no box"
        return flips
    box = found[0]
    limits = box["limits"][["min", "max"]].astype(float)
    limits["range_min"] = [float(params[p].min()) for p in limits.index]
    limits["range_max"] = [float(params[p].max()) for p in limits.index]
    flips.kind = "box"
    flips.limits = limits
    flips.coverage, flips.density, flips.mass = box["coverage"], box["density"], box["mass"]
    return flips


READINGS = (
    ("Share kept", "retained_gain_3y"),
    ("Amount left", "additionality_3y_mean"),
    ("Value for money", "additional_gain_per_million"),
)
"""The report's and the terminal's first lines, in this order: the two readings of "does it
sustain more?" (the *share* of its gain a regime keeps 3 years on; the *amount* of added
improvement left 3 years on, against the same world with no agreement) and value for money (added
gain kept per pound). The last two need the no-agreement twins."""


ADDED = "additionality_mean"
"""How much each regime adds by the end: what reconciles the two readings."""


def readings(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The ``READINGS`` with a difference in some world (the twins' ones need the twins)."""
    defined = set(table.loc[table["worlds_defined"] > 0, "outcome"])
    return [(name, o) for name, o in READINGS if o in defined]


def headline_candidates(main: str, twins: bool) -> list[str]:
    """The outcomes ``headline_outcomes`` may choose, before any run: the main outcome, then the
    registry's headline outcomes (those needing twins only with twins)."""
    names = outcome_names(twins)
    return [main] + [o for o in names if REGISTRY[o].headline and o != main]


def headline_outcomes(table: pd.DataFrame, main: str) -> list[str]:
    """The main outcome first, then the registry's other headline outcomes with a difference."""
    defined = table[table["worlds_defined"] > 0]
    others = [o for o in defined.loc[defined["headline"], "outcome"] if o != main]
    return ([main] if main in set(defined["outcome"]) else []) + others
