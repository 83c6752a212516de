"""Posterior ensembles: the plausible worlds, as weighted parameter sets.

``lpsa calibrate`` writes one (ABC-SMC, ``experiments/calibrate_*.py``); every analysis over the
plausible worlds (``lpsa compare``) loads one, by default the one shipped for its base scenario in
``experiments/posteriors/``. A posterior is two files with the same stem:

- ``<name>.csv``: one row per parameter set (a *particle*), a ``weight`` column (non-negative,
  normalised on load) and one column per uncertain parameter, named by its dotted scenario path
  (``implementation.capacity_half``);
- ``<name>.json``: how it was made: base scenario, command, seed, method, populations, acceptance
  threshold, simulations, held-out patterns, and when; and the CSV's particle count
  (``particles``) and SHA-256 (``csv_sha256``), checked on load, so that a cut or changed CSV is
  refused instead of changing a headline (a sidecar from before these fields: its
  ``population_size``, the particles an ABC-SMC population holds).

A *world* is one parameter set drawn from the posterior. Worlds are drawn with replacement with
probability proportional to weight (i.i.d. draws from the weighted particle approximation), from a
generator seeded by the caller, so the same seed gives the same worlds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import Scenario, ScenarioError, load_scenario
from lpsa.model.scenario import parameter_overrides

from . import io
from .uncertainty import Uncertain, load_uncertain

POSTERIOR_DIR = Path(__file__).resolve().parent / "posteriors"
MAX_PARTICLES = 100_000
MAX_FILE_BYTES = 50_000_000


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised ``weights``: 1 / sum of their squares."""
    return float(1.0 / np.sum(np.asarray(weights, dtype=float) ** 2))


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter sets over the base scenario named ``base``."""

    base: str
    particles: pd.DataFrame  # one column per dotted parameter path
    weights: np.ndarray  # (n,) sums to 1
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def parameters(self) -> list[str]:
        return list(self.particles.columns)

    @property
    def effective_size(self) -> float:
        """Kish's effective sample size of the weights."""
        return effective_size(self.weights)

    def worlds(self, n: int, seed: int, unfitted: Sequence[Uncertain] = ()) -> pd.DataFrame:
        """``n`` worlds drawn with probability proportional to weight (with replacement); one row
        per world, a ``particle`` column naming the row of the posterior it came from.

        Each parameter of ``unfitted`` that the posterior does not cover (an uncertain parameter
        added after it was fitted) is drawn in each world from its prior, uniform over its
        documented range (stream ``[seed, 1]``; the posterior's columns are drawn as without
        it). The evidence identifies few parameters: one it was not fitted to would most likely
        have a posterior as wide as its prior (run L, docs/calibration.md), and drawing it keeps
        its uncertainty in the worlds instead of fixing it at the scenario's value."""
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(self.particles), size=n, replace=True, p=self.weights)
        drawn = self.particles.iloc[rows].reset_index(drop=True)
        drawn.insert(0, "particle", rows)
        prior = np.random.default_rng([seed, 1])
        for p in unfitted:
            if p.path not in drawn:
                drawn[p.path] = p.low + (p.high - p.low) * prior.random(n)
        return drawn

    def quantiles(self, q: float) -> pd.Series:
        """Weighted ``q`` quantile of each parameter."""
        out = {}
        for name in self.parameters:
            v = self.particles[name].to_numpy(dtype=float)
            order = np.argsort(v)
            cum = np.cumsum(self.weights[order])
            out[name] = float(v[order][min(np.searchsorted(cum, q), v.size - 1)])
        return pd.Series(out)

    def central_order(self) -> np.ndarray:
        """Particle indices, the most central first: by distance from the weighted median in rank
        space, so that every parameter counts alike whatever its units. On each parameter a
        particle spans the ranks from the weight of the smaller values to that plus its own; its
        gap is how far that span lies from 0.5 (zero for the particle holding the median). Ties
        keep the file's order. Used to pick a scenario's calibrated point."""
        gaps = np.empty(self.particles.shape)
        for k, name in enumerate(self.parameters):
            values, which = np.unique(
                self.particles[name].to_numpy(dtype=float), return_inverse=True
            )
            upto = np.cumsum(np.bincount(which, weights=self.weights, minlength=values.size))
            below = np.concatenate([[0.0], upto[:-1]])
            gaps[:, k] = np.maximum(np.maximum(below - 0.5, 0.5 - upto), 0.0)[which]
        return np.argsort(np.sqrt((gaps**2).sum(axis=1)), kind="stable")

    def point(self, index: int, digits: int = 4) -> dict[str, float]:
        """Particle ``index`` as scenario overrides by dotted path, each value rounded to
        ``digits`` significant digits (as a scenario file writes it)."""
        return {k: float(f"{v:.{digits}g}") for k, v in self.particles.iloc[index].items()}


def world_parameters(posterior: Posterior, unfitted: Sequence[Uncertain]) -> list[str]:
    """The paths ``Posterior.worlds`` varies: the posterior's parameters, then ``unfitted``."""
    return [
        *posterior.parameters,
        *(p.path for p in unfitted if p.path not in posterior.parameters),
    ]


def unfitted_parameters(posterior: Posterior, mode: str = "prior") -> list[Uncertain]:
    """The uncertain parameters (``experiments/uncertain_parameters.yaml``) that ``posterior``
    does not cover, for ``Posterior.worlds`` to draw from their prior; none with ``mode``
    "scenario" (they stay at the scenario's values)."""
    if mode == "scenario":
        return []
    return [p for p in load_uncertain()[1] if p.path not in posterior.parameters]


def shipped(name: str) -> Path:
    """The shipped posterior of base scenario ``name``."""
    return POSTERIOR_DIR / f"{name}.csv"


def save_posterior(path: Path, posterior: Posterior) -> Path:
    """Write the particles (``path``, CSV) and how they were made (same stem, JSON), atomically."""
    path = Path(path)
    table = posterior.particles.copy()
    table.insert(0, "weight", posterior.weights)
    io.write_csv(path, table)
    meta = {
        "base": posterior.base,
        **posterior.meta,
        "particles": len(table),
        "csv_sha256": io.file_sha256(path),
    }
    io.write_json(path.with_suffix(".json"), meta)
    return path


def check_sidecar(path: Path, meta_path: Path, meta: dict[str, Any], rows: int) -> None:
    """Refuse a posterior CSV whose particle count or checksum differs from what its sidecar
    ``meta`` records."""
    expected = meta.get("particles", meta.get("population_size"))
    field_name = "particles" if "particles" in meta else "population_size"
    if expected is not None and expected != rows:
        raise _fail(
            path,
            f"{rows} particles, but {meta_path.name} records {field_name} {expected!r}; allowed: "
            "the posterior as calibrate wrote it (a cut or extended file changes every result "
            f"drawn from it; if you cut it on purpose, remove '{field_name}' from "
            f"{meta_path.name})",
        )
    digest = meta.get("csv_sha256")
    if digest is not None and digest != io.file_sha256(path):
        raise _fail(
            path,
            f"its bytes differ from the checksum {meta_path.name} records (csv_sha256); "
            "allowed: the posterior as calibrate wrote it (if you changed it on purpose, remove "
            f"'csv_sha256' and 'particles' from {meta_path.name})",
        )


def _fail(path: Path, what: str) -> ScenarioError:
    return ScenarioError(f"{path}: {what}")


def check_fits(particles: pd.DataFrame, scenario: Scenario, path: Path) -> None:
    """Refuse (one message naming ``path`` and ``scenario``) particles whose smallest or whose
    largest values, taken parameter by parameter, do not make a valid ``scenario``. The schema
    bounds each field on its own, and each of its cross-field rules (weights or shares not all
    zero) fails first at the smallest values, so the two corners stand for every particle between
    them. A new cross-field rule that is not monotone in its fields would need every particle."""
    for which, row in (("smallest", particles.min()), ("largest", particles.max())):
        try:
            load_scenario(scenario, parameter_overrides({k: float(v) for k, v in row.items()}))
        except ScenarioError as exc:
            raise _fail(
                path, f"the {which} values do not fit scenario {scenario.name!r}: {exc}"
            ) from None


def load_posterior(ref: str | Path, base: Scenario | None = None) -> Posterior:
    """Load a posterior by path, or by a base scenario's name (the shipped one).

    Checks, each failing with one message naming the file, the field, the value and what is
    allowed: the file exists and is not absurdly large; a ``weight`` column of finite, non-negative
    numbers with a positive sum; at most ``MAX_PARTICLES`` rows; every other column a number and a
    scenario parameter that ``base`` (default: the posterior's own base scenario) accepts at every
    column's smallest and largest value (the schema bounds each field on its own).
    """
    path = Path(ref)
    if path.suffix != ".csv" and not path.exists():
        path = shipped(str(ref))
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in POSTERIOR_DIR.glob("*.csv"))) or "none"
        raise _fail(
            path,
            f"no such posterior; allowed: a posterior CSV or the name of a base scenario with a "
            f"shipped posterior ({names}); none for {str(ref)!r}: run 'lpsa calibrate' to make "
            "one, or pass --posterior FILE.csv",
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _fail(path, f"file of {path.stat().st_size} bytes; allowed: at most {MAX_FILE_BYTES}")
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        table = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as exc:
        raise _fail(path, f"not a posterior table ({' '.join(str(exc).split())[:200]})") from None
    if not isinstance(meta, dict):
        raise _fail(meta_path, "allowed: a JSON object")
    if "weight" not in table.columns or len(table.columns) < 2:
        raise _fail(path, "field 'weight' and at least one parameter column are required")
    if not 0 < len(table) <= MAX_PARTICLES:
        raise _fail(path, f"{len(table)} particles; allowed: 1 to {MAX_PARTICLES}")
    particles = table.drop(columns="weight")
    for name in ["weight", *particles.columns]:
        values = pd.to_numeric(table[name], errors="coerce")
        bad = values.index[~np.isfinite(values.to_numpy(dtype=float))]
        if len(bad):
            raise _fail(
                path,
                f"field {name!r}, row {int(bad[0]) + 2}: {table[name].iloc[bad[0]]!r}; "
                "allowed: a finite number",
            )
    weights = table["weight"].to_numpy(dtype=float)
    if (weights < 0).any() or weights.sum() <= 0:
        raise _fail(path, "field 'weight': allowed: non-negative numbers with a positive sum")
    name = str(meta.get("base", ""))
    if base is None:
        if not name:
            raise _fail(meta_path, "field 'base' is missing; allowed: a base scenario's name")
        base = load_scenario(name)
    numbers = particles.astype(float)
    check_fits(numbers, base, path)
    check_sidecar(path, meta_path, meta, len(table))
    return Posterior(
        base=name or base.name,
        particles=numbers,
        weights=weights / weights.sum(),
        meta=meta,
        path=path,
    )
