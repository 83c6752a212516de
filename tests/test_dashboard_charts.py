"""The dashboard's charts: the fast drawing (matplotlib's frame, data written in) shows what
matplotlib draws whole, and the page redraws what a Step, Pin or new setting changes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lpsa.viz import charts, figures
from lpsa.viz.session import Session
from lpsa.viz.wiring import Settings

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def normalised(svg: bytes) -> str:
    """An SVG without what differs between two drawings of the same chart: the date, element ids
    (matplotlib numbers them), empty groups and layout whitespace."""
    s = svg.decode()
    s = re.sub(r"<metadata>.*?</metadata>", "", s, flags=re.S)
    s = re.sub(r' id="[^"]*"', "", s)
    s = re.sub(r"url\(#[^)]*\)", "url()", s)
    s = re.sub(r'xlink:href="#[^"]*"', "xlink:href", s)
    s = s.replace('shape-rendering="crispEdges" ', "")
    s = re.sub(r"<g>\s*</g>|<g/>", "", s)
    return re.sub(r"\s+", " ", s)


def assert_same_chart(fast: bytes, whole: bytes) -> None:
    """The same elements, words and styles, and every coordinate within a thousandth of a point
    (matplotlib places a tick label's baseline by its glyphs' depth: 0.0005 pt apart)."""
    a, b = normalised(fast), normalised(whole)
    assert NUMBER.sub("#", a) == NUMBER.sub("#", b)
    x = np.array(NUMBER.findall(a), dtype=float)
    y = np.array(NUMBER.findall(b), dtype=float)
    assert np.abs(x - y).max(initial=0) <= 1e-3


CHARTS = (
    figures.PerformanceChart,
    figures.RetainedChart,
    figures.CouncilGrid,
    figures.AttainmentChart,
)


@pytest.mark.parametrize(
    "story, councils", [("free_play", 60), ("ppg_vs_reward", 40), ("systemic_change", 150)]
)
def test_every_chart_shows_what_matplotlib_draws_whole(story, councils):
    s = Session(Settings.for_story(story, n_authorities=councils, seed=7))
    drawn = [chart() for chart in CHARTS]
    for quarter in range(s.n_quarters + 1):
        if quarter == 14:
            s.pin()
        if quarter in (0, 1, 13, 14, 22, s.n_quarters):
            for chart in drawn:
                assert_same_chart(chart.draw(s), chart.matplotlib_svg(s))
        if not s.finished:
            s.step()


def test_each_council_is_one_square_of_its_status_colour():
    s = Session(Settings(n_authorities=50, seed=3))
    grid = figures.CouncilGrid()
    for _ in range(14):
        s.step()
    svg = grid.draw(s).decode()
    status = charts.council_status(s.runs[0])
    for k in grid.shown(veiled=False):
        colour = charts.STATUS_COLOURS[k]
        paths = re.findall(
            rf'<path shape-rendering="crispEdges" d="([^"]*)"[^>]*fill: {colour}', svg
        )
        squares = sum(p.count("M ") for p in paths)
        assert squares == (status == k).sum(), charts.STATUS[k]
        assert f"{charts.STATUS[k]} ({(status == k).sum()})" in svg


def test_councils_of_one_colour_still_show_as_separate_squares():
    """At quarter 0 every council is negotiating: the room must still see one square each."""
    svg = figures.CouncilGrid().draw(Session(Settings(n_authorities=50, seed=3))).decode()
    (path,) = re.findall(r'<path shape-rendering="crispEdges" d="([^"]*)"', svg)[:1]
    squares = [[float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", s)] for s in path.split("M ")[1:]]
    assert len(squares) == 50
    lefts = sorted({round(s[0], 3) for s in squares})
    width = squares[0][2] - squares[0][0]
    pitch = lefts[1] - lefts[0]
    assert width < 0.9 * pitch  # a gap of at least a tenth of a square between neighbours


def test_the_performance_chart_names_its_lines_and_drops_the_pin_when_unpinned():
    s = Session(Settings.for_story("ppg_vs_reward", n_authorities=40, seed=3))
    chart = figures.PerformanceChart()
    for _ in range(8):
        s.step()
    chart.draw(s)
    assert chart.series == [*s.labels, "Business as usual"]
    s.pin()
    svg = chart.draw(s).decode()
    label = "Pinned: Up front or reward, to quarter 8"  # named by its story
    assert chart.series[-1] == label and label in svg
    s.unpin()
    assert "Pinned" not in chart.draw(s).decode() and "Pinned" not in " ".join(chart.series)


def test_every_point_of_the_performance_line_averages_every_signed_council():
    # no point averages a shrinking set of councils: by calendar time, each quarter's point is
    # the mean over every council that signed (0, its projected baseline, before it starts)
    s = Session(Settings(n_authorities=60, seed=3))
    m = s.runs[0]
    for _ in range(20):
        s.step()
    quarters, line = charts.calendar_line(m)
    assert list(quarters) == list(range(m.quarter + 1)) and line[0] == 0  # to now, from 0
    signed = np.flatnonzero(m.councils.signed)
    for t in range(m.quarter):
        each = [
            m.figures(t, np.array([c]))[0].mean() if m.councils.start[c] <= t else 0.0
            for c in signed
        ]
        assert line[t + 1] == pytest.approx(np.mean(each)), t


def test_a_frame_refuses_a_placeholder_it_cannot_find_once():
    fig, ax = figures._figure(2, 2)
    ax.set_title("twice")
    ax.set_xlabel("twice")
    line = ax.plot([0, 1], [0, 1])[0]
    with pytest.raises(ValueError, match="drawn 2 times"):
        figures.Frame(fig, ax, [line], ["twice"])


# ------------------------------------------------------------------ the page, rendered in process


@pytest.fixture
def page():
    import solara

    from lpsa.viz.app import Page

    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    yield rc
    rc.close()


def shown(rc, testid: str):
    import solara.widgets

    (widget,) = (
        w
        for w in rc.find(solara.widgets.HTML).widgets
        if (w.attributes or {}).get("data-testid") == testid
    )
    return widget


def click(rc, label: str) -> None:
    import ipyvuetify as v

    rc.find(v.Btn, children=[label]).widget.click()


def page_text(rc) -> str:
    import solara.widgets

    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def chart_images(rc) -> list[bytes]:
    import ipywidgets

    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def drawn(*charts_and_sessions) -> list[bytes]:
    """Each chart drawn for a session, as the page should show it."""
    return [chart.draw(s) for chart, s in charts_and_sessions]


def test_each_step_redraws_the_charts_as_a_session_stepped_alike_draws_them(page):
    twin = Session()  # the page's own settings: the default story, seed and councils
    perf, kept = figures.PerformanceChart(), figures.RetainedChart()
    for _ in range(15):
        click(page, "Step")
        twin.step()
        assert chart_images(page) == drawn((perf, twin), (kept, twin))
    assert shown(page, "quarter").unsafe_innerHTML == "Quarter 15 of 40"
    assert shown(page, "performance-chart").attributes["data-series"] == " | ".join(perf.series)


def test_the_big_numbers_and_narration_follow_the_run(page):
    from lpsa.viz import app, words

    twin = Session()
    while twin.phase() != "end":
        click(page, "Step")
        twin.step()
        for key, number in zip(("met", "kept", "over_bau"), app.monitor_numbers(twin)):
            assert shown(page, f"monitor-{key}").unsafe_innerHTML == number
    narration = shown(page, "narration").unsafe_innerHTML.replace("&#x27;", "'")
    assert narration == words.NARRATION["free_play"]["end"]
    assert "Gain still there now" in page_text(page)
    while not twin.finished:
        click(page, "Step")
        twin.step()
    assert "Gain still there now" in page_text(page)
    assert shown(page, "monitor-kept").unsafe_innerHTML == app.monitor_numbers(twin)[1]


def test_pin_unpin_and_the_step_buttons_follow_the_run(page):
    import ipyvuetify as v

    def disabled(label: str) -> bool:
        return page.find(v.Btn, children=[label]).widget.disabled

    assert disabled("Pin") and not disabled("Step")
    click(page, "Step")
    click(page, "Pin")
    assert (
        "Pinned: Free play, to quarter 1"
        in shown(page, "performance-chart").attributes["data-series"]
    )
    click(page, "Unpin")
    assert "Pinned" not in shown(page, "performance-chart").attributes["data-series"]
    while shown(page, "quarter").unsafe_innerHTML != "Quarter 40 of 40":
        click(page, "Step")
    assert disabled("Step") and disabled("Play") and not disabled("Reset")


def test_the_advanced_switches_appear_when_unfolded_and_restart_the_run(page):
    import ipyvuetify as v

    from lpsa.viz import words
    from lpsa.viz.wiring import MECHANISMS

    label, _ = words.MECHANISM_LABELS[MECHANISMS[0]]
    assert not page.find(v.Checkbox, label=label).widgets  # made when first unfolded
    click(page, "Step")
    page.find(v.ExpansionPanels).widget.v_model = 0
    assert len(page.find(v.Checkbox).widgets) == len(MECHANISMS) + 1  # and the pause switch
    page.find(v.Checkbox, label=label).widget.v_model = False
    assert shown(page, "quarter").unsafe_innerHTML == "Quarter 0 of 40"
    assert "1 mechanism(s) switched off" in page_text(page)


def test_what_is_written_in_stays_through_other_renders_and_page_changes(page):
    import ipyvuetify as v

    twin = Session()
    perf, kept = figures.PerformanceChart(), figures.RetainedChart()
    for _ in range(5):
        click(page, "Step")
        twin.step()
    # renders of the page that are not Steps: the play speed, the Advanced panel, the pages
    page.find(v.Select, label="Play speed, quarters").widget.v_model = "1 a second"
    page.find(v.ExpansionPanels).widget.v_model = 0
    assert shown(page, "quarter").unsafe_innerHTML == "Quarter 5 of 40"
    assert chart_images(page) == drawn((perf, twin), (kept, twin))
    page.find(v.BtnToggle).widget.v_model = 1  # Councils
    grid, areas = figures.CouncilGrid(), figures.AttainmentChart()
    assert chart_images(page) == drawn((grid, twin), (areas, twin))
    click(page, "Step")
    twin.step()
    assert chart_images(page) == drawn((grid, twin), (areas, twin))
    page.find(v.BtnToggle).widget.v_model = 0  # back to the Presentation, a quarter on
    assert chart_images(page) == drawn((perf, twin), (kept, twin))
    assert shown(page, "performance-chart").attributes["data-series"] == " | ".join(perf.series)
    assert shown(page, "quarter").unsafe_innerHTML == "Quarter 6 of 40"
    click(page, "Reset")
    assert shown(page, "quarter").unsafe_innerHTML == "Quarter 0 of 40"
    assert chart_images(page) == drawn((perf, Session()), (kept, Session()))
