"""``python run.py validate [SCENARIO]``: check the model against the evaluation's patterns P1-P8.

Each pattern (``../shared/EVIDENCE.md``) becomes a statistic computed per replication; the model's
value is the mean over replications with a 95 % bootstrap interval. Tolerances were written down,
with their reasons, before any calibration, and are not fitted afterwards:

- *level* patterns (P1, P4, P7) pass when the mean lies inside the tolerance band, which is as wide
  as the evidence is vague (P1 is a mid-agreement forecast from case studies, 'roughly 40 %');
- *direction* patterns (P2, P3, P5, P6, P8) pass when the whole 95 % interval of the difference lies
  above zero: the evidence states an ordering, not a size.

Exit status 1 if any pattern fails, naming it; 2 for bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import LPSAModel, Scenario, load_scenario
from model.outcomes import share
from model.outputs import approach_kind
from model.scenario import MAX_RATING, QUARTERS_PER_YEAR

from . import io, provenance
from .arguments import default_out, replications
from .arguments import seed as seed_arg
from .design import scenario_hash
from .runner import require_success, run_table, single

DEFAULT_REPLICATIONS = 30
BOOTSTRAP_RESAMPLES = 2000
DIRECTION_SCALE = 0.05
"""A direction pattern 0.05 below its bound is one unit of distance from the evidence."""


def council_years(m: LPSAModel) -> pd.DataFrame:
    """Each signed council's mean reported performance at the end of each year from its
    agreement's start."""
    a = m.councils
    signed = np.flatnonzero(a.signed)
    n_years = (
        m.params.scheme.implementation_quarters + m.params.scheme.follow_up_quarters
    ) // QUARTERS_PER_YEAR
    rows = (
        a.start[signed][None, :] + QUARTERS_PER_YEAR * np.arange(1, n_years + 1)[:, None] - 1
    )  # (years, councils)
    perf = m.history[rows, signed[None, :]].mean(axis=2)
    return pd.DataFrame(
        {
            "authority": np.tile(signed, n_years),
            "year": np.repeat(np.arange(1, n_years + 1), signed.size),
            "performance": perf.ravel(),
        }
    )


Statistic = Callable[[pd.DataFrame, pd.DataFrame], float]


def _met_share_of(t: pd.DataFrame, areas: list[str]) -> float:
    return share(t.loc[t["area"].isin(areas), "outcome"] == "met")


def _missed_share_of(t: pd.DataFrame, areas: list[str]) -> float:
    return share(t.loc[t["area"].isin(areas), "outcome"] == "missed")


def _retained_3y(t: pd.DataFrame, kind: str) -> float:
    sel = t[(approach_kind(t) == kind) & (t["share_of_stretch"] > 0)]
    return (
        float(sel["performance_3y"].sum() / sel["share_of_stretch"].sum())
        if len(sel)
        else float("nan")
    )


def _met_gap(t: pd.DataFrame, harder: str) -> float:
    """Met share of the targets without the boolean column ``harder`` minus those with it."""
    met = t["outcome"] == "met"
    return share(met[~t[harder]]) - share(met[t[harder]])


def _slipping_share(_: pd.DataFrame, years: pd.DataFrame) -> float:
    """Of councils whose mean performance moved by more than 0.05 of stretch in a year, the share
    that fell."""
    wide = years.pivot(index="authority", columns="year", values="performance")
    change = wide.diff(axis=1).iloc[:, 1:].to_numpy().ravel()
    moved = np.abs(change) > 0.05
    return float((change[moved] < 0).mean()) if moved.any() else float("nan")


def _catch_up(t: pd.DataFrame, _: pd.DataFrame) -> float:
    by = t.groupby("authority_rating")["share_of_stretch"].mean()
    return float(by.get(1, np.nan) - by.get(MAX_RATING, np.nan))


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
    """Where the evidence puts a level pattern (the calibration distance aims at it)."""
    encoded_by: Mapping[str, Any] = field(default_factory=dict)
    """Scenario overrides that neutralise the input that encodes this pattern. Empty: the pattern
    emerges from the mechanisms and counts as validation; otherwise it is an input check (the
    model reproduces it because a parameter says so), and a test shows that it fails once these
    overrides are applied."""

    @property
    def emergent(self) -> bool:
        return not self.encoded_by

    def distance(self, value: float) -> float:
        """Standardised distance from the evidence: a level pattern's from its target over half
        its band; a direction pattern's shortfall below its bound over ``DIRECTION_SCALE``."""
        if self.kind == "level":
            return (value - float(self.target)) / ((self.high - self.low) / 2)
        return max(0.0, self.low - value) / DIRECTION_SCALE


def _others(t: pd.DataFrame, areas: list[str]) -> list[str]:
    return [a for a in t["area"].unique() if a not in areas]


PATTERNS: list[Pattern] = [
    Pattern(
        "P1a",
        "~40% of targets met or almost certain",
        "001:127",
        "share of targets met",
        lambda t, y: share(t["outcome"] == "met"),
        0.30,
        0.50,
        "level",
        "a mid-agreement forecast from case studies ('roughly 40%'): +-10 points",
    ),
    Pattern(
        "P1b",
        "~25% likely missed",
        "001:127",
        "share of targets missed",
        lambda t, y: share(t["outcome"] == "missed"),
        0.15,
        0.35,
        "level",
        "'about one quarter', same source and vagueness: +-10 points",
    ),
    Pattern(
        "P2",
        "local targets succeed more often than national",
        "001:129",
        "met share, local minus national",
        lambda t, y: _met_gap(t, "national"),
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
    Pattern(
        "P3a",
        "misses concentrate in transport and educational attainment",
        "001:131",
        "missed share, transport+education minus other areas",
        lambda t, y: _missed_share_of(t, MISS_AREAS) - _missed_share_of(t, _others(t, MISS_AREAS)),
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
    Pattern(
        "P3b",
        "success highest in environment/housing, cost-effectiveness, misc local",
        "001:131",
        "met share, those areas minus the rest",
        lambda t, y: _met_share_of(t, SUCCESS_AREAS) - _met_share_of(t, _others(t, SUCCESS_AREAS)),
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
    Pattern(
        "P4",
        "even missed targets generally show some improvement",
        "001:127",
        "share of missed targets that improved",
        lambda t, y: share(t.loc[t["outcome"] == "missed", "share_of_stretch"] > 0),
        0.75,
        1.0,
        "level",
        "'in general there has been some improvement': at least three in four",
    ),
    Pattern(
        "P5a",
        "systemic gains persist more than resource-dependent ones",
        "000:90-93, 001:135",
        "retained gain +3y, successful systemic minus new working",
        lambda t, y: _retained_3y(t, "systemic_succeeded") - _retained_3y(t, "new_working"),
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
    Pattern(
        "P5b",
        "'more of the same' falls back most",
        "000:93",
        "retained gain +3y, new working minus more of the same",
        lambda t, y: _retained_3y(t, "new_working") - _retained_3y(t, "more_of_same"),
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
    Pattern(
        "P6",
        "partnership targets have the most difficulty",
        "001:105",
        "met share, single-agency minus partnership",
        lambda t, y: _met_gap(t, "partnership"),
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
    Pattern(
        "P7",
        "services slip back: 16 of 41 councils whose rating moved fell (15 of 39 next year)",
        "003:418",
        "share falling among councils whose yearly mean moved > 0.05 of stretch",
        _slipping_share,
        0.20,
        0.60,
        "level",
        "observed 0.39 and 0.38 on star ratings, a coarser measure of other services: +-0.2",
    ),
    Pattern(
        "P8",
        "lowest-rated authorities improved fastest",
        "003:389",
        "share of stretch, 1-star minus 4-star councils",
        _catch_up,
        0.0,
        np.inf,
        "direction",
        "an ordering: the interval must lie above zero",
    ),
]


def bootstrap_ci(values: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95 % percentile bootstrap interval of the mean over replications."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(BOOTSTRAP_RESAMPLES, v.size))].mean(axis=1)
    return float(v.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def pattern_statistics(targets: pd.DataFrame, years: pd.DataFrame) -> dict[str, float]:
    """Every pattern's statistic from a run's targets table and its councils' yearly means."""
    return {p.id: p.compute(targets, years) for p in PATTERNS}


def pattern_values(m: LPSAModel, twin: LPSAModel | None = None) -> dict[str, float]:
    """Every pattern's statistic for one finished run (a measure for the experiment runner)."""
    return pattern_statistics(m.targets_frame(), council_years(m))


def check_patterns(per_rep: dict[str, list[float]]) -> pd.DataFrame:
    """Judge each pattern from its per-replication values; one row per pattern."""
    rows = []
    for p in PATTERNS:
        mean, lo, hi = bootstrap_ci(np.array(per_rep[p.id]))
        ok = (p.low <= mean <= p.high) if p.kind == "level" else (lo > p.low and hi <= p.high)
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
                "reason": p.reason,
                "passed": bool(ok),
            }
        )
    return pd.DataFrame(rows)


def evaluate(
    scenario: Scenario, replications: int, seed: int, progress: bool = True
) -> pd.DataFrame:
    """Run the scenario and check every pattern; one row per pattern."""
    runs = require_success(
        run_table(
            single(scenario, replications, seed),
            pattern_values,
            progress="validate" if progress else None,
        )
    )
    return check_patterns({p.id: runs[p.id].tolist() for p in PATTERNS})


def _tol(p: Pattern) -> str:
    return f"> {p.low:g} (whole interval)" if np.isinf(p.high) else f"{p.low:g} .. {p.high:g}"


def format_table(table: pd.DataFrame) -> str:
    view = pd.DataFrame(
        {
            "pattern": table["pattern"],
            "evidence": table["evidence"].str.slice(0, 60),
            "model (95% CI)": [
                f"{m:.3f} ({lo:.3f}, {hi:.3f})"
                for m, lo, hi in zip(table["model"], table["ci_low"], table["ci_high"])
            ],
            "tolerance": table["tolerance"],
            "result": np.where(table["passed"], "pass", "FAIL"),
        }
    )
    return view.to_string(index=False)


def write_report(
    out: Path, scenario: Scenario, table: pd.DataFrame, replications: int, seed: int
) -> None:
    """validation.md with the table and a figure of each statistic against its tolerance."""
    lines = [
        f"# Validation: {scenario.name}",
        "",
        f"{replications} replications, master seed {seed}. Model value = mean over replications "
        "with a 95 % "
        "bootstrap interval. Level patterns pass when the mean lies in the band; direction "
        "patterns when the "
        "whole interval lies above zero. Tolerances and their reasons are fixed in "
        "`experiments/validate.py`.",
        "",
        "| pattern | evidence | source | statistic | model (95% CI) | tolerance | reason | result "
        "|",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['pattern']} | {r['evidence']} | {r['source']} | {r['statistic']} | "
            f"{r['model']:.3f} ({r['ci_low']:.3f}, {r['ci_high']:.3f}) | {r['tolerance']} | "
            f"{r['reason']} | "
            f"{'pass' if r['passed'] else '**FAIL**'} |"
        )
    lines += ["", "![validation](validation.png)", ""]
    io.write_csv(out / "validation.csv", table)
    io.write_text(out / "validation.md", "\n".join(lines))
    validation_figure(out, scenario, table)


def validation_figure(out: Path, scenario: Scenario, table: pd.DataFrame) -> None:
    """Each statistic against its tolerance (written after the tables)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    colours = np.where(table["passed"], "#2a9d8f", "#e76f51")
    ax.errorbar(
        table["model"],
        y,
        xerr=[table["model"] - table["ci_low"], table["ci_high"] - table["model"]],
        fmt="none",
        ecolor="black",
        capsize=3,
    )
    ax.scatter(table["model"], y, c=colours, zorder=3)
    for yi, p in zip(y, PATTERNS):
        hi = p.high if np.isfinite(p.high) else max(table["ci_high"].max(), p.low) + 0.1
        ax.plot([p.low, hi], [yi, yi], color="grey", alpha=0.3, lw=8, solid_capstyle="butt")
    ax.set_yticks(y, table["pattern"])
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("statistic (grey: tolerance)")
    ax.set_title(f"Validation of {scenario.name} against P1-P8")
    fig.tight_layout()
    io.save_figure(out / "validation.png", fig)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="lpsa validate",
        description="Check a scenario against the evaluation's patterns P1-P8.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default="lpsa1_baseline",
        help="scenario file or shipped name (default lpsa1_baseline)",
    )
    p.add_argument("--replications", type=replications, default=DEFAULT_REPLICATIONS)
    p.add_argument("--seed", type=seed_arg, help="master seed (default: the scenario's)")
    p.add_argument(
        "--out", type=Path, help="output folder (default results/validation-<scenario>-<timestamp>)"
    )
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    scenario = load_scenario(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or default_out(f"validation-{scenario.name}")
    io.prepare_folder(out)
    started = provenance.now()
    table = evaluate(scenario, args.replications, seed, progress=not args.quiet)
    write_report(out, scenario, table, args.replications, seed)
    provenance.record(
        out,
        "validate",
        argv,
        started,
        scenario=scenario.name,
        scenario_sha256=scenario_hash(scenario),
        seed=seed,
        replications=args.replications,
    )
    failed = table.loc[~table["passed"], "pattern"].tolist()
    if not args.quiet:
        print(format_table(table))
        print(f"\nReport written to {out / 'validation.md'}")
    if failed:
        print(f"validation failed: {', '.join(failed)}")
        return 1
    if not args.quiet:
        print("all patterns pass")
    return 0
