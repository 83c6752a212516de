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
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ipyvuetify
import reacton.core
import reacton.ipywidgets as rw
import solara
import solara.lab
import traitlets

from lpsa.viz import charts, words
from lpsa.viz.figures import (
    RUN_COLOURS,
    AttainmentChart,
    CouncilGrid,
    PerformanceChart,
    RetainedChart,
)
from lpsa.viz.session import Session
from lpsa.viz.wiring import (
    MAX_AUTHORITIES,
    MECHANISMS,
    REGIMES,
    SLIDERS,
    STORIES,
    Settings,
    link_query,
    parse_link,
    rules_ppg_share,
)

log = logging.getLogger(__name__)


def guarded(action: Callable[..., None]) -> Callable[..., None]:
    """``action``, made safe for what a browser sends: a malformed value (a widget update no
    control would send) is logged on the server and ignored; the visitor never sees a
    traceback."""

    def run(*args: Any) -> None:
        try:
            action(*args)
        except Exception:  # noqa: BLE001 - the page goes on; the server's log has the details
            log.warning("ignored a widget update the page could not use: %r", args, exc_info=True)

    return run


SPEEDS = {"1 a second": 1.0, "2 a second": 2.0, "4 a second": 4.0, "as fast as it goes": 0.0}
"""Play speeds, in quarters a second (0: as fast as the page is drawn, ``FASTEST``)."""
FASTEST = 0.05
"""Seconds a quarter at least, when playing as fast as it goes: a quarter takes the server a few
milliseconds, and each one sends the browser a new picture of each chart; a browser that is sent
the next before it has loaded the last abandons the load (and the page logs a failed request).
Twenty quarters a second is still faster than the eye follows, and every quarter is shown."""
DEFAULT_SPEED = "4 a second"
PAGES = ("Presentation", "Councils", "About")
NO_COMPARISON = "Nothing"
ACCESS_CODE_ENV = "LPSA_ACCESS_CODE"
"""An access code the room must type before the page shows anything (``lpsa dashboard --code``);
unset: none."""

CSS = """
.v-application { font-size: 16px; }
.v-sheet.lpsa-header { background: #1d3557 !important; color: white; padding: 4px 12px; gap: 10px;
  align-items: center; flex-wrap: wrap; }
.lpsa-title { font-size: 18px; font-weight: 600; flex: 1 1 auto; }
.lpsa-header .v-btn { font-size: 15px !important; text-transform: none !important;
  letter-spacing: 0.01em !important; }
.lpsa-main { padding: 6px 12px; }
.lpsa-quarter { font-size: 22px; font-weight: 600; white-space: nowrap; }
.lpsa-narration { font-size: 17px; line-height: 1.3; color: #111; min-height: 3.9em; }
.lpsa-phase { font-size: 15px; text-transform: uppercase; letter-spacing: 0.06em; color: #444; }
.lpsa-number { font-size: 28px; font-weight: 700; line-height: 1.1; white-space: nowrap; }
.lpsa-number-label { font-size: 15px; color: #222; max-width: 10em; }
.lpsa-chart img { display: block; max-width: 100%; width: auto; height: auto;
  max-height: calc(100vh - 326px); margin: 0 auto; }
.lpsa-caption { font-size: 15px; color: #222; line-height: 1.25; }
.lpsa-about { font-size: 17px; max-width: 60em; }
.lpsa-about table { border-collapse: collapse; }
.lpsa-about td, .lpsa-about th { border: 1px solid #ccc; padding: 4px 8px; }
.lpsa-settings { font-size: 15px; color: #222; }
.lpsa-drawer { position: fixed; top: 0; left: 0; bottom: 0; width: 360px; max-width: 100vw;
  z-index: 20; overflow-y: auto; background: white; padding: 8px 14px;
  box-shadow: 2px 0 12px rgba(0,0,0,0.35); }
.lpsa-drawer.lpsa-closed, .v-sheet.lpsa-closed { display: none !important; }
.lpsa-switch-meaning { font-size: 14px; color: #333; margin: -12px 0 6px 32px; }
.v-btn { font-size: 15px !important; text-transform: none !important;
  letter-spacing: 0.01em !important; }
.v-input__slot label, .v-label, .v-select__selection, .v-list-item__title {
  font-size: 15px !important; }
.v-expansion-panel-header { font-size: 15px !important; }
.v-text-field .v-label--active {
  font-size: 14px !important; transform: translateY(-22px) scale(1) !important;
}
.v-text-field { padding-top: 16px; }
.v-slider__thumb-label { font-size: 14px !important; }
@media (max-width: 900px) { .lpsa-top { flex-wrap: wrap; } }
@media (max-width: 700px) {
  .lpsa-charts { flex-wrap: wrap; }
  .lpsa-charts > div { flex: 1 1 100% !important; }
  .lpsa-chart img { max-height: none; }
}
"""

KEYS_TEMPLATE = """
<template>
  <v-btn data-testid="fullscreen" small outlined dark @click="fullscreen"
    title="Full screen (the browser's own; Esc leaves it)">
    <v-icon left>mdi-fullscreen</v-icon>Full screen</v-btn>
</template>
<script>
module.exports = {
  mounted() {
    // space: play or pause; right arrow: one step; R: reset. Not while typing in a field or
    // moving a slider, and never with Ctrl, Alt or the Command key (the browser's own shortcuts).
    this.listener = (e) => {
      const t = e.target || {};
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.isContentEditable) return;
      if (t.getAttribute && t.getAttribute('role') === 'slider') return;
      const name = {' ': 'space', 'ArrowRight': 'right', 'r': 'reset', 'R': 'reset'}[e.key];
      if (!name) return;
      e.preventDefault();  // space would also press the button that has the focus
      if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
      this.key(name);
    };
    document.addEventListener('keydown', this.listener);
  },
  destroyed() { document.removeEventListener('keydown', this.listener); },
  methods: {
    fullscreen() {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
    },
  },
};
</script>
"""


class KeysAndFullscreen(ipyvuetify.VuetifyTemplate):
    """The browser's own full screen (a button) and the keyboard shortcuts, which pass the key's
    name to ``handler``."""

    template = traitlets.Unicode(KEYS_TEMPLATE).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handler: Callable[[str], None] | None = None

    def vue_key(self, name: object) -> None:
        if self.handler is not None and isinstance(name, str):
            self.handler(name)


def _percent(x: float | None, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.0%}" if signed else f"{x:.0%}"


def _points(x: float | None) -> str:
    """A difference in shares of the stretch, as points of the target (100: the whole stretch)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x * 100:+.0f} pts"


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
    with solara.Card(
        margin=0, style={"padding": "2px 12px", "flex": "1 1 380px", "min-width": "300px"}
    ):
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


MONITORS = (("met", _percent), ("kept", _percent), ("over_bau", _points))
"""The big numbers: each one's key in ``Session.monitors`` and how it is written."""
MONITOR_LABELS = (
    "Targets met, of those assessed",
    "Gain still there now",
    "Above business as usual, points of the target",
)
"""The big numbers' labels: each is a figure of the quarter shown, as the charts' right end."""


def monitor_numbers(session: Session) -> tuple[str, ...]:
    """The big numbers as the page shows them: for each monitor, every run's number in its
    colour ("?" for the gain still there while the page is veiled)."""
    rows = session.monitors()
    return tuple(
        " ".join(
            f'<span style="color:{c}">'
            f"{'?' if key == 'kept' and session.veiled else write(r[key])}</span>"
            for r, c in zip(rows, RUN_COLOURS)
        )
        for key, write in MONITORS
    )


@solara.component
def Monitors(session: Session, act: Actions) -> None:
    """The big numbers in their cards; the numbers are written in as the run moves."""
    numbers = []
    with solara.Row(style={"gap": "8px", "flex": "0 1 auto"}):
        for (key, _), label in zip(MONITORS, MONITOR_LABELS):
            with solara.Card(margin=0, style={"padding": "2px 10px", "min-width": "160px"}):
                numbers.append(
                    _html(classes=("lpsa-number",), attributes={"data-testid": f"monitor-{key}"})
                )
                solara.HTML(tag="div", unsafe_innerHTML=label, classes=["lpsa-number-label"])

    def write(*widgets) -> None:
        for widget, number in zip(widgets, monitor_numbers(session)):
            widget.unsafe_innerHTML = number

    use_live(act, numbers, write)


def chart_attributes(chart, session: Session, testid: str) -> dict[str, str]:
    """What a chart shows, named for the page's tests: its lines (``data-series``), the latest
    moment it draws (the performance chart, ``data-last-year``) and its bars (``data-bars``)."""
    out = {"data-testid": testid, "data-series": " | ".join(getattr(chart, "series", []))}
    if hasattr(chart, "last_year"):
        out["data-last-year"] = f"{chart.last_year:g}"
        out["data-money-stops-year"] = f"{session.money_stops() / 4:g}"
    if hasattr(chart, "bars"):
        out["data-bars"] = str(chart.bars)
    return out


@solara.component
def Chart(chart, session: Session, act: Actions, testid: str, caption: str) -> None:
    """A chart, drawn into its image as the run moves, its caption, and a PNG of it to save."""
    with solara.Div(classes=["lpsa-chart"], style={"flex": "1 1 0", "min-width": "0"}) as main:
        # the elements solara.Image and solara.HTML make, without their content: written in
        image = rw.Image(format="svg+xml", _dom_classes=["solara-image"], layout={})
        names = solara.widgets.HTML.element(tag="span")

        def write(image, names) -> None:
            image.value = chart.draw(session)
            names.attributes = chart_attributes(chart, session, testid)

        use_live(act, [image, names], write)
        with solara.Row(style={"align-items": "flex-start", "gap": "6px"}):
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(caption), classes=["lpsa-caption"])
            solara.FileDownload(
                lambda: chart.png(session),
                filename=f"lpsa-{testid}.png",
                label="PNG",
                icon_name="mdi-download",
            )
    return main


@solara.component
def Presentation(session: Session, act: Actions, stage: tuple) -> None:
    """The narration follows the run's ``stage``; the big numbers and the charts are written in
    as it moves."""
    perf = solara.use_memo(PerformanceChart, [])
    kept = solara.use_memo(RetainedChart, [])
    story, phase, *_ = stage
    with solara.Row(style={"gap": "8px", "align-items": "stretch"}, classes=["lpsa-top"]):
        Narration(story, phase)
        Monitors(session, act)
    with solara.Row(style={"gap": "8px", "align-items": "flex-start"}, classes=["lpsa-charts"]):
        with solara.Div(style={"flex": "62 1 0", "min-width": "0"}):
            Chart(perf, session, act, "performance-chart", words.CAPTIONS["performance"])
        with solara.Div(style={"flex": "38 1 0", "min-width": "0"}):
            Chart(kept, session, act, "retained-chart", words.CAPTIONS["retained"])


@solara.component
def Councils(session: Session, act: Actions, stage: tuple) -> None:
    """Re-rendered when the run's ``stage`` changes: the outcome table appears when it ends."""
    grid = solara.use_memo(CouncilGrid, [])
    areas = solara.use_memo(AttainmentChart, [])
    with solara.Row(
        style={"gap": "8px", "align-items": "flex-start", "flex-wrap": "wrap"},
        classes=["lpsa-charts"],
    ):
        with solara.Div(style={"flex": "1 1 480px", "min-width": "0"}):
            Chart(grid, session, act, "council-grid", words.CAPTIONS["grid"])
        with solara.Div(style={"flex": "1 1 480px", "min-width": "0"}):
            Chart(areas, session, act, "attainment-chart", words.CAPTIONS["areas"])
    if session.finished:
        table = charts.outcome_table(session.outcomes(), session.labels)
        solara.HTML(
            tag="div",
            unsafe_innerHTML="<h3>Every outcome of this run</h3>"
            + "<p>For the councils that signed; 'years on' counts from each agreement's end. "
            + "The terms are below and in the About page's glossary.</p>"
            + table.to_html(index=False, border=0, classes="lpsa-outcomes")
            + "".join(
                f"<p><b>{html.escape(term)}</b>: {html.escape(meaning)}</p>"
                for term, meaning in words.TABLE_GLOSSARY.items()
            ),
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

    def pick(title: str) -> None:
        if title in titles:  # anything else is not a story: ignored
            apply(
                Settings.for_story(
                    titles[title], seed=settings.seed, n_authorities=settings.n_authorities
                )
            )

    solara.Select(
        label="Story",
        values=list(titles),
        value=words.STORY_TITLES[settings.story],
        on_value=guarded(pick),
        style={"max-width": "330px", "min-width": "260px"},
    )


def slider_moved(settings: Settings, name: str, value: object) -> Settings | None:
    """The settings after slider ``name`` reports ``value``, or None when nothing changed: a
    slider snaps the value it shows to its step (0.1204 shows as 0.12) and reports the snapped
    value back, which must not replace the story's exact value. Anything but a number in the
    slider's range is refused (ValueError)."""
    s = SLIDERS[name]
    value = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(value) and s.low <= value <= s.high):
        raise ValueError(f"{name}: {value!r} is outside {s.low} to {s.high}")
    current = settings.slider(name)
    shown = rules_ppg_share() if current is None else current
    if abs(value - shown) < s.step / 2:
        return None
    return settings.with_slider(name, value)


@solara.component
def Controls(session: Session, settings: Settings, apply) -> None:
    """The side panel: sliders and comparison; the switches folded away under Advanced."""
    for name, s in SLIDERS.items():
        value = settings.slider(name)

        def moved(v: object, n: str = name) -> None:
            new = slider_moved(settings, n, v)
            if new is not None:
                apply(new)

        solara.HTML(tag="div", unsafe_innerHTML=f"{s.label}: <b>{s.show(value)}</b>")
        solara.v.Slider(  # Vuetify's own: solara.SliderFloat fails on a value not a number
            v_model=rules_ppg_share() if value is None else value,
            min=s.low,
            max=s.high,
            step=s.step,
            hide_details=True,
            on_v_model=guarded(moved),
        )
    choices = {NO_COMPARISON: None} | {label: key for key, label in REGIMES.items()}

    def compare(c: str) -> None:
        apply(replace(settings, compare=choices[c]))

    solara.Select(
        label="Run beside it, on the same councils",
        values=list(choices),
        value=REGIMES.get(settings.compare, NO_COMPARISON),
        on_value=guarded(compare),
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

    with solara.v.ExpansionPanels(v_model=0 if unfolded else None, on_v_model=guarded(fold)):
        with solara.v.ExpansionPanel():
            solara.v.ExpansionPanelHeader(children=["Advanced: mechanisms, seed, councils"])
            with solara.v.ExpansionPanelContent():
                if made:
                    advanced_settings(settings, apply)


def advanced_settings(settings: Settings, apply) -> None:
    """The unfolded content of ``Advanced``, as children of the panel (no container of its own)."""

    def seed(v: object) -> None:
        apply(replace(settings, seed=min(max(0, int(v or 0)), 2**31 - 1)))  # type: ignore[call-overload]

    def councils(v: object) -> None:
        apply(replace(settings, n_authorities=min(max(20, int(v)), MAX_AUTHORITIES)))  # type: ignore[call-overload]

    solara.InputInt(
        label="Seed (same seed, same councils and luck)",
        value=settings.seed,
        on_value=guarded(seed),
    )
    solara.SliderInt(
        label="Councils",
        value=settings.n_authorities,
        min=20,
        max=MAX_AUTHORITIES,
        step=10,
        thumb_label="always",
        on_value=guarded(councils),
    )
    for name in MECHANISMS:
        label, meaning = words.MECHANISM_LABELS[name]

        def switch(on: object, n: str = name) -> None:
            apply(settings.with_mechanism(n, bool(on)))

        solara.Checkbox(
            label=label, value=name not in settings.mechanisms_off, on_value=guarded(switch)
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(f"Off: {meaning}"),
            classes=["lpsa-switch-meaning"],
        )


def stage_of(session: Session) -> tuple[str, str, bool, bool, bool, bool]:
    """What the rendered parts of the page show of the run: the story and its phase (the
    narration), whether the run is over (the buttons, the outcome table), at quarter 0 or pinned
    (the buttons), veiled (the Reveal button). A Step renders the page only when this changes; the
    quarter, the big numbers and the charts are written straight in (``use_live``)."""
    return (
        session.settings.story,
        session.phase(),
        session.finished,
        session.quarter == 0,
        session.pinned is not None,
        session.veiled,
    )


class Actions:
    """What the buttons, keys and settings do to one visitor's session, and the page's live parts
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
        self.wake = threading.Event()  # Play was pressed
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
            if self.session.finished:
                return
            self.session.step()
        self.show()

    def reset(self) -> None:
        self.apply(self.session.settings)

    def play(self) -> None:
        if not self.session.finished:
            self.reveal()
            self.playing.set(True)
            self.wake.set()  # the session's play thread (``Dashboard.play_loop``)

    def pause(self) -> None:
        self.playing.set(False)

    def reveal(self) -> None:
        """Show what the money-stops pause veiled."""
        if self.session.veiled:
            self.session.reveal()
            self.show()

    def money_stops_now(self) -> None:
        """Play reached the quarter most agreements end: veil what comes next and pause."""
        self.session.veil()
        self.show()

    def pin(self) -> None:
        if self.session.quarter:
            self.session.pin()
            self.show()

    def unpin(self) -> None:
        self.session.unpin()
        self.show()

    def key(self, name: str) -> None:
        """A keyboard shortcut: space plays or pauses, the right arrow steps, R resets."""
        if name == "space":
            self.pause() if self.playing.value else self.play()
        elif name == "right" and not self.playing.value:
            self.step()
        elif name == "reset" and not self.playing.value:
            self.reset()


@solara.component
def Toolbar(
    session: Session,
    stage: tuple,
    playing: bool,
    page: solara.Reactive[str],
    act: Actions,
) -> None:
    """The top row: pages, the quarter and the run's buttons."""
    _, _, finished, at_start, pinned, veiled = stage
    with solara.Row(style={"align-items": "center", "gap": "6px", "flex-wrap": "wrap"}):
        solara.ToggleButtonsSingle(value=page, values=list(PAGES), dense=True)
        Quarter(session, act)
        solara.Button("Step", on_click=act.step, disabled=playing or finished, color="primary")
        solara.Button("Play", on_click=act.play, disabled=playing or finished, color="primary")
        solara.Button("Pause", on_click=act.pause, disabled=not playing)
        # always in its place, seen only at the money-stops pause: the row does not jump
        solara.Button(
            "Reveal",
            on_click=act.reveal,
            color="warning",
            disabled=not veiled,
            style={} if veiled else {"visibility": "hidden"},
        )
        solara.Button("Reset", on_click=act.reset, disabled=playing)
        if not pinned:
            solara.Button("Pin", on_click=act.pin, disabled=at_start, outlined=True)
        else:
            solara.Button("Unpin", on_click=act.unpin, outlined=True)


@solara.component
def Keys(act: Actions) -> None:
    """The full-screen button and the keyboard shortcuts."""
    element = KeysAndFullscreen.element()

    def connect():
        widget = solara.get_widget(element)
        widget.handler = guarded(act.key)
        return lambda: setattr(widget, "handler", None)

    solara.use_effect(connect, [])
    return element


@solara.component
def AccessCode(code: str, on_right: Callable[[], None]) -> None:
    """Asks for the access code the trainer set (``lpsa dashboard --code``)."""
    typed = solara.use_reactive("")
    wrong = typed.value and typed.value != code

    def check(value: str) -> None:
        typed.set(value)
        if value == code:
            on_right()

    with solara.Column(style={"padding": "40px", "max-width": "480px"}):
        solara.HTML(tag="h2", unsafe_innerHTML="LPSA simulator")
        solara.InputText(
            "Access code (the trainer has it)",
            value=typed.value,
            on_value=check,
            continuous_update=True,
        )
        if wrong:
            solara.HTML(tag="div", unsafe_innerHTML="Not that code.", classes=["lpsa-settings"])


def initial_search() -> str | None:
    """The query string the page was opened with (a shared link), if any."""
    try:
        return solara.use_router().search
    except Exception:  # noqa: BLE001 - rendered outside a server (tests, benchmarks): no link
        return None


@solara.component
def Page() -> None:
    code = os.environ.get(ACCESS_CODE_ENV, "")
    admitted = solara.use_reactive(not code)
    if not admitted.value:
        solara.Style(CSS)
        AccessCode(code, lambda: admitted.set(True))
        return
    Dashboard()


def _open_session(search: str | None) -> Session:
    """This visitor's session: from the link they opened, or the default story."""
    settings, pinned, quarter = parse_link(search)
    session = Session(settings)
    if pinned is not None and quarter > 0:
        session.pin_again(pinned, quarter)
    return session


@solara.component
def Dashboard() -> None:
    search = initial_search()
    session = solara.use_memo(lambda: _open_session(search), [])  # one per browser session
    settings = solara.use_reactive(session.settings)
    # A Step writes the quarter, the big numbers and the charts straight into their widgets
    # (use_live) and renders the page only when the run's stage changes (stage_of): a render walks
    # every element of the page, which cost more than everything else a Step does.
    stage = solara.use_reactive(stage_of(session))
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    pause_when_money_stops = solara.use_reactive(True)
    page = solara.use_reactive(PAGES[0])
    drawer = solara.use_reactive(False)
    act = solara.use_memo(lambda: Actions(session, stage, settings, playing), [])

    def play_loop(cancel: threading.Event) -> None:
        """One thread a session, for its life: it plays whenever Play wakes it (``act.wake``),
        until Pause, the end, or the quarter the money stops. A thread started per press of Play
        (use_thread with the playing flag as its dependency) could miss a press that came while
        the last one was ending, and leave the page playing with nothing stepping."""
        while not cancel.is_set():
            if not act.wake.wait(1.0):
                continue
            act.wake.clear()
            interval = 1.0 / SPEEDS[speed.value] if SPEEDS[speed.value] else FASTEST
            stops = session.money_stops()
            while playing.value and not session.finished and not cancel.is_set():
                started = time.perf_counter()
                act.step()
                if pause_when_money_stops.value and session.quarter == stops:
                    act.money_stops_now()
                    break
                cancel.wait(max(0.0, interval - (time.perf_counter() - started)))
            if not act.wake.is_set():  # not pressed again meanwhile
                playing.set(False)

    solara.use_thread(play_loop, dependencies=[], intrusive_cancel=False)

    def choose_speed(value: str) -> None:
        if value in SPEEDS:
            speed.set(value)

    pinned = session.pinned
    link = "?" + link_query(
        settings.value, pinned.settings if pinned else None, pinned.quarter if pinned else 0
    )
    solara.Style(CSS)
    solara.Title("LPSA simulator: what lasts after the agreement")
    # The page is laid out here, not by Solara's AppLayout: AppLayout makes its content afresh
    # when its side panel first opens or its ⛶ dialog opens, which started every run again.
    with solara.Column(gap="0px", style={"min-height": "100vh"}):
        with solara.Row(classes=["lpsa-header"]):
            solara.Button(
                "☰ Settings",
                on_click=lambda: drawer.set(not drawer.value),
                text=True,
                dark=True,
                attributes={"data-testid": "settings"},
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML="What lasts after the agreement? Local Public Service Agreements",
                classes=["lpsa-title"],
            )
            Keys(act)
        with solara.Column(
            classes=["lpsa-drawer"] + ([] if drawer.value else ["lpsa-closed"]),
        ):
            with solara.Row(style={"align-items": "center"}):
                solara.HTML(tag="h3", unsafe_innerHTML="Settings", style="flex: 1 1 auto;")
                solara.Button("Close", on_click=lambda: drawer.set(False), text=True)
            Controls(session, settings.value, act.apply)
            solara.Checkbox(label="Pause when the money stops", value=pause_when_money_stops)
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f'<a href="{html.escape(link)}" data-testid="link">'
                "Link to this set-up</a> (copy it to share: it opens the same story, settings"
                " and pinned run)",
                classes=["lpsa-settings"],
            )
        with solara.Column(classes=["lpsa-main"], gap="6px"):
            Toolbar(session, stage.value, playing.value, page, act)
            with solara.Row(style={"align-items": "center", "gap": "12px", "flex-wrap": "wrap"}):
                StoryPicker(settings.value, act.apply)
                solara.Select(
                    label="Play speed, quarters",
                    values=list(SPEEDS),
                    value=speed.value,
                    on_value=guarded(choose_speed),
                    style={"max-width": "170px"},
                )
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML="<b>Watch for:</b> "
                    + html.escape(words.STORY_WATCH[settings.value.story]),
                    classes=["lpsa-settings"],
                    style="flex: 1 1 300px;",
                    attributes={"data-testid": "watch-for"},
                )
            if page.value == "Presentation":
                Presentation(session, act, stage.value)
            elif page.value == "Councils":
                Councils(session, act, stage.value)
            else:
                About()
            solara.HTML(
                tag="div",
                unsafe_innerHTML="<b>Settings:</b> " + html.escape(settings_line(settings.value)),
                classes=["lpsa-settings"],
                attributes={"data-testid": "settings-line"},
            )


@solara.component
def Layout(children: list = []) -> None:  # noqa: B006 - Solara's signature for a layout
    """The page's own layout (``Dashboard``): Solara's default AppLayout would wrap it in a
    second toolbar whose ⛶ button remakes the page, and with it the run."""
    solara.Column(children=children, gap="0px")


# The server imports this module once, after Solara and before any visitor. Everything alive now
# (about 190,000 objects: Solara, the widgets, numpy, Mesa, the model's modules) lasts as long as
# the server, yet every full garbage collection walked it all: a Step that happened to trigger one
# took 160-220 ms instead of 50-80 (bench_dashboard.py: Step max 164-217 ms, 60-100 ms frozen).
# Freezing moves these objects out of the collector's scans; they are never garbage anyway.
gc.freeze()
