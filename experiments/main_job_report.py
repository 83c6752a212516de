"""The main job's opening sentences (``lpsa SCENARIO...``): what a reader asks first, in words,
before the table. For each scenario: targets met, reward paid, the gain kept three years on and
the improvement above business as usual still there then, each a mean over replications with its
90 % interval; for two scenarios, the difference A - B on targets met, paired by replication."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from lpsa.model.outcomes import REGISTRY

from .formatting import shown, unit_words
from .runs import ScenarioResults

LEVEL = 0.90
"""Coverage of the intervals over replications (Student's t interval of the mean)."""

OPENING: tuple[tuple[str, str], ...] = (
    ("targets_met_share", "{v} of targets met"),
    ("reward_paid", "{v} of reward paid"),
    ("retained_gain_3y", "{v} of the gain kept 3 years on"),
    (
        "additionality_3y_mean",
        "an added improvement of {v} of the stretch still there 3 years on above business as usual",
    ),
)
"""The outcomes the opening names, and how each reads in a sentence."""


def mean_interval(
    values: pd.Series | np.ndarray, level: float = LEVEL
) -> tuple[float, float, float]:
    """Mean of ``values`` over replications and its Student's t interval (the interval is the mean
    itself for one replication: nothing to say how far it could move)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(v.mean())
    if v.size < 2:
        return (mean, mean, mean)
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return (mean, mean - half, mean + half)


def _phrase(name: str, values: pd.Series, difference: bool = False) -> str:
    spec = REGISTRY[name]
    mean, low, high = shown(spec, mean_interval(values), difference=difference)
    unit = unit_words(spec)
    unit = f" {unit}" if unit and spec.unit != "share of stretch" else ""
    return f"{mean}{unit}" if low == high else f"{mean}{unit} ({low} to {high})"


def scenario_sentence(result: ScenarioResults) -> str:
    """One scenario's opening sentence."""
    runs = result.runs
    parts = [
        template.format(v=_phrase(name, runs[name]))
        for name, template in OPENING
        if name in runs and runs[name].notna().any()
    ]
    n = len(runs)
    how = (
        f"mean of {n} replications, {100 * LEVEL:.0f} % interval in brackets"
        if n > 1
        else "one replication: no interval"
    )
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"{result.scenario.name}: {listed} ({how})."


def difference_sentence(a: ScenarioResults, b: ScenarioResults) -> str:
    """A - B on targets met, paired by replication (common random numbers)."""
    name = "targets_met_share"
    d = a.runs[name].to_numpy() - b.runs[name].to_numpy()
    mean, low, high = mean_interval(d)
    more = a.scenario.name if mean > 0 else b.scenario.name
    sure = "" if low > 0 or high < 0 else "; the interval crosses zero: more replications could"
    sure += " change which is higher" if sure else ""
    return (
        f"{a.scenario.name} - {b.scenario.name}: {_phrase(name, pd.Series(d), difference=True)} "
        f"on {REGISTRY[name].label} ({more} meets more, on the same seeds{sure})."
    )


def opening(results: Sequence[ScenarioResults]) -> list[str]:
    """The sentences the main job prints first."""
    lines = [scenario_sentence(r) for r in results]
    if len(results) == 2:
        lines.append(difference_sentence(*results))
    return lines


def with_difference(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` (one row per scenario) with, for two scenarios, a third row ``A - B``: each
    outcome's difference of means, in the order the command named them (as ``lpsa compare``)."""
    if len(summary) != 2:
        return summary
    a, b = summary.iloc[0], summary.iloc[1]
    row: dict[str, object] = {"scenario": f"{a['scenario']} - {b['scenario']}"}
    for column in summary.columns:
        if column in REGISTRY:
            row[column] = float(a[column]) - float(b[column])
    row["replications"] = int(min(a["replications"], b["replications"]))
    return pd.concat([summary, pd.DataFrame([row])], ignore_index=True)


def summary_columns(summary: pd.DataFrame) -> pd.DataFrame:
    """The units sidecar of ``summary.csv``: each column's label, unit and description (from the
    outcome registry), the units a difference row is in included."""
    rows = [
        ("scenario", "scenario", "name", "a scenario, or 'A - B': A's mean minus B's"),
        ("replications", "replications", "count", "runs averaged (on a difference row: per side)"),
    ]
    for column in summary.columns:
        spec = REGISTRY.get(column)
        if spec is not None:
            rows.append(
                (column, spec.label, spec.unit, f"mean over replications: {spec.description}")
            )
    return pd.DataFrame(rows, columns=["column", "label", "unit", "description"])
