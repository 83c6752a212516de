"""``lpsa report results/<sweep>``: a markdown report with figures for any sweep.

For each swept parameter, each headline outcome's mean with a 95 % bootstrap interval per value
(grid sweeps) or per decile bin of the parameter (sampled sweeps). The outcomes are the registry's
headline outcomes that the sweep recorded (``model/outcomes.py``: targets met, reward paid,
retained gain at +3 and +5 years, value for money and, with twins, additionality). If the sweep
file lists ``compare:`` scenarios
(e.g. ppg_heavy, reward_heavy), they are run with the sweep's seed and replications (common random
numbers) and compared side by side, with the paired difference and its interval. A sweep that
crosses lever settings with uncertainties also gets *levers across worlds*: per outcome, in how
many worlds (combinations of the uncertainties' values) each setting does best, and how robust
that is.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from model import ScenarioError, load_scenario
from model.outcomes import REGISTRY
from model.scenario import resolve_scenario_path

from . import io
from .command_context import CommandContext
from .compare import robustness
from .formatting import estimate, fixed, percent, plain_label, plain_scale, setting
from .patterns import bootstrap_ci
from .runner import Outcomes, require_success, run_table, scenarios_design


def report_outcomes(columns: Iterable[str]) -> list[str]:
    """The registry's headline outcomes present in ``columns``, in registry order."""
    present = set(columns)
    return [o.name for o in REGISTRY.values() if o.headline and o.name in present]


def load(folder: Path) -> tuple[pd.DataFrame, dict]:
    runs_path, manifest_path = folder / "runs.parquet", folder / "manifest.json"
    if not runs_path.is_file() or not manifest_path.is_file():
        raise ScenarioError(
            f"{folder}: no runs.parquet and manifest.json here; allowed: a finished sweep's "
            "results folder"
        )
    return pd.read_parquet(runs_path), json.loads(manifest_path.read_text())


def per_value(runs: pd.DataFrame, param: str, outcome: str, seed: int) -> pd.DataFrame:
    """Mean and 95 % bootstrap interval of ``outcome`` per value (or decile bin) of ``param``."""
    x = runs[param]
    key = (
        x
        if x.nunique() <= 25
        else pd.qcut(x, 10, duplicates="drop").apply(lambda iv: iv.mid).astype(float)
    )
    rows = []
    for value, group in runs.groupby(key, sort=True):
        mean, lo, hi = bootstrap_ci(group[outcome].to_numpy() * plain_scale(outcome), seed=seed)
        rows.append(
            {param: float(value), "mean": mean, "ci_low": lo, "ci_high": hi, "n": len(group)}
        )
    return pd.DataFrame(rows)


def compare_scenarios(
    names: list[str], replications: int, seed: int, twins: bool, relative_to: Path | None = None
) -> pd.DataFrame:
    """Run the compare scenarios (names or paths, relative to ``relative_to`` first) on the
    sweep's seeds; per-replication outcomes."""
    scenarios = [load_scenario(resolve_scenario_path(n, relative_to)) for n in names]
    design = scenarios_design(scenarios, replications, seed, twins)
    runs = require_success(run_table(design, Outcomes(), progress="compare"))
    return runs.rename(columns={"name": "scenario"})


def comparison_table(comp: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each compared scenario's mean (CI) and, for two, the paired difference (CI)."""
    names = list(dict.fromkeys(comp["scenario"]))
    rows = []
    for o in [o for o in report_outcomes(comp.columns) if comp[o].notna().any()]:
        row = {"outcome": plain_label(o)}
        wide = comp.pivot(index="replication", columns="scenario", values=o) * plain_scale(o)
        for n in names:
            mean, lo, hi = bootstrap_ci(wide[n].to_numpy(), seed=seed)
            row[n] = estimate(mean, lo, hi)
        if len(names) == 2:
            mean, lo, hi = bootstrap_ci((wide[names[1]] - wide[names[0]]).to_numpy(), seed=seed)
            row[f"{names[1]} - {names[0]}"] = estimate(mean, lo, hi, signed=True)
        rows.append(row)
    return pd.DataFrame(rows)


def lever_settings(runs: pd.DataFrame, levers: list[str]) -> pd.Series:
    """Each run's lever setting as words: ``funding.ppg_share=0.05``, ``mechanisms.gaming=false``
    (several joined by ``, ``)."""
    words = [runs[k].map(lambda v, k=k: f"{k}={setting(v)}") for k in levers]
    return words[0].str.cat(words[1:], sep=", ") if len(words) > 1 else words[0]


def _crossed(
    runs: pd.DataFrame, levers: list[str], uncertainties: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Each run's world (a number per combination of the uncertainties' values) and lever
    setting, for the runs of the worlds that ran every setting."""
    world = runs.groupby(uncertainties, sort=False).ngroup()
    setting = lever_settings(runs, levers)
    crossed = setting.groupby(world).transform("nunique") == setting.nunique()
    return world[crossed], setting[crossed]


def _setting_table(
    values: pd.Series, world: pd.Series, setting: pd.Series, outcome: str
) -> tuple[pd.DataFrame, int]:
    """``levers_across_worlds``'s table and world count from one outcome's ``values``, indexed as
    ``world`` and ``setting`` (the crossed runs)."""
    means = values[world.index].groupby([world, setting], sort=False).mean()
    means = means.unstack().dropna() * plain_scale(outcome) if len(means) else pd.DataFrame()
    if means.empty:
        return pd.DataFrame(columns=["setting", "median", "best_in", "share_best"]), 0
    higher = REGISTRY[outcome].direction == "higher is better"
    best = means.max(axis=1) if higher else means.min(axis=1)
    is_best = means.eq(best, axis=0)
    alone = is_best.sum(axis=1) == 1
    table = pd.DataFrame(
        {
            "setting": means.columns,
            "median": means.median().to_numpy(),
            "best_in": is_best[alone].sum().to_numpy().astype(int),
        }
    )
    table["share_best"] = table["best_in"] / len(means)
    return table, len(means)


def levers_across_worlds(
    runs: pd.DataFrame, levers: list[str], uncertainties: list[str], outcome: str
) -> tuple[pd.DataFrame, int]:
    """How the lever settings fare world by world on ``outcome``. A *world* is one combination of
    the uncertainties' values; every lever setting runs in every world on the same seeds (the
    design crosses them), so settings are compared within a world, on their means over
    replications. One row per setting: the median of its world means, and in how many worlds it
    does best (better than every other setting by the outcome's direction; a tie counts for
    none). Worlds that did not run every setting, or where some setting's mean is undefined, are
    left out; the count of worlds kept is returned beside the table."""
    return _setting_table(runs[outcome], *_crossed(runs, levers, uncertainties), outcome)


def lever_section(
    runs: pd.DataFrame, manifest: dict, outcomes: list[str]
) -> tuple[list[str], pd.DataFrame | None]:
    """The report's section on levers across worlds and its table (one row per outcome and
    setting), or nothing when the sweep does not cross two or more lever settings with
    uncertainties."""
    levers, uncertainties = manifest.get("levers") or [], manifest.get("uncertainties") or []
    if not levers or not uncertainties:
        return [], None
    world, setting = _crossed(runs, levers, uncertainties)
    if setting.nunique() < 2:  # one setting, or levers sampled with the uncertainties
        return [], None
    found = {
        o: _setting_table(runs[o], world, setting, o)
        for o in outcomes
        if REGISTRY[o].direction != "neither"
    }
    found = {o: (table, worlds) for o, (table, worlds) in found.items() if worlds}
    if not found:
        return [], None
    lines = [
        "## Levers across worlds",
        "",
        "A world is one combination of the uncertainties' values "
        f"({', '.join(f'`{u}`' for u in uncertainties)}); every lever setting ran in every "
        "world on the same seeds. Within each world the settings are compared on their means over "
        "replications; a setting *does best* in a world when it beats every other there. "
        "Robustness as in `lpsa compare`: 95 % of worlds or more *robust*, 80 % or more *fairly "
        "robust*, otherwise *depends on the world*. Table: `levers_across_worlds.csv`.",
        "",
    ]
    tables = []
    for o, (table, worlds) in found.items():
        tables.append(table.assign(outcome=o, worlds=worlds))
        top = table.sort_values("best_in", ascending=False, kind="stable").iloc[0]
        lines += [
            f"**{plain_label(o)}**: `{top['setting']}` does best in {top['best_in']} of {worlds} "
            f"worlds ({percent(top['share_best'])}): {robustness(top['share_best'])}.",
            "",
            "| setting | median across worlds | does best in |",
            "|---|---|---|",
            *(
                f"| `{r.setting}` | {fixed(r.median)} | {r.best_in} of {worlds} |"
                for r in table.itertuples()
            ),
            "",
        ]
    return lines, pd.concat(tables, ignore_index=True)


def write_report(
    folder: Path, runs: pd.DataFrame, manifest: dict, comp: pd.DataFrame | None
) -> Path:
    """report.md, per_value.csv and comparison.csv first, then one figure per parameter."""
    ok = runs[runs["status"] == "ok"]
    seed = int(manifest.get("seed", 0))
    outcomes = [o for o in report_outcomes(ok.columns) if ok[o].notna().any()]
    lines = [
        f"# Sweep report: {manifest['experiment']}",
        "",
        f"{len(ok)} successful runs of {manifest['runs']} ({manifest['points']} points x "
        f"{manifest['replications']} replications, master seed {seed}, common random numbers "
        f"across points), base scenario `{manifest['base_scenario']}`, git "
        f"{manifest.get('git_commit', '?')[:10]}. Means with 95 % bootstrap intervals over "
        "replications.",
        "",
    ]
    lines += [f"- **{plain_label(o)}** (`{o}`): {REGISTRY[o].description}." for o in outcomes]
    lines.append("")
    if len(ok) < len(runs):
        lines += [
            f"**{len(runs) - len(ok)} runs failed** and are left out (see `runs.parquet`, "
            "status 'failed').",
            "",
        ]
    tables = {}
    for param in manifest["parameters"]:
        pvs = {o: per_value(ok, param, o, seed) for o in outcomes}
        tables[param] = pvs
        lines += [
            f"## By `{param}`",
            "",
            f"![{param}](report_{param}.png)",
            "",
            "| " + param + " | " + " | ".join(plain_label(o) for o in outcomes) + " |",
            "|" + "---|" * (len(outcomes) + 1),
        ]
        cells: dict[float, list[str]] = {}
        for pv in pvs.values():
            for _, r in pv.iterrows():
                cells.setdefault(r[param], []).append(
                    estimate(r["mean"], r["ci_low"], r["ci_high"])
                )
        lines += [f"| {value:g} | " + " | ".join(c) + " |" for value, c in sorted(cells.items())]
        lines.append("")
    section, across = lever_section(ok, manifest, outcomes)
    lines += section
    if across is not None:
        io.write_csv(folder / "levers_across_worlds.csv", across)
    long = [
        pv.rename(columns={param: "value"}).assign(parameter=param, outcome=o)
        for param, pvs in tables.items()
        for o, pv in pvs.items()
    ]
    if long:
        io.write_csv(folder / "per_value.csv", pd.concat(long, ignore_index=True))
    if comp is not None and len(comp):
        table = comparison_table(comp, seed)
        lines += [
            "## Scenarios compared",
            "",
            f"{', '.join(f'`{n}`' for n in dict.fromkeys(comp['scenario']))}, each "
            f"{manifest['replications']} replications on the sweep's seeds; the difference is "
            "paired by replication.",
            "",
            table.to_markdown(index=False),
            "",
        ]
        io.write_csv(folder / "comparison.csv", comp)
    path = folder / "report.md"
    io.write_text(path, "\n".join(lines))
    for param, pvs in tables.items():
        parameter_figure(folder, param, pvs)
    return path


def parameter_figure(folder: Path, param: str, pvs: dict[str, pd.DataFrame]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not pvs:
        return
    ncols = min(3, len(pvs))
    nrows = -(-len(pvs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows), squeeze=False)
    for ax in axes.ravel()[len(pvs) :]:
        ax.set_visible(False)
    for ax, (o, pv) in zip(axes.ravel(), pvs.items()):
        ax.plot(pv[param], pv["mean"], "o-", ms=3)
        ax.fill_between(pv[param], pv["ci_low"], pv["ci_high"], alpha=0.25)
        ax.set_xlabel(param, fontsize=8)
        ax.set_title(plain_label(o), fontsize=8)
    fig.tight_layout()
    io.save_figure(folder / f"report_{param}.png", fig)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="lpsa report", description="Write a markdown report with figures for a sweep."
    )
    ap.add_argument(
        "results",
        type=Path,
        help="a sweep's results folder (e.g. results/ppg_vs_reward), or an experiment file, "
        "which is run or resumed first",
    )
    ap.add_argument(
        "--no-compare", action="store_true", help="skip running the sweep file's compare scenarios"
    )
    args = ap.parse_args(argv)
    from .sweeps import results_for

    ctx = CommandContext("report", argv)
    folder = results_for(args.results)
    runs, manifest = load(folder)
    ctx.use_folder(folder)
    comp = None
    if manifest.get("compare") and not args.no_compare:
        comp = compare_scenarios(
            manifest["compare"],
            int(manifest["replications"]),
            int(manifest["seed"]),
            bool(manifest.get("twins")),
            Path(manifest["experiment_file"]).parent if "experiment_file" in manifest else None,
        )
    path = write_report(folder, runs, manifest, comp)
    ctx.record(
        "report-manifest.json",
        sweep_id=manifest.get("sweep_id"),
        compare=manifest.get("compare"),
    )
    print(f"Report written to {path}")
    return 0
