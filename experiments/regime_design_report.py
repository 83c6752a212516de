"""The report of ``lpsa design``: the non-dominated designs, the recommendation and its robustness.

Writes ``designs.csv`` (every reference and design: levers, every robustness measure of every
objective, non-dominated, recommended), ``design_worlds.csv`` (each row's value in each world),
``design.md`` (the recommendation in a sentence, the non-dominated designs, the recommended design
beside the actual rules and the named regimes under every measure, the worlds in which it does
better with an interval and a robustness word, and the check in other worlds) and ``design.png``.
The analysis is ``regime_design.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import io
from .compare import robustness as robustness_word
from .compare import share_interval
from .regime_design import (
    ACTUAL,
    MEASURES,
    OBJECTIVES,
    REFERENCES,
    Evaluation,
    Lever,
    Results,
    wins_against,
)

SHORT = {
    "funding.ppg_share": "PPG share",
    "funding.ppg_coordination_min": "PPG on co-ordination at least",
    "stretch.ambition": "ambition (x LPSA1's)",
    "scheme.targets_per_authority": "targets",
    "funding.payout_floor": "reward floor",
    "funding.payout_cap": "reward taper (full at)",
}
"""Levers' names in tables."""


def measure_label(measure: str, q: float) -> str:
    """A measure's column heading."""
    return {
        "mean": "mean",
        "percentile": f"{q:g}th pct (bad side)",
        "regret": "max regret",
        "satisficing": "worlds satisfied",
    }[measure]


def lever_text(levers: Mapping[str, Lever], row: Mapping[str, Any]) -> str:
    """A design's levers in words. A taper at or below the floor does not bind (a target at the
    floor is already paid in full, ``model.funding.payout_share``), and the words say so."""
    parts = []
    for p, lever in levers.items():
        v = float(row[p])
        if lever.integer:
            parts.append(f"{int(round(v))} targets")
        elif lever.relative:
            parts.append(f"ambition {v:.2f} x LPSA1's")
        else:
            parts.append(f"{SHORT[p].lower()} {v:.2f}")
            if p == "funding.payout_cap" and v <= float(row.get("funding.payout_floor", -1.0)):
                parts[-1] += " (does not bind: the whole reward from the floor)"
    return ", ".join(parts)


def score_text(objective: str, measure: str, value: float) -> str:
    """A score as people read it."""
    if not np.isfinite(value):
        return "-"
    if measure == "satisficing":
        return f"{100 * value:.0f}%"
    if objective == "targets_met_share":
        return f"{100 * value:.1f}%" if measure != "regret" else f"{100 * value:.1f} pp"
    if objective == "cost":
        return f"£{value:,.1f}m"
    return f"{value:.3g}"


def share_text(k: int, n: int) -> str:
    """'k of n worlds (low-high %, word)'."""
    low, high = share_interval(k, n)
    return f"{k} of {n} worlds ({100 * low:.0f}-{100 * high:.0f} %, {robustness_word(low, high)})"


def comparison_rows(results: Results) -> pd.DataFrame:
    """The recommended design and the references under every measure of every objective."""
    d = results.designs
    rows = [results.recommended] + [
        int(np.flatnonzero(d["name"].to_numpy() == name)[0]) for name in REFERENCES
    ]
    table = {}
    for i in rows:
        name = "recommended" if i == results.recommended else str(d.iloc[i]["name"])
        table[name] = {
            f"{o.label}: {measure_label(m, results.judging.q)}": score_text(
                o.name, m, float(d.iloc[i][f"{o.name}_{m}"])
            )
            for o in OBJECTIVES
            for m in MEASURES
        }
    return pd.DataFrame(table)


def wins_lines(results: Results) -> list[str]:
    """Per reference and objective: the worlds in which the recommended design does better."""
    d = results.designs
    lines = []
    for name in REFERENCES:
        other = int(np.flatnonzero(d["name"].to_numpy() == name)[0])
        won = wins_against(results.values, results.recommended, other)
        parts = [f"{o.label} in {share_text(*won[o.name])}" for o in OBJECTIVES]
        lines.append(f"- against {name}: better on " + "; ".join(parts))
    return lines


def confirmation_lines(confirm: Evaluation) -> list[str]:
    """The recommended design and the references run again in other worlds of the posterior on
    other seeds: means across worlds and the worlds in which the recommended design beats the
    actual rules."""
    names = ["recommended", *REFERENCES]
    lines = ["| | " + " | ".join(o.label for o in OBJECTIVES) + " |", "|---" * 4 + "|"]
    for i, name in enumerate(names):
        cells = [
            score_text(o.name, "mean", float(confirm.values[o.name][i].mean())) for o in OBJECTIVES
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    actual = 1 + REFERENCES.index(ACTUAL)
    won = wins_against(confirm.values, 0, actual)
    lines.append("")
    lines.append(
        "In these worlds the recommended design does better than the actual rules on "
        + "; ".join(f"{o.label} in {share_text(*won[o.name])}" for o in OBJECTIVES)
        + "."
    )
    return lines


def recommendation(results: Results, levers: Mapping[str, Lever]) -> str:
    """The recommended design in one sentence, with its robustness against the actual rules."""
    d = results.designs
    row = d.iloc[results.recommended]
    actual = int(np.flatnonzero(d["name"].to_numpy() == ACTUAL)[0])
    won = wins_against(results.values, results.recommended, actual)
    k, n = won[OBJECTIVES[0].name]
    m = results.judging.measure
    vfm = OBJECTIVES[0]
    by = measure_label(m, results.judging.q)
    return (
        f"Recommended design ({results.recommended_reason}, by the {by}"
        f" across worlds): {lever_text(levers, row)}. Its value for money is "
        f"{score_text(vfm.name, 'mean', float(row[f'{vfm.name}_mean']))} added gain kept per £m on "
        f"average against {score_text(vfm.name, 'mean', float(d.iloc[actual][f'{vfm.name}_mean']))}"
        f" under the actual rules, and better in {share_text(k, n)}."
    )


def markdown_table(frame: pd.DataFrame) -> str:
    """A plain markdown table (index as the first column)."""
    head = "| | " + " | ".join(map(str, frame.columns)) + " |"
    lines = [head, "|---" * (len(frame.columns) + 1) + "|"]
    for idx, row in frame.iterrows():
        lines.append(f"| {idx} | " + " | ".join(map(str, row.tolist())) + " |")
    return "\n".join(lines)


def frontier_table(results: Results, levers: Mapping[str, Lever]) -> pd.DataFrame:
    """The non-dominated designs: levers and the chosen measure of every objective."""
    d = results.designs[results.designs["non_dominated"]]
    d = d.sort_values("recommended", ascending=False, kind="stable")
    d = d.drop_duplicates(subset=list(levers)).sort_index()  # NSGA-II can draw a design twice
    m = results.judging.measure
    cols = {}
    for p, lever in levers.items():
        cols[SHORT[p]] = d[p].map(
            lambda v, lv=lever: f"{int(round(v))}" if lv.integer else f"{v:.2f}"
        )
    for o in OBJECTIVES:
        cols[f"{o.label} ({measure_label(m, results.judging.q)})"] = [
            score_text(o.name, m, float(v)) for v in d[f"{o.name}_{m}"]
        ]
    table = pd.DataFrame(cols)
    table.index = [
        f"{name}{' (recommended)' if rec else ''}" for name, rec in zip(d["name"], d["recommended"])
    ]
    return table


def design_figure(results: Results) -> Any:
    """Every design's chosen measure of value for money against targets met (grey), the
    non-dominated ones coloured by cost, the references and the recommended design marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = results.designs
    m = results.judging.measure
    x, y, c = (d[f"{o.name}_{m}"].to_numpy(dtype=float) for o in OBJECTIVES)
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    design = (d["kind"] == "design").to_numpy()
    nd = d["non_dominated"].to_numpy()
    ax.scatter(x[design & ~nd], y[design & ~nd], s=12, color="0.75", label="designs")
    sc = ax.scatter(x[nd], y[nd], c=c[nd], cmap="viridis", s=36, label="non-dominated")
    fig.colorbar(sc, ax=ax, label=f"{OBJECTIVES[2].label} ({measure_label(m, results.judging.q)})")
    for name, marker in zip(REFERENCES, ("s", "^", "v")):
        i = int(np.flatnonzero(d["name"].to_numpy() == name)[0])
        ax.scatter(x[i], y[i], marker=marker, s=80, color="tab:red", edgecolor="k", label=name)
    r = results.recommended
    ax.scatter(x[r], y[r], marker="*", s=260, color="gold", edgecolor="k", label="recommended")
    label = measure_label(m, results.judging.q)
    ax.set_xlabel(f"{OBJECTIVES[0].label}: added gain kept 3 years on per £m ({label})")
    ax.set_ylabel(f"{OBJECTIVES[1].label} ({label})")
    ax.set_title("Regime designs across the posterior's worlds")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def write_report(
    out: Path,
    results: Results,
    levers: Mapping[str, Lever],
    worlds: pd.DataFrame,
    confirm: Evaluation,
    identity: Mapping[str, Any],
) -> tuple[list[str], Path]:
    """Write the tables, ``design.md`` and ``design.png``; returns the lines to print and the
    report's path."""
    d = results.designs
    io.write_csv(out / "designs.csv", d)
    long = [
        {
            "name": d.iloc[i]["name"],
            "world": w,
            "particle": int(worlds["particle"].iloc[w]),
            "objective": o.name,
            "value": float(results.values[o.name][i, w]),
        }
        for i in range(len(d))
        for o in OBJECTIVES
        for w in range(results.values[o.name].shape[1])
    ]
    io.write_csv(out / "design_worlds.csv", pd.DataFrame(long))
    io.save_figure(out / "design.png", design_figure(results))
    sentence = recommendation(results, levers)
    n_designs = int((d["kind"] == "design").sum())
    frontier = frontier_table(results, levers)
    by = measure_label(results.judging.measure, results.judging.q)
    lines = [
        "# The best regime design across plausible worlds",
        "",
        sentence,
        "",
        f"{n_designs} designs searched (NSGA-II, Optuna), each run in {len(worlds)} worlds of "
        f"the posterior x {identity['replications']} replications on common random numbers with "
        f"the no-agreement twin; judged by the {by}"
        " across worlds; regret against the best of all designs in each world; satisficing: at "
        "least as good as "
        + (
            "the thresholds given"
            if results.judging.thresholds
            else "the actual rules (lpsa1_baseline) in the same world"
        )
        + ".",
        "",
        f"## The non-dominated designs ({len(frontier)})",
        "",
        markdown_table(frontier),
        "",
        "![designs](design.png)",
        "",
        "## The recommended design, the actual rules and the named regimes, same worlds",
        "",
        markdown_table(comparison_rows(results)),
        "",
        "In how many worlds the recommended design does better (95 % Jeffreys interval on the "
        "share; a word only when the whole interval is on one side of 80 % and 95 %):",
        "",
        *wins_lines(results),
        "",
        "## The same, in other worlds on other seeds",
        "",
        "The best of many designs is partly the luckiest in the search's worlds and seeds. The "
        f"recommended design and the references run again in {len(worlds)} other worlds drawn "
        "from the posterior, on other replication seeds (all four in the same worlds):",
        "",
        *confirmation_lines(confirm),
        "",
        "## How it was made",
        "",
        f"Seed {identity['seed']}; population {identity['population']}; lever ranges "
        + ", ".join(f"{p} {lo:g}-{hi:g}" for p, (lo, hi) in identity["levers"].items())
        + "; worlds drawn from the posterior (particles in design_worlds.csv). Every design and "
        "world: designs.csv and design_worlds.csv. See docs/design.md.",
        "",
    ]
    report = io.write_text(out / "design.md", "\n".join(lines))
    headline = [sentence, *wins_lines(results)[:1]]
    return headline, report
