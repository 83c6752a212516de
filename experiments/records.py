"""Councils' own records of how their agreements ended, as data and as checkable patterns.

``records.yaml`` (beside this file) transcribes ``../shared/RECORDS.md``: what first-generation
councils reported at the end of their agreements (the share of the maximum reward they earned,
how many targets were met in full, paid pro rata or earned nothing), each with its source. The
seeds are evaluators' accounts from part way through; these records say how the agreements ended.

Three councils are a small sample, so a record is not compared with the model's mean. As
RECORDS.md asks, each record is placed in the model's distribution over councils: its statistic is
the record's mid-rank percentile among the run's signed councils (the share of councils below it,
plus half the share equal to it), and it passes when it lies in the central 90 % (0.05 .. 0.95; a
record that says "up to" needs only the lower end). One statement reads the records together ("a
typical council earned a little under 60 %"): it is a level pattern on the median council.

Pure: no command line. As ``patterns.RECORD_PATTERNS`` they join the seeds' patterns in
``patterns.PATTERNS``, so
``lpsa validate``, the discrimination of rivals and the calibration judge them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lpsa.model.outcomes import Table, col, share

RECORDS_FILE = Path(__file__).with_name("records.yaml")
CENTRAL = (0.05, 0.95)
"""The central 90 % of the model's distribution of councils, where a record should fall."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Record(_Strict):
    """One council's (or the scheme's) recorded figure, with its source."""

    id: str
    council: str
    kind: Literal["reward_share", "end_split", "met_share", "rating_moves", "scheme"]
    value: float | None = Field(None, allow_inf_nan=False)
    values: dict[Literal["met", "partly", "nothing", "rose", "fell"], int] | None = None
    of: int | None = Field(None, gt=0)
    year: int | None = Field(None, ge=1990, le=2100)
    bound: Literal["exact", "at_most"] = "exact"
    unit: str
    when: str
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Record:
        if self.kind == "end_split":
            if self.values is None or self.of is None or sum(self.values.values()) != self.of:
                raise ValueError(f"{self.id}: an end split needs values summing to `of`")
        elif self.kind == "rating_moves":
            if (
                self.values is None
                or set(self.values) != {"rose", "fell"}
                or self.of is None
                or sum(self.values.values()) > self.of
                or self.year is None
            ):
                raise ValueError(
                    f"{self.id}: rating moves need values rose and fell (at most `of` together), "
                    "`of` and `year`"
                )
        elif self.value is None:
            raise ValueError(f"{self.id}: a {self.kind} record needs a value")
        if self.kind in ("reward_share", "met_share") and not 0 <= float(self.value) <= 1:
            raise ValueError(f"{self.id}: a share must lie in 0..1, not {self.value}")
        return self


class Statement(_Strict):
    """A reading of several records together, as RECORDS.md states it, with its tolerance."""

    id: str
    says: str
    source: str
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    reason: str


class Records(_Strict):
    records: list[Record]
    statements: list[Statement]

    def by_id(self) -> dict[str, Record]:
        return {r.id: r for r in self.records}


@lru_cache(maxsize=1)
def load_records(path: Path = RECORDS_FILE) -> Records:
    """The records data set, validated."""
    return Records.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# ------------------------------------------------------------------ the model's councils


def council_results(t: Table) -> dict[str, np.ndarray]:
    """Per signed council of one run (``targets`` table): the share of its maximum reward earned
    and the shares of its targets met in full, paid pro rata and earning nothing."""
    auth = np.asarray(col(t, "authority"))
    if auth.size == 0:
        empty = np.zeros(0)
        return {"reward_share": empty, "met": empty, "partly": empty, "nothing": empty}
    _, code = np.unique(auth, return_inverse=True)
    n = np.bincount(code).astype(float)
    outcome = np.asarray(col(t, "outcome"))
    reward = np.bincount(code, np.asarray(col(t, "reward_gbp"), float))
    maximum = np.bincount(code, np.asarray(col(t, "max_reward_gbp"), float))
    return {
        "reward_share": np.divide(reward, maximum, out=np.zeros_like(reward), where=maximum > 0),
        "met": np.bincount(code, outcome == "met") / n,
        "partly": np.bincount(code, outcome == "partly") / n,
        "nothing": np.bincount(code, outcome == "missed") / n,
    }


def percentile_of(value: float, sample: np.ndarray) -> float:
    """Mid-rank percentile of ``value`` among ``sample``: the share below it plus half the share
    equal to it (shares of a dozen targets take few values, so ties are common). NaN for an
    empty sample."""
    s = np.asarray(sample, float)
    if s.size == 0:
        return float("nan")
    tol = 1e-9
    below = np.count_nonzero(s < value - tol)
    equal = np.count_nonzero(np.abs(s - value) <= tol)
    return float((below + 0.5 * equal) / s.size)


def record_statistic(measure: str, value: float) -> Callable[[Any], float]:
    """The statistic of one record: its percentile in the run's councils' ``measure``."""

    def statistic(view: Any) -> float:
        return percentile_of(value, council_results(view.targets)[measure])

    return statistic


def moved_share(view: Any, column: str, years: tuple[int, ...]) -> float:
    """The share of councils whose rating moved as ``column`` of ``view.moves`` says (``rose``,
    ``fell``: whole-council rating; ``service_rose``, ``service_fell``: service-level) in
    ``years``; NaN if none of those years was rated."""
    year = np.asarray(col(view.moves, "year"))
    return share(np.asarray(col(view.moves, column))[np.isin(year, years)])


def median_reward_share(view: Any) -> float:
    """The median council's share of its maximum reward."""
    shares = council_results(view.targets)["reward_share"]
    return float(np.median(shares)) if shares.size else float("nan")


def pattern_specs(records: Records | None = None) -> list[Mapping[str, Any]]:
    """The records as pattern specifications (``patterns.Pattern`` keyword arguments), in file
    order: a statement's level band; a record's percentile in the central 90 %."""
    data = records or load_records()
    specs: list[Mapping[str, Any]] = []
    for s in data.statements:
        specs.append(
            dict(
                id=f"R-{s.id}",
                evidence=s.says,
                source=s.source,
                statistic="median council's share of its maximum reward",
                compute=median_reward_share,
                low=s.low,
                high=s.high,
                kind="level",
                reason=s.reason,
                target=s.target,
            )
        )
    for r in data.records:
        if r.kind == "scheme":
            continue
        if r.kind == "rating_moves":
            specs.extend(rating_move_specs(r))
            continue
        parts: list[tuple[str, str, float]]
        if r.kind == "end_split":
            assert r.values is not None and r.of is not None
            parts = [(k, k, r.values[k] / r.of) for k in ("met", "partly", "nothing")]
        else:
            measure = "reward_share" if r.kind == "reward_share" else "met"
            parts = [("", measure, float(r.value or 0.0))]
        low, high = CENTRAL
        for suffix, measure, value in parts:
            words = {
                "reward_share": "share of maximum reward",
                "met": "share of targets met",
                "partly": "share paid pro rata",
                "nothing": "share earning nothing",
            }[measure]
            specs.append(
                dict(
                    id=f"R-{r.id}" + (f"-{suffix}" if suffix else ""),
                    evidence=f"{r.council}: {words} {value:.2f} ({r.when})",
                    source=f"RECORDS.md: {r.source}",
                    statistic=f"percentile of {value:.3f} among the run's councils' {words}",
                    compute=record_statistic(measure, value),
                    low=low,
                    high=1.0 if r.bound == "at_most" else high,
                    kind="level",
                    reason=(
                        "three councils are a small sample: the record should fall in the "
                        "central 90 % of the model's councils"
                        + (
                            " (it says 'up to': only the lower end counts)"
                            if r.bound == "at_most"
                            else ""
                        )
                    ),
                    target=0.5 if r.bound == "exact" else None,
                    group=f"R-{r.id}" if r.kind == "end_split" else "",
                )
            )
    return specs


def rating_move_specs(r: Record) -> list[Mapping[str, Any]]:
    """A whole-scheme record of rating moves (``kind: rating_moves``) as two level patterns: the
    share of councils whose whole-council rating rose, and fell, in the record's year. The band is
    the record's share +- two binomial standard errors of a count over ``of`` councils: the
    record is one year's count, so chance alone moves it that much."""
    assert r.values is not None and r.of is not None and r.year is not None
    specs: list[Mapping[str, Any]] = []
    for k, words in (("rose", "rose"), ("fell", "fell")):
        value = r.values[k] / r.of
        half = 2.0 * float(np.sqrt(value * (1.0 - value) / r.of))
        specs.append(
            dict(
                id=f"R-{r.id}-{k}",
                evidence=f"{r.council}: {r.values[k]} of {r.of} {words} ({r.when})",
                source=f"RECORDS.md: {r.source}",
                statistic=(
                    f"share of councils whose whole-council rating {words} a star or more in "
                    f"{r.year} on {r.year - 1}"
                ),
                compute=lambda v, k=k, year=r.year: moved_share(v, k, (year,)),
                low=max(value - half, 0.0),
                high=min(value + half, 1.0),
                kind="level",
                reason=(
                    f"{r.values[k]} of {r.of}: +- two binomial standard errors ({half:.3f}), what "
                    "one year's count can tell"
                ),
                target=value,
                encoded_by={"inspection.noise_sd": 0.0},
            )
        )
    return specs
