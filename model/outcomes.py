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

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

RETAINED_YEARS = (1, 3, 5)
"""Years after an agreement's end at which retained gain is measured."""

Direction = Literal["higher is better", "lower is better", "neither"]
Table = pd.DataFrame | Mapping[str, np.ndarray]
"""A table of runs' rows: a DataFrame, or column names mapped to 1-d numpy arrays."""
Compute = Callable[[Table, Table], float]


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


def summarise(targets: Table, authorities: Table) -> dict[str, float]:
    """Every registered outcome for these tables (twin outcomes only when the twin columns
    exist). A table is a DataFrame or a mapping of column names to 1-d arrays (``Columns``)."""
    twins = "additionality" in targets
    return {
        o.name: float(o.compute(targets, authorities))
        for o in REGISTRY.values()
        if twins or not o.needs_twins
    }


# ------------------------------------------------------------------------------------------
# Helpers for the computations: they read columns as numpy arrays, so that one definition serves
# one run's numpy columns and stacked DataFrames alike.


def col(table: Table, name: str) -> np.ndarray:
    """Column ``name`` of ``table`` as a numpy array."""
    return np.asarray(table[name])


def share(mask: np.ndarray | pd.Series) -> float:
    """Share of True in ``mask``; NaN when it is empty."""
    mask = np.asarray(mask)
    return float(mask.mean()) if mask.size else float("nan")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _replications(frame: Table) -> int:
    return int(np.unique(col(frame, "replication")).size) if "replication" in frame else 1


def _met(t: Table) -> np.ndarray:
    return col(t, "outcome") == "met"


def retained(t: Table, years: int, among: np.ndarray | None = None) -> float:
    """Gain kept ``years`` after the end over gain at the end, summed over the targets that
    improved (``among`` them, a boolean mask, when given); NaN when none did."""
    end = col(t, "share_of_stretch")
    improved = end > 0 if among is None else (end > 0) & among
    return _ratio(col(t, f"performance_{years}y")[improved].sum(), end[improved].sum())


def _money(a: Table) -> float:
    return float(col(a, "ppg_gbp").sum() + col(a, "reward_gbp").sum())


def _deadweight_share(t: Table, _: Table) -> float:
    true = col(t, "true_share_of_stretch")
    improved = true > 0
    return _ratio(np.clip(col(t, "deadweight")[improved], 0, None).sum(), true[improved].sum())


def _additionality_retained(t: Table, years: int) -> float:
    added_end = col(t, "additionality")
    added = added_end > 0
    return _ratio(col(t, f"additionality_{years}y")[added].sum(), added_end[added].sum())


def average(values: np.ndarray) -> float:
    """Mean of ``values``; NaN when there are none."""
    return float(values.mean()) if values.size else float("nan")


def _mean(column: str) -> Compute:
    """Mean of ``column`` of the targets table."""
    return lambda t, _: average(col(t, column))


def _signed_mean(a: Table, column: str) -> float:
    """Mean of ``column`` of the authorities table over the councils that signed."""
    return average(col(a, column)[col(a, "signed")])


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
        lambda t, a: share(col(t, "outcome") == "partly"),
    ),
    _O(
        "targets_missed_share",
        "targets missed",
        "share",
        "lower is better",
        "share of targets below the payout floor",
        lambda t, a: share(col(t, "outcome") == "missed"),
    ),
    _O(
        "local_met_share",
        "local targets met",
        "share",
        "higher is better",
        "met share among local (non-national) targets",
        lambda t, a: share(_met(t)[~col(t, "national")]),
    ),
    _O(
        "national_met_share",
        "national targets met",
        "share",
        "higher is better",
        "met share among national targets (stretch on departmental PSA targets)",
        lambda t, a: share(_met(t)[col(t, "national")]),
    ),
    _O(
        "ppg_spent",
        "PPG paid",
        "GBP",
        "neither",
        "pump-priming grant paid to signed councils, per replication",
        lambda t, a: float(col(a, "ppg_gbp").sum() / _replications(a)),
    ),
    _O(
        "reward_paid",
        "reward paid",
        "GBP",
        "neither",
        "performance reward grant paid, per replication",
        lambda t, a: float(col(a, "reward_gbp").sum() / _replications(a)),
        headline=True,
    ),
    _O(
        "reward_paid_share",
        "reward paid of the maximum",
        "share",
        "neither",
        "reward paid over the maximum reward available (undefined when no reward is available)",
        lambda t, a: _ratio(col(a, "reward_gbp").sum(), col(a, "max_reward_gbp").sum()),
    ),
    *(
        _O(
            f"retained_gain_{y}y",
            f"gain kept {y} year{'s' if y > 1 else ''} on",
            "share",
            "higher is better",
            f"of the reported improvement at the agreement's end (targets that improved), the "
            f"share still there {y} years later (ratio of sums)",
            lambda t, a, y=y: retained(t, y),
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
        lambda t, a: share(col(a, "signed")),
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
        lambda t, a: share(col(t, "share_of_stretch")[col(t, "outcome") == "missed"] > 0),
    ),
    _O(
        "partnership_met_share",
        "partnership targets met",
        "share",
        "higher is better",
        "met share among multi-agency targets",
        lambda t, a: share(_met(t)[col(t, "partnership")]),
    ),
    _O(
        "single_agency_met_share",
        "single-agency targets met",
        "share",
        "higher is better",
        "met share among single-agency targets",
        lambda t, a: share(_met(t)[~col(t, "partnership")]),
    ),
    _O(
        "sustained_gain_per_million",
        "gross gain kept per £m",
        "per £m",
        "higher is better",
        "true improvement three years after the end, summed over targets in units of stretch, per "
        "million pounds of PPG and reward paid; gross: it counts what would have happened anyway "
        "(see additional_gain_per_million)",
        lambda t, a: _ratio(col(t, "true_performance_3y").sum(), _money(a) / 1e6),
    ),
    _O(
        "additional_gain_per_million",
        "value for money: added gain kept per £m",
        "per £m",
        "higher is better",
        "additionality three years after the end (true outcome with the agreement minus its "
        "no-agreement twin), summed over targets in units of stretch, per million pounds of PPG "
        "and reward paid: value for money net of deadweight (001:133, 000:230)",
        lambda t, a: _ratio(col(t, "additionality_3y").sum(), _money(a) / 1e6),
        needs_twins=True,
        headline=True,
    ),
    _O(
        "rating_rise_share",
        "councils rising a star a year",
        "share",
        "neither",
        "share of council-years whose inspection rating rose a star or more on the year before "
        "(ratings.parquet; 003:418: 25 of about 150 in adult social care)",
        lambda t, a: _ratio(col(a, "rating_rises").sum(), col(a, "years_rated").sum()),
    ),
    _O(
        "rating_fall_share",
        "councils falling a star a year",
        "share",
        "lower is better",
        "share of council-years whose inspection rating fell a star or more on the year before "
        "(003:418: 16 of about 150)",
        lambda t, a: _ratio(col(a, "rating_falls").sum(), col(a, "years_rated").sum()),
    ),
    _O(
        "other_services_change",
        "untargeted services",
        "share of stretch",
        "higher is better",
        "change in signed councils' untargeted services at the end of the run (diversion, 001:95)",
        lambda t, a: _signed_mean(a, "other_services"),
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
    # What is still added, not what share of it: a regime that adds more can keep a smaller share
    # and still leave more behind (docs/compare.md, "Kept share or kept amount").
    *(
        _O(
            f"additionality_{y}y_mean",
            f"added improvement still there {y} year{'s' if y > 1 else ''} on",
            "share of stretch",
            "higher is better",
            f"true outcome with the agreement minus its no-agreement twin {y} years after the "
            "end, per target: how much the agreement still adds, whatever it added at the end",
            _mean(f"additionality_{y}y"),
            needs_twins=True,
            headline=y == 3,
        )
        for y in RETAINED_YEARS
    ),
]:
    register(_outcome)
del _O, _outcome
