"""The dashboard's charts as SVG, drawn with matplotlib's SVG backend (no pyplot).

Each chart object keeps one figure and its artists for the life of a session and only moves data
on redraw: no layout engine runs per quarter, which is what made the old dashboard slow (about
430 ms of server time per step for four charts; ``benchmarks/bench_dashboard.py`` measures this
one). Sizes are in points and the page shows each chart at about its natural width, so 15 pt text
is about 15 px on a 1024 x 768 projector.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from model.scenario import QUARTERS_PER_YEAR
from viz import charts
from viz.session import Session

FONT = 15
RUN_COLOURS = ("#1d4e89", "#e76f51")
BAU_COLOUR = "#8d99ae"
PIN_COLOUR = "#b5179e"
APPROACH_LABELS = {
    "systemic_succeeded": "systemic:\nworked",
    "systemic_failed": "systemic:\nfailed",
    "new_working": "new\nworking",
    "more_of_same": "more of\nthe same",
}
AREA_LABELS = {
    "social_care": "social care",
    "cost_effectiveness": "cost-effectiveness",
    "culture_local": "culture, local",
}
"""Policy areas as the page shows them."""


def svg(fig: Figure) -> bytes:
    """The figure as SVG with its text as text (not glyph outlines): a third smaller and faster to
    draw, and its font sizes can be read back (the browser test checks them at 1024 x 768)."""
    out = io.BytesIO()
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(out, format="svg")
    return out.getvalue()


def _figure(width: float, height: float, **margins: float) -> tuple[Figure, object]:
    """A chart's figure (``width`` x ``height`` inches, ``margins`` as in ``subplots_adjust``)
    and its one axes."""
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(**margins)
    return fig, fig.add_subplot()


def _style(ax) -> None:
    ax.tick_params(labelsize=FONT - 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


class PerformanceChart:
    """Performance against stretch, years from each agreement's start: each run, business as
    usual and a pinned run; the quarter the money and attention stop is marked."""

    def __init__(self, session: Session, width: float = 7.6, height: float = 3.7) -> None:
        sc = session.runs[0].params.scheme
        self.fig, self.ax = _figure(width, height, left=0.12, right=0.98, top=0.9, bottom=0.15)
        ax = self.ax
        _style(ax)
        end = sc.implementation_quarters / QUARTERS_PER_YEAR
        span = (sc.implementation_quarters + sc.follow_up_quarters) / QUARTERS_PER_YEAR
        ax.set_xlim(0, span)
        ax.set_ylim(-0.1, 1.5)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25%", "50%", "75%", "100%"])
        ax.axvspan(end, span, color="#f1f1f1", zorder=0)
        ax.axvline(end, color="black", lw=2, ls="--")
        ax.text(end + 0.1, -0.07, "money and attention\nstop here", fontsize=FONT, va="bottom")
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        ax.set_xlabel("years from the agreement's start", fontsize=FONT)
        ax.set_ylabel("share of the target reached", fontsize=FONT)
        ax.set_title("How far councils got, and what stayed", fontsize=FONT + 2, loc="left")
        self.bau = ax.plot([], [], color=BAU_COLOUR, lw=3, label="Business as usual")[0]
        self.pin = ax.plot([], [], color=PIN_COLOUR, lw=2.5, ls=":", label="pinned")[0]
        self.lines = [
            ax.plot([], [], color=c, lw=3.5, label=f"run {i}")[0] for i, c in enumerate(RUN_COLOURS)
        ]
        self.series: list[str] = []  # what the last drawing shows, for the page and its tests

    def draw(self, session: Session) -> bytes:
        for line, m, label in zip(self.lines, session.runs, session.labels):
            t = charts.trajectory(m)
            line.set_data(t["quarter_from_start"] / QUARTERS_PER_YEAR, t["reported"])
            line.set_label(label)
        for line in self.lines[len(session.runs) :]:
            line.set_data([], [])
            line.set_label("_hidden")
        bau = session.business_as_usual()
        self.bau.set_data(bau["quarter_from_start"] / QUARTERS_PER_YEAR, bau["reported"])
        pinned = session.pinned
        self.pin.set_data(*((pinned.years, pinned.values) if pinned else ([], [])))
        self.pin.set_label(pinned.label if pinned else "_hidden")
        shown = [
            ln for ln in (*self.lines, self.bau, self.pin) if not ln.get_label().startswith("_")
        ]
        self.ax.legend(
            handles=shown,
            fontsize=FONT - 1,
            loc="upper right",
            ncol=2,
            frameon=False,
            borderaxespad=0.1,
            columnspacing=1.0,
            handlelength=1.5,
        )
        self.series = [ln.get_label() for ln in shown]
        return svg(self.fig)


class RetainedChart:
    """Of the gain made by the end, the share still there now, by approach (one bar per run)."""

    def __init__(self, width: float = 4.6, height: float = 3.7) -> None:
        self.fig, self.ax = _figure(width, height, left=0.16, right=0.98, top=0.88, bottom=0.2)

    def draw(self, session: Session) -> bytes:
        ax = self.ax
        ax.clear()
        _style(ax)
        ax.set_ylim(0, 1.15)
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25%", "50%", "75%", "100%"])
        ax.set_title("Gain still there, by approach", fontsize=FONT + 2, loc="left")
        kinds = list(APPROACH_LABELS)
        width = 0.8 / len(session.runs)
        any_bar = False
        for i, (m, colour) in enumerate(zip(session.runs, RUN_COLOURS)):
            kept = charts.retained_now(m).reindex(kinds)
            x = np.arange(len(kinds)) + (i - (len(session.runs) - 1) / 2) * width
            ax.bar(x, kept.fillna(0).to_numpy(), width=width * 0.95, color=colour)
            any_bar |= kept.notna().any()
        ax.set_xticks(np.arange(len(kinds)), [APPROACH_LABELS[k] for k in kinds], fontsize=FONT - 2)
        if not any_bar:
            ax.text(1.5, 0.55, "shown once the first\nagreements end", ha="center", fontsize=FONT)
        return svg(self.fig)


class CouncilGrid:
    """Every council as a square, coloured by where it is now; kept and fell-back stay visible
    after the run ends."""

    def __init__(self, width: float = 7.2, height: float = 4.4) -> None:
        self.fig, self.ax = _figure(width, height, left=0.01, right=0.44, top=0.9, bottom=0.02)
        self.cmap = ListedColormap(charts.STATUS_COLOURS)

    def draw(self, session: Session) -> bytes:
        ax = self.ax
        ax.clear()
        status = charts.council_status(session.runs[0])
        cols = int(np.ceil(np.sqrt(status.size * 1.3)))
        grid = np.full(cols * int(np.ceil(status.size / cols)), np.nan)
        grid[: status.size] = status
        ax.imshow(grid.reshape(-1, cols), cmap=self.cmap, vmin=-0.5, vmax=len(charts.STATUS) - 0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        counts = np.bincount(status, minlength=len(charts.STATUS))
        handles = [Rectangle((0, 0), 1, 1, fc=c, ec="grey") for c in charts.STATUS_COLOURS]
        ax.legend(
            handles,
            [f"{s} ({n})" for s, n in zip(charts.STATUS, counts)],
            fontsize=FONT - 1,
            loc="center left",
            bbox_to_anchor=(1.02, 0.5),
            frameon=False,
        )
        ax.set_title("Councils now", fontsize=FONT + 2, loc="left")
        return svg(self.fig)


class AttainmentChart:
    """Met, partly met and missed by policy area."""

    COLOURS = {"met": "#2a9d8f", "partly": "#e9c46a", "missed": "#e76f51"}

    def __init__(self, width: float = 6.4, height: float = 4.4) -> None:
        self.fig, self.ax = _figure(width, height, left=0.3, right=0.97, top=0.8, bottom=0.08)

    def draw(self, session: Session) -> bytes:
        ax = self.ax
        ax.clear()
        _style(ax)
        shares, label = charts.attainment_by_area(session.runs[0])
        left = np.zeros(len(shares))
        names = [AREA_LABELS.get(str(a), str(a).replace("_", " ")) for a in shares.index]
        for outcome, colour in self.COLOURS.items():
            if outcome in shares:
                ax.barh(names, shares[outcome], left=left, color=colour, label=outcome)
                left += shares[outcome].to_numpy()
        ax.set_xlim(0, 1)
        ax.tick_params(axis="y", labelsize=FONT - 1)
        self.fig.suptitle(f"Targets by area: {label}", fontsize=FONT + 1, x=0.02, ha="left")
        if len(shares):
            ax.legend(
                fontsize=FONT - 1,
                ncol=3,
                loc="lower left",
                bbox_to_anchor=(-0.02, 1.0),
                frameon=False,
            )
        return svg(self.fig)
