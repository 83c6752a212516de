"""``python run.py toc [experiments/theory_of_change.yaml]``: test theory-of-change hypotheses.

Each variant in the experiment file is a set of mechanism switches (and parameters) over a base
scenario. Every variant runs on the same seeds; the report says which variants reproduce the
evaluation's patterns P1-P8 (experiments/validate.py) and how much each changes attainment and
retained gain against the reference, with paired 95 % bootstrap intervals.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from tqdm.auto import tqdm

from model import LPSAModel, Scenario, ScenarioError, load_scenario
from model.outputs import summarise
from model.scenario import format_validation_error, read_yaml_mapping

from . import io
from .runs import replication_seed
from .validate import bootstrap_ci, check_patterns, pattern_values

DEFAULT_FILE = Path(__file__).resolve().parent / "theory_of_change.yaml"
METRICS = ["targets_met_share", "mean_share_of_stretch", "retained_gain_3y", "retained_gain_5y"]


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    hypothesis: str = Field(min_length=1)
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict)


class Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    base: str = "lpsa1_baseline"
    replications: int = Field(30, ge=2, le=100_000)
    seed: int = Field(2001, ge=0, le=2**63 - 1)
    reference: str
    variants: list[Variant] = Field(min_length=2)

    @model_validator(mode="after")
    def _reference_is_a_variant(self) -> Experiment:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be distinct, got {names}")
        if self.reference not in names:
            raise ValueError(f"reference {self.reference!r} is not a variant; allowed: {', '.join(names)}")
        return self


def load_experiment(path: Path) -> tuple[Experiment, dict[str, Scenario]]:
    """Read and validate the experiment file and every variant's scenario before anything runs."""
    data = read_yaml_mapping(path)
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(str(path), exc)) from None
    scenarios = {}
    for i, v in enumerate(exp.variants):
        try:
            sc = load_scenario(exp.base, v.overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: variants[{i}] ({v.name}).overrides: {exc}") from None
        scenarios[v.name] = sc.model_copy(update={"name": v.name})
    return exp, scenarios


def run_experiment(exp: Experiment, scenarios: dict[str, Scenario], progress: bool = True) -> dict[str, dict[str, list[float]]]:
    """Per variant, per-replication pattern statistics and summary metrics."""
    values: dict[str, dict[str, list[float]]] = {name: {} for name in scenarios}
    total = exp.replications * len(scenarios)
    with tqdm(total=total, desc="theory of change", unit="run", delay=2, disable=not progress) as bar:
        for name, sc in scenarios.items():
            for r in range(exp.replications):
                m = LPSAModel(sc, seed=replication_seed(exp.seed, r)).run()
                row = pattern_values(m)
                summary = summarise(m.targets_frame(), m.authorities_frame(), name)
                row.update({k: summary[k] for k in METRICS})
                for k, v in row.items():
                    values[name].setdefault(k, []).append(v)
                bar.update(1)
    return values


def summarise_experiment(exp: Experiment, values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """One row per variant: patterns failed, each metric with its interval and its paired difference from the reference."""
    ref = values[exp.reference]
    rows = []
    for v in exp.variants:
        vals = values[v.name]
        checks = check_patterns({k: vals[k] for k in vals if k not in METRICS})
        row: dict[str, Any] = {"variant": v.name, "hypothesis": v.hypothesis,
                               "patterns_failed": ", ".join(checks.loc[~checks["passed"], "pattern"]) or "none",
                               "reproduces_patterns": bool(checks["passed"].all())}
        for k in METRICS:
            mean, lo, hi = bootstrap_ci(np.array(vals[k]))
            d_mean, d_lo, d_hi = bootstrap_ci(np.array(vals[k]) - np.array(ref[k]))
            row.update({k: mean, f"{k}_ci": (lo, hi), f"delta_{k}": d_mean, f"delta_{k}_ci": (d_lo, d_hi)})
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(mean: float, ci: tuple[float, float], signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{mean:{sign}.3f} ({ci[0]:{sign}.3f}, {ci[1]:{sign}.3f})"


def write_report(out: Path, exp: Experiment, table: pd.DataFrame) -> None:
    """theory_of_change.md, a CSV and a figure of the paired differences."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = table[table["variant"] != exp.reference]
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 0.5 * len(others) + 2), sharey=True)
    y = np.arange(len(others))
    for ax, k in zip(axes, METRICS):
        lo = [c[0] for c in others[f"delta_{k}_ci"]]
        hi = [c[1] for c in others[f"delta_{k}_ci"]]
        mean = others[f"delta_{k}"].to_numpy()
        ax.errorbar(mean, y, xerr=[mean - lo, np.array(hi) - mean], fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(f"change in {k}", fontsize=9)
    axes[0].set_yticks(y, others["variant"])
    fig.suptitle(f"Against '{exp.reference}' (paired by replication, 95% bootstrap intervals)")
    fig.tight_layout()
    io.save_figure(out / "theory_of_change.png", fig)
    lines = [f"# Theory of change: {exp.name}", "",
             f"Base `{exp.base}`, {exp.replications} replications per variant on common seeds (master seed {exp.seed}). "
             f"Differences are against `{exp.reference}`, paired by replication, with 95 % bootstrap intervals. "
             "Patterns are judged as in `run.py validate`.", "",
             "| variant | hypothesis | reproduces P1-P8 | patterns failed | met share | change | retained +3y | change | retained +5y | change |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['variant']} | {r['hypothesis']} | {'yes' if r['reproduces_patterns'] else 'no'} | {r['patterns_failed']} | "
            f"{_fmt(r['targets_met_share'], r['targets_met_share_ci'])} | {_fmt(r['delta_targets_met_share'], r['delta_targets_met_share_ci'], True)} | "
            f"{_fmt(r['retained_gain_3y'], r['retained_gain_3y_ci'])} | {_fmt(r['delta_retained_gain_3y'], r['delta_retained_gain_3y_ci'], True)} | "
            f"{_fmt(r['retained_gain_5y'], r['retained_gain_5y_ci'])} | {_fmt(r['delta_retained_gain_5y'], r['delta_retained_gain_5y_ci'], True)} |")
    lines += ["", "## Variants", ""]
    lines += [f"- **{v.name}** ({v.hypothesis}): {v.description.strip()} Overrides: `{v.overrides}`" for v in exp.variants]
    lines += ["", "![differences](theory_of_change.png)", ""]
    io.write_text(out / "theory_of_change.md", "\n".join(lines))
    io.write_csv(out / "theory_of_change.csv", table)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="run.py toc", description="Run the theory-of-change experiment and write its report.")
    p.add_argument("experiment", nargs="?", type=Path, default=DEFAULT_FILE, help="experiment file (default experiments/theory_of_change.yaml)")
    p.add_argument("--out", type=Path, help="output folder (default results/<experiment>-<timestamp>)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if not args.experiment.is_file():
        raise ScenarioError(f"{args.experiment}: experiment file not found")
    exp, scenarios = load_experiment(args.experiment)
    table = summarise_experiment(exp, run_experiment(exp, scenarios, progress=not args.quiet))
    out = args.out or Path("results") / f"{exp.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    write_report(out, exp, table)
    if not args.quiet:
        view = table[["variant", "hypothesis", "reproduces_patterns", "patterns_failed", "delta_targets_met_share",
                      "delta_retained_gain_3y", "delta_retained_gain_5y"]]
        print(view.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
        print(f"\nReport written to {out / 'theory_of_change.md'}")
    return 0
