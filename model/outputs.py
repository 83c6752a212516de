"""Tidy results from a finished model: per-target, per-council, per-quarter and aligned-trajectory
tables. Pure functions of model state; no files here. Outcomes computed from them:
``outcomes.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .lifecycle import PHASES, phase_codes
from .outcomes import RETAINED_YEARS, Table, col, retained
from .scenario import APPROACHES, AUTHORITY_TYPES, DEPARTMENTS, PARTNER_TYPES, QUARTERS_PER_YEAR
from .targets import OUTCOMES, classify_attainment

if TYPE_CHECKING:
    from .built import BuiltModel


def phases_in(m: BuiltModel, quarters: np.ndarray) -> np.ndarray:
    """(Q, A) every council's phase in each of ``quarters`` (``lifecycle.phase_codes``)."""
    return phase_codes(m.councils, m.params.scheme.follow_up_quarters, quarters)


def quarters_frame(m: BuiltModel) -> pd.DataFrame:
    """One row per quarter run so far: councils in each phase, mean performance and effort, money
    paid.

    Columns (every one's unit and description: ``columns.QUARTERS``, ``docs/data.md``):
    ``quarter`` (from 0, the run's first); ``councils_<phase>`` for each of ``lifecycle.PHASES``
    [count]; ``mean_performance_implementing`` and ``mean_performance_follow_up`` (reported, mean
    over the signed councils' targets in that phase; NaN when none is) [share of stretch];
    ``mean_effort_implementing`` [0-1]; ``mean_trust`` [0-1]; ``ppg_paid_gbp`` and
    ``reward_paid_gbp`` paid in the quarter, all councils [GBP].

    Built from the history arrays in one vectorised pass (cheaper than collecting every step).
    """
    q = np.arange(m.quarter)
    phases = (
        phase_codes(m.councils, m.params.scheme.follow_up_quarters, q)
        if q.size
        else np.zeros((0, m.councils.size), dtype=int)
    )
    frame = pd.DataFrame({"quarter": q})
    for code, name in enumerate(PHASES):
        frame[f"councils_{name}"] = (phases == code).sum(axis=1)
    # (window, A) by quarter from each council's start: every council has the same number of
    # targets, and implementation then follow-up fill its window
    perf = m.reported_from_start.mean(axis=2)
    k = np.arange(m.window)[:, None]
    quarter = m.councils.start[None, :] + k
    done = (quarter < m.quarter) & m.councils.signed
    implementing = k < m.params.scheme.implementation_quarters
    for label, rows in (("implementing", done & implementing), ("follow_up", done & ~implementing)):
        total = np.bincount(quarter[rows], weights=perf[rows], minlength=m.quarter)
        with np.errstate(invalid="ignore"):
            frame[f"mean_performance_{label}"] = (
                total / np.bincount(quarter[rows], minlength=m.quarter)
            )[: m.quarter]
    frame["mean_effort_implementing"] = m.effort_mean[: m.quarter]
    frame["mean_trust"] = m.trust_mean[: m.quarter]
    frame["ppg_paid_gbp"] = m.ppg_paid[: m.quarter]
    frame["reward_paid_gbp"] = m.reward_paid[: m.quarter]
    return frame


def performance_after_end(m: BuiltModel, years: int, true: bool = False) -> np.ndarray:
    """(A, T) reported (or ``true``) figures ``years`` after each agreement's end (its last
    quarter): the same quarter from each council's start."""
    history = m.true_from_start if true else m.reported_from_start
    return history[m.params.scheme.implementation_quarters - 1 + QUARTERS_PER_YEAR * years]


Columns = Mapping[str, np.ndarray]
"""A table as 1-d numpy arrays by column name: what outcomes are computed from without building a
DataFrame (``outcomes.summarise`` takes these or DataFrames alike)."""


class LazyColumns(Mapping[str, np.ndarray]):
    """A table as named 1-d numpy columns, each computed the first time it is read, then kept.

    A run's summary reads about a dozen of the targets table's 40 columns; the rest (the string
    columns above all) cost nothing until a DataFrame or a user asks for them (issue 11: cheap
    outcomes). ``recipes`` maps each column name to a function of no arguments returning it.
    ``name in columns`` and iteration compute nothing. A recipe reads the model when its column
    is first read: take the columns of a finished run, not of one still stepping.
    """

    def __init__(self, recipes: Mapping[str, Callable[[], np.ndarray]]) -> None:
        self._recipes = dict(recipes)
        self._computed: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._computed:
            self._computed[name] = self._recipes[name]()
        return self._computed[name]

    def __contains__(self, name: object) -> bool:
        return name in self._recipes

    def __iter__(self) -> Iterator[str]:
        return iter(self._recipes)

    def __len__(self) -> int:
        return len(self._recipes)

    def with_columns(self, columns: Columns) -> LazyColumns:
        """These columns and ``columns`` (which win on a shared name), still lazy."""
        return LazyColumns({**self._recipes, **{n: (lambda n=n: columns[n]) for n in columns}})


def targets_frame(m: BuiltModel) -> pd.DataFrame:
    """One row per target of every council that signed: what it is, how it was pursued, where it
    ended and what was left 1, 3 and 5 years later.

    Columns (every one's unit and description: ``columns.TARGETS``, ``docs/data.md``): the
    target (``authority``, ``slot`` [index], ``area``, ``department``, ``partner_type``, flags
    [true/false], ``indicator_quality`` [0-1]); the plan (``potential`` [share of stretch],
    ``approach``, ``ppg_gbp`` [GBP], ``start_delay`` [quarters]); the end of the agreement
    (``end_core``, ``share_of_stretch`` reported, ``true_share_of_stretch``, ``reporting_gap``,
    ``setback`` [share of stretch], ``setback_quarter``, ``outcome`` met/partly/missed,
    ``reward_gbp`` [GBP]); afterwards
    (``performance_<N>y`` reported and ``true_performance_<N>y`` [share of stretch]).
    Performance is in units of the agreed stretch: 0 the projected baseline, 1 the stretch.
    """
    return pd.DataFrame(dict(target_columns(m)))


def target_columns(m: BuiltModel) -> LazyColumns:
    """The columns of ``targets_frame`` as numpy arrays, signed councils' targets only; each is
    computed when first read (``LazyColumns``)."""
    a, tg, sc = m.councils, m.targets, m.params
    traits, plan, end = tg.traits, tg.plan, tg.end
    A, T = tg.shape
    keep = np.repeat(a.signed, T)

    def per_target(x: np.ndarray) -> np.ndarray:
        return x.ravel()[keep]

    def per_council(x: np.ndarray) -> np.ndarray:
        return np.repeat(x[a.signed], T)

    def named(names: tuple[str, ...] | list[str], codes: np.ndarray) -> np.ndarray:
        return np.array(names)[per_target(codes)]

    recipes: dict[str, Callable[[], np.ndarray]] = {
        "authority": lambda: per_council(np.arange(A)),
        "slot": lambda: per_target(np.tile(np.arange(T), A)),
        "area": lambda: named(list(sc.areas), traits.area),
        "department": lambda: named(DEPARTMENTS, traits.department),
        "partner_type": lambda: named(PARTNER_TYPES, traits.partner_type),
        "national": lambda: per_target(traits.national),
        "local_priority": lambda: per_target(traits.local_priority),
        "partnership": lambda: per_target(traits.partnership),
        "cohort": lambda: per_target(traits.cohort),
        "visible": lambda: per_target(traits.visible),
        "indicator_quality": lambda: per_target(traits.quality),
        "tractability": lambda: per_target(traits.tractability),
        "potential": lambda: per_target(plan.potential),
        "morale": lambda: per_target(plan.morale),
        "approach": lambda: named(APPROACHES + ("none",), plan.approach),
        "innovation": lambda: per_target(plan.innovation),
        "innovation_success": lambda: per_target(plan.systemic_success),
        "ppg_gbp": lambda: per_target(plan.ppg),
        "ppg_part": lambda: per_target(plan.ppg_part),
        "start_delay": lambda: per_target(plan.delay),
        "usual_gain": lambda: per_target(end.usual_core),
        "authority_rating": lambda: per_council(a.rating),
        "integrated": lambda: per_council(a.integrated),
        "start_quarter": lambda: per_council(a.start),
        "end_quarter": lambda: per_council(a.end),
        "end_core": lambda: per_target(end.core),
        "share_of_stretch": lambda: per_target(end.measured),
        "true_share_of_stretch": lambda: per_target(end.true),
        "reporting_gap": lambda: per_target(end.measured - end.true),
        "gaming_strength": lambda: per_target(plan.gaming),
        "background_gain": lambda: per_target(tg.state.background),
        "setback": lambda: per_target(traits.setback),
        "setback_quarter": lambda: per_target(
            np.where(traits.setback > 0, a.start[:, None] + traits.setback_after, -1)
        ),
        "outcome": lambda: named(
            OUTCOMES,
            classify_attainment(end.measured, sc.funding.payout_floor, sc.funding.payout_cap),
        ),
        "reward_gbp": lambda: per_target(end.reward),
        "max_reward_gbp": lambda: per_council(a.max_reward / T),
    }
    for y in RETAINED_YEARS:
        recipes[f"performance_{y}y"] = lambda y=y: per_target(performance_after_end(m, y))
        recipes[f"true_performance_{y}y"] = lambda y=y: per_target(
            performance_after_end(m, y, true=True)
        )
    return LazyColumns(recipes)


def authorities_frame(m: BuiltModel) -> pd.DataFrame:
    """One row per council offered an agreement: traits, money, timing, whether it signed, and its
    inspection record.

    Columns (every one's unit and description: ``columns.AUTHORITIES``, ``docs/data.md``):
    ``authority`` [index], ``authority_type``, ``population`` [persons], ``net_budget_gbp``
    [GBP a year], traits (``budget_climate``, ``capacity``, ``will``, ``leadership``,
    ``thinking_time``, ``trust_at_signing``, ``trust``) [0-1], ``turnover`` [chance per quarter],
    ``rating`` before the scheme and ``final_rating`` [stars 1-4], ``signed`` [true/false],
    ``start_quarter`` and ``end_quarter`` [quarter from 0], freedoms and flexibilities
    (``ff_*``) [count], ``ppg_gbp``, ``max_reward_gbp``, ``reward_gbp`` [GBP],
    ``other_services`` [share of stretch], ``rating_rises`` and ``rating_falls`` [count].
    """
    return pd.DataFrame(dict(authority_columns(m)))


def authority_columns(m: BuiltModel) -> LazyColumns:
    """The columns of ``authorities_frame`` as numpy arrays, each computed when first read."""
    a = m.councils
    moves = cache(m.inspection.moves)  # (rose, fell)
    return LazyColumns(
        {
            "authority": lambda: np.arange(a.size),
            "authority_type": lambda: np.array(AUTHORITY_TYPES)[a.kind],
            "population": lambda: a.population,
            "net_budget_gbp": lambda: a.nbr,
            "budget_climate": lambda: a.climate,
            "capacity": lambda: a.capacity,
            "will": lambda: a.will,
            "leadership": lambda: a.leadership,
            "thinking_time": lambda: a.thinking_time,
            "turnover": lambda: a.turnover,
            "trust_at_signing": lambda: a.trust_at_signing,
            "trust": lambda: a.trust,
            "learned_capacity": lambda: a.learned,
            "rating": lambda: a.rating,
            "integrated": lambda: a.integrated,
            "signed": lambda: a.signed,
            "start_quarter": lambda: a.start,
            "end_quarter": lambda: a.end,
            "ff_granted": lambda: a.ff_granted,
            "ff_refused": lambda: a.ff_refused,
            "ff_broken_promises": lambda: a.ff_broken,
            "ppg_gbp": lambda: np.where(a.signed, a.ppg, 0.0),
            "max_reward_gbp": lambda: np.where(a.signed, a.max_reward, 0.0),
            "reward_gbp": lambda: m.targets.end.reward.sum(axis=1),
            "other_services": lambda: a.other_services,
            "years_rated": lambda: np.full(a.size, m.inspection.years_rated),
            "rating_rises": lambda: moves()[0].sum(axis=0),
            "rating_falls": lambda: moves()[1].sum(axis=0),
            "final_rating": lambda: m.inspection.current_rating,
        }
    )


def ratings_frame(m: BuiltModel) -> pd.DataFrame:
    """One row per council and year rated: the annual inspection rating (1-4 stars), its score,
    the rating the year before and whether the council was in its agreement (``inspection.py``).

    Columns (every one's unit and description: ``columns.RATINGS``, ``docs/data.md``):
    ``authority`` [index]; ``year``, the calendar year of the assessment
    (``inspection.first_year`` + years run); ``rating`` and ``previous_rating`` [stars 1-4];
    ``score`` before rounding [stars]; ``moved`` +1 rose, -1 fell, 0 stayed [stars];
    ``service_rating``, the service-level rating (adult social care) [stars 1-4], and
    ``service_moved`` likewise; ``phase``
    at the year's end (``lifecycle.PHASES``); ``signed`` [true/false].
    """
    ins, a = m.inspection, m.councils
    years = ins.years_rated
    rose, fell = ins.moves()
    service_rose, service_fell = ins.moves(service=True)
    before = np.vstack([a.rating[None, :], ins.ratings[: years - 1]])[:years]
    year_end = QUARTERS_PER_YEAR * (np.arange(years) + 1) - 1
    phase = (
        np.array(PHASES)[phase_codes(m.councils, m.params.scheme.follow_up_quarters, year_end)]
        if years
        else []
    )
    return pd.DataFrame(
        {
            "authority": np.tile(np.arange(a.size), years),
            "year": np.repeat(m.params.inspection.first_year + np.arange(years), a.size),
            "rating": ins.ratings[:years].ravel(),
            "score": ins.scores[:years].ravel(),
            "previous_rating": before.ravel(),
            "moved": (rose.astype(int) - fell.astype(int)).ravel(),
            "service_rating": ins.service_ratings[:years].ravel(),
            "service_moved": (service_rose.astype(int) - service_fell.astype(int)).ravel(),
            "phase": np.asarray(phase).ravel(),
            "signed": np.tile(a.signed, years),
        }
    )


def trajectory_frame(m: BuiltModel, twin: BuiltModel | None = None) -> pd.DataFrame:
    """Mean measured performance by quarter relative to each agreement's start, by approach and
    overall.

    Columns (every one's unit and description: ``columns.TRAJECTORY``, ``docs/data.md``):
    ``quarter_from_start`` [quarters, 0 = each agreement's first]; ``quarter_from_end``
    [quarters, 0 = the first after the agreement ends, negative before]; ``approach`` (``all``
    or one of ``scenario.APPROACHES``); ``mean_performance``, reported, over the signed councils'
    targets [share of stretch; NaN when there are none]; ``bau_performance``, the same targets'
    reported performance in the no-agreement ``twin`` (same councils, same quarters from start:
    business as usual; NaN without a twin); ``n_targets`` [count].
    """
    a, sc, tg = m.councils, m.params, m.targets
    n_rel = sc.scheme.implementation_quarters + sc.scheme.follow_up_quarters
    perf = m.reported_from_start[:n_rel, a.signed]  # (K, A_signed, T)
    bau = None if twin is None else twin.reported_from_start[:n_rel, a.signed]
    approach = tg.plan.approach[a.signed]
    frames = []
    for name, mask in [("all", np.ones_like(approach, dtype=bool))] + [
        (n, approach == i) for i, n in enumerate(APPROACHES)
    ]:
        n = mask.sum()
        mean = (perf * mask).sum(axis=(1, 2)) / n if n else np.full(n_rel, np.nan)
        usual = (bau * mask).sum(axis=(1, 2)) / n if n and bau is not None else np.nan
        frames.append(
            pd.DataFrame(
                {
                    "quarter_from_start": np.arange(n_rel),
                    "quarter_from_end": np.arange(n_rel) - sc.scheme.implementation_quarters,
                    "approach": name,
                    "mean_performance": mean,
                    "bau_performance": usual,
                    "n_targets": int(n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def approach_kind(targets: Table) -> np.ndarray:
    """Each target's approach, with systemic split by whether the innovation succeeded (003:739):
    ``systemic_succeeded``, ``systemic_failed``, ``new_working``, ``more_of_same`` (or ``none``)."""
    approach = col(targets, "approach")
    succeeded = col(targets, "innovation_success").astype(bool)
    split = np.where(succeeded, "systemic_succeeded", "systemic_failed")
    return np.where(approach == "systemic", split, approach)


def retained_by_approach(targets: Table) -> pd.DataFrame:
    """Retained gain 1, 3 and 5 years after the end by approach kind: the registry's retained gain
    (``outcomes.retained``) over each kind's targets, for the kinds with a target that
    improved."""
    kind = approach_kind(targets)
    kinds = np.unique(kind[col(targets, "share_of_stretch") > 0])
    return pd.DataFrame(
        {
            f"retained_gain_{y}y": [retained(targets, y, kind == k) for k in kinds]
            for y in RETAINED_YEARS
        },
        index=kinds,
    )
