"""What would settle it: which unknowns, if known, would change the choice between A and B.

The worlds of ``lpsa compare`` are draws of the uncertain parameters from the posterior. For one
outcome, each world has a paired difference ``D = A - B`` (``compare.world_table``); choosing the
regime with the better expected outcome is worth ``max(E[s D], 0)`` against B, where ``s`` is +1
when higher is better and -1 when lower is better. Knowing one parameter ``x`` before choosing
would be worth ``E_x[max(E[s D | x], 0)]``; the difference is the expected value of partial
perfect information (EVPPI, Strong, Oakley and Brennan 2014), in the outcome's own units: how
much better the choice would be, on average over the worlds, if ``x`` were known.

``E[s D | x]`` is estimated by binning: the worlds are cut into bins of equal count by ``x``
(about ten worlds a bin, at most ten bins: ``bins_for``) and each bin's mean stands for it (the
non-parametric estimator of Strong and Oakley 2013 in its simplest form; with tens of worlds a
smoother regression has nothing more to go on). The same
bins give the share of the across-worlds variance of ``D`` that ``x`` explains (the correlation
ratio, a first-order sensitivity index). With few worlds in a bin both are biased upwards by
chance, so each is set against its *chance level* over ``PERMUTATIONS`` random re-pairings of
``x`` with the worlds (seeded): for EVPPI the 95th percentile of its re-paired values, for the
variance explained their mean; an unknown *matters* only when its EVPPI is above its chance level
(a permutation test at 5 %).

An unknown that matters is turned into a sentence by a *split*: the value of ``x`` that best
separates the worlds where A does better from those where B does (``best_split``), e.g. "if
councils spend more than about 0.55 of PPG on co-ordination, A does better; below it, B". The
*conditional answer* (``conditional_answer``) is the best such split, over the ranked unknowns,
that names a different regime on each side, clearly (two thirds of each side's worlds), and
predicts the winner better than "the same regime everywhere". Where the unknown is something the
regime itself can set (``LEVERS``: how councils spend PPG, set by a PPG condition), the answer is
a choice, not only a risk.

Pure: the report's section is ``compare_report.voi_lines``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lpsa.model import REGISTRY

from .compare import varying, wins

WORLDS_PER_BIN = 10
"""Bins of equal count by the parameter for E[D | x], about this many worlds each (five bins at
the default 50 worlds), ..."""


MAX_BINS = 10
"""... and at most this many (twenty worlds a bin at 200 worlds)."""


def bins_for(worlds: int) -> int:
    """How many bins ``worlds`` worlds are cut into: about ``WORLDS_PER_BIN`` a bin, 2 to
    ``MAX_BINS``."""
    return int(min(MAX_BINS, max(2, worlds // WORLDS_PER_BIN)))


PERMUTATIONS = 40
"""Random re-pairings of a parameter with the worlds that set its chance level."""


CHANCE_QUANTILE = 0.95
"""An EVPPI's chance level: this quantile of its values over the re-pairings (a permutation test
at 5 %); the variance explained by chance is the mean over them."""


TOP = 3
"""Unknowns named per outcome in the report."""


MIN_SIDE = 0.15
"""A split leaves at least this share of the worlds (and at least 3) on each side."""


SPLIT_ACCURACY = 0.75
"""A conditional answer predicts the winner in at least this share of the worlds."""


SIDE_MAJORITY = (2, 3)
"""A conditional answer's regime wins in at least two thirds of the worlds on its side."""


TOLERANCE = 1e-9
"""EVPPI below this share of the mean absolute difference is zero (rounding)."""


LEVERS = {
    "approach.ppg_coordination_share_mean": (
        "funding.ppg_coordination_min",
        "a PPG condition can require it",
    ),
}
"""Uncertain parameters that a regime can set by a lever: {parameter: (lever, how)}. How councils
spend PPG is unknown (000:347: 'the split is not reported'), but a condition on the grant can
reserve a share of it for co-ordinating posts (``model/funding.py: coordination_share``)."""


@dataclass(frozen=True)
class Split:
    """The value of ``parameter`` that best separates the worlds by winner: ``above`` ("A" or
    "B") does better in ``above_wins`` of the ``above_worlds`` worlds with a value above
    ``threshold``, ``below`` in ``below_wins`` of the ``below_worlds`` others."""

    parameter: str
    threshold: float
    above: str
    below: str
    above_wins: int
    above_worlds: int
    below_wins: int
    below_worlds: int

    @property
    def accuracy(self) -> float:
        """Share of the worlds whose winner the split names."""
        return (self.above_wins + self.below_wins) / (self.above_worlds + self.below_worlds)

    @property
    def clear(self) -> bool:
        """Whether each side's regime wins in at least ``SIDE_MAJORITY`` of its worlds."""
        num, den = SIDE_MAJORITY
        return (
            den * self.above_wins >= num * self.above_worlds
            and den * self.below_wins >= num * self.below_worlds
        )

    @property
    def conditional(self) -> bool:
        """Whether the two sides name different regimes."""
        return self.above != self.below


def _bins(x: np.ndarray, bins: int) -> np.ndarray:
    """Each world's bin: ``bins`` groups of (nearly) equal count by ``x``, ties kept together."""
    from scipy.stats import rankdata

    ranks = rankdata(x, method="min") - 1
    return np.minimum((ranks * bins / len(x)).astype(int), bins - 1)


def _binned(x: np.ndarray, y: np.ndarray, bins: int) -> tuple[float, float]:
    """(EVPPI, share of variance explained) of ``y`` (the net benefit of A) binned by ``x``."""
    groups = _bins(x, bins)
    counts = np.bincount(groups, minlength=bins)
    means = np.bincount(groups, weights=y, minlength=bins) / np.maximum(counts, 1)
    fitted = means[groups]
    evppi = float(np.mean(np.maximum(fitted, 0.0)) - max(float(np.mean(y)), 0.0))
    total = float(np.var(y))
    share = float(np.var(fitted) / total) if total > 0 else 0.0
    return max(evppi, 0.0), share


def net_benefit(difference: np.ndarray, outcome: str) -> np.ndarray:
    """``s D``: the difference A - B signed so that positive favours A (higher is better: D;
    lower is better: -D)."""
    sign = -1.0 if REGISTRY[outcome].direction == "lower is better" else 1.0
    return sign * np.asarray(difference, dtype=float)


def rank_unknowns(
    params: pd.DataFrame,
    difference: Sequence[float] | np.ndarray | pd.Series,
    outcome: str,
    seed: int,
    bins: int | None = None,
    permutations: int = PERMUTATIONS,
) -> pd.DataFrame:
    """One row per varying parameter, most valuable first: ``evppi`` (outcome units per world),
    ``evppi_chance`` (its chance level: the 95th percentile over random re-pairings),
    ``evppi_excess`` (the difference, at least 0), ``variance_share`` and ``variance_chance``
    (the share of the across-worlds variance of A - B the parameter explains, and by chance),
    ``matters`` (EVPPI above chance). Worlds with
    an undefined difference are left out. ``bins``: by default ``bins_for`` the worlds. Empty for
    an outcome with no better side."""
    columns = [
        "parameter",
        "evppi",
        "evppi_chance",
        "evppi_excess",
        "variance_share",
        "variance_chance",
        "matters",
    ]
    if REGISTRY[outcome].direction == "neither":
        return pd.DataFrame(columns=columns)
    y_all = net_benefit(np.asarray(difference, dtype=float), outcome)
    ok = ~np.isnan(y_all)
    y, frame = y_all[ok], params.reset_index(drop=True)[ok]
    bins = bins or bins_for(len(y))
    rows = []
    if len(y) >= 2 * bins:
        rng = np.random.default_rng(seed)
        tolerance = TOLERANCE * float(np.mean(np.abs(y)))
        for p in varying(frame):
            x = frame[p].to_numpy(dtype=float)
            evppi, share = _binned(x, y, bins)
            chance = np.array([_binned(rng.permutation(x), y, bins) for _ in range(permutations)])
            level = float(np.quantile(chance[:, 0], CHANCE_QUANTILE))
            level = level if level > tolerance else 0.0  # rounding, not chance
            rows.append(
                {
                    "parameter": p,
                    "evppi": evppi,
                    "evppi_chance": level,
                    "evppi_excess": max(evppi - level, 0.0),
                    "variance_share": share,
                    "variance_chance": float(chance[:, 1].mean()),
                    "matters": bool(evppi > level + tolerance),
                }
            )
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    excess_share = table["variance_share"] - table["variance_chance"]
    order = np.lexsort((-excess_share.to_numpy(), -table["evppi_excess"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def best_split(
    x: Sequence[float] | np.ndarray | pd.Series,
    difference: Sequence[float] | np.ndarray | pd.Series,
    outcome: str,
    parameter: str = "",
    min_side: float = MIN_SIDE,
) -> Split | None:
    """The threshold on ``x`` that names the winner (A or B, by the outcome's direction) of the
    most worlds, with the majority of each side as that side's answer; each side keeps at least
    ``min_side`` of the worlds (and 3). Ties and undefined differences count as worlds neither
    regime wins. None when no threshold leaves enough worlds on both sides."""
    d = np.asarray(difference, dtype=float)
    xs = np.asarray(x, dtype=float)
    ok = ~np.isnan(d) & ~np.isnan(xs)
    d, xs = d[ok], xs[ok]
    a, b = wins(d, REGISTRY[outcome].direction)
    order = np.argsort(xs, kind="stable")
    xs, a, b = xs[order], a[order].astype(int), b[order].astype(int)
    n = len(xs)
    least = max(3, int(np.ceil(min_side * n)))
    best: Split | None = None
    ca, cb = np.cumsum(a), np.cumsum(b)
    for i in range(least, n - least + 1):  # the first i worlds below, the rest above
        if xs[i - 1] == xs[i]:
            continue
        below_a, below_b = int(ca[i - 1]), int(cb[i - 1])
        above_a, above_b = int(ca[-1]) - below_a, int(cb[-1]) - below_b
        below = "A" if below_a > below_b else "B"
        above = "A" if above_a > above_b else "B"
        split = Split(
            parameter,
            float((xs[i - 1] + xs[i]) / 2),
            above,
            below,
            max(above_a, above_b),
            n - i,
            max(below_a, below_b),
            i,
        )
        if best is None or split.accuracy > best.accuracy:
            best = split
    return best


def conditional_answer(
    params: pd.DataFrame,
    difference: Sequence[float] | np.ndarray | pd.Series,
    outcome: str,
    ranked: pd.DataFrame,
    top: int = TOP,
) -> Split | None:
    """The conditional answer for one outcome: among the ``top`` unknowns that matter in
    ``ranked`` (``rank_unknowns``), the split that names a different regime on each side, names
    the winner of at least ``SPLIT_ACCURACY`` of the worlds and more of them than 'the majority
    regime everywhere' does, with each side's regime winning in at least ``SIDE_MAJORITY`` of its
    worlds; the most accurate such split, or None."""
    d = np.asarray(difference, dtype=float)
    a, b = wins(d[~np.isnan(d)], REGISTRY[outcome].direction)
    everywhere = max(int(a.sum()), int(b.sum())) / max(len(a), 1)
    frame = params.reset_index(drop=True)
    found: Split | None = None
    for p in ranked.loc[ranked["matters"], "parameter"].head(top):
        split = best_split(frame[p], d, outcome, p)
        if (
            split is not None
            and split.conditional
            and split.clear
            and split.accuracy >= SPLIT_ACCURACY
            and split.accuracy > everywhere
            and (found is None or split.accuracy > found.accuracy)
        ):
            found = split
    return found
