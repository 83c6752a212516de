"""The dashboard's charts as SVG: matplotlib draws each chart's frame once, the data is written in
per quarter.

Everything on a chart that does not move from one quarter to the next (axes, ticks, labels, title,
legend, the line where the money stops) is drawn by matplotlib's SVG backend once per *frame* and
cut where the data goes: each line's, bar's or group of squares' path, and the few words that
change (a legend's counts, the areas' names). Each quarter writes the data into those places as
matplotlib writes it (the same transform to points, the same number format), so a Step costs
string joins, not a matplotlib draw (about 60 ms a chart, most of the old Step's server time).
A frame depends only on what shapes it (the scheme's length, the runs' labels, the number of runs,
councils or areas, ...), so frames are cached for the process and shared by every session.

Every chart can also be drawn whole by matplotlib, data included (``Chart.matplotlib_svg``): the
tests hold the fast drawing to it. Sizes are in points and the page shows each chart at about its
natural width, so 15 pt text is about 15 px on a 1024 x 768 projector.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from lpsa.model.scenario import QUARTERS_PER_YEAR
from lpsa.viz import charts
from lpsa.viz.session import Session

FONT = 15
RUN_COLOURS = ("#0072b2", "#d55e00")
"""The runs' colours, blue and vermilion (Okabe and Ito's colour-blind-safe palette)."""
BAU_COLOUR = "#7a7a7a"
PIN_COLOUR = "#cc79a7"
PERCENT_TICKS = ([0, 0.25, 0.5, 0.75, 1.0], ["0", "25%", "50%", "75%", "100%"])
APPROACH_LABELS = dict(
    zip(
        charts.APPROACH_KINDS,
        ("systemic:\nworked", "systemic:\nfailed", "new\nworking", "more of\nthe same"),
    )
)
"""The retained-gain chart's bars, in the order of ``charts.retained_by_kind``."""
AREA_LABELS = {
    "social_care": "social care",
    "cost_effectiveness": "cost-effectiveness",
    "culture_local": "culture, local",
}
"""Policy areas as the page shows them."""

DPI = 72
"""Figures are made at the SVG backend's resolution (a point a pixel), so the transforms read
after a drawing are the ones it drew with."""
_MARK = "\x00"  # never in an SVG: cuts a frame where the data goes


_RC_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings: one at a time


def svg(fig: Figure) -> bytes:
    """The figure as SVG with its text as text (not glyph outlines): a third smaller and faster to
    draw, and its font sizes can be read back (the browser test checks them at 1024 x 768)."""
    out = io.BytesIO()
    with _RC_LOCK, rc_context({"svg.fonttype": "none"}):
        fig.savefig(out, format="svg")
    return out.getvalue()


def _figure(width: float, height: float, **margins: float) -> tuple[Figure, Any]:
    """A chart's figure (``width`` x ``height`` inches, ``margins`` as in ``subplots_adjust``)
    and its one axes."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(**margins)
    return fig, fig.add_subplot()


def _style(ax) -> None:
    ax.tick_params(labelsize=FONT - 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _number(v: float) -> str:
    """A coordinate as matplotlib's SVG backend writes it: 6 decimals, trailing zeros dropped."""
    s = f"{v:.6f}".rstrip("0")
    return s[:-1] if s.endswith(".") else s


class Frame:
    """A chart's SVG as matplotlib wrote it, cut where the data goes: the path of each artist in
    ``paths`` (which must have data, any data) and each text in ``texts`` (placeholders, each
    drawn once, to be replaced by words of the same height)."""

    def __init__(
        self,
        fig: Figure,
        ax,
        paths: Sequence[Any],
        texts: Sequence[str] = (),
        path_style: str = "",
    ) -> None:
        for i, artist in enumerate(paths):
            artist.set_gid(f"lpsa-data-{i}")
        doc = svg(fig).decode("utf-8")
        # data -> SVG points, as the backend transforms them (the axes' transform, then y flipped)
        flip = Affine2D().scale(1, -1).translate(0, fig.bbox.height)
        self.matrix = (ax.transData + flip).get_matrix().copy()
        self._paths: list[tuple[str, str]] = []
        for i in range(len(paths)):
            start = doc.index("<path ", doc.index(f'<g id="lpsa-data-{i}">'))
            end = doc.index("/>", start) + 2
            element = doc[start:end]
            d_start = element.index(' d="') + 4
            d_end = element.index('"', d_start)
            before = element[:d_start].replace("<path ", f"<path {path_style}", 1)
            self._paths.append((before, element[d_end:]))
            doc = f"{doc[:start]}{_MARK}p{i}{_MARK}{doc[end:]}"
        for j, text in enumerate(texts):
            placeholder = f">{escape(text)}</text>"
            if doc.count(placeholder) != 1:
                raise ValueError(f"{text!r} is drawn {doc.count(placeholder)} times, not once")
            doc = doc.replace(placeholder, f">{_MARK}t{j}{_MARK}</text>")
        parts = doc.split(_MARK)
        self._static = parts[::2]
        self._slots = [(p[0], int(p[1:])) for p in parts[1::2]]

    def fill(self, paths: Sequence[str], texts: Sequence[str] = ()) -> bytes:
        """The SVG with path data ``paths`` (an empty one leaves its artist out, as matplotlib
        does with no data) and words ``texts``, in the order given to the constructor."""
        out = [self._static[0]]
        for (kind, i), static in zip(self._slots, self._static[1:]):
            if kind == "t":
                out.append(escape(texts[i]))
            elif paths[i]:
                out += (self._paths[i][0], paths[i], self._paths[i][1])
            out.append(static)
        return "".join(out).encode("utf-8")

    def points(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Data coordinates to SVG points."""
        (a, c, e), (b, d, f) = self.matrix[:2]
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return a * x + c * y + e, b * x + d * y + f

    def line(self, x, y) -> str:
        """A line's path data; a gap where a value is missing."""
        px, py = self.points(x, y)
        out, move = [], True
        for u, v in zip(px.tolist(), py.tolist()):
            if not (math.isfinite(u) and math.isfinite(v)):
                move = True
                continue
            out.append(f"{'M' if move else 'L'} {_number(u)} {_number(v)} \n")
            move = False
        return "".join(out)

    def rectangles(self, x0, y0, x1, y1) -> list[str]:
        """Path data of each rectangle from corner (x0, y0) to (x1, y1), as a bar's."""
        (ax0, ay0), (ax1, ay1) = self.points(x0, y0), self.points(x1, y1)
        return [
            f"M {a} {b} \nL {c} {b} \nL {c} {d} \nL {a} {d} \nz\n"
            for a, b, c, d in zip(
                map(_number, ax0.tolist()),
                map(_number, ay0.tolist()),
                map(_number, ax1.tolist()),
                map(_number, ay1.tolist()),
            )
        ]


@lru_cache(maxsize=256)
def _frame(chart: type, size: tuple[float, float], key: Hashable) -> Frame:
    """A chart's frame, drawn once per process for each ``key`` (what shapes it)."""
    return chart.frame(size, key)


class Chart:
    """A chart: ``data(session)`` gives the key of its frame and what is written into it;
    ``build(size, key, data)`` draws it all with matplotlib (``data=None``: placeholders, for the
    frame)."""

    size: tuple[float, float]

    def draw(self, session: Session) -> bytes:
        key, data = self.data(session)
        return self.fill(_frame(type(self), self.size, key), data)

    def png(self, session: Session) -> bytes:
        """The chart as it is now, as a PNG to save (drawn whole by matplotlib, at twice the
        screen's resolution)."""
        key, data = self.data(session)
        out = io.BytesIO()
        with _RC_LOCK:
            self.build(self.size, key, data)[0].savefig(out, format="png", dpi=2 * DPI)
        return out.getvalue()

    def matplotlib_svg(self, session: Session) -> bytes:
        """The same chart drawn whole by matplotlib, data included (slow: for the tests)."""
        key, data = self.data(session)
        return svg(self.build(self.size, key, data)[0])

    @classmethod
    def frame(cls, size: tuple[float, float], key: Hashable) -> Frame:
        fig, ax, paths, texts = cls.build(size, key, None)
        return Frame(fig, ax, paths, texts)

    def data(self, session: Session) -> tuple[Hashable, Any]:
        raise NotImplementedError

    @classmethod
    def build(cls, size, key, data) -> tuple[Figure, Any, list, list[str]]:
        raise NotImplementedError

    def fill(self, frame: Frame, data) -> bytes:
        raise NotImplementedError


def _placeholder_line() -> tuple[list[float], list[float]]:
    return [0.0, 1.0], [0.0, 1.0]


class PerformanceChart(Chart):
    """Performance against the target by calendar time, every point over the same councils (all
    that signed): each run, business as usual and a pinned run, to now; the quarters the
    agreements end (the money and attention stop) are shaded, the quarter most have ended marked.
    """

    def __init__(self, session: Session | None = None, width: float = 7.6, height: float = 3.7):
        self.size = (width, height)
        self.series: list[str] = []  # what the last drawing shows, for the page and its tests
        self.last_year = 0.0  # the latest moment drawn, in years from the scheme's start

    def data(self, session: Session):
        runs = []
        for m in session.runs:
            q, reported = charts.calendar_line(m, councils=session.runs[0].councils.signed)
            runs.append((q / QUARTERS_PER_YEAR, reported))
        q, reported = session.business_as_usual_line()
        bau = (q / QUARTERS_PER_YEAR, reported)
        pinned = session.pinned
        key = (
            session.n_quarters,
            session.agreements_end(),
            tuple(session.labels[: len(session.runs)]),
            pinned.label if pinned else None,
        )
        self.series = [*key[2], "Business as usual"] + ([pinned.label] if pinned else [])
        self.last_year = max((float(x[-1]) for x, _ in runs if len(x)), default=0.0)
        lines = {
            "bau": bau,
            "pin": (pinned.years, pinned.values) if pinned else None,
            "runs": runs,
        }
        return key, lines

    @classmethod
    def build(cls, size, key, data):
        n_quarters, (first_end, most_ended, last_end), labels, pin_label = key
        if data is None:
            data = {
                "bau": _placeholder_line(),
                "pin": _placeholder_line() if pin_label else None,
                "runs": [_placeholder_line() for _ in labels],
            }
        fig, ax = _figure(*size, left=0.13, right=0.98, top=0.9, bottom=0.15)
        _style(ax)
        span = n_quarters / QUARTERS_PER_YEAR
        ax.set_xlim(0, span)
        ax.set_ylim(-0.1, 1.5)
        ax.set_yticks(PERCENT_TICKS[0], ["0 base", *PERCENT_TICKS[1][1:]])
        ax.axvspan(first_end / QUARTERS_PER_YEAR, last_end / QUARTERS_PER_YEAR, color="#ececec")
        ax.axvline(most_ended / QUARTERS_PER_YEAR, color="black", lw=2, ls="--")
        ax.text(
            most_ended / QUARTERS_PER_YEAR + 0.1,
            -0.07,
            "agreements end:\nmoney stops",
            fontsize=FONT,
            va="bottom",
        )
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        ax.set_xlabel("years from the scheme's start", fontsize=FONT)
        ax.set_ylabel("share of the stretch reached", fontsize=FONT)
        ax.set_title("How far councils got, and what stayed", fontsize=FONT + 2, loc="left")
        bau = ax.plot(*data["bau"], color=BAU_COLOUR, lw=3, label="Business as usual")[0]
        pin = ax.plot(
            *(data["pin"] or ([], [])),
            color=PIN_COLOUR,
            lw=2.5,
            ls=":",
            label=pin_label or "_hidden",
        )[0]
        lines = [
            ax.plot(
                *(data["runs"][i] if i < len(labels) else ([], [])),
                color=c,
                lw=3.5,
                label=labels[i] if i < len(labels) else "_hidden",
            )[0]
            for i, c in enumerate(RUN_COLOURS)
        ]
        shown = [ln for ln in (*lines, bau, pin) if not ln.get_label().startswith("_")]
        ax.legend(
            handles=shown,
            fontsize=FONT - 1,
            loc="upper right",
            ncol=2,
            frameon=False,
            borderaxespad=0.1,
            columnspacing=1.0,
            handlelength=1.5,
        )
        paths = [bau, *([pin] if pin_label else []), *lines[: len(labels)]]
        return fig, ax, paths, []

    def fill(self, frame: Frame, data) -> bytes:
        lines = [data["bau"], *([data["pin"]] if data["pin"] else []), *data["runs"]]
        return frame.fill([frame.line(x, y) for x, y in lines])


class RetainedChart(Chart):
    """Of the gain made by the end, the share still there now, by approach (one bar per run)."""

    def __init__(self, width: float = 4.6, height: float = 3.7) -> None:
        self.size = (width, height)
        self.bars = 0  # bars the last drawing shows

    def data(self, session: Session):
        kept = [charts.retained_by_kind(m) for m in session.runs]
        if session.veiled:  # the room is asked what comes next: no bar until Reveal
            kept = [np.full(len(APPROACH_LABELS), np.nan) for _ in kept]
        any_bar = any(bool((~np.isnan(k)).any()) for k in kept)
        self.bars = int(sum((~np.isnan(k)).sum() for k in kept))  # for the page and its tests
        note = "veiled" if session.veiled else None if any_bar else "none yet"
        return (len(kept), note), [np.where(np.isnan(k), 0.0, k) for k in kept]

    @staticmethod
    def _bars(n_runs: int) -> tuple[np.ndarray, float]:
        """Each run's bar centres (one a kind) and the bars' width."""
        width = 0.8 / n_runs
        x = [
            np.arange(len(APPROACH_LABELS)) + (i - (n_runs - 1) / 2) * width for i in range(n_runs)
        ]
        return np.array(x), width * 0.95

    @classmethod
    def build(cls, size, key, data):
        n_runs, note = key
        if data is None:
            data = [np.full(len(APPROACH_LABELS), 0.5) for _ in range(n_runs)]
        fig, ax = _figure(*size, left=0.16, right=0.98, top=0.88, bottom=0.2)
        _style(ax)
        ax.set_ylim(0, 1.15)
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        ax.set_yticks(*PERCENT_TICKS)
        ax.set_title("Gain still there now", fontsize=FONT + 2, loc="left")
        centres, width = cls._bars(n_runs)
        bars = []
        for x, kept, colour in zip(centres, data, RUN_COLOURS):
            bars += ax.bar(x, kept, width=width, color=colour).patches
        kinds = list(APPROACH_LABELS)
        ax.set_xticks(np.arange(len(kinds)), [APPROACH_LABELS[k] for k in kinds], fontsize=FONT - 1)
        if note:
            words = {
                "none yet": "shown once the first\nagreements end",
                "veiled": "What happens next?\nPress Reveal or Play",
            }[note]
            ax.text(1.5, 0.55, words, ha="center", fontsize=FONT)
        return fig, ax, bars, []

    def fill(self, frame: Frame, data) -> bytes:
        centres, width = self._bars(len(data))
        left = (centres - width / 2).ravel()  # as matplotlib's bar(align="center")
        top = np.concatenate(data)
        return frame.fill(frame.rectangles(left, np.zeros_like(top), left + width, top))


class CouncilGrid(Chart):
    """Every council as a square, coloured by where it is now; kept and fell-back stay visible
    after the run ends (and are not told apart while the page is veiled)."""

    def __init__(self, width: float = 7.2, height: float = 4.4) -> None:
        self.size = (width, height)

    def data(self, session: Session):
        status = charts.council_status(session.runs[0], veiled=session.veiled)
        return (status.size, session.veiled), status

    @staticmethod
    def shown(veiled: bool) -> list[int]:
        """The statuses in the legend: the two after the end, or the veiled one."""
        after = [charts.VEILED] if veiled else [charts.KEPT_STATUS, charts.FELL_STATUS]
        return [*range(charts.KEPT_STATUS), *after]

    @staticmethod
    def _shape(n: int) -> tuple[int, int]:
        cols = int(np.ceil(np.sqrt(n * 1.3)))
        return int(np.ceil(n / cols)), cols

    HALF = 0.42
    """Half a square's side, in cells: a gap between neighbours lets a room see each council
    as its own square even where all have the same colour (at quarter 0, all negotiating)."""

    @classmethod
    def _squares(cls, cells: np.ndarray, cols: int) -> Path:
        """The squares of ``cells`` (row-major, ``cols`` a row), in data coordinates."""
        r, c = np.divmod(cells, cols)
        h = cls.HALF
        x0, y0, x1, y1 = c - h, r - h, c + h, r + h
        corners = np.stack([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0], axis=1).reshape(-1, 2)
        codes = [Path.MOVETO, *[Path.LINETO] * 3, Path.CLOSEPOLY] * len(cells)
        return Path(corners.astype(float), codes)

    @classmethod
    def build(cls, size, key, data):
        n, veiled = key
        shown = cls.shown(veiled)
        status = np.zeros(n, dtype=int) if data is None else data
        rows, cols = cls._shape(n)
        fig, ax = _figure(*size, left=0.01, right=0.44, top=0.9, bottom=0.02)
        # the axes an image of rows x cols squares would have (imshow's), drawn as squares
        ax.set_aspect("equal")
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)
        groups = []
        for k in shown:
            cells = np.flatnonzero(status == k) if data is not None else np.arange(1)
            patch = PathPatch(
                cls._squares(cells, cols), facecolor=charts.STATUS_COLOURS[k], edgecolor="none"
            )
            patch.set_visible(cells.size > 0)
            groups.append(ax.add_patch(patch))
        ax.set_xticks([])
        ax.set_yticks([])
        counts = np.bincount(status, minlength=len(charts.STATUS))
        if data is None:
            counts[:] = 0  # placeholders: digits, as the counts
        handles = [Rectangle((0, 0), 1, 1, fc=charts.STATUS_COLOURS[k], ec="grey") for k in shown]
        ax.legend(
            handles,
            [f"{charts.STATUS[k]} ({counts[k]})" for k in shown],
            fontsize=FONT - 1,
            loc="center left",
            bbox_to_anchor=(1.02, 0.5),
            frameon=False,
        )
        ax.set_title("Councils now", fontsize=FONT + 2, loc="left")
        texts = [f"{charts.STATUS[k]} (0)" for k in shown]
        return fig, ax, groups, texts

    @classmethod
    def frame(cls, size, key) -> Frame:
        fig, ax, paths, texts = cls.build(size, key, None)
        # crisp edges: every gap between squares as wide as every other
        frame = Frame(fig, ax, paths, texts, path_style='shape-rendering="crispEdges" ')
        rows, cols = cls._shape(key[0])
        cells = np.arange(key[0])
        r, c = np.divmod(cells, cols)
        h = cls.HALF
        frame.cells = frame.rectangles(c - h, r - h, c + h, r + h)
        frame.shown = cls.shown(key[1])
        return frame

    def fill(self, frame: Frame, status) -> bytes:
        paths = ["".join(frame.cells[i] for i in np.flatnonzero(status == k)) for k in frame.shown]
        counts = np.bincount(status, minlength=len(charts.STATUS))
        return frame.fill(paths, [f"{charts.STATUS[k]} ({counts[k]})" for k in frame.shown])


class AttainmentChart(Chart):
    """Met, partly met and missed by policy area."""

    COLOURS = {"met": "#009e73", "partly": "#f0e442", "missed": "#d55e00"}

    def __init__(self, width: float = 6.4, height: float = 4.4) -> None:
        self.size = (width, height)

    def data(self, session: Session):
        shares, label = charts.attainment_by_area(session.runs[0])
        names = [AREA_LABELS.get(str(a), str(a).replace("_", " ")) for a in shares.index]
        values = shares.reindex(columns=list(self.COLOURS)).to_numpy(dtype=float)
        return (label, len(names)), (names, values)

    @staticmethod
    def _placeholders(n: int) -> list[str]:
        # the height of 'l' and depth of 'p', as the areas' names: they sit on the same baseline
        return [f"lpsa area {i}" for i in range(n)]

    @classmethod
    def build(cls, size, key, data):
        label, n = key
        if data is None:
            data = (cls._placeholders(n), np.full((n, len(cls.COLOURS)), 1 / len(cls.COLOURS)))
        names, values = data
        fig, ax = _figure(*size, left=0.3, right=0.97, top=0.8, bottom=0.08)
        _style(ax)
        left = np.zeros(n)
        bars = []
        for j, (outcome, colour) in enumerate(cls.COLOURS.items()):
            bars += ax.barh(names, values[:, j], left=left, color=colour, label=outcome).patches
            left += values[:, j]
        ax.set_xlim(0, 1)
        ax.tick_params(axis="y", labelsize=FONT - 1)
        fig.suptitle(f"Targets by area: {label}", fontsize=FONT + 1, x=0.02, ha="left")
        if not n:
            ax.set_axis_off()  # nothing assessed yet: the title says so, no empty axes
        if n:
            ax.legend(
                fontsize=FONT - 1,
                ncol=3,
                loc="lower left",
                bbox_to_anchor=(-0.02, 1.0),
                frameon=False,
            )
        return fig, ax, bars, cls._placeholders(n)

    def fill(self, frame: Frame, data) -> bytes:
        names, values = data
        n = len(names)
        # each bar starts where the last ended, summed in the same order as matplotlib's
        left = np.concatenate([np.zeros((n, 1)), np.cumsum(values, axis=1)[:, :-1]], axis=1)
        bottom = np.arange(n) - 0.8 / 2  # as barh(align="center", height=0.8)
        paths = []
        for j in range(values.shape[1]):
            paths += frame.rectangles(left[:, j], bottom, left[:, j] + values[:, j], bottom + 0.8)
        return frame.fill(paths, names)
