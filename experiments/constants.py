"""Fixed constants that move a comparison's headline: the assumptions nobody has made uncertain.

``lpsa compare`` draws its worlds from the posterior over ``experiments/uncertain_parameters.yaml``;
every other number in the scenario stays at its value. A fixed number that sits on the path from
the money split to the headline outcome, and moves the answer, is an unidentified constant: the
comparison is then as sure as that number, not as sure as the evidence (issue 25).

``screen_constants`` looks for them one at a time. In the posterior's central world (its weighted
median particle) it runs both regimes on common random numbers with each candidate constant at half
and at one and a half times its value (within the schema's bounds), and measures how far the
paired difference A - B of each headline outcome moves. A constant *moves the headline* when
either setting flips the sign of the difference or moves it by more than ``MOVES`` of its size.
Candidates are the behavioural assumptions (``SECTIONS``), nonzero floats, not in the posterior,
and not set differently by the two regimes (those are the regimes' own levers). A parameter of
``uncertain_parameters.yaml`` that the posterior does not cover (added after it was fitted) is
not a candidate: ``compare`` draws it in each world from its prior (``Posterior.worlds``).
Scheme rules (``funding``, ``scheme``, ``areas``) are facts of the scheme, not candidates.

Pure: no files. ``compare_command`` runs it and ``compare_report`` writes ``constants.csv`` and the
report's section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import annotated_types as at
import numpy as np
import pandas as pd

from lpsa.model import Scenario
from lpsa.model.scenario import Scenario as ScenarioModel

from .runner import Design, Point, require_success, run_table

SECTIONS = (
    "implementation",
    "approach",
    "sustainability",
    "authorities",
    "departments",
    "partners",
    "stretch",
    "gaming",
    "budget",
    "inspection",
    "attribution",
)
"""Scenario sections whose numbers are behavioural assumptions, screened for constants."""

FACTORS = (0.5, 1.5)
"""Each candidate is run at these multiples of its value, clipped to the schema's bounds."""

MOVES = 0.5
"""A constant moves the headline when it moves the A - B difference by more than half its size
(or flips its sign), by more than replication noise (``NOISE``)."""

NOISE = 0.95
"""...and the shift is beyond this two-sided Student t interval of its mean over the
replications: paired by replication (common random numbers), a shift the replications cannot
tell from zero is noise, which a small A - B (a 'depends on the world' headline) would otherwise
count as a move."""

SCREEN_REPLICATIONS = 4
"""Replications of each setting in ``lpsa compare``'s screen: enough for the noise criterion's
t interval (3 degrees of freedom) to be usable."""


def _within(section: str, name: str, value: float, wanted: float) -> float:
    """``wanted``, kept within the schema's bounds of ``section.name``: at a closed bound, the
    bound; short of an open one, half way from ``value`` to it."""
    cls = ScenarioModel.model_fields[section].annotation
    for m in cls.model_fields[name].metadata:  # type: ignore[union-attr]
        if isinstance(m, at.Ge):
            wanted = max(wanted, float(m.ge))
        elif isinstance(m, at.Gt) and wanted <= float(m.gt):
            wanted = (value + float(m.gt)) / 2
        elif isinstance(m, at.Le):
            wanted = min(wanted, float(m.le))
        elif isinstance(m, at.Lt) and wanted >= float(m.lt):
            wanted = (value + float(m.lt)) / 2
    return float(wanted)


def candidates(
    a: Scenario,
    b: Scenario,
    uncertain: Sequence[str],
) -> list[dict[str, Any]]:
    """The constants to screen: path, value and the perturbed values (``FACTORS`` times its
    value, within the schema's bounds)."""
    da, db = a.model_dump(), b.model_dump()
    out = []
    for section in SECTIONS:
        for name, value in da[section].items():
            path = f"{section}.{name}"
            if (
                not isinstance(value, float)
                or value == 0.0
                or path in uncertain
                or db[section].get(name) != value
            ):
                continue
            moved = sorted({_within(section, name, value, value * f) for f in FACTORS} - {value})
            if moved:
                out.append({"path": path, "value": value, "settings": moved})
    return out


def screen_constants(
    a: Scenario,
    b: Scenario,
    world: Mapping[str, float],
    uncertain: Sequence[str],
    outcomes: Sequence[str],
    replications: int,
    seed: int,
    twins: bool,
    executor: Executor | None = None,
    progress: str | None = None,
) -> pd.DataFrame:
    """One row per candidate constant and setting: the A - B difference of each of ``outcomes``
    at the central ``world`` (``d_<outcome>``), the difference with the constant at its value
    (``base_<outcome>``) and whether the setting moves it (``moves_<outcome>``)."""
    cands = candidates(a, b, uncertain)
    settings: list[dict[str, Any]] = [{"path": "", "value": np.nan, "setting": np.nan}]
    settings += [
        {"path": c["path"], "value": c["value"], "setting": s} for c in cands for s in c["settings"]
    ]
    points = []
    for s in settings:
        params = {k: float(v) for k, v in world.items()}
        if s["path"]:
            params[s["path"]] = s["setting"]
        points += [Point(params, "A", "A"), Point(params, "B", "B")]
    design = Design({"A": a, "B": b}, points, replications, seed, twins)
    runs = require_success(run_table(design, None, executor, progress=progress))
    table = pd.DataFrame(settings)
    for outcome in outcomes:
        # (settings, replications): A - B of each replication, on common random numbers
        by = runs.set_index(["point", "replication"])[outcome].astype(float).unstack()
        values = by.reindex(range(len(points))).to_numpy()
        per_rep = values[0::2] - values[1::2]
        base, d = np.nanmean(per_rep[0]), np.nanmean(per_rep, axis=1)
        table[f"base_{outcome}"] = base
        table[f"d_{outcome}"] = d
        table[f"noise_{outcome}"] = shift_noise(per_rep - per_rep[0])
        table[f"moves_{outcome}"] = (
            (np.sign(d) != np.sign(base)) | (np.abs(d - base) > MOVES * abs(base))
        ) & (np.abs(d - base) > table[f"noise_{outcome}"])
    return table.iloc[1:].reset_index(drop=True)


def shift_noise(shifts: np.ndarray) -> np.ndarray:
    """(settings,) half-width of the ``NOISE`` Student t interval of each row's mean of
    ``shifts`` (settings, replications); 0 with fewer than two replications (no criterion)."""
    from scipy.stats import t

    n = shifts.shape[1]
    if n < 2:
        return np.zeros(shifts.shape[0])
    sd = shifts.std(axis=1, ddof=1)
    return t.ppf(0.5 + NOISE / 2, n - 1) * sd / np.sqrt(n)


def moving_constants(table: pd.DataFrame, outcome: str) -> list[str]:
    """The constants of ``screen_constants``'s table that move ``outcome``'s difference, those
    that move it most first."""
    moving = table[table[f"moves_{outcome}"].astype(bool)]
    shift = (moving[f"d_{outcome}"] - moving[f"base_{outcome}"]).abs()
    return list(dict.fromkeys(moving["path"].to_numpy()[np.argsort(-shift.to_numpy())]))
