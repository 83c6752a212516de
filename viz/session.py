"""One visitor's dashboard: the runs they are watching, stepped together.

Every browser session owns one :class:`Session` (``viz/app.py`` makes it inside the page), so one
person's clicks never move another's model. A session holds the run for the trainer's settings, its
business-as-usual twin (the same councils with no agreement, ``model.counterfactual``), optionally
a second regime on the same councils and seed, and a pinned trace of an earlier run.

Pure: no Solara and no figures, so it is tested and benchmarked without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lpsa.model import LPSAModel
from lpsa.model.counterfactual import twin_scenario
from lpsa.model.lifecycle import FOLLOW_UP, IMPLEMENTATION, NEGOTIATION, PHASES
from lpsa.model.scenario import QUARTERS_PER_YEAR
from lpsa.model.single_run import run_outcomes
from lpsa.viz import charts, words
from lpsa.viz.wiring import REGIMES, Settings, build_model, rules_ppg_share


def pin_label(settings: Settings, quarter: int) -> str:
    """A pinned line's label: its story, and how far it had run."""
    changed = settings != Settings.for_story(
        settings.story, seed=settings.seed, n_authorities=settings.n_authorities
    )
    story = words.STORY_SHORT[settings.story] + (", changed" if changed else "")
    return f"Pinned: {story}, to quarter {quarter}"


@dataclass(frozen=True)
class Trace:
    """A finished or half-run line kept for overlay: its label, (years from the scheme's start,
    value), and the settings and quarter it came from (a shared link runs them again)."""

    label: str
    years: np.ndarray
    values: np.ndarray
    settings: Settings | None = None
    quarter: int = 0


class Session:
    """The runs one visitor is watching. ``runs[0]`` is the trainer's settings; ``runs[1]``, if
    any, the regime compared with it; ``twin`` is business as usual for the first run's councils."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.pinned: Trace | None = None
        self.reset(settings or Settings.for_story("free_play"))

    def reset(self, settings: Settings | None = None) -> None:
        """Build the runs afresh for ``settings`` (default: the current ones)."""
        self.settings = settings or self.settings
        self.veiled = False  # what follows the money-stops pause is hidden until revealed
        first = build_model(self.settings)
        self.runs: list[LPSAModel] = [first]
        self.labels = ["With the agreement"]
        if self.settings.compare is not None:
            self.runs.append(build_model(self.settings, self.settings.compare))
            share = self.settings.slider("ppg_share")
            self.labels = [
                f"Yours: {rules_ppg_share() if share is None else share:.0%} up front",
                REGIMES[self.settings.compare],
            ]
        self.twin = LPSAModel(twin_scenario(first.params), seed=int(self.settings.seed))
        self._outcomes: list[dict[str, float]] | None = None

    # ---------------------------------------------------------------- time

    @property
    def quarter(self) -> int:
        return self.runs[0].quarter

    @property
    def n_quarters(self) -> int:
        return self.runs[0].n_quarters

    @property
    def finished(self) -> bool:
        return not self.runs[0].running

    def step(self) -> None:
        """One quarter in every run (a finished run does nothing); it reveals what was veiled."""
        self.veiled = False
        for m in (*self.runs, self.twin):
            m.step()

    def veil(self) -> None:
        """Pose the question: until ``reveal`` (or the next step), the page hides what the
        councils whose money has stopped did next (the gain still there, kept or fell back)."""
        self.veiled = True

    def reveal(self) -> None:
        self.veiled = False

    def money_stops(self) -> int:
        """The quarter in which most agreements have ended: the median signed council's end."""
        a = self.runs[0].councils
        ends = a.end[a.signed]
        return int(np.median(ends)) if ends.size else self.n_quarters

    def phase(self) -> str:
        """Where the story is, for the narration: negotiation, implementation, end (the quarter the
        money stops for most councils and the one after), follow_up or finished."""
        if self.finished:
            return "finished"
        stops = self.money_stops()
        if stops <= self.quarter <= stops + 1:
            return "end"
        m = self.runs[0]
        phases = m.phase_codes()[m.councils.signed]
        counts = np.bincount(phases, minlength=len(PHASES))
        if self.quarter > stops:
            return "follow_up"
        if counts[NEGOTIATION] > counts[IMPLEMENTATION] + counts[FOLLOW_UP]:
            return "negotiation"
        return "implementation"

    # ---------------------------------------------------------------- what the page shows

    def pin(self) -> None:
        """Keep the first run's performance line, to overlay on the runs that follow; its label
        names its story."""
        quarters, values = charts.calendar_line(self.runs[0])
        self.pinned = Trace(
            pin_label(self.settings, self.quarter),
            quarters / QUARTERS_PER_YEAR,
            values,
            self.settings,
            self.quarter,
        )

    def pin_again(self, settings: Settings, quarter: int) -> None:
        """Pin the run of ``settings`` to ``quarter`` (a shared link's pinned run), run afresh
        beside this one: the same settings and seed give the same line."""
        other = Session(settings)
        while other.quarter < quarter and not other.finished:
            other.step()
        other.pin()
        self.pinned = other.pinned

    def unpin(self) -> None:
        self.pinned = None

    def business_as_usual(self) -> pd.DataFrame:
        """The twin's performance, aligned as the first run's (same councils, same starts)."""
        return charts.trajectory(self.twin, councils=self.runs[0].councils.signed)

    def business_as_usual_line(self) -> tuple[np.ndarray, np.ndarray]:
        """The twin's performance by calendar quarter over the first run's signed councils
        (``charts.calendar_line``): the performance chart's business as usual."""
        return charts.calendar_line(self.twin, councils=self.runs[0].councils.signed)

    def agreements_end(self) -> tuple[int, int, int]:
        """The quarters the first agreements end, most have ended (``money_stops``) and the last
        ends (the performance chart's band where the money stops)."""
        a = self.runs[0].councils
        ends = a.end[a.signed]
        if not ends.size:
            return self.n_quarters, self.n_quarters, self.n_quarters
        return int(ends.min()), self.money_stops(), int(ends.max())

    def outcomes(self) -> list[dict[str, float]]:
        """Every registered outcome of each run, against the twin; only once the run has ended."""
        if not self.finished:
            return []
        if self._outcomes is None:
            self._outcomes = [run_outcomes(m, self.twin) for m in self.runs]
        return self._outcomes

    def monitors(self) -> list[dict[str, float]]:
        """The big numbers, per run, each NaN until it means something, all of them now (the
        quarter shown): the share of assessed targets met; of the gain councils past their end
        had made by then, the share still there now (NaN while veiled); and how far above
        business as usual the councils that have started stand now, in shares of stretch."""
        out = []
        bau = self.twin.targets.state.measured  # figures of the quarter last run
        for m in self.runs:
            signed = m.councils.signed & (m.councils.start < m.quarter)
            gain = (
                float(m.targets.state.measured[signed].mean() - bau[signed].mean())
                if signed.any() and m.quarter
                else float("nan")
            )
            kept = float("nan") if self.veiled else charts.retained_overall(m)
            out.append({"met": charts.met_share(m), "kept": kept, "over_bau": gain})
        return out
