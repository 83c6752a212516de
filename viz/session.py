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
from lpsa.viz import charts
from lpsa.viz.wiring import REGIMES, Settings, build_model, rules_ppg_share


@dataclass(frozen=True)
class Trace:
    """A finished or half-run line kept for overlay: its label and (years from start, value)."""

    label: str
    years: np.ndarray
    values: np.ndarray


class Session:
    """The runs one visitor is watching. ``runs[0]`` is the trainer's settings; ``runs[1]``, if
    any, the regime compared with it; ``twin`` is business as usual for the first run's councils."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.pinned: Trace | None = None
        self.reset(settings or Settings.for_story("free_play"))

    def reset(self, settings: Settings | None = None) -> None:
        """Build the runs afresh for ``settings`` (default: the current ones)."""
        self.settings = settings or self.settings
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
        """One quarter in every run (a finished run does nothing)."""
        for m in (*self.runs, self.twin):
            m.step()

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
        """Keep the first run's performance line, to overlay on the runs that follow."""
        t = charts.trajectory(self.runs[0])
        self.pinned = Trace(
            f"Pinned run (to quarter {self.quarter})",
            t["quarter_from_start"].to_numpy() / QUARTERS_PER_YEAR,
            t["reported"].to_numpy(),
        )

    def unpin(self) -> None:
        self.pinned = None

    def business_as_usual(self) -> pd.DataFrame:
        """The twin's performance, aligned as the first run's (same councils, same starts)."""
        return charts.trajectory(self.twin, councils=self.runs[0].councils.signed)

    def business_as_usual_line(self) -> tuple[np.ndarray, np.ndarray]:
        """Quarters from start and reported performance of ``business_as_usual``, as arrays."""
        return charts.reported_line(self.twin, councils=self.runs[0].councils.signed)

    def outcomes(self) -> list[dict[str, float]]:
        """Every registered outcome of each run, against the twin; only once the run has ended."""
        if not self.finished:
            return []
        if self._outcomes is None:
            self._outcomes = [run_outcomes(m, self.twin) for m in self.runs]
        return self._outcomes

    def monitors(self) -> list[dict[str, float]]:
        """The big numbers, per run, each NaN until it means something: the share of assessed
        targets met; the share of the end-of-agreement gain kept now (once the run has ended, three
        years on: ``retained_gain_3y``); and how far above business as usual the councils that
        have started stand now, in shares of stretch."""
        out = []
        ends = self.outcomes()
        bau = self.twin.targets.state.measured  # figures of the quarter last run
        for i, m in enumerate(self.runs):
            signed = m.councils.signed & (m.councils.start < m.quarter)
            gain = (
                float(m.targets.state.measured[signed].mean() - bau[signed].mean())
                if signed.any() and m.quarter
                else float("nan")
            )
            kept = charts.retained_overall(m)
            if ends:
                kept = ends[i]["retained_gain_3y"]
            out.append({"met": charts.met_share(m), "kept": kept, "over_bau": gain})
        return out
