"""theory_of_change.md, theory_of_change.csv and theory_of_change.png: the variants of
``theory_of_change.summarise_experiment`` against the reference, for people."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import io
from .design import Experiment
from .formatting import estimate
from .patterns import FORECAST, ForecastRule, describe_rule
from .theory_of_change import METRICS

TABLE_METRICS = ("targets_met_share", "retained_gain_3y", "retained_gain_5y")
"""The metrics in the report's table, each with its change against the reference."""


def write_report(
    out: Path, exp: Experiment, table: pd.DataFrame, rule: ForecastRule = FORECAST
) -> None:
    """theory_of_change.md, a CSV and a figure of the paired differences."""
    spec = exp.spec
    lines = [
        f"# Theory of change: {spec.name}",
        "",
        f"Base `{spec.base}`, {spec.replications} replications per variant on common seeds (master "
        f"seed {spec.seed}). "
        f"Differences are against `{spec.reference}`, paired by replication, with 95 % bootstrap "
        "intervals. "
        f"Patterns are judged as in `lpsa validate` ({describe_rule(rule)}).",
        "",
        "| variant | hypothesis | reproduces P1-P8 | patterns failed | met share | change | "
        "retained +3y | change | retained +5y | change |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        cells = [
            cell
            for k in TABLE_METRICS
            for cell in (
                estimate(r[k], *r[f"{k}_ci"]),
                estimate(r[f"delta_{k}"], *r[f"delta_{k}_ci"], signed=True),
            )
        ]
        lines.append(
            f"| {r['variant']} | {r['hypothesis']} | {'yes' if r['reproduces_patterns'] else 'no'} "
            f"| {r['patterns_failed']} | " + " | ".join(cells) + " |"
        )
    lines += ["", "## Variants", ""]
    lines += [
        f"- **{v.name}** ({v.hypothesis}): {v.description.strip()} Overrides: `{v.overrides}`"
        for v in spec.variants
    ]
    lines += ["", "![differences](theory_of_change.png)", ""]
    io.write_csv(out / "theory_of_change.csv", table)
    io.write_text(out / "theory_of_change.md", "\n".join(lines))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = table[table["variant"] != exp.spec.reference]
    fig, axes = plt.subplots(
        1, len(METRICS), figsize=(4 * len(METRICS), 0.5 * len(others) + 2), sharey=True
    )
    y = np.arange(len(others))
    for ax, k in zip(axes, METRICS):
        lo = [c[0] for c in others[f"delta_{k}_ci"]]
        hi = [c[1] for c in others[f"delta_{k}_ci"]]
        mean = others[f"delta_{k}"].to_numpy()
        ax.errorbar(mean, y, xerr=[mean - lo, np.array(hi) - mean], fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(f"change in {k}", fontsize=9)
    axes[0].set_yticks(y, others["variant"])
    fig.suptitle(f"Against '{exp.spec.reference}' (paired by replication, 95% bootstrap intervals)")
    fig.tight_layout()
    io.save_figure(out / "theory_of_change.png", fig)
