"""The trainers' dashboard, built on Solara.

    lpsa dashboard            # then open the printed address
    solara run viz/app.py     # the same, directly

Each browser session gets its own :class:`viz.session.Session`, made inside the page: one person's
clicks never move another's model, and a refreshed page starts afresh. Three pages:

- **Presentation** (for the projector): the story's narration for the phase the run is in, big
  numbers, performance against the target with business as usual and the end of the money marked,
  and the gain still there by approach.
- **Councils**: every council coloured by where it is now, and targets met by policy area.
- **About**: what the model is, how it works, what to notice and try, the evidence and a glossary.

The controls sit in the side panel: the story (which moves the sliders to its values and starts
the run again), the sliders, a regime to compare with, the play speed and, folded away, the
mechanism switches, the seed and the number of councils. Any change starts the run again.

This page uses Solara directly rather than Mesa's SolaraViz: SolaraViz shares the model it is given
between every visitor and puts its developer controls (play and render intervals, threads, a seed
slider, draggable panels) in front of the room. The model is still the Mesa model; its agents are
in ``session.runs[0].agents``.
"""

from __future__ import annotations

import gc
import html
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import reacton.core
import reacton.ipywidgets as rw
import solara
import solara.lab

from lpsa.viz import charts, words
from lpsa.viz.figures import (
    RUN_COLOURS,
    AttainmentChart,
    CouncilGrid,
    PerformanceChart,
    RetainedChart,
)
from lpsa.viz.session import Session
from lpsa.viz.wiring import MECHANISMS, REGIMES, SLIDERS, STORIES, Settings, rules_ppg_share

SPEEDS = {"1 a second": 1.0, "2 a second": 2.0, "4 a second": 4.0, "as fast as it goes": 0.0}
"""Play speeds, in quarters a second (0: as fast as the page is drawn, ``FASTEST``)."""
FASTEST = 0.05
"""Seconds a quarter at least, when playing as fast as it goes: a quarter takes the server a few
milliseconds, and each one sends the browser a new picture of each chart; a browser that is sent
the next before it has loaded the last abandons the load (and the page logs a failed request).
Twenty quarters a second is still faster than the eye follows."""
DEFAULT_SPEED = "4 a second"
PAGES = ("Presentation", "Councils", "About")
NO_COMPARISON = "Nothing"

CSS = """
.v-application { font-size: 16px; }
.lpsa-quarter { font-size: 22px; font-weight: 600; white-space: nowrap; }
.lpsa-narration { font-size: 17px; line-height: 1.3; color: #111; }
.lpsa-phase { font-size: 15px; text-transform: uppercase; letter-spacing: 0.06em; color: #555; }
.lpsa-number { font-size: 34px; font-weight: 700; line-height: 1.1; }
.lpsa-number-label { font-size: 15px; color: #333; max-width: 9em; }
.lpsa-chart img { width: 100%; height: auto; }
.lpsa-about { font-size: 17px; max-width: 60em; }
.lpsa-about table { border-collapse: collapse; }
.lpsa-about td, .lpsa-about th { border: 1px solid #ccc; padding: 4px 8px; }
.lpsa-settings { font-size: 15px; color: #333; }
.v-input__slot label, .v-label { font-size: 15px !important; }
.v-text-field .v-label--active {
  font-size: 14px !important; transform: translateY(-22px) scale(1) !important;
}
.v-text-field { padding-top: 16px; }
"""


def _percent(x: float, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.0%}" if signed else f"{x:.0%}"


def settings_line(settings: Settings) -> str:
    """The story's settings as a line people read (so a story's values are visible even with the
    side panel closed)."""
    parts = [f"{s.label}: {s.show(settings.slider(n))}" for n, s in SLIDERS.items()]
    if settings.compare:
        parts.append(f"compared with {REGIMES[settings.compare].lower()}")
    if settings.mechanisms_off:
        parts.append(f"{len(settings.mechanisms_off)} mechanism(s) switched off")
    return " · ".join(parts)


def _html(tag: str = "div", classes: tuple[str, ...] = (), attributes: dict | None = None):
    """The element ``solara.HTML`` makes, without its content: ``use_live`` writes that."""
    attributes = dict(attributes or {})
    if classes:
        attributes["class"] = " ".join(classes)
    return solara.widgets.HTML.element(tag=tag, attributes=attributes)


def use_live(act: Actions, elements: list, write: Callable[..., None]) -> None:
    """Write the run into the widgets of ``elements`` (``write(*widgets)``) when they are made
    and each time the run moves (``Actions.show``): straight into the widgets, with no render of
    the page (a render walks every element on it). The elements must not set what ``write``
    sets, or a later render of the page would put their old values back."""

    def mount():
        widgets = [solara.get_widget(e) for e in elements]

        def display() -> None:
            write(*widgets)

        display()
        act.displays.append(display)
        return lambda: act.displays.remove(display)

    solara.use_effect(mount, [])


@solara.component
def Quarter(session: Session, act: Actions) -> None:
    """The quarter, for people and for tests (``data-testid="quarter"``)."""
    element = _html(classes=("lpsa-quarter",), attributes={"data-testid": "quarter"})

    def write(widget) -> None:
        widget.unsafe_innerHTML = f"Quarter {session.quarter} of {session.n_quarters}"

    use_live(act, [element], write)
    return element


@solara.component
def Narration(story: str, phase: str) -> None:
    """The story's narration for the phase the run is in: re-rendered only when either changes."""
    with solara.Card(margin=0, style={"padding": "2px 12px", "flex": "1 1 380px"}):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(
                f"{words.STORY_TITLES[story]} · {words.STORY_PHASES[phase]}"
            ),
            classes=["lpsa-phase"],
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(words.NARRATION[story][phase]),
            classes=["lpsa-narration"],
            attributes={"data-testid": "narration"},
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML="<b>Watch for:</b> " + html.escape(words.STORY_WATCH[story]),
            classes=["lpsa-settings"],
        )


MONITORS = (("met", False), ("kept", False), ("over_bau", True))
"""The big numbers: each one's key in ``Session.monitors`` and whether it is shown signed."""


def monitor_numbers(session: Session) -> tuple[str, ...]:
    """The big numbers as the page shows them: for each monitor, every run's number in its
    colour."""
    rows = session.monitors()
    return tuple(
        " ".join(
            f'<span style="color:{c}">{_percent(r[key], signed)}</span>'
            for r, c in zip(rows, RUN_COLOURS)
        )
        for key, signed in MONITORS
    )


@solara.component
def Monitors(session: Session, act: Actions, finished: bool) -> None:
    """The big numbers in their cards; the numbers are written in as the run moves."""
    labels = (
        "Targets met",
        "Gain kept 3 years on" if finished else "Gain kept so far",
        "Above business as usual",
    )
    numbers = []
    with solara.Row(style={"gap": "8px", "flex": "0 1 auto"}):
        for (key, _), label in zip(MONITORS, labels):
            with solara.Card(margin=0, style={"padding": "2px 10px", "min-width": "120px"}):
                numbers.append(
                    _html(classes=("lpsa-number",), attributes={"data-testid": f"monitor-{key}"})
                )
                solara.HTML(tag="div", unsafe_innerHTML=label, classes=["lpsa-number-label"])

    def write(*widgets) -> None:
        for widget, number in zip(widgets, monitor_numbers(session)):
            widget.unsafe_innerHTML = number

    use_live(act, numbers, write)


@solara.component
def Chart(chart, session: Session, act: Actions, testid: str) -> None:
    """A chart, drawn into its image as the run moves, with the lines it shows named for the
    page's tests (``data-series``)."""
    with solara.Div(classes=["lpsa-chart"], style={"flex": "1 1 0", "min-width": "0"}) as main:
        # the elements solara.Image and solara.HTML make, without their content: written in
        image = rw.Image(format="svg+xml", _dom_classes=["solara-image"], layout={})
        names = solara.widgets.HTML.element(tag="span")

        def write(image, names) -> None:
            image.value = chart.draw(session)
            series = " | ".join(getattr(chart, "series", []))
            names.attributes = {"data-testid": testid, "data-series": series}

        use_live(act, [image, names], write)
    return main


@solara.component
def Presentation(session: Session, act: Actions, stage: tuple) -> None:
    """The narration and the kept gain's label follow the run's ``stage``; the big numbers and
    the charts are written in as it moves."""
    perf = solara.use_memo(PerformanceChart, [])
    kept = solara.use_memo(RetainedChart, [])
    story, phase, finished, *_ = stage
    with solara.Row(style={"gap": "8px", "align-items": "stretch", "flex-wrap": "wrap"}):
        Narration(story, phase)
        Monitors(session, act, finished)
    with solara.Row(style={"gap": "8px", "align-items": "flex-start"}):
        with solara.Div(style={"flex": "62 1 0", "min-width": "0"}):
            Chart(perf, session, act, "performance-chart")
        with solara.Div(style={"flex": "38 1 0", "min-width": "0"}):
            Chart(kept, session, act, "retained-chart")


@solara.component
def Councils(session: Session, act: Actions, stage: tuple) -> None:
    """Re-rendered when the run's ``stage`` changes: the outcome table appears when it ends."""
    grid = solara.use_memo(CouncilGrid, [])
    areas = solara.use_memo(AttainmentChart, [])
    with solara.Row(style={"gap": "8px", "align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Div(style={"flex": "1 1 480px", "min-width": "0"}):
            Chart(grid, session, act, "council-grid")
        with solara.Div(style={"flex": "1 1 480px", "min-width": "0"}):
            Chart(areas, session, act, "attainment-chart")
    if session.finished:
        table = charts.outcome_table(session.outcomes(), session.labels)
        solara.HTML(
            tag="div",
            unsafe_innerHTML="<h3>Every outcome of this run</h3>"
            + table.to_html(index=False, border=0, classes="lpsa-outcomes"),
            classes=["lpsa-about"],
            attributes={"data-testid": "outcomes"},
        )


@solara.component
def About() -> None:
    solara.HTML(tag="div", unsafe_innerHTML=words.about_html(), classes=["lpsa-about"])


@solara.component
def StoryPicker(settings: Settings, apply) -> None:
    """Picking a story moves the sliders to its values and starts the run again."""
    titles = {words.STORY_TITLES[k]: k for k in STORIES}
    solara.Select(
        label="Story",
        values=list(titles),
        value=words.STORY_TITLES[settings.story],
        on_value=lambda t: apply(
            Settings.for_story(titles[t], seed=settings.seed, n_authorities=settings.n_authorities)
        ),
        style={"max-width": "330px", "min-width": "260px"},
    )


@solara.component
def Controls(session: Session, settings: Settings, apply) -> None:
    """The side panel: sliders and comparison; the switches folded away under Advanced."""
    for name, s in SLIDERS.items():
        value = settings.slider(name)
        solara.HTML(tag="div", unsafe_innerHTML=f"{s.label}: <b>{s.show(value)}</b>")
        solara.SliderFloat(
            label="",
            value=rules_ppg_share() if value is None else value,
            min=s.low,
            max=s.high,
            step=s.step,
            thumb_label=False,
            on_value=lambda v, n=name: apply(settings.with_slider(n, v)),
        )
    choices = {NO_COMPARISON: None} | {label: key for key, label in REGIMES.items()}
    solara.Select(
        label="Run beside it, on the same councils",
        values=list(choices),
        value=REGIMES.get(settings.compare, NO_COMPARISON),
        on_value=lambda c: apply(replace(settings, compare=choices[c])),
    )
    Advanced(settings, apply)


@solara.component
def Advanced(settings: Settings, apply) -> None:
    """Folded away: the seed, the number of councils and every mechanism switch, with what
    switching it off means. Its widgets are made the first time it is unfolded (Vuetify makes a
    panel's content then too), so until then a Step's render does not walk its 120 elements."""
    unfolded, set_unfolded = solara.use_state(False)
    made, set_made = solara.use_state(False)

    def fold(value) -> None:
        set_unfolded(value == 0)
        if value == 0:
            set_made(True)

    with solara.v.ExpansionPanels(v_model=0 if unfolded else None, on_v_model=fold):
        with solara.v.ExpansionPanel():
            solara.v.ExpansionPanelHeader(children=["Advanced: mechanisms, seed, councils"])
            with solara.v.ExpansionPanelContent():
                if made:
                    advanced_settings(settings, apply)


def advanced_settings(settings: Settings, apply) -> None:
    """The unfolded content of ``Advanced``, as children of the panel (no container of its own)."""
    solara.InputInt(
        label="Seed (same seed, same councils and luck)",
        value=settings.seed,
        on_value=lambda v: apply(replace(settings, seed=max(0, int(v or 0)))),
    )
    solara.SliderInt(
        label="Councils",
        value=settings.n_authorities,
        min=20,
        max=300,
        step=10,
        thumb_label="always",
        on_value=lambda v: apply(replace(settings, n_authorities=int(v))),
    )
    for name in MECHANISMS:
        label, meaning = words.MECHANISM_LABELS[name]
        solara.Checkbox(
            label=label,
            value=name not in settings.mechanisms_off,
            on_value=lambda on, n=name: apply(settings.with_mechanism(n, on)),
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(f"Off: {meaning}"),
            style="font-size: 13px; color: #555; margin: -12px 0 6px 32px;",
        )


def stage_of(session: Session) -> tuple[str, str, bool, bool, bool]:
    """What the rendered parts of the page show of the run: the story and its phase (the
    narration), whether the run is over (the buttons, the kept gain's label, the outcome table),
    at quarter 0 or pinned (the buttons). A Step renders the page only when this changes; the
    quarter, the big numbers and the charts are written straight in (``use_live``)."""
    return (
        session.settings.story,
        session.phase(),
        session.finished,
        session.quarter == 0,
        session.pinned is not None,
    )


class Actions:
    """What the buttons and settings do to one visitor's session, and the page's live parts
    (``use_live``), written each time the run moves. Made once per page, so the components it is
    passed to see the same callbacks on every render."""

    def __init__(
        self,
        session: Session,
        stage: solara.Reactive[tuple],
        settings: solara.Reactive[Settings],
        playing: solara.Reactive[bool],
    ) -> None:
        self.session, self.stage, self.settings = session, stage, settings
        self.playing = playing
        self.lock = threading.Lock()  # one change to the session at a time
        self.displays: list[Callable[[], None]] = []
        # changes made together are rendered together, in one pass over the page: a render
        # context is also a batch, which renders once, when its last batch ends
        self.batch = reacton.core.get_render_context()

    def show(self) -> None:
        """The run moved: write it into the live parts, then render what shows its stage, if that
        changed."""
        with self.batch:
            for display in tuple(self.displays):
                display()
            self.stage.set(stage_of(self.session))

    def apply(self, new: Settings) -> None:
        with self.batch:
            self.playing.set(False)
            with self.lock:
                self.session.reset(new)
            self.settings.set(new)
            self.show()

    def step(self) -> None:
        with self.lock:
            self.session.step()
        self.show()

    def reset(self) -> None:
        self.apply(self.session.settings)

    def play(self) -> None:
        self.playing.set(True)

    def pause(self) -> None:
        self.playing.set(False)

    def pin(self) -> None:
        self.session.pin()
        self.show()

    def unpin(self) -> None:
        self.session.unpin()
        self.show()


@solara.component
def Toolbar(
    session: Session,
    stage: tuple,
    playing: bool,
    page: solara.Reactive[str],
    act: Actions,
) -> None:
    """The top row: pages, the quarter and the run's buttons."""
    _, _, finished, at_start, pinned = stage
    with solara.Row(style={"align-items": "center", "gap": "6px", "flex-wrap": "wrap"}):
        solara.ToggleButtonsSingle(value=page, values=list(PAGES), dense=True)
        Quarter(session, act)
        solara.Button("Step", on_click=act.step, disabled=playing or finished, color="primary")
        solara.Button("Play", on_click=act.play, disabled=playing or finished, color="primary")
        solara.Button("Pause", on_click=act.pause, disabled=not playing)
        solara.Button("Reset", on_click=act.reset, disabled=playing)
        if not pinned:
            solara.Button("Pin", on_click=act.pin, disabled=at_start, outlined=True)
        else:
            solara.Button("Unpin", on_click=act.unpin, outlined=True)


@solara.component
def Page() -> None:
    session = solara.use_memo(Session, [])  # one per browser session
    settings = solara.use_reactive(session.settings)
    # A Step writes the quarter, the big numbers and the charts straight into their widgets
    # (use_live) and renders the page only when the run's stage changes (stage_of): a render walks
    # every element of the page, which cost more than everything else a Step does.
    stage = solara.use_reactive(stage_of(session))
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    pause_when_money_stops = solara.use_reactive(True)
    page = solara.use_reactive(PAGES[0])
    act = solara.use_memo(lambda: Actions(session, stage, settings, playing), [])

    def play_loop(cancel: threading.Event) -> None:
        if not playing.value:
            return
        interval = 1.0 / SPEEDS[speed.value] if SPEEDS[speed.value] else FASTEST
        stops = session.money_stops()
        while playing.value and not session.finished and not cancel.is_set():
            started = time.perf_counter()
            act.step()
            if pause_when_money_stops.value and session.quarter == stops:
                break
            cancel.wait(max(0.0, interval - (time.perf_counter() - started)))
        playing.set(False)

    solara.use_thread(play_loop, dependencies=[playing.value], intrusive_cancel=False)

    solara.Style(CSS)
    solara.Title("LPSA simulator: what lasts after the agreement")
    with solara.AppLayout(
        title="What lasts after the agreement? Local Public Service Agreements",
        sidebar_open=False,
    ):
        with solara.Sidebar():
            with solara.Card("Settings", margin=0):
                Controls(session, settings.value, act.apply)
                solara.Checkbox(label="Pause when the money stops", value=pause_when_money_stops)
        Toolbar(session, stage.value, playing.value, page, act)
        with solara.Row(style={"align-items": "center", "gap": "12px"}):
            StoryPicker(settings.value, act.apply)
            solara.Select(
                label="Play speed, quarters",
                values=list(SPEEDS),
                value=speed,
                style={"max-width": "170px"},
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(settings_line(settings.value)),
                classes=["lpsa-settings"],
                style="flex: 1 1 0;",
            )
        if page.value == "Presentation":
            Presentation(session, act, stage.value)
        elif page.value == "Councils":
            Councils(session, act, stage.value)
        else:
            About()


# The server imports this module once, after Solara and before any visitor. Everything alive now
# (about 190,000 objects: Solara, the widgets, numpy, Mesa, the model's modules) lasts as long as
# the server, yet every full garbage collection walked it all: a Step that happened to trigger one
# took 160-220 ms instead of 50-80 (bench_dashboard.py: Step max 164-217 ms, 60-100 ms frozen).
# Freezing moves these objects out of the collector's scans; they are never garbage anyway.
gc.freeze()
