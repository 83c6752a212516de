"""Figures for run.py's main job: trajectories, attainment by area, retained gain by approach,
inspection ratings' moves by year.

Each function takes the stacked results of one or more scenarios and returns a matplotlib Figure;
saving is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lpsa.model.outputs import approach_kind, retained_by_approach  # noqa: E402
from lpsa.model.scenario import QUARTERS_PER_YEAR  # noqa: E402

from .runs import ScenarioResults  # noqa: E402

OUTCOME_COLOURS = {"met": "#2a9d8f", "partly": "#e9c46a", "missed": "#e76f51"}


def performance_over_time(results: Sequence[ScenarioResults]) -> plt.Figure:
    """Mean performance relative to stretch by quarter from the agreement's start; the band holds
    5-95 % of replications; with twins, the same councils' business as usual, dashed."""
    fig, ax = plt.subplots(figsize=(9, 5))
    end_q = 0
    for res in results:
        traj = res.trajectory[res.trajectory["approach"] == "all"]
        wide = traj.pivot(
            index="quarter_from_start", columns="replication", values="mean_performance"
        )
        years = wide.index.to_numpy() / QUARTERS_PER_YEAR
        lo, hi = (wide.quantile(q, axis=1).to_numpy() for q in (0.05, 0.95))
        (line,) = ax.plot(years, wide.mean(axis=1), label=f"{res.scenario.name} (mean)")
        ax.fill_between(
            years, lo, hi, color=line.get_color(), alpha=0.2, label="5-95 % of replications"
        )
        if "bau_performance" in traj and traj["bau_performance"].notna().any():
            usual = traj.groupby("quarter_from_start")["bau_performance"].mean()
            ax.plot(
                usual.index.to_numpy() / QUARTERS_PER_YEAR,
                usual.to_numpy(),
                color=line.get_color(),
                ls="--",
                lw=1.2,
                label=f"{res.scenario.name}: business as usual (no-agreement twin)",
            )
        end_q = res.scenario.scheme.implementation_quarters
    ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="agreed stretch")
    ax.axvline(end_q / QUARTERS_PER_YEAR, color="black", lw=1, ls="--", label="agreement ends")
    ax.set_xlabel("years from the agreement's start")
    ax.set_ylabel("reported performance (share of agreed stretch)")
    ax.set_title("Performance against stretch, and what is left after the agreement ends")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def attainment_by_area(results: Sequence[ScenarioResults]) -> plt.Figure:
    """Share of targets met / partly met / missed, by policy area, one panel per scenario."""
    fig, axes = plt.subplots(
        1, len(results), figsize=(6 * len(results), 5), sharey=True, squeeze=False
    )
    for ax, res in zip(axes[0], results):
        shares = (
            res.targets.groupby("area")["outcome"]
            .value_counts(normalize=True)
            .unstack(fill_value=0.0)
            .reindex(columns=list(OUTCOME_COLOURS), fill_value=0.0)
            .sort_values("met")
        )
        left = np.zeros(len(shares))
        for outcome, colour in OUTCOME_COLOURS.items():
            ax.barh(shares.index, shares[outcome], left=left, color=colour, label=outcome)
            left += shares[outcome].to_numpy()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of targets")
        ax.set_title(res.scenario.name)
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    fig.suptitle("Attainment by policy area")
    fig.tight_layout()
    return fig


def retained_gain_by_approach(results: Sequence[ScenarioResults]) -> plt.Figure:
    """Share of the end-of-agreement improvement still there 1, 3 and 5 years later, by approach."""
    frames = []
    for res in results:
        r = retained_by_approach(res.targets)
        r["scenario"] = res.scenario.name
        frames.append(r.reset_index(names="approach"))
    data = pd.concat(frames, ignore_index=True)
    kinds = ["systemic_succeeded", "systemic_failed", "new_working", "more_of_same"]
    cols = [c for c in data.columns if c.startswith("retained_gain_")]
    fig, axes = plt.subplots(
        1, len(results), figsize=(6 * len(results), 4.5), sharey=True, squeeze=False
    )
    for ax, res in zip(axes[0], results):
        d = data[data["scenario"] == res.scenario.name].set_index("approach").reindex(kinds)
        x = np.arange(len(kinds))
        for i, c in enumerate(cols):
            ax.bar(x + (i - 1) * 0.27, d[c], width=0.27, label=c.replace("retained_gain_", "+"))
        counts = pd.Series(approach_kind(res.targets)).value_counts().reindex(kinds, fill_value=0)
        ax.set_xticks(x, [f"{k.replace('_', ' ')}\n(n={counts[k]})" for k in kinds], fontsize=8)
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        ax.set_title(res.scenario.name)
    axes[0][0].set_ylabel("share of end-of-agreement gain retained")
    axes[0][0].legend(title="years after end", fontsize=8)
    fig.suptitle("Retained gain by approach")
    fig.tight_layout()
    return fig


def ratings_moves_by_year(results: Sequence[ScenarioResults]) -> plt.Figure:
    """Share of councils rising and falling a star in their annual service-level rating (adult
    social care), by year (mean over replications), with adult social care's 2005-06 figures for
    reference (003:418: 25 rose and 16 fell of about 150)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for res in results:
        r = res.ratings
        yearly = r.groupby(["replication", "year"])["service_moved"].agg(
            rise=lambda m: float((m > 0).mean()), fall=lambda m: float((m < 0).mean())
        )
        mean = yearly.groupby("year").mean()
        (line,) = ax.plot(mean.index, mean["rise"], marker="o", label=f"{res.scenario.name}: rose")
        ax.plot(
            mean.index,
            mean["fall"],
            marker="v",
            linestyle="--",
            color=line.get_color(),
            label=f"{res.scenario.name}: fell",
        )
    for share, label in ((25 / 150, "rose"), (16 / 150, "fell")):
        ax.axhline(share, color="grey", linewidth=0.8, linestyle=":")
        ax.annotate(
            f"social care 2005-06: {label} (003:418)",
            (ax.get_xlim()[0], share),
            fontsize=8,
            color="grey",
            va="bottom",
        )
    ax.set_xlabel("year of the assessment")
    ax.set_ylabel("share of councils")
    ax.set_ylim(0, None)
    ax.set_title("Adult social care star ratings (service level) move both ways every year")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


FIGURES = {
    "performance_over_time.png": performance_over_time,
    "attainment_by_area.png": attainment_by_area,
    "retained_gain_by_approach.png": retained_gain_by_approach,
    "ratings_moves_by_year.png": ratings_moves_by_year,
}
