"""Experiment files: one declaration for every experiment (sweeps, analyses, theory of change).

    name: ppg_vs_reward
    base: lpsa1_baseline            # scenario the points override
    levers:                         # what a policy maker chooses
      funding.ppg_share: {values: [0.0, 0.5, 1.0]}
    uncertainties:                  # what nobody knows
      authorities.turnover_rate: {low: 0.02, high: 0.12, reason: "no figures (001:93)"}
    method: lhs                     # grid | lhs | sobol (ranges are sampled; value lists crossed)
    samples: 64
    replications: 10
    seed: 2001
    twins: true                     # no-agreement twins: additionality columns
    outcomes: [targets_met_share, retained_gain_3y]   # default: every registered outcome
    compare: [ppg_heavy, reward_heavy]                # scenarios the report runs side by side
    variants:                       # or: named sets of overrides (theory-of-change hypotheses)
      - {name: evidence, overrides: {}}

Parameters are dotted scenario paths (``model/scenario.py``). A parameter with ``values`` is a
grid axis (values of one type: numbers, or true/false); one with ``low``/``high`` is sampled (Latin
hypercube or scrambled Sobol, seeded). Points = the grid's combinations x the samples, or the
variants. The number of points is counted before any is built, and an experiment over
``MAX_RUNS`` runs is refused unless the caller raises the limit.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lpsa.model import Scenario, ScenarioError, load_scenario
from lpsa.model.outcomes import REGISTRY
from lpsa.model.scenario import (
    SCENARIO_DIR,
    did_you_mean,
    format_validation_error,
    parameter_overrides,
    read_yaml_mapping,
    resolve_scenario_path,
    shorten,
)

from .runner import Design, Point

MAX_RUNS = 1_000_000
"""Runs (points x replications) an experiment may hold unless the user raises the limit."""
EXPERIMENT_DIR = Path(__file__).resolve().parent
"""Shipped experiment files (package data)."""


def shown_path(path: Path) -> str:
    """``path`` as a report records it: relative to the project when it is a shipped file (so a
    shipped report does not name the machine it was made on), otherwise as given."""
    try:
        return str(Path(path).resolve().relative_to(EXPERIMENT_DIR.parent))
    except ValueError:
        return str(path)


class Parameter(BaseModel):
    """One varied parameter: explicit ``values`` (a grid axis) or a ``low``..``high`` range."""

    model_config = ConfigDict(extra="forbid")
    values: list[Any] | None = Field(None, min_length=1, max_length=100_000)
    low: float | None = None
    high: float | None = None
    reason: str = Field("", description="why these values or this range (evidence, or why none)")

    @field_validator("values")
    @classmethod
    def _one_type(cls, values: list[Any] | None) -> list[Any] | None:
        if values is None:
            return None
        kinds = {
            "true/false"
            if isinstance(v, bool)
            else "number"
            if isinstance(v, int | float)
            else type(v).__name__
            for v in values
        }
        if not kinds <= {"true/false", "number"}:
            bad = next(v for v in values if not isinstance(v, bool | int | float))
            raise ValueError(
                f"got {shorten(bad)} ({type(bad).__name__}); allowed: numbers or "
                'true/false (write 5.0e5, not "5e5")'
            )
        if len(kinds) > 1:
            raise ValueError("values mix numbers and true/false; allowed: values of one type")
        if kinds == {"number"} and not all(math.isfinite(v) for v in values):
            raise ValueError("values must be finite numbers")
        return values

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        if (self.values is None) == (self.low is None or self.high is None):
            raise ValueError("give either 'values' (a list) or both 'low' and 'high'")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Variant(BaseModel):
    """A named set of overrides (a theory-of-change hypothesis, a policy option)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    hypothesis: str = ""
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict)


class ExperimentSpec(BaseModel):
    """The experiment file schema."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str = "lpsa1_baseline"
    seed: int = Field(2001, ge=0, le=2**63 - 1)
    replications: int = Field(10, ge=1, le=100_000)
    levers: dict[str, Parameter] = Field(default_factory=dict, max_length=200)
    uncertainties: dict[str, Parameter] = Field(default_factory=dict, max_length=200)
    method: Literal["grid", "lhs", "sobol"] = "grid"
    samples: int | None = Field(None, ge=1, le=MAX_RUNS, description="sampled points (lhs, sobol)")
    variants: list[Variant] = Field(default_factory=list, max_length=10_000)
    reference: str | None = Field(None, description="the variant others are compared with")
    outcomes: list[str] | None = None
    twins: bool = False
    chunk_size: int = Field(20, ge=1, le=100_000)
    compare: list[str] = Field(default_factory=list, description="scenarios compared in reports")

    @field_validator("seed", "replications", "samples", "chunk_size", mode="before")
    @classmethod
    def _no_true_false_for_counts(cls, value: Any) -> Any:
        if isinstance(value, bool):  # YAML reads `yes` as true, which pydantic would make 1
            raise ValueError("true/false is not a number; allowed: a whole number")
        return value

    @field_validator("twins", mode="before")
    @classmethod
    def _only_true_false(cls, value: Any) -> Any:
        if not isinstance(value, bool | np.bool_):
            raise ValueError(f"{value!r} is not true/false; allowed: true or false")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        params = self.parameters()
        clash = set(self.levers) & set(self.uncertainties)
        if clash:
            raise ValueError(f"{sorted(clash)} are both levers and uncertainties; allowed: one")
        if self.variants and params:
            raise ValueError("give either 'variants' or 'levers'/'uncertainties', not both")
        ranged = [k for k, v in params.items() if v.values is None]
        if self.method == "grid" and ranged:
            raise ValueError(
                f"method 'grid' needs 'values' for every parameter; ranges for {ranged}"
            )
        if self.method != "grid":
            if not ranged:
                raise ValueError(f"method '{self.method}' needs at least one 'low'/'high' range")
            if self.samples is None:
                raise ValueError(f"method '{self.method}' needs 'samples'")
            if self.method == "sobol" and self.samples & (self.samples - 1):
                raise ValueError(f"samples: got {self.samples}; allowed for sobol: a power of 2")
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be distinct, got {names}")
        if self.reference is not None and self.reference not in names:
            raise ValueError(f"reference {self.reference!r} is not a variant; allowed: {names}")
        unknown = [o for o in self.outcomes or [] if o not in REGISTRY]
        if unknown:
            raise ValueError(f"outcomes: unknown {unknown}; allowed: {', '.join(REGISTRY)}")
        needs = [o for o in self.outcomes or [] if REGISTRY[o].needs_twins]
        if needs and not self.twins:
            raise ValueError(f"outcomes {needs} need 'twins: true'")
        return self

    def parameters(self) -> dict[str, Parameter]:
        return {**self.levers, **self.uncertainties}

    def n_points(self) -> int:
        """Points, counted without building them."""
        if self.variants:
            return len(self.variants)
        grid = math.prod(len(p.values) for p in self.parameters().values() if p.values is not None)
        return grid * (self.samples if self.method != "grid" else 1)


def shipped_experiment(ref: Path | str) -> Path:
    """A bare name (with or without ``.yaml``) of an experiment file shipped in ``experiments/``;
    a scenario's name, or a misspelt experiment's, is named as such."""
    name = Path(ref)
    if name.parent == Path("."):
        for candidate in (EXPERIMENT_DIR / name.name, EXPERIMENT_DIR / f"{name.name}.yaml"):
            if candidate.is_file():
                return candidate
    if (SCENARIO_DIR / f"{name.stem}.yaml").is_file():
        raise ScenarioError(
            f"{ref}: a scenario, not an experiment file; allowed here: experiment files. Run it "
            f"with 'lpsa {ref}', or name it as an experiment's base"
        )
    shipped = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml") if p.stem != "records")
    raise ScenarioError(
        f"{ref}: experiment file not found{did_you_mean(name.stem, shipped)} "
        f"(shipped experiments: {', '.join(shipped)})"
    )


class Experiment:
    """A validated experiment file: its spec, its scenarios and (built on demand) its points."""

    def __init__(self, path: Path | str, max_runs: int = MAX_RUNS) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            self.path = shipped_experiment(path)
        try:
            self.spec = ExperimentSpec.model_validate(read_yaml_mapping(self.path))
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(str(self.path), exc)) from None
        check_run_count(str(self.path), self.spec.n_points(), self.spec.replications, max_runs)
        self.base = self._scenario(self.spec.base, "base")
        self.compare = [self._scenario(ref, "compare") for ref in self.spec.compare]
        self._check_parameters()
        self._points: list[Point] | None = None

    def _scenario(self, ref: str | Scenario, field: str, overrides: dict | None = None) -> Scenario:
        """A scenario named in this file: a path (relative to the file's folder or the working
        folder), a shipped name, or an already loaded ``Scenario``."""
        try:
            if isinstance(ref, str):
                ref = resolve_scenario_path(ref, self.path.parent)
            return load_scenario(ref, overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{self.path}: field '{field}': {exc}") from None

    def _check_parameters(self) -> None:
        """Every value and both ends of every range must be valid scenario values (one at a
        time, so the check costs the number of values, not the number of points)."""
        for name, p in self.spec.parameters().items():
            for value in representative_values(p):
                self._scenario(self.base, f"{name}", parameter_overrides({name: value}))
        for i, v in enumerate(self.spec.variants):
            self._scenario(self.base, f"variants[{i}] ({v.name}).overrides", v.overrides)

    @property
    def points(self) -> list[Point]:
        if self._points is None:
            self._points = self._build_points()
        return self._points

    def _build_points(self) -> list[Point]:
        s = self.spec
        if s.variants:
            return [Point(v.overrides, name=v.name) for v in s.variants]
        params = s.parameters()
        grid_names = [k for k, p in params.items() if p.values is not None]
        grid = [
            dict(zip(grid_names, combo))
            for combo in itertools.product(*(params[k].values for k in grid_names))
        ]
        if s.method == "grid":
            return [Point(g) for g in grid]
        ranged = [k for k, p in params.items() if p.values is None]
        unit = sample_unit_cube(s.method, len(ranged), s.samples or 1, s.seed)
        lows = np.array([params[k].low for k in ranged])
        highs = np.array([params[k].high for k in ranged])
        samples = [dict(zip(ranged, map(float, row))) for row in lows + unit * (highs - lows)]
        return [Point({**g, **x}) for g in grid for x in samples]

    def design(self) -> Design:
        return Design(
            {"base": self.base},
            self.points,
            self.spec.replications,
            self.spec.seed,
            self.spec.twins,
        )

    def outcome_columns(self) -> list[str]:
        from lpsa.model.outcomes import outcome_names

        return self.spec.outcomes or outcome_names(self.spec.twins)

    def identity(self) -> dict[str, str]:
        """Hashes of what a result depends on: the experiment file and every scenario it uses."""
        out = {
            "experiment_file": sha256_bytes(self.path.read_bytes()),
            f"scenario {self.base.name}": scenario_hash(self.base),
        }
        out.update({f"scenario {sc.name}": scenario_hash(sc) for sc in self.compare})
        return out


def check_run_count(
    source: str, points: int, replications: int, max_runs: int = MAX_RUNS, twins: bool = False
) -> None:
    """Refuse, before anything is built, a design of more than ``max_runs`` runs (a run's
    no-agreement twin, with ``twins``, counts as a run)."""
    runs = points * replications * (2 if twins else 1)
    if runs > max_runs:
        raise ScenarioError(
            f"{source}: {points:,} points x {replications} replications"
            + (" x 2 (each run with its twin)" if twins else "")
            + f" = {runs:,} runs; allowed: at most {max_runs:,} (raise the limit with "
            "--max-runs if you mean it)"
        )


def representative_values(p: Parameter, most: int = 50) -> list[Any]:
    """Both ends of a range; a grid's extremes and up to ``most`` of its distinct values."""
    if p.values is None:
        return [p.low, p.high]
    distinct = sorted(set(p.values))
    if len(distinct) <= most:
        return distinct
    picks = np.linspace(0, len(distinct) - 1, most).round().astype(int)
    return [distinct[i] for i in picks]


def sample_unit_cube(method: str, dims: int, n: int, seed: int) -> np.ndarray:
    """``n`` seeded points in the unit cube: Latin hypercube or scrambled Sobol."""
    from scipy.stats import qmc

    if method == "lhs":
        return qmc.LatinHypercube(d=dims, seed=seed).random(n)
    return qmc.Sobol(d=dims, scramble=True, seed=seed).random(n)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_sha256(data: object) -> str:
    """Hash of JSON-able ``data``, independent of key order."""
    return sha256_bytes(json.dumps(data, sort_keys=True).encode())


def scenario_hash(scenario: Scenario) -> str:
    """Hash of a fully resolved scenario (every parameter, defaults included)."""
    return json_sha256(scenario.model_dump())
