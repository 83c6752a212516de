"""report.md, per_value.csv, comparison.csv, levers_across_worlds.csv and one figure per swept
parameter: what ``sweep_summary`` finds in a sweep, for people."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lpsa.model.outcomes import REGISTRY

from . import io
from .compare import robustness_of, share_interval
from .formatting import (
    difference_heading,
    estimate,
    fixed,
    outcome_label,
    percent,
    percent_range,
    plain_label,
    shown_estimate,
)
from .patterns import bootstrap_ci
from .sweep_summary import (
    lever_tables,
    one_parameter_set,
    parameter_set_caveat,
    per_value,
    report_outcomes,
)


def comparison_table(comp: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each compared scenario's mean (95 % bootstrap interval) and, for two, the paired
    difference A - B in the order the sweep file names them, in people's units with the
    registry's labels (shares in %, their difference in percentage points; money in £m), as the
    main job and ``lpsa compare`` write them."""
    names = list(dict.fromkeys(comp["scenario"]))
    rows = []
    for o in [o for o in report_outcomes(comp.columns) if comp[o].notna().any()]:
        spec = REGISTRY[o]
        row = {"outcome": outcome_label(spec)}
        wide = comp.pivot(index="replication", columns="scenario", values=o)
        for n in names:
            row[n] = shown_estimate(spec, *bootstrap_ci(wide[n].to_numpy(), seed=seed), False)
        if len(names) == 2:
            d = (wide[names[0]] - wide[names[1]]).to_numpy()
            row[difference_heading(*names)] = shown_estimate(
                spec, *bootstrap_ci(d, seed=seed), True
            )
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
        "Robustness as in `lpsa compare`, judged on a 95 % Jeffreys interval on the share of "
        "worlds: all of it at 95 % or more *robust*, at 80 % or more *fairly robust*, below 80 % "
        "*depends on the world*, across a cut-off *borderline*. Table: "
        "`levers_across_worlds.csv`.",
        "",
    ]
    tables = []
    for o, (table, worlds) in found.items():
        tables.append(table.assign(outcome=o, worlds=worlds))
        top = table.sort_values("best_in", ascending=False, kind="stable").iloc[0]
        lines += [
            f"**{plain_label(o)}**: `{top['setting']}` does best in {top['best_in']} of {worlds} "
            f"worlds ({percent(top['share_best'])}, 95 % interval "
            f"{percent_range(*share_interval(int(top['best_in']), worlds))}): "
            f"{robustness_of(int(top['best_in']), worlds)}.",
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
    single = one_parameter_set(manifest)
    lines = [
        f"# Sweep report: {manifest['experiment']}" + (", at one parameter set" if single else ""),
        "",
        *([f"**{parameter_set_caveat(manifest)}**", ""] if single else []),
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
            f"{manifest['replications']} replications on the sweep's seeds; a difference of two "
            "is A - B as the sweep file names them, paired by replication; shares in %, their "
            "difference in percentage points; 95 % bootstrap intervals in brackets.",
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
        ax.axhline(0, color="black", lw=0.6)  # the whole axis: zero is always shown
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, 0.0), max(high, 0.0))
        ax.set_xlabel(param, fontsize=8)
        ax.set_title(plain_label(o), fontsize=8)
    fig.tight_layout()
    io.save_figure(folder / f"report_{param}.png", fig)
