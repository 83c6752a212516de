"""report.md, per_value.csv, comparison.csv, levers_across_worlds.csv and one figure per swept
parameter: what ``sweep_summary`` finds in a sweep, for people."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lpsa.model.outcomes import REGISTRY

from . import io
from .compare import robustness
from .formatting import estimate, fixed, percent, plain_label, plain_scale
from .patterns import bootstrap_ci
from .sweep_summary import lever_tables, per_value, report_outcomes


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


def lever_section(
    runs: pd.DataFrame, manifest: dict, outcomes: list[str]
) -> tuple[list[str], pd.DataFrame | None]:
    """The report's section on levers across worlds and its table (one row per outcome and
    setting), or nothing when the sweep does not cross two or more lever settings with
    uncertainties."""
    found = lever_tables(runs, manifest, outcomes)
    if not found:
        return [], None
    uncertainties = manifest["uncertainties"]
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
    """Each outcome's mean and interval against one swept parameter."""
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
