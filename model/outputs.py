"""Tidy results from a finished model: per-target, per-council, per-quarter and aligned-trajectory
tables. Pure functions of model state; no files here. Outcomes computed from them:
``outcomes.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .lifecycle import FOLLOW_UP, IMPLEMENTATION, PHASES, phase_codes
from .outcomes import RETAINED_YEARS
from .scenario import APPROACHES, AUTHORITY_TYPES, DEPARTMENTS, PARTNER_TYPES, QUARTERS_PER_YEAR
from .targets import OUTCOMES, classify_attainment

if TYPE_CHECKING:
    from .model import LPSAModel


def quarters_frame(m: LPSAModel) -> pd.DataFrame:
    """One row per quarter run so far: councils in each phase, mean performance and effort, money
    paid.

    Built from the state history arrays in one vectorised pass (cheaper than collecting every step).
    Mean performance is over the signed councils' targets in that phase.
    """
    q = np.arange(m.quarter)
    phases = phase_codes(m, q) if q.size else np.zeros((0, m.councils.size), dtype=int)
    frame = pd.DataFrame({"quarter": q})
    for code, name in enumerate(PHASES):
        frame[f"councils_{name}"] = (phases == code).sum(axis=1)
    perf = m.history[: m.quarter].mean(
        axis=2
    )  # (Q, A): every council has the same number of targets
    for label, code in (("implementing", IMPLEMENTATION), ("follow_up", FOLLOW_UP)):
        rows = (phases == code) & m.councils.signed
        with np.errstate(invalid="ignore"):
            frame[f"mean_performance_{label}"] = (perf * rows).sum(axis=1) / rows.sum(axis=1)
    frame["mean_effort_implementing"] = m.effort_mean[: m.quarter]
    frame["mean_trust"] = m.trust_mean[: m.quarter]
    frame["ppg_paid_gbp"] = m.ppg_paid[: m.quarter]
    frame["reward_paid_gbp"] = m.reward_paid[: m.quarter]
    return frame


def performance_after_end(m: LPSAModel, years: int, history: np.ndarray) -> np.ndarray:
    """(A, T) figures of ``history`` (reported or true) ``years`` after each agreement's end."""
    end = m.councils.end
    q = np.minimum(end - 1 + QUARTERS_PER_YEAR * years, m.n_quarters - 1)
    return history[q, np.arange(end.size)]


Columns = dict[str, np.ndarray]
"""A table as 1-d numpy arrays by column name: what outcomes are computed from without building a
DataFrame (``outcomes.summarise`` takes these or DataFrames alike)."""


def targets_frame(m: LPSAModel) -> pd.DataFrame:
    """One row per target of every council that signed; performance in units of stretch."""
    return pd.DataFrame(target_columns(m))


def target_columns(m: LPSAModel) -> Columns:
    """The columns of ``targets_frame`` as numpy arrays, signed councils' targets only."""
    a, tg, sc = m.councils, m.targets, m.params
    traits, plan, end = tg.traits, tg.plan, tg.end
    A, T = tg.shape
    keep = np.repeat(a.signed, T)
    area_names = np.array(list(sc.areas))
    cols = {
        "authority": np.repeat(np.arange(A), T),
        "slot": np.tile(np.arange(T), A),
        "area": area_names[traits.area.ravel()],
        "department": np.array(DEPARTMENTS)[traits.department.ravel()],
        "partner_type": np.array(PARTNER_TYPES)[traits.partner_type.ravel()],
        "national": traits.national.ravel(),
        "local_priority": traits.local_priority.ravel(),
        "partnership": traits.partnership.ravel(),
        "cohort": traits.cohort.ravel(),
        "visible": traits.visible.ravel(),
        "indicator_quality": traits.quality.ravel(),
        "tractability": traits.tractability.ravel(),
        "potential": plan.potential.ravel(),
        "morale": plan.morale.ravel(),
        "approach": np.array(APPROACHES + ("none",))[plan.approach.ravel()],
        "innovation": plan.innovation.ravel(),
        "innovation_success": plan.systemic_success.ravel(),
        "ppg_gbp": plan.ppg.ravel(),
        "ppg_part": plan.ppg_part.ravel(),
        "start_delay": plan.delay.ravel(),
        "usual_share": end.usual_share.ravel(),
        "authority_rating": np.repeat(a.rating, T),
        "integrated": np.repeat(a.integrated, T),
        "start_quarter": np.repeat(a.start, T),
        "end_quarter": np.repeat(a.end, T),
        "end_core": end.core.ravel(),
        "share_of_stretch": end.measured.ravel(),
        "true_share_of_stretch": end.true.ravel(),
        "reporting_gap": (end.measured - end.true).ravel(),
        "gaming_strength": plan.gaming.ravel(),
        "background_gain": tg.state.background.ravel(),
        "outcome": np.array(OUTCOMES)[
            classify_attainment(
                end.measured, sc.funding.payout_floor, sc.funding.payout_cap
            ).ravel()
        ],
        "reward_gbp": end.reward.ravel(),
        "max_reward_gbp": np.repeat(a.max_reward / T, T),
    }
    for y in RETAINED_YEARS:
        cols[f"performance_{y}y"] = performance_after_end(m, y, m.history).ravel()
        cols[f"true_performance_{y}y"] = performance_after_end(m, y, m.true_history).ravel()
    return {name: column[keep] for name, column in cols.items()}


def authorities_frame(m: LPSAModel) -> pd.DataFrame:
    """One row per council: traits, money, timing, whether it signed, and its inspection record."""
    return pd.DataFrame(authority_columns(m))


def authority_columns(m: LPSAModel) -> Columns:
    """The columns of ``authorities_frame`` as numpy arrays."""
    a = m.councils
    rose, fell = m.inspection.moves()
    return {
        "authority": np.arange(a.size),
        "authority_type": np.array(AUTHORITY_TYPES)[a.kind],
        "population": a.population,
        "net_budget_gbp": a.nbr,
        "budget_climate": a.climate,
        "capacity": a.capacity,
        "will": a.will,
        "leadership": a.leadership,
        "thinking_time": a.thinking_time,
        "turnover": a.turnover,
        "trust_at_signing": a.trust_at_signing,
        "trust": a.trust,
        "rating": a.rating,
        "integrated": a.integrated,
        "signed": a.signed,
        "start_quarter": a.start,
        "end_quarter": a.end,
        "ff_granted": a.ff_granted,
        "ff_refused": a.ff_refused,
        "ff_broken_promises": a.ff_broken,
        "ppg_gbp": np.where(a.signed, a.ppg, 0.0),
        "max_reward_gbp": np.where(a.signed, a.max_reward, 0.0),
        "reward_gbp": m.targets.end.reward.sum(axis=1),
        "other_services": a.other_services,
        "years_rated": np.full(a.size, m.inspection.years_rated),
        "rating_rises": rose.sum(axis=0),
        "rating_falls": fell.sum(axis=0),
        "final_rating": m.inspection.current_rating,
    }


def ratings_frame(m: LPSAModel) -> pd.DataFrame:
    """One row per council and year rated: the annual inspection rating (1-4 stars), its score,
    the rating the year before and whether the council was in its agreement (``inspection.py``).

    ``year`` is the calendar year of the assessment (``inspection.first_year`` + years run).
    """
    ins, a = m.inspection, m.councils
    years = ins.years_rated
    rose, fell = ins.moves()
    before = np.vstack([a.rating[None, :], ins.ratings[: years - 1]])[:years]
    year_end = QUARTERS_PER_YEAR * (np.arange(years) + 1) - 1
    phase = np.array(PHASES)[phase_codes(m, year_end)] if years else []
    return pd.DataFrame(
        {
            "authority": np.tile(np.arange(a.size), years),
            "year": np.repeat(m.params.inspection.first_year + np.arange(years), a.size),
            "rating": ins.ratings[:years].ravel(),
            "score": ins.scores[:years].ravel(),
            "previous_rating": before.ravel(),
            "moved": (rose.astype(int) - fell.astype(int)).ravel(),
            "phase": np.asarray(phase).ravel(),
            "signed": np.tile(a.signed, years),
        }
    )


def trajectory_frame(m: LPSAModel) -> pd.DataFrame:
    """Mean measured performance by quarter relative to each agreement's start, by approach and
    overall.

    ``quarter_from_end`` is 0 in the first quarter after the agreement ends, negative before.
    """
    a, sc, tg = m.councils, m.params, m.targets
    n_rel = sc.scheme.implementation_quarters + sc.scheme.follow_up_quarters
    rows = a.start[a.signed][None, :] + np.arange(n_rel)[:, None]  # (K, A_signed)
    perf = m.history[rows, np.flatnonzero(a.signed)[None, :]]  # (K, A_signed, T)
    approach = tg.plan.approach[a.signed]
    frames = []
    for name, mask in [("all", np.ones_like(approach, dtype=bool))] + [
        (n, approach == i) for i, n in enumerate(APPROACHES)
    ]:
        n = mask.sum()
        mean = (perf * mask).sum(axis=(1, 2)) / n if n else np.full(n_rel, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "quarter_from_start": np.arange(n_rel),
                    "quarter_from_end": np.arange(n_rel) - sc.scheme.implementation_quarters,
                    "approach": name,
                    "mean_performance": mean,
                    "n_targets": int(n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def approach_kind(targets: pd.DataFrame) -> pd.Series:
    """Approach with systemic split by whether the innovation succeeded (003:739)."""
    systemic = targets["approach"] == "systemic"
    kind = targets["approach"].where(~systemic, "systemic_failed")
    return kind.where(~(systemic & targets["innovation_success"]), "systemic_succeeded")


def retained_by_approach(targets: pd.DataFrame) -> pd.DataFrame:
    """Retained gain 1, 3 and 5 years after the end by approach kind (ratio of sums over improved
    targets)."""
    improved = targets[targets["share_of_stretch"] > 0]
    cols = [f"performance_{y}y" for y in RETAINED_YEARS]
    sums = improved.groupby(approach_kind(improved))[["share_of_stretch", *cols]].sum()
    out = sums[cols].div(sums["share_of_stretch"], axis=0)
    out.columns = [f"retained_gain_{y}y" for y in RETAINED_YEARS]
    return out
