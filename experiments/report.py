"""``python run.py report results/<sweep>``: a markdown report with figures for any sweep.

For each swept parameter, each outcome's mean with a 95 % bootstrap interval per value (grid sweeps)
or per decile bin of the parameter (sampled sweeps). Outcomes: targets met, reward paid, retained
gain at +3 and +5 years, value for money (``sustained_gain_per_million``: improvement still there three
years after the end, summed over targets in units of stretch, per million pounds of PPG and reward
paid) and, when the sweep ran twins, additionality. If the sweep file lists ``compare:`` scenarios
(e.g. ppg_heavy, reward_heavy), they are run with the sweep's seed and replications (common random
numbers) and compared side by side, with the paired difference and its interval.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from model import ScenarioError, load_scenario

from . import io
from .runs import replication_seed
from .validate import bootstrap_ci

OUTCOMES = ["targets_met_share", "reward_paid", "retained_gain_3y", "retained_gain_5y", "sustained_gain_per_million",
            "additionality_mean"]
LABELS = {"targets_met_share": "share of targets met", "reward_paid": "reward paid (GBP m per replication)",
          "retained_gain_3y": "retained gain +3 years", "retained_gain_5y": "retained gain +5 years",
          "sustained_gain_per_million": "value for money: sustained gain per GBP m",
          "additionality_mean": "additionality (share of stretch per target)"}
SCALE = {"reward_paid": 1e-6}


def load(folder: Path) -> tuple[pd.DataFrame, dict]:
    runs_path, manifest_path = folder / "runs.parquet", folder / "manifest.json"
    if not runs_path.is_file() or not manifest_path.is_file():
        raise ScenarioError(f"{folder}: no runs.parquet and manifest.json here; allowed: a finished sweep's results folder")
    return pd.read_parquet(runs_path), json.loads(manifest_path.read_text())


def per_value(runs: pd.DataFrame, param: str, outcome: str, seed: int) -> pd.DataFrame:
    """Mean and 95 % bootstrap interval of ``outcome`` per value (or decile bin) of ``param``."""
    x = runs[param]
    key = x if x.nunique() <= 25 else pd.qcut(x, 10, duplicates="drop").apply(lambda iv: iv.mid).astype(float)
    rows = []
    for value, group in runs.groupby(key, sort=True):
        mean, lo, hi = bootstrap_ci(group[outcome].to_numpy() * SCALE.get(outcome, 1.0), seed=seed)
        rows.append({param: float(value), "mean": mean, "ci_low": lo, "ci_high": hi, "n": len(group)})
    return pd.DataFrame(rows)


def compare_scenarios(names: list[str], replications: int, seed: int, twins: bool) -> pd.DataFrame:
    """Run the compare scenarios on the sweep's seeds; per-replication summaries."""
    from tqdm.auto import tqdm

    from model import LPSAModel
    from model.counterfactual import twin_scenario
    from model.outputs import summarise

    from .runs import targets_with_twin

    rows = []
    with tqdm(total=replications * len(names), desc="compare", unit="run", delay=2) as bar:
        for name in names:
            sc = load_scenario(name)
            twin = twin_scenario(sc) if twins else None
            for r in range(replications):
                m = LPSAModel(sc, seed=replication_seed(seed, r)).run()
                s = summarise(targets_with_twin(m, twin), m.authorities_frame(), sc.name)
                rows.append({"scenario": sc.name, "replication": r, **{o: s.get(o, np.nan) for o in OUTCOMES}})
                bar.update(1)
    return pd.DataFrame(rows)


def comparison_table(comp: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each compared scenario's mean (CI) and, for two, the paired difference (CI)."""
    names = list(dict.fromkeys(comp["scenario"]))
    rows = []
    for o in [o for o in OUTCOMES if comp[o].notna().any()]:
        row = {"outcome": LABELS[o]}
        wide = comp.pivot(index="replication", columns="scenario", values=o) * SCALE.get(o, 1.0)
        for n in names:
            mean, lo, hi = bootstrap_ci(wide[n].to_numpy(), seed=seed)
            row[n] = f"{mean:.3f} ({lo:.3f}, {hi:.3f})"
        if len(names) == 2:
            mean, lo, hi = bootstrap_ci((wide[names[1]] - wide[names[0]]).to_numpy(), seed=seed)
            row[f"{names[1]} - {names[0]}"] = f"{mean:+.3f} ({lo:+.3f}, {hi:+.3f})"
        rows.append(row)
    return pd.DataFrame(rows)


def write_report(folder: Path, runs: pd.DataFrame, manifest: dict, comp: pd.DataFrame | None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = runs[runs["status"] == "ok"]
    seed = int(manifest.get("seed", 0))
    outcomes = [o for o in OUTCOMES if o in ok and ok[o].notna().any()]
    lines = [f"# Sweep report: {manifest['sweep']}", "",
             f"{len(ok)} successful runs of {manifest['runs']} ({manifest['points']} points x {manifest['replications']} "
             f"replications, master seed {seed}, common random numbers across points), base scenario `{manifest['base_scenario']}`, "
             f"git {manifest.get('git_commit', '?')[:10]}. Means with 95 % bootstrap intervals over replications.", "",
             "Value for money (`sustained_gain_per_million`): the improvement still there three years after the end, "
             "summed over all targets in units of their stretch, per million pounds of PPG and reward paid.", ""]
    if len(ok) < len(runs):
        lines += [f"**{len(runs) - len(ok)} runs failed** and are left out (see `runs.parquet`, status 'failed').", ""]
    for param in manifest["parameters"]:
        ncols = min(3, len(outcomes))
        nrows = -(-len(outcomes) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows), squeeze=False)
        for ax in axes.ravel()[len(outcomes):]:
            ax.set_visible(False)
        lines += [f"## By `{param}`", "", f"![{param}](report_{param}.png)", ""]
        header = "| " + param + " | " + " | ".join(LABELS[o] for o in outcomes) + " |"
        table_rows: dict[float, list[str]] = {}
        for ax, o in zip(axes.ravel(), outcomes):
            pv = per_value(ok, param, o, seed)
            ax.plot(pv[param], pv["mean"], "o-", ms=3)
            ax.fill_between(pv[param], pv["ci_low"], pv["ci_high"], alpha=0.25)
            ax.set_xlabel(param, fontsize=8)
            ax.set_title(LABELS[o], fontsize=8)
            for _, r in pv.iterrows():
                table_rows.setdefault(r[param], []).append(f"{r['mean']:.3f} ({r['ci_low']:.3f}, {r['ci_high']:.3f})")
        fig.tight_layout()
        io.save_figure(folder / f"report_{param}.png", fig)
        lines += [header, "|" + "---|" * (len(outcomes) + 1)]
        lines += [f"| {value:g} | " + " | ".join(cells) + " |" for value, cells in sorted(table_rows.items())]
        lines.append("")
    if comp is not None and len(comp):
        table = comparison_table(comp, seed)
        lines += ["## Scenarios compared", "",
                  f"{', '.join(f'`{n}`' for n in dict.fromkeys(comp['scenario']))}, each {manifest['replications']} replications "
                  "on the sweep's seeds; the difference is paired by replication.", "",
                  table.to_markdown(index=False), ""]
        io.write_csv(folder / "comparison.csv", comp)
    path = folder / "report.md"
    io.write_text(path, "\n".join(lines))
    return path


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="run.py report", description="Write a markdown report with figures for a sweep.")
    ap.add_argument("results", type=Path,
                    help="a sweep's results folder (e.g. results/ppg_vs_reward), or a sweep file, which is run or resumed first")
    ap.add_argument("--no-compare", action="store_true", help="skip running the sweep file's compare scenarios")
    args = ap.parse_args(argv)
    from .sweeps import results_for

    folder = results_for(args.results)
    runs, manifest = load(folder)
    comp = None
    if manifest.get("compare") and not args.no_compare:
        comp = compare_scenarios(manifest["compare"], int(manifest["replications"]), int(manifest["seed"]), bool(manifest.get("twins")))
    path = write_report(folder, runs, manifest, comp)
    print(f"Report written to {path}")
    return 0
