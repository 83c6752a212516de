"""discovery.md, boxes.csv and a figure per box: the boxes of ``discover.discover`` for people."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import io
from .formatting import fixed, pct, significant


def _bounds(limits: pd.DataFrame, name: str) -> tuple[float, float]:
    return float(limits.loc[name, "min"]), float(limits.loc[name, "max"])


def write_report(
    out: Path,
    source: Path,
    runs: pd.DataFrame,
    inputs: list[str],
    outcome: str,
    rule: str,
    cases: np.ndarray,
    found: list[dict],
) -> None:
    """discovery.md and boxes.csv, then a figure per box."""
    lines = [
        f"# Scenario discovery: {outcome} {rule}",
        "",
        f"Source `{source}`: {len(runs)} runs, {int(cases.sum())} cases of interest "
        f"({pct(cases.mean(), 1)}); "
        f"inputs: {', '.join(f'`{c}`' for c in inputs)}. Method: PRIM (`prim` package), box chosen "
        "on each "
        "peeling trajectory with the largest coverage at the required density.",
        "",
    ]
    rows = []
    for k, b in enumerate(found, 1):
        lim = b["limits"]
        lines += [
            f"## Box {k}",
            "",
            f"Coverage {fixed(b['coverage'], 2)}, density {fixed(b['density'], 2)}, "
            f"mass {fixed(b['mass'], 2)}.",
            "",
            "| input | box min | box max | input range |",
            "|---|---|---|---|",
        ]
        for name in lim.index:
            lo, hi = _bounds(lim, name)
            lines.append(
                f"| `{name}` | {significant(lo, 4)} | {significant(hi, 4)} | "
                f"{significant(runs[name].min(), 4)} .. {significant(runs[name].max(), 4)} |"
            )
            rows.append(
                {
                    "box": k,
                    "input": name,
                    "min": lo,
                    "max": hi,
                    "coverage": b["coverage"],
                    "density": b["density"],
                    "mass": b["mass"],
                }
            )
        lines += ["", f"![box {k}](box_{k}.png)", ""]
    if not found:
        lines.append("PRIM found no box.")
    io.write_csv(
        out / "boxes.csv",
        pd.DataFrame(rows, columns=["box", "input", "min", "max", "coverage", "density", "mass"]),
    )
    io.write_text(out / "discovery.md", "\n".join(lines))
    for k, b in enumerate(found, 1):
        box_figure(out, k, b, runs, inputs, f"{outcome} {rule}", cases)


def box_figure(
    out: Path,
    k: int,
    b: dict,
    runs: pd.DataFrame,
    inputs: list[str],
    case_label: str,
    cases: np.ndarray,
) -> None:
    """The peeling trajectory and the box on its first two inputs (after the tables)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lim = b["limits"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    t = b["trajectory"]
    axes[0].plot(t["coverage"], t["density"], "o-", ms=3)
    axes[0].plot(
        t.loc[b["selected"], "coverage"],
        t.loc[b["selected"], "density"],
        "o",
        color="red",
        ms=8,
        label="chosen box",
    )
    axes[0].set_xlabel("coverage")
    axes[0].set_ylabel("density")
    axes[0].set_title("peeling trajectory")
    axes[0].legend()
    dims = (
        list(lim.index[:2])
        if len(lim.index) >= 2
        else list(lim.index) + [c for c in inputs if c not in lim.index][:1]
    )
    if len(dims) == 2:
        xs, ys = runs[dims[0]], runs[dims[1]]
        axes[1].scatter(xs[~cases], ys[~cases], s=6, c="#bbbbbb", label="other runs")
        axes[1].scatter(xs[cases], ys[cases], s=6, c="#e76f51", label=case_label)
        x0, x1 = _bounds(lim, dims[0]) if dims[0] in lim.index else (xs.min(), xs.max())
        y0, y1 = _bounds(lim, dims[1]) if dims[1] in lim.index else (ys.min(), ys.max())
        axes[1].add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ec="black"))
        axes[1].set_xlabel(dims[0])
        axes[1].set_ylabel(dims[1])
        axes[1].legend(fontsize=8, loc="best")
    fig.suptitle(f"Box {k}: coverage {fixed(b['coverage'], 2)}, density {fixed(b['density'], 2)}")
    fig.tight_layout()
    io.save_figure(out / f"box_{k}.png", fig)
