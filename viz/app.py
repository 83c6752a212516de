"""The trainers' dashboard: Mesa's SolaraViz with LPSA charts.

    python run.py dashboard            # then open the printed address
    solara run viz/app.py              # the same, directly

Sidebar: SolaraViz's Reset / Step / Play-Pause, the scenario preset, a story, the sliders and one
checkbox per mechanism (new values take effect on Reset). Main area: the quarter and phases with
the story's one-line explanation; performance against stretch over time with the agreement's end
marked; attainment by policy area; a grid of councils coloured by status; retained gain by approach.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402

from model.lifecycle import PHASES  # noqa: E402
from model.scenario import QUARTERS_PER_YEAR  # noqa: E402
from viz import charts  # noqa: E402
from viz.wiring import STORIES, DashboardModel, model_params  # noqa: E402

OUTCOME_COLOURS = {"met": "#2a9d8f", "partly": "#e9c46a", "missed": "#e76f51"}


def _figure(width: float = 6.0, height: float = 3.6) -> tuple[Figure, plt.Axes]:
    fig = Figure(figsize=(width, height), dpi=90)
    return fig, fig.add_subplot()


def status_panel(model: DashboardModel) -> None:
    """Quarter, phase counts and the story being told."""
    counts = np.bincount(model.phase_codes(), minlength=len(PHASES))
    story = STORIES[model.story]
    with solara.Card("Where we are"):
        solara.Markdown(
            f"**Quarter {model.quarter} of {model.n_quarters}** "
            f"(year {model.quarter / QUARTERS_PER_YEAR:.1f})"
        )
        solara.Markdown(
            " | ".join(f"{name.replace('_', ' ')}: **{int(c)}**" for name, c in zip(PHASES, counts))
        )
        solara.Markdown(f"**Story: {story.title}.** {story.explanation}")


def performance_chart(model: DashboardModel) -> None:
    """Performance against stretch from each agreement's start; the agreement's end is marked."""
    fig, ax = _figure()
    t = charts.trajectory(model)
    end = model.params.scheme.implementation_quarters / QUARTERS_PER_YEAR
    if len(t):
        ax.plot(
            t["quarter_from_start"] / QUARTERS_PER_YEAR,
            t["reported"],
            label="reported",
            color="#1d3557",
        )
        ax.plot(
            t["quarter_from_start"] / QUARTERS_PER_YEAR,
            t["true"],
            label="true outcome",
            color="#e63946",
            ls="--",
        )
    ax.axvline(end, color="black", ls="--", lw=1, label="agreement ends")
    ax.axhline(1.0, color="grey", ls=":", lw=1)
    ax.axhline(model.params.funding.payout_floor, color="grey", ls=":", lw=0.8)
    ax.set_xlim(
        0,
        (model.params.scheme.implementation_quarters + model.params.scheme.follow_up_quarters)
        / QUARTERS_PER_YEAR,
    )
    ax.set_ylim(-0.2, 1.4)
    ax.set_xlabel("years from the agreement's start")
    ax.set_ylabel("share of agreed stretch")
    ax.set_title("Performance against stretch")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


def attainment_chart(model: DashboardModel) -> None:
    """Met / partly / missed by policy area."""
    fig, ax = _figure()
    shares, label = charts.attainment_by_area(model)
    left = np.zeros(len(shares))
    for outcome, colour in OUTCOME_COLOURS.items():
        if outcome in shares:
            ax.barh(shares.index, shares[outcome], left=left, color=colour, label=outcome)
            left += shares[outcome].to_numpy()
    ax.set_xlim(0, 1)
    ax.set_title(f"Attainment by area ({label})", fontsize=9)
    if len(shares):
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


def council_grid(model: DashboardModel) -> None:
    """Every council as a square, coloured by its status now."""
    status = charts.council_status(model)
    cols = int(np.ceil(np.sqrt(status.size * 1.6)))
    grid = np.full(cols * int(np.ceil(status.size / cols)), np.nan)
    grid[: status.size] = status
    fig, ax = _figure(6.0, 3.6)
    ax.imshow(
        grid.reshape(-1, cols),
        cmap=ListedColormap(charts.STATUS_COLOURS),
        vmin=-0.5,
        vmax=len(charts.STATUS) - 0.5,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    counts = np.bincount(status, minlength=len(charts.STATUS))
    handles = [plt.Rectangle((0, 0), 1, 1, fc=c, ec="grey") for c in charts.STATUS_COLOURS]
    ax.legend(
        handles,
        [f"{s} ({n})" for s, n in zip(charts.STATUS, counts)],
        fontsize=6,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    ax.set_title("Councils by status", fontsize=9)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


def retained_chart(model: DashboardModel) -> None:
    """Share of the end-of-agreement gain still there now, by approach."""
    fig, ax = _figure()
    kept = charts.retained_now(model)
    if len(kept):
        ax.bar([k.replace("_", "\n") for k in kept.index], kept.to_numpy(), color="#457b9d")
    ax.axhline(1.0, color="grey", ls=":", lw=1)
    ax.set_ylim(0, 1.2)
    ax.set_title(
        "Gain still there after the end, by approach"
        if len(kept)
        else "Retained gain (after the first agreements end)",
        fontsize=9,
    )
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


def outcomes_panel(model: DashboardModel) -> None:
    """Every registered outcome of the run, once it has ended."""
    table = charts.outcome_monitors(model)
    title = "Outcomes of this run" if not model.running else "Outcomes (shown when the run ends)"
    with solara.Card(title):
        solara.Markdown(
            "\n".join(
                ["| outcome | value |", "|---|---|"]
                + [f"| {r.outcome} | {r.value} |" for r in table.itertuples()]
            )
        )


COMPONENTS = [
    status_panel,
    performance_chart,
    attainment_chart,
    council_grid,
    retained_chart,
    outcomes_panel,
]

model = DashboardModel()
page = SolaraViz(
    model,
    components=COMPONENTS,
    model_params=model_params(),
    name="LPSA simulator: what lasts after the agreement",
    play_interval=250,
)
