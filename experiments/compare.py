"""``lpsa compare A B``: two regimes on the same plausible worlds.

One parameter set answers "does A sustain more improvement than B?" with a narrow interval, because
common random numbers remove most of the replication noise; across the parameter sets that the
evidence allows, the answer can flip. This command draws ``--worlds`` parameter sets (*worlds*) from
a posterior ensemble (``experiments/posterior.py``), runs A and B in every world ``--replications``
times on common random numbers (replication ``r`` of every world and regime runs on the same seed,
with the no-agreement twin unless ``--no-twins``), and reports, per registered outcome, how the
paired difference A - B is spread across worlds, kept apart from the replication noise within a
world.

Robustness of a headline outcome: the share of worlds in which the regime that wins in most worlds
does better (ties count against it): at least ``ROBUST`` (95 %) *robust*, at least
``FAIRLY_ROBUST`` (80 %) *fairly robust*, otherwise *depends on the world*. What flips the main
outcome (``--outcome``, default the gain kept three years on): PRIM scenario discovery
(``experiments/discover.py``) over the ``PRIM_INPUTS`` world parameters most associated with the
worlds in which the other regime does better (the cases of interest); with fewer than
``MIN_FLIP_CASES`` such worlds, the parameters most correlated with the difference (Spearman)
instead.

Writes ``comparison.csv`` (one row per outcome), ``worlds.csv`` (one row per world),
``runs.parquet`` (every run), ``comparison.md`` and ``comparison.png``, the resolved scenarios and
``manifest.json``. See docs/compare.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import REGISTRY, Scenario, ScenarioError, load_scenario
from model.outcomes import Direction, outcome_names
from model.scenario import read_yaml_mapping, resolve_scenario_path

from . import io
from .arguments import (
    Health,
    add_executor_arguments,
    add_max_runs,
    replications,
    seed,
    whole_number,
)
from .command_context import CommandContext
from .design import check_run_count, scenario_hash, sha256_bytes
from .formatting import labelled, percent, scale_of, shown, significant, span, unit_words
from .posterior import Posterior, check_fits, load_posterior
from .runner import Design, Point, require_success, run_table

DEFAULT_WORLDS = 50
DEFAULT_REPLICATIONS = 10
MAX_WORLDS = 10_000
"""More worlds than this is refused at once: 10,000 worlds already describe a posterior finely."""
DEFAULT_OUTCOME = "retained_gain_3y"
"""The main headline outcome: the reported gain still there three years after the end."""
ROBUST = 0.95
FAIRLY_ROBUST = 0.80
FEW_WORLDS = 20
"""Below this many worlds, a finding says that its share rests on few worlds."""
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
LEVEL_FLOOR = 0.05
"""The figure's axis spans at least +-5 % of the larger median level of the outcome."""
REGIMES = ("A", "B")
COLORS = {"A": "#d95f02", "B": "#1b9e77", "tie": "#555555"}


# ------------------------------------------------------------------------------------------
# Arguments and checks


def worlds_count(text: str) -> int:
    """``--worlds``: a whole number from 1 to ``MAX_WORLDS``."""
    return whole_number(text, 1, MAX_WORLDS, f"a whole number from 1 to {MAX_WORLDS:,}")


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


def check_outcome(name: str, twins: bool) -> None:
    allowed = outcome_names(twins)
    if name not in allowed:
        hint = " (it needs the twins: drop --no-twins)" if name in REGISTRY else ""
        raise ScenarioError(f"--outcome: got {name!r}{hint}; allowed: {', '.join(allowed)}")


def display_names(a: Scenario, b: Scenario) -> tuple[str, str]:
    """The regimes' names for people; the same scenario twice becomes 'x (A)' and 'x (B)'."""
    if a.name == b.name:
        return f"{a.name} (A)", f"{b.name} (B)"
    return a.name, b.name


# ------------------------------------------------------------------------------------------
# Runs


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


# ------------------------------------------------------------------------------------------
# Paired differences


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


# ------------------------------------------------------------------------------------------
# Robustness


def robustness(share: float) -> str:
    """The category of a finding held in ``share`` of the worlds."""
    if share >= ROBUST:
        return "robust"
    if share >= FAIRLY_ROBUST:
        return "fairly robust"
    return "depends on the world"


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
    def category(self) -> str:
        return robustness(self.share) if self.defined else "undefined"


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


def finding_sentence(f: Finding, names: tuple[str, str]) -> str:
    """The finding in plain words, e.g. 'ppg_heavy does better than reward_heavy on gain kept 3
    years on in 41 of 50 worlds (82 %): fairly robust.'"""
    spec = REGISTRY[f.outcome]
    of = f"of {f.defined} worlds" + (
        f" (of {f.worlds}, where it is defined)" if f.defined < f.worlds else ""
    )
    if f.defined == 0:
        return f"{spec.label}: undefined in every world."
    if f.ties == f.defined:
        return f"{names[0]} and {names[1]} give the same {spec.label} in every world."
    if f.majority is None:
        verb = "do better" if spec.direction != "neither" else "are higher"
        return (
            f"On {spec.label}, {names[0]} and {names[1]} {verb} in as many worlds "
            f"({f.a_wins} {of} each): depends on the world."
        )
    win, lose = (names[0], names[1]) if f.majority == "A" else (names[1], names[0])
    count = max(f.a_wins, f.b_wins)
    if spec.direction == "neither":
        claim = f"{win} gives a higher {spec.label} than {lose}"
    else:
        claim = f"{win} does better than {lose} on {spec.label}"
    few = f" (only {f.defined} worlds: draw more with --worlds)" if f.defined < FEW_WORLDS else ""
    return f"{claim} in {count} {of} ({percent(f.share)}): {f.category}{few}."


def minority_cases(difference: pd.Series | np.ndarray, outcome: str) -> np.ndarray:
    """The worlds in which the regime that wins in fewer worlds wins (B on an even split); the
    cases of interest of "what flips it". Ties and undefined differences are not cases."""
    f = finding(difference, outcome)
    a, b = wins(np.nan_to_num(np.asarray(difference, dtype=float)), REGISTRY[outcome].direction)
    return a if f.majority == "B" else b


# ------------------------------------------------------------------------------------------
# What flips it


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
    from .discover import discover

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


def parameter_label(path: str) -> str:
    """A parameter in people's words: its schema description (without unit) and its path."""
    from model.scenario import Scenario as Schema

    section, _, leaf = path.partition(".")
    info = Schema.model_fields.get(section)
    fields = getattr(info.annotation, "model_fields", {}) if info is not None else {}
    text = (fields[leaf].description or "") if leaf in fields else ""
    text = text.split("[")[0].split("; assumption")[0].strip().rstrip(";,")
    return f"{text} (`{path}`)" if text else f"`{path}`"


def restriction(name: str, row: pd.Series) -> str:
    """One PRIM restriction in words: 'X below 0.41 (the worlds span 0.25 to 0.8)'."""
    lo, hi, r0, r1 = row["min"], row["max"], row["range_min"], row["range_max"]
    if lo > r0 and hi < r1:
        where = f"from {span(lo, hi)}"
    elif lo > r0:
        where = f"at least {significant(lo)}"
    else:
        where = f"at most {significant(hi)}"
    return f"{parameter_label(name)} {where} (the worlds span {span(r0, r1)})"


def correlation_lines(
    flips: Flips, names: tuple[str, str], direction: Direction = "neither", top: int = 3
) -> list[str]:
    """The ``top`` parameters most correlated with the difference, and which regime they favour
    (by the outcome's ``direction``)."""
    corr = flips.correlations.head(top)
    if corr.empty:
        return ["No parameter is correlated with the difference (it does not vary)."]
    lines = [
        f"The parameters most correlated (Spearman) with the difference {names[0]} - {names[1]}:",
        "",
    ]
    for r in corr.itertuples():
        larger = r.rho > 0
        if direction == "neither":
            effect = f"the difference is {'larger' if larger else 'smaller'}"
        else:
            a_gains = larger == (direction == "higher is better")
            win, lose = names if a_gains else names[::-1]
            effect = f"{win} fares better against {lose}"
        lines.append(
            f"- {parameter_label(r.parameter)}: where it is higher, {effect} (rho {r.rho:+.2f})."
        )
    return lines


def flips_lines(flips: Flips, f: Finding, names: tuple[str, str]) -> list[str]:
    """The "what flips it" section in people's words."""
    minority = names[0] if f.majority == "B" else names[1]
    label, direction = REGISTRY[f.outcome].label, REGISTRY[f.outcome].direction
    head = f"{minority} does better on {label} in {flips.cases} of {flips.worlds} worlds."
    if REGISTRY[f.outcome].direction == "neither":
        head = f"{minority} gives the higher {label} in {flips.cases} of {flips.worlds} worlds."
    if flips.kind == "none":
        return [
            f"Nothing flips it: in none of the {flips.worlds} worlds does {minority} come out "
            "ahead.",
            "",
            *correlation_lines(flips, names, direction),
        ]
    if flips.kind == "no variation":
        return [head, "", "The worlds do not differ in any parameter, so nothing can explain it."]
    if flips.kind == "too few":
        return [
            f"{head} PRIM has too few cases to find where (it needs at least {MIN_FLIP_CASES}).",
            "",
            *correlation_lines(flips, names, direction),
        ]
    if flips.kind == "no box":
        return [
            f"{head} PRIM found no region of the parameters that holds them.",
            "",
            *correlation_lines(flips, names, direction),
        ]
    assert flips.limits is not None
    looked = ", ".join(f"`{p}`" for p in flips.inputs)
    lines = [
        f"{head} Scenario discovery (PRIM) finds them mostly in worlds where:",
        "",
        *[f"- {restriction(p, row)}" for p, row in flips.limits.iterrows()],
        "",
        f"This box holds {percent(flips.coverage)} of the worlds where {minority} does better "
        f"(coverage); in the box, {minority} does better in {percent(flips.density)} of the "
        f"worlds (density); it holds {percent(flips.mass)} of all worlds. PRIM looked at the "
        f"{len(flips.inputs)} parameters most associated with those worlds: {looked}.",
        "",
        *correlation_lines(flips, names, direction),
    ]
    return lines


def markdown_table(table: pd.DataFrame, names: tuple[str, str]) -> list[str]:
    lines = [
        f"| outcome | {names[0]} | {names[1]} | difference (median) | 5-95 % across worlds "
        f"| {names[0]} better in | replication noise (+-, 90 %) | worlds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        spec = REGISTRY[r.outcome]
        a, b = shown(spec, [r.median_a, r.median_b])
        med, lo, hi, noise = shown(
            spec, [r.median_difference, r.low, r.high, r.replication_half_width], True
        )
        better = "-" if not np.isfinite(r.share_a_better) else percent(r.share_a_better)
        label = labelled(f"**{spec.label}**" if spec.headline else spec.label, unit_words(spec))
        lines.append(
            f"| {label} | {a} | {b} | {med} | {lo} to {hi} | {better} | {noise.lstrip('+')} "
            f"| {r.worlds_defined} |"
        )
    return lines


# ------------------------------------------------------------------------------------------
# Figure


def axis_half_range(values: Sequence[float], level: float) -> float:
    """Half the symmetric y range around zero: covers every value and at least ``LEVEL_FLOOR`` of
    ``level`` (the outcome's larger median), so that a small difference looks small."""
    finite = [abs(float(v)) for v in values if np.isfinite(v)]
    half = max([*finite, LEVEL_FLOOR * abs(level) if np.isfinite(level) else 0.0])
    return 1.1 * half if half > 0 else 1.0


def comparison_figure(
    per_world: pd.DataFrame, table: pd.DataFrame, outcomes: Sequence[str], names: tuple[str, str]
) -> Any:
    """Per outcome: each world's mean difference A - B as a dot (worlds sorted), its 90 %
    replication interval as a thin bar, the 5-95 % range across worlds as a band, the median
    across worlds and zero as lines; the axis symmetric around zero."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ncols = min(3, max(1, len(outcomes)))
    nrows = max(1, -(-len(outcomes) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    for ax in axes.ravel()[len(outcomes) :]:
        ax.set_visible(False)
    rows = table.set_index("outcome")
    for ax, o in zip(axes.ravel(), outcomes):
        spec, row = REGISTRY[o], rows.loc[o]
        scale, unit = scale_of(spec.unit)
        frame = per_world[[f"{o}_difference", f"{o}_half_width"]].dropna(subset=[f"{o}_difference"])
        frame = frame.sort_values(f"{o}_difference", kind="stable")
        d = frame[f"{o}_difference"].to_numpy() * scale
        hw = np.nan_to_num(frame[f"{o}_half_width"].to_numpy() * scale)
        x = np.arange(1, len(d) + 1)
        low, high, med = (row[k] * scale for k in ("low", "high", "median_difference"))
        ax.axhspan(low, high, color="#9ecae1", alpha=0.45, lw=0)
        ax.axhline(0, color="black", lw=1)
        ax.axhline(med, color="#08519c", lw=1.2, ls="--")
        ax.errorbar(x, d, yerr=hw, fmt="none", ecolor="#777777", elinewidth=0.8, capsize=0)
        a_wins, b_wins = wins(d, spec.direction)
        if spec.direction == "neither":
            a_wins, b_wins = np.zeros(len(d), bool), np.zeros(len(d), bool)
        colors = np.where(a_wins, COLORS["A"], np.where(b_wins, COLORS["B"], COLORS["tie"]))
        ax.scatter(x, d, s=10, c=colors, zorder=3)
        level = max(abs(row["median_a"]), abs(row["median_b"])) * scale
        lim = axis_half_range([*(d + hw), *(d - hw), low, high], level)
        ax.set_ylim(-lim, lim)
        ax.set_xlim(0, len(d) + 1)
        ax.set_title(spec.label, fontsize=9)
        ax.set_ylabel(f"{names[0]} - {names[1]} ({unit})", fontsize=8)
        ax.set_xlabel("worlds, sorted by the difference", fontsize=8)
        if spec.direction != "neither":
            up = names[0] if spec.direction == "higher is better" else names[1]
            down = names[1] if up == names[0] else names[0]
            for y, text, va in ((1.0, f"{up} better", "top"), (0.0, f"{down} better", "bottom")):
                ax.text(1.02, y, text, transform=ax.transAxes, va=va, rotation=90, fontsize=7)
        ax.tick_params(labelsize=7)
    dot = {"marker": "o", "ls": "none", "ms": 5}
    handles = [
        Line2D([], [], color=COLORS["A"], label=f"one world, {names[0]} better", **dot),
        Line2D([], [], color=COLORS["B"], label=f"one world, {names[1]} better", **dot),
        Line2D([], [], color=COLORS["tie"], label="one world, no better side or a tie", **dot),
        Line2D([], [], color="#777777", lw=0.8, label="90 % interval over replications in a world"),
        Patch(color="#9ecae1", alpha=0.45, label="5-95 % range across worlds"),
        Line2D([], [], color="#08519c", ls="--", lw=1.2, label="median across worlds"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"{names[0]} - {names[1]} in each plausible world", fontsize=11)
    fig.tight_layout(rect=(0, 0.16 if nrows == 1 else 0.09, 1, 0.96))
    return fig


# ------------------------------------------------------------------------------------------
# Report


def headline_outcomes(table: pd.DataFrame, main: str) -> list[str]:
    """The main outcome first, then the registry's other headline outcomes with a difference."""
    defined = table[table["worlds_defined"] > 0]
    others = [o for o in defined.loc[defined["headline"], "outcome"] if o != main]
    return ([main] if main in set(defined["outcome"]) else []) + others


def fitted_with(posterior: Posterior) -> str:
    """How the posterior's interim forecast (P1) was measured, as its metadata records it: the
    headline can move with that choice (docs/compare.md, "How sure: the forecast rule")."""
    rule = posterior.meta.get("forecast_rule")
    if not rule:
        return ", its forecast rule not recorded"
    return (
        f", fitted with the interim forecast's trend margin {rule['margin']:g} and 'almost met' "
        f"from {rule['almost_met']:g} of the stretch"
    )


def noise_sentence(per_world: pd.DataFrame, table: pd.DataFrame, outcome: str) -> str:
    spec = REGISTRY[outcome]
    row = table.set_index("outcome").loc[outcome]
    med, lo, hi, noise = shown(
        spec, [row.median_difference, row.low, row.high, row.replication_half_width], True
    )
    d, hw = per_world[f"{outcome}_difference"], per_world[f"{outcome}_half_width"]
    crossing = int(((d - hw <= 0) & (d + hw >= 0) & (d != 0)).sum())
    within = (
        f"within a world the 90 % replication interval is +-{noise.lstrip('+')} (median)"
        if np.isfinite(row.replication_half_width)
        else "the replication noise within a world needs at least two replications"
    )
    text = f"Median difference {med} (5-95 % across worlds: {lo} to {hi}); {within}."
    if crossing:
        text += (
            f" In {crossing} {'world' if crossing == 1 else 'worlds'} that interval crosses "
            "zero: more replications could move "
            + ("that world" if crossing == 1 else "those worlds")
            + " to the other side."
        )
    return text


def write_report(
    out: Path,
    table: pd.DataFrame,
    per_world: pd.DataFrame,
    params: list[str],
    main: str,
    names: tuple[str, str],
    about: dict[str, Any],
) -> tuple[str, Path]:
    """comparison.md, then comparison.png; returns the headline sentence and the report path."""
    heads = headline_outcomes(table, main)
    findings = {o: finding(per_world[f"{o}_difference"], o) for o in heads}
    plural = "s" if len(per_world) != 1 else ""
    lines = [f"# {names[0]} vs {names[1]} on {len(per_world)} plausible world{plural}", ""]
    headline = "No outcome could be compared."
    if heads:
        headline = finding_sentence(findings[heads[0]], names)
        lines += [f"**{headline}**", "", noise_sentence(per_world, table, heads[0]), ""]
        others = [f"- {finding_sentence(findings[o], names)}" for o in heads[1:]]
        if others:
            lines += ["Other headline outcomes:", "", *others, ""]
        lines += [
            f"Robustness: the share of worlds in which the regime that wins in most worlds "
            f"does better; {percent(ROBUST)} or more *robust*, {percent(FAIRLY_ROBUST)} or "
            "more *fairly robust*, otherwise *depends on the world* (ties count against it).",
            "",
            f"## What flips it ({REGISTRY[heads[0]].label})",
            "",
        ]
        f = findings[heads[0]]
        diff = per_world[f"{heads[0]}_difference"]
        flips = what_flips(per_world[params], diff, minority_cases(diff, heads[0]))
        lines += [*flips_lines(flips, f, names), ""]
    lines += [
        "## All outcomes",
        "",
        f"Medians across worlds of each world's mean over {about['replications']} replications; "
        f"the difference is {names[0]} - {names[1]}, paired by replication (common random "
        "numbers). Bold: headline outcomes. Replication noise: the median over worlds of the "
        "half-width of the 90 % interval of a world's mean difference; compare it with the "
        "spread across worlds.",
        "",
        *markdown_table(table, names),
        "",
        "![each world's difference](comparison.png)",
        "",
        "In the figure, each dot is one world's mean difference; its thin bar is the 90 % "
        "interval over replications in that world; the shaded band is the 5-95 % range across "
        "worlds. The axis is symmetric around zero.",
        "",
        "## How this was made",
        "",
        *[f"- {k}: {v}" for k, v in about.items()],
        "",
    ]
    path = out / "comparison.md"
    io.write_text(path, "\n".join(lines))
    if heads:
        io.save_figure(out / "comparison.png", comparison_figure(per_world, table, heads, names))
    return headline, path


# ------------------------------------------------------------------------------------------
# Command


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="lpsa compare",
        usage="lpsa compare A B [OPTIONS]  (see --help)",
        description="Compare two regimes on the same plausible worlds (posterior parameter "
        "sets), with common random numbers within each world.",
    )
    ap.add_argument("a", help="scenario A: a file or a shipped name (e.g. ppg_heavy)")
    ap.add_argument("b", help="scenario B: a file or a shipped name (e.g. reward_heavy)")
    ap.add_argument(
        "--worlds",
        type=worlds_count,
        default=DEFAULT_WORLDS,
        help=f"parameter sets drawn from the posterior (default {DEFAULT_WORLDS}, at most "
        f"{MAX_WORLDS:,})",
    )
    ap.add_argument(
        "--replications",
        type=replications,
        default=DEFAULT_REPLICATIONS,
        help=f"replications per world and regime (default {DEFAULT_REPLICATIONS})",
    )
    ap.add_argument(
        "--posterior",
        help="posterior CSV or shipped name (default: the one shipped for A's base scenario)",
    )
    ap.add_argument(
        "--seed", type=seed, help="master seed, also of the worlds' draw (default: A's seed)"
    )
    ap.add_argument(
        "--outcome",
        default=DEFAULT_OUTCOME,
        help=f"the main outcome: the headline and what flips it (default {DEFAULT_OUTCOME})",
    )
    ap.add_argument(
        "--no-twins",
        action="store_true",
        help="skip the no-agreement twin runs (and so the additionality outcomes)",
    )
    ap.add_argument(
        "--out", type=Path, help="output folder (default results/compare-A-vs-B-<time>)"
    )
    ap.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_max_runs(ap)
    add_executor_arguments(ap)
    return ap


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    twins = not args.no_twins
    a, b = load_scenario(args.a), load_scenario(args.b)
    check_outcome(args.outcome, twins)
    posterior = load_posterior(args.posterior or base_scenario_name(args.a), base=a)
    check_fits(posterior.particles, b, posterior.path)
    check_shared_parameters(a, b, posterior.parameters)
    check_run_count("--worlds", len(REGIMES) * args.worlds, args.replications, args.max_runs)
    names = display_names(a, b)
    seed_ = args.seed if args.seed is not None else a.seed
    ctx = CommandContext("compare", argv, args.out, default=f"compare-{a.name}-vs-{b.name}")
    out = ctx.out
    worlds = posterior.worlds(args.worlds, seed_)
    with ctx.executor(args) as executor:
        runs = run_worlds(
            a,
            b,
            worlds,
            args.replications,
            seed_,
            twins,
            executor,
            None if args.quiet else "compare",
            ctx.health,
        )
    outcomes = outcome_names(twins)
    per_world = world_table(runs, outcomes, worlds)
    table = comparison_table(per_world, outcomes, names)
    io.write_csv(out / "comparison.csv", table)
    io.write_csv(out / "worlds.csv", per_world)
    io.write_parquet(out / "runs.parquet", runs)
    for key, sc in zip(REGIMES, (a, b)):
        io.write_scenario(out / f"scenario-{key}-{sc.name}.yaml", sc)
    posterior_sha = sha256_bytes(Path(posterior.path).read_bytes()) if posterior.path else ""
    about = {
        "A": f"`{a.name}` ({a.description or 'no description'})",
        "B": f"`{b.name}` ({b.description or 'no description'})",
        "worlds": f"{args.worlds} drawn with replacement, by weight, from the posterior "
        f"`{posterior.path}` ({len(posterior.particles)} particles, effective size "
        f"{posterior.effective_size:.0f}, made for base scenario `{posterior.base}`"
        f"{fitted_with(posterior)}), seed {seed_}",
        "world parameters": ", ".join(f"`{p}`" for p in posterior.parameters),
        "replications": args.replications,
        "runs": f"{len(runs)} ({len(REGIMES)} regimes x {args.worlds} worlds x "
        f"{args.replications} replications{', each with its no-agreement twin' if twins else ''}"
        f"); replication r of every world and regime runs on the same seed",
        "seed": seed_,
        "files": "comparison.csv (one row per outcome), worlds.csv (one row per world), "
        "runs.parquet (every run), comparison.png, manifest.json",
    }
    headline, report = write_report(
        out, table, per_world, posterior.parameters, args.outcome, names, about
    )
    ctx.record(
        scenarios=[a.name, b.name],
        scenario_sha256={"A": scenario_hash(a), "B": scenario_hash(b)},
        posterior=str(posterior.path),
        posterior_sha256=posterior_sha,
        worlds=args.worlds,
        seed=seed_,
        replications=args.replications,
        twins=twins,
        outcome=args.outcome,
    )
    if not args.quiet:
        print(headline)
        print(f"Report written to {report}")
    return 0
