"""The evaluation's patterns P1-P8 as checkable statistics, with their tolerances.

Each pattern (``../shared/EVIDENCE.md``) becomes a statistic computed per replication from what a
finished run shows (``run_view``); the model's value is the mean over replications with a 95 %
bootstrap interval (``bootstrap_ci``). Tolerances were written down, with their reasons, before
any calibration, and are not fitted afterwards:

- *level* patterns (P1, P4, P7) pass when the mean lies inside the tolerance band, which is as wide
  as the evidence is vague (P1 is a mid-agreement forecast from case studies, 'roughly 40 %');
- *direction* patterns (P2, P3, P5, P6, P8) pass when the whole 95 % interval of the difference lies
  above zero: the evidence states an ordering, not a size.

Pure: no files, no command line. ``lpsa validate`` (``validate.py``), the discrimination of rival
variants, the theory-of-change experiment and the calibration all judge runs by these patterns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import LPSAModel
from lpsa.model.counterfactual import attribution_columns
from lpsa.model.outcomes import Table, average, col, retained, share
from lpsa.model.outputs import approach_kind, target_columns
from lpsa.model.scenario import MAX_RATING, QUARTERS_PER_YEAR

from .records import moved_share, pattern_specs

BOOTSTRAP_RESAMPLES = 2000
DIRECTION_SCALE = 0.05
"""A direction pattern 0.05 below its bound is one unit of distance from the evidence."""


@dataclass(frozen=True)
class ForecastRule:
    """How a case-study team judges a target part way through its agreement (P1, 001:127).

    The interim evaluation reports the case-study councils' 'own assessment of their likely
    success': 'roughly 40% of targets are already met or almost certain to be met, about one
    quarter are likely to be missed, and the outcome for the remainder is uncertain' (001:127). The
    evidence does not say how councils judged; this rule is the plainest one a performance officer
    would apply to a quarterly indicator: extend last year's trend to the agreement's end.

    - *met or almost certain*: the reported figure already reaches ``almost_met`` of the stretch,
      or last year's trend carries it past the stretch by ``margin`` (clearly on track);
    - *likely missed*: the trend leaves it short of the stretch by more than ``margin``;
    - *uncertain*: the rest.

    The thresholds are measurement choices, not model parameters: ``almost_met`` 0.9 (a tenth of
    the stretch left with at least a year to go), ``margin`` 0.25 (a quarter of the stretch either
    way is what a trend a year long can tell apart from noise). The rule matters: across margins
    0.15-0.35 the share forecast 'likely missed' moves by about 16 points on a 60-council run,
    as wide as P1b's band, while 'met or almost certain' hardly moves (those targets are already
    past 0.9). P1b is therefore a weaker test than P1a. ``validate``, ``calibrate`` and ``toc``
    take both thresholds as options (``add_forecast_arguments``); docs/compare.md shows the
    headline comparison under posteriors fitted with margins 0.15, 0.25 and 0.35.
    """

    almost_met: float = 0.9
    margin: float = 0.25
    trend_quarters: int = QUARTERS_PER_YEAR

    def categorise(
        self, now: np.ndarray, before: np.ndarray, elapsed: np.ndarray, remaining: np.ndarray
    ) -> np.ndarray:
        """Category codes 0 met or almost certain, 1 uncertain, 2 likely missed, for targets whose
        reported figure is ``now`` and was ``before`` ``min(elapsed, trend_quarters)`` quarters
        ago (0 before the start), with ``remaining`` quarters to go."""
        span = np.maximum(np.minimum(elapsed, self.trend_quarters), 1)
        projected = now + (now - before) / span * remaining
        met = (now >= self.almost_met) | (projected >= 1.0 + self.margin)
        missed = ~met & (projected < 1.0 - self.margin)
        return np.where(met, 0, np.where(missed, 2, 1))


FORECAST = ForecastRule()
INTERIM_EVALUATION = (2004, 3)
"""(year, quarter) of the interim evaluation's case-study assessment. The interim report is of
2005 (001); its case-study councils included some 'whose LPSA ends next spring' (001:127), so the
first pilots (April 2001 to March 2004) had ended and the assessment fell in 2004. Assumption:
the third quarter of 2004 (a quarter either way moves P1a by about two points)."""
EVIDENCE_RATING_YEARS = (2006, 2007)
"""Years whose service-level rating moves the evidence counts: adult social care star ratings 2005
to 2006 and 2006 to 2007 (003:418; RECORDS.md), children's services 2006/07 (003:438)."""


@dataclass(frozen=True)
class RunView:
    """What the patterns read from one finished run: its targets table, the interim forecast of
    the targets then in progress, and the councils' annual rating moves. Each is a table of
    numpy columns (``model.outputs.Columns``) or a DataFrame: the statistics read columns only, so
    a run's patterns cost no DataFrame (issue 11)."""

    targets: Table
    forecast: Table  # targets in progress at the interim evaluation
    moves: Table  # one row per council and evidence year: rose, fell
    attribution: Table = field(default_factory=dict)  # per target, with a twin: additionality


def interim_forecast(m: LPSAModel, rule: ForecastRule = FORECAST) -> pd.DataFrame:
    """The case-study forecast (``rule``) of every target whose agreement was running at the
    interim evaluation: one row per target, with its category, its figure then and whether its
    agreement ends within the next year ('ends next spring', 001:127)."""
    return pd.DataFrame(forecast_columns(m, rule))


def forecast_columns(m: LPSAModel, rule: ForecastRule = FORECAST) -> dict[str, np.ndarray]:
    """The columns of ``interim_forecast``."""
    year, quarter = INTERIM_EVALUATION
    q = (year - m.params.inspection.first_year) * QUARTERS_PER_YEAR + quarter - 1
    c = m.councils
    running = np.flatnonzero(c.signed & (c.start <= q) & (q < c.end))
    if running.size == 0 or not 0 <= q < m.n_quarters:
        return {
            "authority": np.zeros(0, int),
            "category": np.zeros(0, int),
            "now": np.zeros(0),
            "ends_next_year": np.zeros(0, bool),
            "area": np.zeros(0, object),
            "national": np.zeros(0, bool),
            "partnership": np.zeros(0, bool),
        }
    start, end = c.start[running], c.end[running]
    elapsed = q - start + 1
    back = q - np.minimum(elapsed, rule.trend_quarters)
    now = m.figures(q, running)
    before = np.where((back >= start)[:, None], m.figures(np.maximum(back, start), running), 0.0)
    remaining = (end - 1 - q)[:, None]
    cat = rule.categorise(now, before, elapsed[:, None], remaining)
    T = now.shape[1]
    traits = m.targets.traits
    return {
        "authority": np.repeat(running, T),
        "category": cat.ravel(),
        "now": now.ravel(),
        "ends_next_year": np.repeat(end - 1 - q < QUARTERS_PER_YEAR, T),
        "area": np.array(list(m.params.areas), dtype=object)[traits.area[running]].ravel(),
        "national": traits.national[running].ravel(),
        "partnership": traits.partnership[running].ravel(),
    }


def rating_moves(m: LPSAModel) -> pd.DataFrame:
    """Each council's rating moves in every year rated: whether it rose or fell a star on the year
    before, on the whole-council rating (``rose``, ``fell``: the CPA's kind) and on the
    service-level rating (``service_rose``, ``service_fell``: adult social care's stars)."""
    return pd.DataFrame(move_columns(m))


def move_columns(m: LPSAModel) -> dict[str, np.ndarray]:
    """The columns of ``rating_moves``."""
    rose, fell = m.inspection.moves()
    service_rose, service_fell = m.inspection.moves(service=True)
    years, A = rose.shape
    return {
        "year": np.repeat(np.arange(years) + m.params.inspection.first_year, A),
        "rose": rose.ravel(),
        "fell": fell.ravel(),
        "service_rose": service_rose.ravel(),
        "service_fell": service_fell.ravel(),
    }


def run_view(
    m: LPSAModel,
    targets: Table | None = None,
    rule: ForecastRule = FORECAST,
    twin: LPSAModel | None = None,
) -> RunView:
    """What the patterns read from finished run ``m``: its targets' columns (or ``targets``, a
    table already built), the interim forecast by ``rule``, the rating moves and, with its
    no-agreement ``twin``, each target's additionality, as numpy columns."""
    return RunView(
        target_columns(m) if targets is None else targets,
        forecast_columns(m, rule),
        move_columns(m),
        {} if twin is None else attribution_columns(m, twin),
    )


Statistic = Callable[[RunView], float]


def _retained_3y(t: Table, kind: str) -> float:
    """The registry's retained gain 3 years on, over the targets of approach ``kind``
    (``model.outputs.approach_kind``)."""
    return retained(t, 3, approach_kind(t) == kind)


def _forecast_met_gap(v: RunView, harder: str) -> float:
    """At the interim forecast: the share forecast met or almost certain among the running
    targets without the boolean column ``harder``, minus among those with it."""
    met, hard = col(v.forecast, "category") == 0, col(v.forecast, harder).astype(bool)
    return share(met[~hard]) - share(met[hard])


def _forecast_met_gap_within_areas(v: RunView, harder: str) -> float:
    """``_forecast_met_gap`` within each area, averaged over the areas that have targets of both
    kinds, weighted by their targets: a comparison of like with like, so that an area that is
    both hard and often a partnership (crime) does not pass for a partnership effect."""
    met, hard = col(v.forecast, "category") == 0, col(v.forecast, harder).astype(bool)
    area = col(v.forecast, "area")
    total = weight = 0.0
    for a in np.unique(area):
        here = area == a
        if hard[here].any() and (~hard[here]).any():
            n = float(here.sum())
            total += n * (share(met[here & ~hard]) - share(met[here & hard]))
            weight += n
    return total / weight if weight else float("nan")


def _forecast_share_of(v: RunView, code: int, areas: Sequence[str], inside: bool = True) -> float:
    """At the interim forecast: the share of running targets in ``areas`` (or, with ``inside``
    False, in every other area) in forecast category ``code``."""
    where = np.isin(col(v.forecast, "area"), list(areas)) == inside
    return share(col(v.forecast, "category")[where] == code)


def _forecast_share(v: RunView, code: int) -> float:
    return share(col(v.forecast, "category") == code)


def _missed_but_improving(v: RunView) -> float:
    """Of the targets forecast 'likely missed', the share whose reported figure has already moved
    by at least a tenth of the stretch (an improvement a case-study team would see)."""
    missed = col(v.forecast, "category") == 2
    return share(col(v.forecast, "now")[missed] >= 0.1)


def _less_optimistic_near_end(v: RunView) -> float:
    """Met-or-almost-certain share, councils ending later minus those ending within a year."""
    met = col(v.forecast, "category") == 0
    soon = col(v.forecast, "ends_next_year").astype(bool)
    return share(met[~soon]) - share(met[soon])


def _catch_up(v: RunView) -> float:
    """Improvement on national indicators (003:389: 'a sample of 36 national indicators'), lowest
    rated councils minus highest: the mean reported figure at the agreement's end of national
    targets (the improvement since its start, the projected baseline being 0) in 1-star councils
    minus 4-star councils. The model's indicators are in units of each target's agreed stretch,
    so this is improvement on the indicator as far as the model has one."""
    rating, end = col(v.targets, "authority_rating"), col(v.targets, "share_of_stretch")
    national = col(v.targets, "national").astype(bool)
    lowest, highest = end[national & (rating == 1)], end[national & (rating == MAX_RATING)]
    return average(lowest) - average(highest)


def _exam_targets_gain(v: RunView) -> float:
    """Mean additionality (true outcome at the end, factual minus the no-agreement twin) of
    education targets: how much more authorities with a target on exam results improved than
    they would have without it. NaN without a twin."""
    if not v.attribution:
        return float("nan")
    education = col(v.targets, "area") == "education"
    return average(col(v.attribution, "additionality")[education])


MISS_AREAS = ["transport", "education"]
SUCCESS_AREAS = ["environment", "housing", "cost_effectiveness", "culture_local"]


@dataclass(frozen=True)
class Pattern:
    """One pattern from EVIDENCE.md as a checkable statistic."""

    id: str
    evidence: str
    source: str
    statistic: str
    compute: Statistic
    low: float
    high: float
    kind: str  # "level" or "direction"
    reason: str
    target: float | None = None
    """Where the evidence puts a level pattern (the calibration distance aims at it). None where
    the evidence names no figure, only a range (P4's 'in general'): then every value inside the
    band is at distance zero."""
    encoded_by: Mapping[str, Any] = field(default_factory=dict)
    """Scenario overrides that neutralise the input that encodes this pattern. Empty: the pattern
    emerges from the mechanisms and counts as validation; otherwise it is an input check (the
    model reproduces it because a parameter says so), and a test shows that it fails once these
    overrides are applied."""
    group: str = ""
    """Patterns that are parts of one statement share a group: the interim forecast's three
    shares (P1a-c, 001:127) sum to one, so any two fix the third. The calibration holds a group
    out whole or not at all, and its distance counts a group as the statement's degrees of freedom
    (``calibrate_setup.distance_weights``)."""

    @property
    def emergent(self) -> bool:
        return not self.encoded_by

    def distance(self, value: float) -> float:
        """Standardised distance from the evidence: a level pattern's from its target over half
        its band (without a target, from the band: zero inside it); a direction pattern's
        shortfall below its bound over ``DIRECTION_SCALE``."""
        if self.kind == "level":
            half = (self.high - self.low) / 2
            if self.target is None:
                return max(self.low - value, 0.0, value - self.high) / half
            return (value - float(self.target)) / half
        return max(0.0, self.low - value) / DIRECTION_SCALE

    def within(self, value: float) -> bool:
        """One value (a world's, a run's) inside the tolerance: a level pattern's band, or above a
        direction pattern's bound; an undefined value is not."""
        return bool(np.isfinite(value)) and self.passes(value, value, value)

    def passes(self, mean: float, ci_low: float, ci_high: float) -> bool:
        """A level pattern passes when the mean lies in its band; a direction pattern when the
        whole interval lies above its bound."""
        if self.kind == "level":
            return bool(self.low <= mean <= self.high)
        return bool(ci_low > self.low and ci_high <= self.high)


def _direction(
    id: str, evidence: str, source: str, statistic: str, compute: Statistic, **kw: Any
) -> Pattern:
    return Pattern(
        id,
        evidence,
        source,
        statistic,
        compute,
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
        **kw,
    )


_EVEN_AREAS = {
    f"areas.{a}.tractability": 1.0
    for a in (
        "crime",
        "education",
        "social_care",
        "health",
        "transport",
        "environment",
        "housing",
        "employment",
        "cost_effectiveness",
        "culture_local",
    )
}

SEED_PATTERNS: list[Pattern] = [
    Pattern(
        "P1a",
        "interim forecast: ~40% of targets met or almost certain",
        "001:127",
        "share of running targets forecast met or almost certain at the interim evaluation",
        lambda v: _forecast_share(v, 0),
        0.30,
        0.50,
        "level",
        "the case-study councils' own forecast, 'roughly 40%': +-10 points",
        target=0.40,
        group="P1",
    ),
    Pattern(
        "P1b",
        "interim forecast: about one quarter likely missed",
        "001:127",
        "share of running targets forecast likely missed at the interim evaluation",
        lambda v: _forecast_share(v, 2),
        0.15,
        0.35,
        "level",
        "'about one quarter', same source and vagueness: +-10 points",
        target=0.25,
        group="P1",
    ),
    Pattern(
        "P1c",
        "interim forecast: the remainder (~35%) uncertain",
        "001:127",
        "share of running targets forecast uncertain at the interim evaluation",
        lambda v: _forecast_share(v, 1),
        0.25,
        0.45,
        "level",
        "'the remainder', so about 35%: +-10 points",
        target=0.35,
        group="P1",
    ),
    Pattern(
        "P4",
        "even where the target will be missed there has generally been some improvement",
        "001:127",
        "share of targets forecast likely missed whose figure already rose by 0.1 of stretch",
        _missed_but_improving,
        0.6,
        1.0,
        "level",
        "'in general there has been some improvement': most, at least three in five; no figure "
        "inside the band is nearer the evidence than another (no target)",
    ),
    _direction(
        "P2",
        "at the interim forecast, the predicted success rate is higher for local than national "
        "targets",
        "001:129",
        "share forecast met or almost certain at the interim evaluation, local minus national",
        lambda v: _forecast_met_gap(v, "national"),
        encoded_by={"stretch.national_stacking": 1.0, "scheme.national_local_priority": 1.0},
    ),
    _direction(
        "P3a",
        "at the interim forecast, likely misses concentrate in transport and educational "
        "attainment",
        "001:131",
        "share forecast likely missed at the interim evaluation, transport+education minus "
        "other areas",
        lambda v: (
            _forecast_share_of(v, 2, MISS_AREAS) - _forecast_share_of(v, 2, MISS_AREAS, False)
        ),
        encoded_by=_EVEN_AREAS,
    ),
    _direction(
        "P3b",
        "at the interim forecast, predicted success is highest in environment/housing, "
        "cost-effectiveness, misc local",
        "001:131",
        "share forecast met or almost certain at the interim evaluation, those areas minus the "
        "rest",
        lambda v: (
            _forecast_share_of(v, 0, SUCCESS_AREAS) - _forecast_share_of(v, 0, SUCCESS_AREAS, False)
        ),
        encoded_by=_EVEN_AREAS,
    ),
    _direction(
        "P6",
        "at the interim evaluation, partnership targets are those authorities have most "
        "difficulty with",
        "001:105",
        "share forecast met or almost certain at the interim evaluation, single-agency minus "
        "partnership, within each area",
        lambda v: _forecast_met_gap_within_areas(v, "partnership"),
    ),
    Pattern(
        "P7a",
        "ratings rise in some councils each year: 25 of ~150 (24 the next year)",
        "003:418",
        "share of councils rising a star on the service-level rating (adult social care), 2006 "
        "and 2007",
        lambda v: moved_share(v, "service_rose", EVIDENCE_RATING_YEARS),
        0.11,
        0.22,
        "level",
        "observed 49 of about 300 council-years (0.16), 16 of 102 in children's services: +-0.055",
        target=49 / 300,
        encoded_by={"inspection.noise_sd": 0.0},
    ),
    Pattern(
        "P7b",
        "while others slip back: 16 of ~150 fell a star (15 the next year)",
        "003:418, 003:438",
        "share of councils falling a star on the service-level rating (adult social care), 2006 "
        "and 2007",
        lambda v: moved_share(v, "service_fell", EVIDENCE_RATING_YEARS),
        0.05,
        0.16,
        "level",
        "observed 31 of about 300 council-years (0.10), 7 of 102 in children's services: +-0.055",
        target=31 / 300,
        encoded_by={"inspection.noise_sd": 0.0},
    ),
    _direction(
        "P8",
        "lowest-rated authorities improved fastest on national indicators",
        "003:389",
        "improvement on national targets' indicators by the end, 1-star minus 4-star councils",
        _catch_up,
        encoded_by={"implementation.catch_up": 0.0, "mechanisms.inspection": False},
    ),
]
"""The seeds' patterns. P1a-c and P4 are measured at the interim evaluation, as 001:127 states
them; the rest at the agreements' end (P2, P3, P6, P8), three years after it (P5) or on the annual
ratings of the years the evidence covers (P7)."""

RECORD_PATTERNS: list[Pattern] = [Pattern(**spec) for spec in pattern_specs()]
"""Councils' own records of how their agreements ended (``records.py``, ``records.yaml``): each
record's percentile among the model's councils, and the typical council's reward share."""

PATTERNS: list[Pattern] = SEED_PATTERNS + RECORD_PATTERNS
"""Every pattern judged from one run: the seeds' and the records'."""

TWIN_PATTERNS: list[Pattern] = [
    Pattern(
        "R-boyne_chen",
        "authorities with an LPSA target on exam results improved more than those without "
        "(panel of 147 education authorities, 1998-2003)",
        "RECORDS.md: Boyne and Chen, J. Public Administration Research and Theory 17(3), 2007",
        "additionality of education targets at the end (factual - no-agreement twin, true "
        "outcomes) [share of stretch]",
        _exam_targets_gain,
        0.05,
        np.inf,
        "direction",
        "an ordering a panel of 147 authorities detected: the interval must lie above 0.05 of "
        "the stretch, a twentieth, which such a panel could tell from nothing (the size it "
        "found is not given in RECORDS.md)",
    ),
]
"""Patterns that need each run's no-agreement twin (``run_view(..., twin=)``): judged by
``lpsa validate`` and the re-fit of rival theories, which run twins; not by the calibration, which
does not (its distance would double in cost for a pattern the reference passes by construction of
the twin: the agreement adds effort). The null theory fails it whatever its parameters."""

EXPECTATIONS: list[Pattern] = [
    _direction(
        "P5a",
        "systemic gains persist more than resource-dependent ones",
        "000:90-93, 001:135",
        "retained gain +3y, successful systemic minus new working",
        lambda v: (
            _retained_3y(v.targets, "systemic_succeeded") - _retained_3y(v.targets, "new_working")
        ),
        encoded_by={
            "mechanisms.systemic_persistence": False,
            "sustainability.continuation_cash_strapped": 0.6,
            "sustainability.continuation_affluent": 0.6,
        },
    ),
    _direction(
        "P5b",
        "'more of the same' falls back most",
        "000:93",
        "retained gain +3y, new working minus more of the same",
        lambda v: _retained_3y(v.targets, "new_working") - _retained_3y(v.targets, "more_of_same"),
        encoded_by={
            "sustainability.decay_rate_more_of_same": 0.15,
            "sustainability.decay_rate_new_working": 0.15,
            "sustainability.more_of_same_residual": 0.0,
            "sustainability.mainstreaming_share": 1.0,
            "mechanisms.ppg_bought_gains": False,
        },
    ),
]
"""What the evaluators expected in 2004-05, when it was 'too soon to say' whether gains would
last (000:367, 000:369): reported with the model's value, never judged, and never fitted. No
record of what was sustained after the agreements is in the evidence, so the expectation of P5
(systemic gains persist, resource-dependent ones fall back, more of the same most) is a
hypothesis the model explores, not an observation it is tested on."""

OBSERVATIONS: list[Pattern] = [
    _direction(
        "P1d",
        "councils whose LPSA ends next spring are slightly less optimistic",
        "001:127",
        "met-or-almost-certain share, councils ending later minus those ending within a year",
        _less_optimistic_near_end,
    ),
    *EXPECTATIONS,
]
"""Statements reported with the model's value, never judged: P1d, too thin to test ('slightly',
said of a handful of case-study councils; the model says the opposite, councils that started
later being less far along, in every theory-of-change variant alike, so it cannot discriminate
either), and the ``EXPECTATIONS``."""


def bootstrap_ci(values: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95 % percentile bootstrap interval of the mean over replications."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(BOOTSTRAP_RESAMPLES, v.size))].mean(axis=1)
    return float(v.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def pattern_statistics(view: RunView) -> dict[str, float]:
    """Every pattern's and observation's statistic from what a run shows (``run_view``)."""
    return {p.id: float(p.compute(view)) for p in PATTERNS + OBSERVATIONS}


FORECAST_MARGINS = (0.15, 0.25, 0.35)
"""Trend margins a year-long trend can support (``ForecastRule``): ``lpsa validate`` reports the
interim forecast (P1a-c) at each, beside its verdict at the margin it was asked for."""

P1 = [p for p in PATTERNS if p.group == "P1"]
"""The interim forecast's three shares (001:127)."""


def forecast_shares(m: LPSAModel, rule: ForecastRule) -> dict[str, float]:
    """P1a-c of finished run ``m``, its interim forecast judged by ``rule``."""
    view = RunView({}, forecast_columns(m, rule), {})
    return {p.id: float(p.compute(view)) for p in P1}


@dataclass(frozen=True)
class PatternValues:
    """A measure for the experiment runner: every pattern's statistic for one finished run, the
    interim forecast (P1, P4) judged by ``rule``; with ``margins``, also P1a-c under each of those
    trend margins (``P1a@0.15`` ...). Picklable, so the rule travels to every worker, local or
    Dask."""

    rule: ForecastRule = FORECAST
    margins: tuple[float, ...] = ()

    def __call__(self, m: LPSAModel, twin: LPSAModel | None = None) -> dict[str, float]:
        view = run_view(m, rule=self.rule, twin=twin)
        values = pattern_statistics(view)
        if twin is not None:
            values.update({p.id: float(p.compute(view)) for p in TWIN_PATTERNS})
        for margin in self.margins:
            shares = forecast_shares(m, replace(self.rule, margin=margin))
            values.update({f"{k}@{margin:g}": v for k, v in shares.items()})
        return values


pattern_values = PatternValues()
"""Every pattern's statistic for one finished run, with the default forecast rule."""


def describe_rule(rule: ForecastRule) -> str:
    """The rule as a report states it."""
    default = " (the default)" if rule == FORECAST else ""
    return (
        f"interim forecast: met or almost certain from {rule.almost_met:g} of the stretch, "
        f"trend margin {rule.margin:g}{default}"
    )


def check_patterns(
    per_rep: Mapping[str, Sequence[float]], patterns: Sequence[Pattern] = PATTERNS
) -> pd.DataFrame:
    """Judge each pattern from its per-replication values; one row per pattern."""
    rows = []
    for p in patterns:
        mean, lo, hi = bootstrap_ci(np.array(per_rep[p.id]))
        ok = p.passes(mean, lo, hi)
        rows.append(
            {
                "pattern": p.id,
                "evidence": p.evidence,
                "source": p.source,
                "statistic": p.statistic,
                "model": mean,
                "ci_low": lo,
                "ci_high": hi,
                "tolerance": _tol(p),
                "kind": p.kind,
                "role": _role(p),
                "encoded_by": ", ".join(f"{k}={v}" for k, v in p.encoded_by.items()),
                "reason": p.reason,
                "passed": bool(ok),
            }
        )
    return pd.DataFrame(rows)


def _role(p: Pattern) -> str:
    if any(p is o for o in EXPECTATIONS):
        return "expectation"
    if any(p is o for o in OBSERVATIONS):
        return "observation"
    return "emergent" if p.emergent else "input check"


def judged(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ``check_patterns`` table that count for pass or fail (not observations or
    expectations)."""
    return table[~table["role"].isin(["observation", "expectation"])]


def _tol(p: Pattern) -> str:
    return f"> {p.low:g} (whole interval)" if np.isinf(p.high) else f"{p.low:g} .. {p.high:g}"
