"""The outcome registry: every outcome a run reports, declared once.

An :class:`Outcome` has a name, a label for people, a unit, a direction (is more better or worse?),
a description and the function that computes it from a run's tidy tables (``targets_frame()`` and
``authorities_frame()``, see ``outputs.py``). Summaries, sweeps, reports, sensitivity analyses,
the dashboard's monitors and the Parquet column descriptions all read this registry, so an
outcome is added by one :func:`register` call (or one entry below) and appears everywhere.

The same functions work on one run's tables and on tables stacked over replications (with a
``replication`` column): shares are ratios over all the targets given, and money is per
replication.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

RETAINED_YEARS = (1, 3, 5)
"""Years after an agreement's end at which retained gain is measured."""

Direction = Literal["higher is better", "lower is better", "neither"]
Compute = Callable[[pd.DataFrame, pd.DataFrame], float]


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run.

    ``compute(targets, authorities)`` returns a float (NaN where it is undefined, e.g. a retained
    share when nothing improved). ``needs_twins``: computed only when the targets table carries the
    no-agreement twin's columns (``counterfactual.py``). ``headline``: shown in sweep reports.
    """

    name: str
    label: str
    unit: str
    direction: Direction
    description: str
    compute: Compute
    needs_twins: bool = False
    headline: bool = False

    def format(self, value: float) -> str:
        """The value as people read it, by unit."""
        if value is None or not np.isfinite(value):
            return "-"
        if self.unit == "share":
            return f"{100 * value:.1f}%"
        if self.unit == "GBP":
            return f"£{value / 1e6:,.1f}m"
        if self.unit == "share of stretch":
            return f"{value:+.3f} of stretch"
        return f"{value:.3g} {self.unit}"


REGISTRY: dict[str, Outcome] = {}
"""Every outcome, by name, in the order they are declared."""


def register(outcome: Outcome) -> Outcome:
    """Add ``outcome`` to the registry (its name must be new)."""
    if outcome.name in REGISTRY:
        raise ValueError(f"outcome {outcome.name!r} is already registered")
    REGISTRY[outcome.name] = outcome
    return outcome


@contextmanager
def registered(outcome: Outcome) -> Iterator[Outcome]:
    """Register ``outcome`` for the duration of a ``with`` block (tests, notebooks)."""
    register(outcome)
    try:
        yield outcome
    finally:
        REGISTRY.pop(outcome.name, None)


def outcome_names(twins: bool = True) -> list[str]:
    """Names of the registered outcomes; without ``twins``, those that need no twin run."""
    return [o.name for o in REGISTRY.values() if twins or not o.needs_twins]


def summarise(targets: pd.DataFrame, authorities: pd.DataFrame) -> dict[str, float]:
    """Every registered outcome for these tables (twin outcomes only when the twin columns
    exist)."""
    twins = "additionality" in targets
    return {
        o.name: float(o.compute(targets, authorities))
        for o in REGISTRY.values()
        if twins or not o.needs_twins
    }


# ------------------------------------------------------------------------------------------
# Helpers for the computations


def share(mask: pd.Series) -> float:
    """Share of True in ``mask``; NaN when it is empty."""
    return float(mask.mean()) if len(mask) else float("nan")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _replications(frame: pd.DataFrame) -> int:
    return int(frame["replication"].nunique()) if "replication" in frame else 1


def _met(t: pd.DataFrame) -> pd.Series:
    return t["outcome"] == "met"


def _retained(t: pd.DataFrame, years: int) -> float:
    improved = t["share_of_stretch"] > 0
    base = t.loc[improved, "share_of_stretch"].sum()
    return _ratio(t.loc[improved, f"performance_{years}y"].sum(), base)


def _money(a: pd.DataFrame) -> float:
    return float(a["ppg_gbp"].sum() + a["reward_gbp"].sum())


def _deadweight_share(t: pd.DataFrame, _: pd.DataFrame) -> float:
    improved = t["true_share_of_stretch"] > 0
    total = t.loc[improved, "true_share_of_stretch"].sum()
    return _ratio(t.loc[improved, "deadweight"].clip(lower=0).sum(), total)


def _additionality_retained(t: pd.DataFrame, years: int) -> float:
    added = t["additionality"] > 0
    return _ratio(
        t.loc[added, f"additionality_{years}y"].sum(), t.loc[added, "additionality"].sum()
    )


def _mean(column: str) -> Compute:
    def compute(t: pd.DataFrame, _: pd.DataFrame) -> float:
        return float(t[column].mean()) if len(t) else float("nan")

    return compute


# ------------------------------------------------------------------------------------------
# The outcomes

_O = Outcome
for _outcome in [
    _O(
        "targets_met_share",
        "targets met",
        "share",
        "higher is better",
        "share of targets whose reported figure reached 100 % of the stretch (payout rule)",
        lambda t, a: share(_met(t)),
        headline=True,
    ),
    _O(
        "targets_partly_share",
        "targets partly met",
        "share",
        "neither",
        "share of targets between the payout floor and 100 % of the stretch",
        lambda t, a: share(t["outcome"] == "partly"),
    ),
    _O(
        "targets_missed_share",
        "targets missed",
        "share",
        "lower is better",
        "share of targets below the payout floor",
        lambda t, a: share(t["outcome"] == "missed"),
    ),
    _O(
        "local_met_share",
        "local targets met",
        "share",
        "higher is better",
        "met share among local (non-national) targets",
        lambda t, a: share(_met(t)[~t["national"]]),
    ),
    _O(
        "national_met_share",
        "national targets met",
        "share",
        "higher is better",
        "met share among national targets (stretch on departmental PSA targets)",
        lambda t, a: share(_met(t)[t["national"]]),
    ),
    _O(
        "ppg_spent",
        "PPG paid",
        "GBP",
        "neither",
        "pump-priming grant paid to signed councils, per replication",
        lambda t, a: float(a["ppg_gbp"].sum() / _replications(a)),
    ),
    _O(
        "reward_paid",
        "reward paid",
        "GBP",
        "neither",
        "performance reward grant paid, per replication",
        lambda t, a: float(a["reward_gbp"].sum() / _replications(a)),
        headline=True,
    ),
    _O(
        "reward_paid_share",
        "reward paid of the maximum",
        "share",
        "neither",
        "reward paid over the maximum reward available (undefined when no reward is available)",
        lambda t, a: _ratio(a["reward_gbp"].sum(), a["max_reward_gbp"].sum()),
    ),
    *(
        _O(
            f"retained_gain_{y}y",
            f"gain kept {y} year{'s' if y > 1 else ''} on",
            "share",
            "higher is better",
            f"of the reported improvement at the agreement's end (targets that improved), the "
            f"share still there {y} years later (ratio of sums)",
            lambda t, a, y=y: _retained(t, y),
            headline=y in (3, 5),
        )
        for y in RETAINED_YEARS
    ),
    _O(
        "participation_rate",
        "councils that signed",
        "share",
        "higher is better",
        "share of councils offered an agreement that signed",
        lambda t, a: float(a["signed"].mean()) if len(a) else float("nan"),
    ),
    _O(
        "mean_share_of_stretch",
        "mean share of stretch (reported)",
        "share",
        "higher is better",
        "mean reported share of the agreed stretch at the agreement's end",
        _mean("share_of_stretch"),
    ),
    _O(
        "true_mean_share_of_stretch",
        "mean share of stretch (true)",
        "share",
        "higher is better",
        "mean true share of the agreed stretch at the agreement's end",
        _mean("true_share_of_stretch"),
    ),
    _O(
        "reporting_gap_mean",
        "reported minus true",
        "share of stretch",
        "lower is better",
        "mean reported minus true outcome at the end (gaming)",
        _mean("reporting_gap"),
    ),
    _O(
        "missed_but_improved_share",
        "missed targets that improved",
        "share",
        "neither",
        "share of missed targets whose reported figure still rose (P4)",
        lambda t, a: share(t.loc[t["outcome"] == "missed", "share_of_stretch"] > 0),
    ),
    _O(
        "partnership_met_share",
        "partnership targets met",
        "share",
        "higher is better",
        "met share among multi-agency targets",
        lambda t, a: share(_met(t)[t["partnership"]]),
    ),
    _O(
        "single_agency_met_share",
        "single-agency targets met",
        "share",
        "higher is better",
        "met share among single-agency targets",
        lambda t, a: share(_met(t)[~t["partnership"]]),
    ),
    _O(
        "sustained_gain_per_million",
        "sustained gain per £m",
        "per £m",
        "higher is better",
        "true improvement three years after the end, summed over targets in units of stretch, per "
        "million pounds of PPG and reward paid (value for money)",
        lambda t, a: _ratio(t["true_performance_3y"].sum(), _money(a) / 1e6),
        headline=True,
    ),
    _O(
        "rating_rise_share",
        "councils rising a star a year",
        "share",
        "neither",
        "share of council-years whose inspection rating rose a star or more on the year before "
        "(ratings.parquet; 003:418: 25 of about 150 in adult social care)",
        lambda t, a: _ratio(a["rating_rises"].sum(), a["years_rated"].sum()),
    ),
    _O(
        "rating_fall_share",
        "councils falling a star a year",
        "share",
        "lower is better",
        "share of council-years whose inspection rating fell a star or more on the year before "
        "(003:418: 16 of about 150)",
        lambda t, a: _ratio(a["rating_falls"].sum(), a["years_rated"].sum()),
    ),
    _O(
        "other_services_change",
        "untargeted services",
        "share of stretch",
        "higher is better",
        "change in signed councils' untargeted services at the end of the run (diversion, 001:95)",
        lambda t, a: (
            float(a.loc[a["signed"], "other_services"].mean())
            if a["signed"].any()
            else float("nan")
        ),
    ),
    _O(
        "additionality_mean",
        "additionality",
        "share of stretch",
        "higher is better",
        "true outcome with the agreement minus its no-agreement twin at the end, per target",
        _mean("additionality"),
        needs_twins=True,
        headline=True,
    ),
    _O(
        "deadweight_mean",
        "deadweight",
        "share of stretch",
        "lower is better",
        "the twin's own improvement at the end, per target (would have happened anyway)",
        _mean("deadweight"),
        needs_twins=True,
    ),
    _O(
        "deadweight_share",
        "deadweight share",
        "share",
        "lower is better",
        "twin's improvement over the true improvement, targets that improved (ratio of sums)",
        _deadweight_share,
        needs_twins=True,
    ),
    *(
        _O(
            f"additionality_retained_{y}y",
            f"additionality kept {y} year{'s' if y > 1 else ''} on",
            "share",
            "higher is better",
            f"share of end-of-agreement additionality still there {y} years later",
            lambda t, a, y=y: _additionality_retained(t, y),
            needs_twins=True,
        )
        for y in RETAINED_YEARS
    ),
]:
    register(_outcome)
del _O, _outcome
