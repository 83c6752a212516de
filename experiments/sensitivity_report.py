"""morris.csv, sobol.csv, sensitivity.md and one figure per output: the indices of
``sensitivity.morris_screening`` and ``sensitivity.sobol_indices`` for people."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lpsa.model.outcomes import REGISTRY

from . import io
from .formatting import fixed


def write_report(
    out: Path,
    morris: pd.DataFrame,
    sobol: pd.DataFrame,
    settings: dict,
    outputs: list[str],
    notes: list[str],
) -> None:
    """morris.csv, sobol.csv and sensitivity.md first, then one figure per output."""
    io.write_csv(out / "morris.csv", morris)
    io.write_csv(out / "sobol.csv", sobol)
    lines = [
        "# Sensitivity analysis",
        "",
        "Stage 1: Morris screening (SALib) over every parameter in "
        "`experiments/uncertain_parameters.yaml`; "
        "stage 2: Sobol indices (Saltelli sampling) over the parameters screening ranked highest. "
        f"Settings: `{settings}`. All points share seeds (common random numbers).",
        "",
    ]
    lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    for output in outputs:
        m = morris[morris["output"] == output].sort_values("mu_star", ascending=False)
        s = sobol[sobol["output"] == output].sort_values("ST", ascending=False)
        label = REGISTRY[output].label if output in REGISTRY else output
        lines += [f"## {output} ({label})", ""]
        if m.empty:
            lines += ["Not analysed: undefined at some points (see the notes above).", ""]
            continue
        lines += [
            "Five most influential parameters (ranked by Morris mu*, which covers them all; "
            "Sobol indices where the parameter went to stage 2):",
            "",
        ]
        for i, name in enumerate(m["parameter"].head(5), 1):
            srow = s[s["parameter"] == name]
            mrow = m[m["parameter"] == name].iloc[0]
            sob = (
                (
                    f"ST {fixed(srow['ST'].iloc[0])} +- {fixed(srow['ST_conf'].iloc[0])}, "
                    f"S1 {fixed(srow['S1'].iloc[0])}"
                )
                if len(srow)
                else "not in stage 2"
            )
            lines.append(f"{i}. `{name}`: {sob}; Morris mu* {fixed(mrow['mu_star'], 4)}")
        lines += ["", f"![{output}](sensitivity_{output}.png)", ""]
    io.write_text(out / "sensitivity.md", "\n".join(lines))
    for output in outputs:
        m = morris[morris["output"] == output].sort_values("mu_star", ascending=False)
        if len(m):
            sensitivity_figure(out, output, m, sobol[sobol["output"] == output])


def sensitivity_figure(out: Path, output: str, m: pd.DataFrame, s: pd.DataFrame) -> None:
    """Morris mu* and the Sobol indices of one output, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = s.sort_values("ST", ascending=False)
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.3 * len(m) + 1.5))
    axes[0].barh(
        m["parameter"][::-1], m["mu_star"][::-1], xerr=m["mu_star_conf"][::-1], color="#457b9d"
    )
    axes[0].set_title("Morris mu*")
    y = np.arange(len(s))[::-1]
    axes[1].barh(
        y + 0.2, s["ST"], height=0.4, xerr=s["ST_conf"], label="total (ST)", color="#e76f51"
    )
    axes[1].barh(
        y - 0.2, s["S1"], height=0.4, xerr=s["S1_conf"], label="first order (S1)", color="#2a9d8f"
    )
    axes[1].set_yticks(y, s["parameter"])
    axes[1].set_title("Sobol indices")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Sensitivity of {output}")
    fig.tight_layout()
    io.save_figure(out / f"sensitivity_{output}.png", fig)
