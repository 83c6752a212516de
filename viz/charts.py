"""Chart data for the dashboard: pure functions of a (possibly half-run) model, tested without a
browser."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lpsa.model import LPSAModel
from lpsa.model.lifecycle import IMPLEMENTATION, NOT_SIGNED
from lpsa.model.targets import NEW_WORKING, OUTCOMES, SYSTEMIC, classify_attainment

KEPT = 0.8
"""A council past its end has 'kept' its gain while its targets stand at this share of where they
were at the end, or more (a display threshold, not a model parameter)."""
STATUS = (
    "negotiating",
    "not signed",
    "on course",
    "partly there",
    "behind",
    f"ended: {KEPT:.0%}+ of its end level",
    f"ended: under {KEPT:.0%} of it",
    "ended: hidden until Reveal",
)
"""Where a council is (the council grid's colours): on course while its targets stand where a
council on course would be by now, partly there from 60 % of that (the payout floor), behind below;
after the end, kept while its targets stand at ``KEPT`` of their level at the end or more. While
the page is veiled (the money-stops pause) the councils past their end are not told apart."""
STATUS_COLOURS = (
    "#d9d9d9",
    "#ffffff",
    "#009e73",
    "#f0e442",
    "#cc79a7",
    "#0072b2",
    "#e69f00",
    "#6b6b6b",
)
"""Okabe and Ito's colour-blind-safe palette: kept (blue) and fell back (orange) stay apart for
red- and green-blind viewers."""
KEPT_STATUS, FELL_STATUS, VEILED = 5, 6, 7
APPROACH_KINDS = ("systemic_succeeded", "systemic_failed", "new_working", "more_of_same")
"""Approaches as the retained-gain chart splits them (``model.outputs.approach_kind``), in order."""


def after_the_end(m: LPSAModel) -> np.ndarray:
    """(A,) councils that signed and whose agreement has ended by now (follow-up or finished):
    each was assessed in its last quarter."""
    return m.councils.signed & (m.councils.end <= m.quarter)


def _by_quarter_from_start(
    m: LPSAModel, councils: np.ndarray | None, *histories: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray] | None:
    """Quarters from start, each history's mean by quarter from start over the chosen councils
    that have started (each quarter over those that have reached it), and how many have; None
    before any has started."""
    a = m.councils
    chosen = a.signed if councils is None else councils
    started = np.flatnonzero(chosen & (a.start < m.quarter))
    if started.size == 0:
        return None
    k_max = min(int(m.quarter - a.start[started].min()), m.window)
    k = np.arange(k_max)
    valid = a.start[started][None, :] + k[:, None] < m.quarter  # (K, councils)
    n = valid.sum(axis=1)
    with np.errstate(invalid="ignore"):
        means = [(h[:k_max, started].mean(axis=2) * valid).sum(axis=1) / n for h in histories]
    return k, means, n


def trajectory(m: LPSAModel, councils: np.ndarray | None = None) -> pd.DataFrame:
    """Mean reported and true performance by quarter from each agreement's start, over signed
    councils so far (or over the boolean mask ``councils``: a twin is read for its factual run's
    signed councils)."""
    found = _by_quarter_from_start(m, councils, m.reported_from_start, m.true_from_start)
    if found is None:
        return pd.DataFrame(columns=["quarter_from_start", "reported", "true", "councils"])
    k, (reported, true), n = found
    return pd.DataFrame(
        {"quarter_from_start": k, "reported": reported, "true": true, "councils": n}
    )


def reported_line(
    m: LPSAModel, councils: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``trajectory``'s quarters from start and reported performance as arrays (empty before any
    agreement has started): the performance chart's line, without a table."""
    found = _by_quarter_from_start(m, councils, m.reported_from_start)
    if found is None:
        return np.empty(0), np.empty(0)
    k, (reported,), _ = found
    return k, reported


def calendar_line(
    m: LPSAModel, councils: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean reported performance of the same councils (the signed ones, or the boolean mask
    ``councils``) in every quarter of the scheme so far, by calendar time: quarters 0 (the scheme's
    start, nothing has moved) to ``m.quarter`` (now), and each quarter's mean over every chosen
    council. Every point averages the same councils: one that has not started yet counts at 0 (its
    projected baseline, where its figures start), one past its follow-up window at its last
    figure. Empty when no council is chosen."""
    a = m.councils
    chosen = np.flatnonzero(a.signed if councils is None else councils)
    if chosen.size == 0:
        return np.empty(0), np.empty(0)
    quarters = np.arange(m.quarter)
    k = quarters[:, None] - a.start[chosen][None, :]  # (Q, councils): quarter of each agreement
    started = k >= 0
    figures = m.reported_from_start[np.clip(k, 0, m.window - 1), chosen[None, :]].mean(axis=2)
    means = np.where(started, figures, 0.0).mean(axis=1)
    return np.arange(m.quarter + 1), np.concatenate([[0.0], means])


def attainment_by_area(m: LPSAModel) -> tuple[pd.DataFrame, str]:
    """Met / partly / missed shares by area for assessed councils, or 'on course' shares before any
    assessment."""
    a, tg, sc = m.councils, m.targets, m.params
    done = after_the_end(m)
    if done.any():
        rows, values, label = done, tg.end.measured, "assessed agreements"
    else:
        # before any assessment: current figures against where a council on course would be by now
        rows = a.signed & (m.phase_codes() == IMPLEMENTATION)
        values, label = (
            tg.state.measured / expected_progress(m)[:, None],
            "under way, vs progress expected",
        )
    if not rows.any():
        return pd.DataFrame(columns=list(OUTCOMES), dtype=float), "no agreement under way yet"
    names = np.array(list(sc.areas))
    cls = classify_attainment(values[rows], sc.funding.payout_floor, sc.funding.payout_cap)
    # counts by area and outcome (numpy: a pandas groupby here cost 10 ms a Step)
    counts = np.bincount(
        (tg.traits.area[rows] * len(OUTCOMES) + cls).ravel(), minlength=names.size * len(OUTCOMES)
    ).reshape(names.size, len(OUTCOMES))
    seen = np.flatnonzero(counts.sum(axis=1))
    seen = seen[np.argsort(names[seen], kind="stable")]  # areas alphabetically, as a groupby
    shares = counts[seen] / counts[seen].sum(axis=1, keepdims=True)
    order = np.argsort(shares[:, OUTCOMES.index("met")], kind="quicksort")  # as sort_values
    return (
        pd.DataFrame(
            shares[order],
            index=pd.Index(names[seen][order], name="area"),
            columns=pd.Index(list(OUTCOMES), name="outcome"),
        ),
        label,
    )


def expected_progress(m: LPSAModel) -> np.ndarray:
    """(A,) share of the stretch a council on course would have reached by now (elapsed share of its
    agreement, at least a quarter of the way so that the first quarters are not all 'behind')."""
    a = m.councils
    elapsed = np.clip((m.quarter - a.start) / np.maximum(a.end - a.start, 1), 0.0, 1.0)
    return np.maximum(elapsed, 0.25)


def council_status(m: LPSAModel, veiled: bool = False) -> np.ndarray:
    """(A,) status code per council, indexing ``STATUS`` (``veiled``: every council past its end
    is ``VEILED``)."""
    a = m.councils
    phase = m.phase_codes()
    perf = m.targets.state.measured.mean(axis=1)
    end = m.targets.end.measured.mean(axis=1)
    floor = m.params.funding.payout_floor
    expected = expected_progress(m)
    status = np.full(a.start.size, STATUS.index("negotiating"))
    status[phase == NOT_SIGNED] = STATUS.index("not signed")
    impl = phase == IMPLEMENTATION
    status[impl & (perf >= expected)] = STATUS.index("on course")
    status[impl & (perf < expected) & (perf >= floor * expected)] = STATUS.index("partly there")
    status[impl & (perf < floor * expected)] = STATUS.index("behind")
    after = after_the_end(m)
    status[after & (perf >= KEPT * end)] = KEPT_STATUS
    status[after & (perf < KEPT * end)] = FELL_STATUS
    if veiled:
        status[after] = VEILED
    return status


def retained_by_kind(m: LPSAModel) -> np.ndarray:
    """(len(APPROACH_KINDS),) for councils past their end: share of the end-of-agreement gain
    still there now, by approach kind (NaN for a kind with no target that gained)."""
    tg = m.targets
    after = after_the_end(m)
    end = tg.end.measured[after].ravel()
    now = tg.state.measured[after].ravel()
    approach = tg.plan.approach[after].ravel()
    success = tg.plan.systemic_success[after].ravel().astype(bool)
    # index into APPROACH_KINDS: systemic split by whether the innovation worked (as
    # model.outputs.approach_kind), then new ways of working and more of the same
    kind = np.where(
        approach == SYSTEMIC, np.where(success, 0, 1), np.where(approach == NEW_WORKING, 2, 3)
    )
    gained = end > 0
    kind, n = kind[gained], len(APPROACH_KINDS)
    present = np.bincount(kind, minlength=n) > 0
    kept = np.full(n, np.nan)
    kept[present] = (
        np.bincount(kind, now[gained], minlength=n)[present]
        / np.bincount(kind, end[gained], minlength=n)[present]
    )
    return kept


def retained_now(m: LPSAModel) -> pd.Series:
    """For councils past their end: share of the end-of-agreement gain still there now, by approach
    kind (the kinds with a target that gained, in the order of ``APPROACH_KINDS``)."""
    kept = retained_by_kind(m)
    present = ~np.isnan(kept)
    return pd.Series(kept[present], index=np.array(APPROACH_KINDS)[present], dtype=float)


def retained_overall(m: LPSAModel) -> float:
    """Of the gain councils past their end had made by then, the share still there now (NaN before
    any agreement has ended or when none gained)."""
    tg = m.targets
    after = after_the_end(m)
    end = tg.end.measured[after]
    gained = end > 0
    if not gained.any():
        return float("nan")
    return float(tg.state.measured[after][gained].sum() / end[gained].sum())


def met_share(m: LPSAModel) -> float:
    """Share of the targets assessed so far that met their stretch (NaN before any assessment)."""
    done, sc = after_the_end(m), m.params
    if not done.any():
        return float("nan")
    cls = classify_attainment(
        m.targets.end.measured[done], sc.funding.payout_floor, sc.funding.payout_cap
    )
    return float((cls == OUTCOMES.index("met")).mean())


def outcome_table(values: list[dict[str, float]], runs: list[str]) -> pd.DataFrame:
    """Every registered outcome (``model/outcomes.py``) as people read it, one column per run:
    ``values[i]`` holds run ``i``'s outcomes (``Session.outcomes``). A newly registered outcome
    appears here without touching the dashboard."""
    from lpsa.model.outcomes import REGISTRY

    rows = []
    for o in REGISTRY.values():
        if any(o.name in v for v in values):
            row = {"outcome": o.label}
            row |= {run: o.format(v.get(o.name, float("nan"))) for run, v in zip(runs, values)}
            rows.append(row)
    return pd.DataFrame(rows, columns=["outcome", *runs])
