"""The trainers' dashboard: settings, sessions and charts without a browser, the page rendered by
Solara in process, then end to end in headless Chromium.

In the browser every wait is for something to happen (a quarter shown, a button enabled, a chart
drawn), bounded only by ``HANG_SECONDS`` against a hang: how fast a page plays is the benchmark's
business (benchmarks/), not a test's."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import HANG_SECONDS

from lpsa.model.targets import MORE_OF_SAME
from lpsa.viz import charts, words
from lpsa.viz.serve import server_command, server_env
from lpsa.viz.session import Session
from lpsa.viz.wiring import MECHANISMS, REGIMES, SLIDERS, STORIES, Settings, build_model

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SMALL = {"n_authorities": 40, "seed": 3}
HANG_MS = HANG_SECONDS * 1000
"""Playwright's waits, in milliseconds: only a hang fails a browser test."""


def run_to_end(session: Session) -> Session:
    while not session.finished:
        session.step()
    return session


# ------------------------------------------------------------------ settings and stories


def test_a_story_moves_the_sliders_to_its_values_and_keeps_the_rest_at_the_presets():
    s = Settings.for_story("priorities_shift")
    assert (
        s.slider("priority_shift_rate")
        == STORIES["priorities_shift"].sliders["priority_shift_rate"]
    )
    baseline = build_model(Settings.for_story("free_play")).params
    assert s.slider("turnover_rate") == baseline.authorities.turnover_rate


def test_what_the_sliders_show_is_what_the_model_runs():
    s = Settings.for_story("free_play", **SMALL).with_slider("ppg_share", 0.7)
    m = build_model(s.with_mechanism("late_start", False))
    assert m.params.funding.ppg_share == 0.7 and not m.params.mechanisms.late_start
    assert m.params.scheme.n_authorities == 40
    for name, slider in SLIDERS.items():
        value = m.params
        for key in slider.path.split("."):
            value = getattr(value, key)
        assert value == pytest.approx(s.slider(name)), name


def test_a_comparison_changes_only_the_money_split():
    s = Settings.for_story("ppg_vs_reward", **SMALL)
    a, b = build_model(s), build_model(s, s.compare)
    assert a.params.funding.ppg_share == 0.5 and b.params.funding.ppg_share == 0.05
    assert np.array_equal(a.councils.population, b.councils.population)
    da, db = a.params.model_dump(), b.params.model_dump()
    da["funding"].pop("ppg_share"), db["funding"].pop("ppg_share")
    assert da == db


def test_unknown_stories_regimes_mechanisms_and_sliders_are_refused():
    with pytest.raises(ValueError, match="unknown story 'nope'; allowed: free_play"):
        Settings(story="nope")
    with pytest.raises(ValueError, match="unknown regime"):
        Settings(compare="nope")
    with pytest.raises(ValueError, match="unknown mechanism"):
        Settings(mechanisms_off=frozenset({"nope"}))
    with pytest.raises(ValueError, match="unknown slider"):
        Settings(sliders=(("nope", 1.0),))


def test_a_regimes_label_states_the_money_split_its_scenario_sets():
    from lpsa.model import load_scenario

    shares = {name: load_scenario(name).funding.ppg_share for name in REGIMES}
    assert {name for name, share in shares.items() if share is not None} >= {
        "ppg_heavy",
        "reward_heavy",
    }
    for name, share in shares.items():
        assert share is None or REGIMES[name].endswith(f": {share:.0%} up front"), name


def test_every_story_and_mechanism_speaks_plain_words():
    assert set(words.STORY_TITLES) == set(STORIES) == set(words.NARRATION)
    assert set(words.MECHANISM_LABELS) == set(MECHANISMS)
    assert set(REGIMES) >= {"ppg_heavy", "reward_heavy"}


# ------------------------------------------------------------------ sessions


def test_two_sessions_step_independently():
    a, b = Session(Settings(**SMALL)), Session(Settings(**SMALL))
    for _ in range(3):
        a.step()
    assert (a.quarter, b.quarter) == (3, 0)
    b.step()
    assert (a.quarter, b.quarter) == (3, 1)
    assert a.runs[0] is not b.runs[0]


def test_reset_starts_again_at_quarter_zero_with_the_new_settings():
    s = Session(Settings(**SMALL))
    s.step()
    s.reset(Settings.for_story("ppg_vs_reward", **SMALL))
    assert s.quarter == 0 and len(s.runs) == 2
    assert s.labels[1] == REGIMES["reward_heavy"]


def test_business_as_usual_is_the_same_councils_with_no_agreement():
    s = run_to_end(Session(Settings(**SMALL)))
    assert s.twin.councils.ppg.sum() == 0
    assert np.array_equal(s.twin.councils.start, s.runs[0].councils.start)
    bau = s.business_as_usual()
    factual = charts.trajectory(s.runs[0])
    # with the agreement, councils get further than they would have anyway
    assert factual["reported"].iloc[12] > bau["reported"].iloc[12] + 0.1


def test_the_story_moves_through_its_phases_in_order():
    s = Session(Settings(**SMALL))
    seen = [s.phase()]
    while not s.finished:
        s.step()
        if s.phase() != seen[-1]:
            seen.append(s.phase())
    assert seen == ["negotiation", "implementation", "end", "follow_up", "finished"]
    assert s.money_stops() == int(np.median(s.runs[0].councils.end[s.runs[0].councils.signed]))


def test_big_numbers_appear_when_they_mean_something():
    s = Session(Settings(**SMALL))
    first = s.monitors()[0]
    assert all(math.isnan(v) for v in first.values())
    while s.quarter < s.money_stops() + 4:
        s.step()
    now = s.monitors()[0]
    assert 0 < now["met"] < 1 and 0 < now["kept"] <= 1.05 and now["over_bau"] > 0
    s.veil()  # the money-stops pause: the gain still there is not told until revealed
    assert math.isnan(s.monitors()[0]["kept"]) and s.monitors()[0]["met"] == now["met"]
    s.reveal()
    run_to_end(s)
    final = s.monitors()[0]
    assert final["kept"] == charts.retained_overall(s.runs[0])  # now, as the charts


def test_a_pinned_run_stays_when_the_next_one_starts():
    s = run_to_end(Session(Settings(**SMALL)))
    s.pin()
    pinned = s.pinned
    s.reset(Settings(**SMALL).with_slider("ppg_share", 0.9))
    assert s.pinned is pinned and len(pinned.values) > 20
    s.unpin()
    assert s.pinned is None


def test_kept_and_fell_back_stay_visible_after_the_run_ends():
    s = run_to_end(Session(Settings(**SMALL)))
    status = charts.council_status(s.runs[0])
    kept, fell = charts.KEPT_STATUS, charts.FELL_STATUS
    signed = s.runs[0].councils.signed
    assert set(status[signed]) <= {kept, fell}
    assert (status[~signed] == charts.STATUS.index("not signed")).all()


@pytest.mark.parametrize("story", list(STORIES))
def test_every_story_runs_with_its_charts(story):
    s = Session(Settings.for_story(story, n_authorities=60))
    for _ in range(14):
        s.step()
    traj = charts.trajectory(s.runs[0])
    assert len(traj) > 0 and traj["reported"].notna().any()
    run_to_end(s)
    shares, label = charts.attainment_by_area(s.runs[0])
    assert label == "assessed agreements" and np.allclose(shares.sum(axis=1), 1.0)
    assert len(charts.retained_now(s.runs[0])) > 0


def test_the_priority_shift_story_hurts_partnership_targets():
    calm = run_to_end(Session(Settings(n_authorities=130, seed=4))).runs[0]
    shifting = run_to_end(
        Session(Settings.for_story("priorities_shift", n_authorities=130, seed=4))
    )
    shifted = shifting.runs[0]
    pship = calm.targets.traits.partnership & calm.councils.signed[:, None]
    assert (
        shifted.targets.end.measured[pship].mean() < calm.targets.end.measured[pship].mean() - 0.05
    )


def test_the_cash_strapped_story_does_more_of_the_same():
    free = build_model(Settings(seed=5))
    poor = build_model(Settings.for_story("more_of_the_same", seed=5))
    poor_share = (poor.targets.plan.approach == MORE_OF_SAME).mean()
    assert poor_share > (free.targets.plan.approach == MORE_OF_SAME).mean() + 0.15


# ------------------------------------------------------------------ the page, rendered in process


@pytest.fixture
def page():
    import solara

    from lpsa.viz.app import Page

    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    yield rc
    rc.close()


def by_testid(rc, testid: str):
    """The single widget carrying ``data-testid=testid``."""
    import solara.widgets

    found = [
        w
        for w in rc.find(solara.widgets.HTML).widgets
        if (w.attributes or {}).get("data-testid") == testid
    ]
    assert len(found) == 1, f"{len(found)} elements with data-testid={testid!r}"
    return found[0]


def click(rc, label: str) -> None:
    import ipyvuetify as v

    rc.find(v.Btn, children=[label]).widget.click()


def test_the_page_steps_and_resets_its_own_run(page):
    assert by_testid(page, "quarter").unsafe_innerHTML == "Quarter 0 of 40"
    click(page, "Step")
    click(page, "Step")
    assert by_testid(page, "quarter").unsafe_innerHTML == "Quarter 2 of 40"
    click(page, "Reset")
    assert by_testid(page, "quarter").unsafe_innerHTML == "Quarter 0 of 40"


def test_two_pages_are_two_sessions():
    import solara

    from lpsa.viz.app import Page

    _, first = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    _, second = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    click(first, "Step")
    assert by_testid(first, "quarter").unsafe_innerHTML == "Quarter 1 of 40"
    assert by_testid(second, "quarter").unsafe_innerHTML == "Quarter 0 of 40"
    first.close(), second.close()


def test_picking_a_story_moves_its_sliders_and_starts_again(page):
    import ipyvuetify as v

    click(page, "Step")
    page.find(v.Select, label="Story").widget.v_model = words.STORY_TITLES["priorities_shift"]
    assert by_testid(page, "quarter").unsafe_innerHTML == "Quarter 0 of 40"
    shown = [w.unsafe_innerHTML for w in page.find(__import__("solara").widgets.HTML).widgets]
    rate = STORIES["priorities_shift"].sliders["priority_shift_rate"]
    assert any(f"{SLIDERS['priority_shift_rate'].label}: <b>{rate:.0%}</b>" in t for t in shown)
    assert words.NARRATION["priorities_shift"]["negotiation"] in by_testid(
        page, "narration"
    ).unsafe_innerHTML.replace("&#x27;", "'")


def test_nothing_on_the_presentation_page_shows_an_internal_name(page):
    import solara.widgets

    while by_testid(page, "quarter").unsafe_innerHTML != "Quarter 20 of 40":
        click(page, "Step")
    shown = " ".join(w.unsafe_innerHTML or "" for w in page.find(solara.widgets.HTML).widgets)
    text = re.sub(r"<[^>]*>", " ", shown)  # what people read: not a link's address
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\d{3}:\d+", text)


# ------------------------------------------------------------------ end to end, headless Chromium

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECTOR = {"width": 1024, "height": 768}
need_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("LPSA_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (tasks.py test installs it)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_dashboard(env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """A dashboard server of its own, as ``lpsa dashboard`` starts it (with ``env`` added to its
    environment): (its address, its process); stopped at the end."""
    port = _free_port()
    proc = subprocess.Popen(
        server_command("127.0.0.1", port),
        cwd=ROOT,
        env=server_env() | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + HANG_SECONDS
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(
                        "the dashboard server did not start; try: "
                        f"{' '.join(server_command('127.0.0.1', port))}"
                    ) from None
                time.sleep(0.5)
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=HANG_SECONDS)


@pytest.fixture(scope="module")
def dashboard_url():
    with running_dashboard() as (url, _):
        yield url


def chromium_fixture():
    """A module's ``browser`` fixture: one headless Chromium for the module's tests."""

    @pytest.fixture(scope="module", name="browser")
    def browser_fixture():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=HANG_MS)
            yield b
            b.close()

    return browser_fixture


browser = chromium_fixture()


class Visitor:
    """One browser context on the dashboard at a projector's size, recording what the console
    and the network complain about."""

    def __init__(self, browser, url: str, viewport: dict | None = None) -> None:
        from playwright.sync_api import expect

        self.expect = type(expect)()  # this visitor's own, waiting up to HANG_MS
        self.expect.set_options(timeout=HANG_MS)
        self.context = browser.new_context(viewport=viewport or PROJECTOR)
        self.context.set_default_timeout(HANG_MS)  # clicks, navigation, waits for a condition
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("requestfailed", self._request_failed)
        self.page.on(
            "response",
            lambda r: self.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )
        self.page.goto(url)
        self.expect(self.quarter).to_have_text("Quarter 0 of 40")

    def _request_failed(self, request) -> None:
        # Leaving a page (reload, close) aborts Solara's own goodbye to the server, and a chart's
        # next frame aborts the loading of the frame it replaces (a blob the page has let go of,
        # when the browser draws slower than Play plays, as on a busy machine); nothing else may
        # fail.
        superseded = request.url.startswith("blob:") and request.failure == "net::ERR_ABORTED"
        if "/_solara/api/close/" not in request.url and not superseded:
            self.problems.append(f"failed: {request.url} ({request.failure})")

    @property
    def quarter(self):
        return self.page.get_by_test_id("quarter")

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def choose(self, label: str, option: str) -> None:
        self.page.get_by_text(label, exact=True).locator("xpath=..").click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def open_settings(self) -> None:
        self.page.get_by_test_id("settings").click()
        self.expect(self.page.get_by_text("Pause when the money stops")).to_be_visible()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"))

    def close(self) -> None:
        self.context.close()
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def visit(browser, dashboard_url):
    opened: list[Visitor] = []

    def open_one(url: str = dashboard_url) -> Visitor:
        opened.append(Visitor(browser, url))
        return opened[-1]

    yield open_one
    for v in opened:
        v.close()  # fails the test if the page logged an error or a request failed


@pytest.mark.browser
@need_chromium
def test_two_browser_contexts_step_independently(visit):
    first, second = visit(), visit()
    first.button("Step").click()
    first.expect(first.quarter).to_have_text("Quarter 1 of 40")
    first.button("Step").click()
    first.expect(first.quarter).to_have_text("Quarter 2 of 40")
    second.expect(second.quarter).to_have_text("Quarter 0 of 40")
    second.button("Step").click()
    second.expect(second.quarter).to_have_text("Quarter 1 of 40")
    first.expect(first.quarter).to_have_text("Quarter 2 of 40")
    second.page.reload()
    second.expect(second.quarter).to_have_text("Quarter 0 of 40")


@pytest.mark.browser
@need_chromium
def test_every_story_runs_to_the_end_in_the_presentation_view(visit):
    v = visit()
    v.choose("Play speed, quarters", "as fast as it goes")
    narration = v.page.get_by_test_id("narration")
    for story in STORIES:
        v.choose("Story", words.STORY_TITLES[story])
        v.expect(v.quarter).to_have_text("Quarter 0 of 40")
        v.expect(narration).to_have_text(words.NARRATION[story]["negotiation"])
        v.button("Play").click()  # pauses by itself when the money stops
        v.expect(narration).to_have_text(words.NARRATION[story]["end"])
        v.expect(v.button("Play")).to_be_enabled()
        v.button("Play").click()
        v.expect(v.quarter).to_have_text("Quarter 40 of 40")
        v.expect(narration).to_have_text(words.NARRATION[story]["finished"])
        v.expect(v.page.get_by_text("Gain still there now")).to_be_visible()
        v.shot(story)


@pytest.mark.browser
@need_chromium
def test_two_regimes_run_side_by_side_and_a_run_can_be_pinned(visit):
    v = visit()
    v.choose("Story", words.STORY_TITLES["ppg_vs_reward"])
    chart = v.page.get_by_test_id("performance-chart")
    for _ in range(16):
        v.button("Step").click()
    v.expect(v.quarter).to_have_text("Quarter 16 of 40")
    series = chart.get_attribute("data-series")
    assert REGIMES["reward_heavy"] in series and "Business as usual" in series
    assert v.page.get_by_test_id("monitor-met").locator("span").count() == 2
    v.button("Pin").click()
    v.button("Reset").click()
    v.expect(v.quarter).to_have_text("Quarter 0 of 40")
    v.button("Step").click()
    v.expect(v.quarter).to_have_text("Quarter 1 of 40")
    v.expect(chart).to_have_attribute("data-series", re.compile("Pinned"))
    v.shot("compare")
    v.button("Unpin").click()
    v.expect(chart).not_to_have_attribute("data-series", re.compile("Pinned"))


@pytest.mark.browser
@need_chromium
def test_the_councils_and_about_pages_speak_plain_words(visit):
    v = visit()
    for _ in range(20):
        v.button("Step").click()
    v.expect(v.quarter).to_have_text("Quarter 20 of 40")
    v.button("Councils").click()
    v.expect(v.page.get_by_test_id("council-grid")).to_be_attached()
    v.shot("councils")
    v.button("About").click()
    v.expect(v.page.get_by_text("What is it?")).to_be_visible()
    v.shot("about")
    v.open_settings()
    v.page.get_by_text("Advanced: mechanisms, seed, councils").click()
    shown = v.page.locator("body").inner_text()
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown), re.findall(r"\b[a-z]+_[a-z_]+\b", shown)
    for hidden in ("Render Interval", "Use Threads", "PAGE 0"):
        assert hidden not in shown


def test_the_trainers_guide_names_only_what_the_page_shows():
    guide = (ROOT / "docs" / "dashboard.md").read_text()
    switches = {label for label, _ in words.MECHANISM_LABELS.values()}
    shown = set(words.STORY_TITLES.values()) | set(REGIMES.values()) | {
        "Step", "Play", "Pause", "Reset", "Pin", "Unpin", "Story", "Play speed", "Free play",
        "Top row", "Second row", "Presentation page", "Councils page", "About page",
        "Settings panel", "How far councils got, and what stayed", "Gain still there now",
        "Targets met", "Above business as usual", "Speed", "Reveal", "Full screen",
        "Link to this set-up", "PNG", "☰ Settings", "Close",
    }  # fmt: skip
    bold = set(re.findall(r"\*\*(.+?)\*\*", guide))
    assert bold and not bold - shown, f"the guide names what the page does not show: {bold - shown}"
    (tried,) = re.findall(r'under \*Advanced\* \(for example "(.+?)" or "(.+?)"\)', guide, re.S)
    assert {" ".join(t.split()) for t in tried} <= switches, tried


SMALLEST_TEXT_PX = """() => {
  // Smallest rendered text on the page, in CSS pixels: HTML text by its computed size and any
  // scaling transform; chart text by its SVG font size times the chart's displayed scale.
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || !el.offsetParent) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.bottom < 0 || r.top > innerHeight) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const m = new DOMMatrixReadOnly(getComputedStyle(el).transform === 'none' ? undefined
                                    : getComputedStyle(el).transform);
    out.push([size * Math.hypot(m.a, m.b), walker.currentNode.textContent.trim().slice(0, 30)]);
  }
  for (const img of document.querySelectorAll('.lpsa-chart img')) {
    const svg = atob(img.src.split(',')[1] || '');
    const box = /viewBox="[\\d.]+ [\\d.]+ ([\\d.]+)/.exec(svg);
    const sizes = [...svg.matchAll(/font-size: ?([\\d.]+)px/g)].map(x => parseFloat(x[1]));
    if (box && sizes.length)
      out.push([Math.min(...sizes) * img.clientWidth / parseFloat(box[1]), 'chart text']);
  }
  out.sort((a, b) => a[0] - b[0]);
  return out.slice(0, 5);
}"""


CHARTS_DRAWN = """(count) => {
  // The page shows ``count`` charts, each image loaded and laid out.
  const charts = [...document.querySelectorAll('.lpsa-chart img')];
  return charts.length === count && charts.every(img => img.complete && img.clientWidth > 0);
}"""


NORMAL_WINDOWS = {"1024 x 768": (1024, 650), "1280 x 720": (1280, 600)}
"""A projector's screen and the page's room in a normal (not full-screen) browser window on it:
the browser's tabs, address bar and the system's task bar take about 120 px."""

CHARTS_FIT = """() => [...document.querySelectorAll('.lpsa-chart img')].every(
  img => img.getBoundingClientRect().bottom <= innerHeight + 1)"""


@pytest.mark.browser
@need_chromium
@pytest.mark.parametrize("screen", list(NORMAL_WINDOWS))
def test_text_is_legible_from_the_back_of_a_room_in_a_normal_window(visit, screen):
    width, height = NORMAL_WINDOWS[screen]
    v = visit()
    v.page.set_viewport_size({"width": width, "height": height})
    v.choose("Story", words.STORY_TITLES["ppg_vs_reward"])
    for _ in range(20):
        v.button("Step").click()
    v.expect(v.quarter).to_have_text("Quarter 20 of 40")
    v.page.wait_for_function(CHARTS_DRAWN, arg=2)
    smallest = v.page.evaluate(SMALLEST_TEXT_PX)
    assert smallest[0][0] >= 14, smallest
    assert v.page.evaluate(CHARTS_FIT), "the charts' axes run below the window"
    v.button("Councils").click()
    v.expect(v.page.get_by_test_id("council-grid")).to_be_attached()
    v.page.wait_for_function(CHARTS_DRAWN, arg=2)
    smallest = v.page.evaluate(SMALLEST_TEXT_PX)
    assert smallest[0][0] >= 14, smallest
    v.open_settings()
    v.page.get_by_text("Advanced: mechanisms, seed, councils").click()
    first_switch = v.page.get_by_text(words.MECHANISM_LABELS[MECHANISMS[0]][0], exact=True)
    first_switch.scroll_into_view_if_needed()  # the switches and what switching off means
    smallest = v.page.evaluate(SMALLEST_TEXT_PX)
    assert smallest[0][0] >= 14, smallest


PICTURE_JS = """async img => {
    for (let i = 0; i < 100; i++) {
        try {
            await img.decode();
            const c = document.createElement('canvas');
            c.width = img.naturalWidth;
            c.height = img.naturalHeight;
            c.getContext('2d').drawImage(img, 0, 0);
            return c.toDataURL();
        } catch (e) {
            await new Promise(r => setTimeout(r, 100));
        }
    }
    throw new Error('the chart never finished loading: ' + img.src);
}"""
"""A chart image's pixels as the page decoded them (a PNG data URL). The image is read from the
page, not fetched again: a chart's next frame lets go of the blob it replaces, so a second fetch
of it can fail; while a frame is loading, the read waits for it (up to 10 s)."""


def chart_picture(v: Visitor, testid: str) -> str:
    """What a chart's image shows, pixel for pixel."""
    image = v.page.locator(f'.lpsa-chart:has([data-testid="{testid}"]) img')
    return image.evaluate(PICTURE_JS)


@pytest.mark.browser
@need_chromium
def test_opening_the_settings_and_full_screen_mid_run_keeps_the_quarter_and_the_results(visit):
    v = visit()
    for _ in range(6):
        v.button("Step").click()
    v.expect(v.quarter).to_have_text("Quarter 6 of 40")
    v.page.wait_for_function(CHARTS_DRAWN, arg=2)
    picture = chart_picture(v, "performance-chart")
    settings = v.page.get_by_test_id("settings-line").inner_text()
    assert "the scheme's own split" in settings  # the story's exact money split, 0.1204...
    v.open_settings()  # its sliders show the split at their 0.01 step: nothing may change
    v.page.get_by_text("Advanced: mechanisms, seed, councils").click()
    v.page.get_by_role("button", name="Close", exact=True).click()
    v.page.get_by_test_id("fullscreen").click()
    v.button("Councils").click()
    v.button("Presentation").click()
    v.page.wait_for_function(CHARTS_DRAWN, arg=2)
    v.expect(v.quarter).to_have_text("Quarter 6 of 40")
    assert chart_picture(v, "performance-chart") == picture
    assert v.page.get_by_test_id("settings-line").inner_text() == settings
    v.button("Step").click()
    v.expect(v.quarter).to_have_text("Quarter 7 of 40")


@pytest.mark.browser
@need_chromium
def test_at_the_money_stops_pause_nothing_after_it_is_drawn_until_reveal(visit):
    v = visit()
    v.choose("Play speed, quarters", "as fast as it goes")
    v.button("Play").click()  # pauses by itself when the money stops
    v.expect(v.page.get_by_test_id("narration")).to_have_text(words.NARRATION["free_play"]["end"])
    v.expect(v.button("Play")).to_be_enabled()
    paused = v.quarter.inner_text()
    perf = v.page.get_by_test_id("performance-chart")
    # the lines end at the quarter the money stops; no bar, no 'kept' figure, no council
    # told kept or fell back
    last_year = float(perf.get_attribute("data-last-year"))
    assert last_year <= float(perf.get_attribute("data-money-stops-year"))
    assert last_year == int(paused.split()[1]) / 4  # by calendar time: the lines end now
    kept = v.page.get_by_test_id("retained-chart")
    assert kept.get_attribute("data-bars") == "0"
    v.expect(v.page.get_by_test_id("monitor-kept")).to_have_text("?")
    v.shot("money-stops-pause")
    v.button("Reveal").click()
    v.expect(kept).not_to_have_attribute("data-bars", "0")
    v.expect(v.page.get_by_test_id("monitor-kept")).to_have_text(re.compile(r"\d+%"))
    v.expect(v.quarter).to_have_text(paused)  # revealing does not move the run on
    v.expect(v.button("Reveal")).to_have_count(0)


WATCH_QUARTERS = """() => {
  // Every quarter the page shows, in order, as it shows it.
  const el = document.querySelector('[data-testid="quarter"]');
  window.lpsaQuarters = [el.textContent];
  new MutationObserver(() => window.lpsaQuarters.push(el.textContent))
    .observe(el, {childList: true, characterData: true, subtree: true});
}"""


@pytest.mark.browser
@need_chromium
def test_play_as_fast_as_it_goes_shows_every_quarter(visit):
    v = visit()
    v.choose("Play speed, quarters", "as fast as it goes")
    v.page.evaluate(WATCH_QUARTERS)
    v.button("Play").click()  # to the quarter the money stops
    v.expect(v.page.get_by_test_id("narration")).to_have_text(words.NARRATION["free_play"]["end"])
    v.expect(v.button("Play")).to_be_enabled()
    shown = v.page.evaluate("() => window.lpsaQuarters")
    numbers = [int(q.split()[1]) for q in dict.fromkeys(shown)]  # each once, in order
    assert numbers == list(range(numbers[-1] + 1)), shown


@pytest.mark.browser
@need_chromium
def test_space_plays_and_pauses_the_right_arrow_steps_and_r_resets(visit):
    v = visit()
    v.page.keyboard.press("ArrowRight")
    v.expect(v.quarter).to_have_text("Quarter 1 of 40")
    v.page.keyboard.press("ArrowRight")
    v.expect(v.quarter).to_have_text("Quarter 2 of 40")
    v.page.keyboard.press(" ")
    v.expect(v.button("Pause")).to_be_enabled()  # playing
    v.page.keyboard.press(" ")
    v.expect(v.button("Play")).to_be_enabled()  # paused
    v.page.keyboard.press("r")
    v.expect(v.quarter).to_have_text("Quarter 0 of 40")


@pytest.mark.browser
@need_chromium
def test_a_shared_link_reproduces_the_set_up_and_the_pinned_run(visit):
    first = visit()
    first.choose("Story", words.STORY_TITLES["champion_leaves"])
    for _ in range(9):
        first.button("Step").click()
    first.expect(first.quarter).to_have_text("Quarter 9 of 40")
    first.button("Pin").click()
    first.button("Reset").click()
    first.expect(first.quarter).to_have_text("Quarter 0 of 40")
    for _ in range(4):
        first.button("Step").click()
    first.expect(first.quarter).to_have_text("Quarter 4 of 40")
    first.page.wait_for_function(CHARTS_DRAWN, arg=2)
    link = first.page.get_by_test_id("link").evaluate("a => a.href")
    second = visit(link)
    second.expect(second.page.get_by_test_id("settings-line")).to_have_text(
        first.page.get_by_test_id("settings-line").inner_text()
    )
    for _ in range(4):
        second.button("Step").click()
    second.expect(second.quarter).to_have_text("Quarter 4 of 40")
    second.page.wait_for_function(CHARTS_DRAWN, arg=2)
    perf = second.page.get_by_test_id("performance-chart")
    assert "Pinned: Champion leaves, to quarter 9" in perf.get_attribute("data-series")
    assert chart_picture(second, "performance-chart") == chart_picture(first, "performance-chart")


def test_every_registered_outcome_is_tabled_for_each_run_once_it_ends():
    from lpsa.model.outcomes import REGISTRY

    s = run_to_end(Session(Settings.for_story("ppg_vs_reward", **SMALL)))
    table = charts.outcome_table(s.outcomes(), s.labels)
    assert list(table.columns) == ["outcome", *s.labels]
    assert set(table["outcome"]) == {o.label for o in REGISTRY.values()}


def test_the_councils_page_tables_every_outcome_when_the_run_ends(page):
    import ipyvuetify as v

    page.find(v.BtnToggle).widget.v_model = 2  # About: no charts to draw while stepping
    while by_testid(page, "quarter").unsafe_innerHTML != "Quarter 40 of 40":
        click(page, "Step")
    page.find(v.BtnToggle).widget.v_model = 1  # Councils
    assert "Every outcome of this run" in by_testid(page, "outcomes").unsafe_innerHTML


@pytest.mark.slow
def test_the_dashboard_keeps_what_it_imports_out_of_the_garbage_collectors_scans():
    # A full collection over Solara's and the model's objects made some Steps 3x slower.
    code = (
        "import gc, sys; before = gc.get_freeze_count(); import viz.app; "
        "sys.exit(0 if gc.get_freeze_count() - before > 50_000 else 1)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
    )
    assert r.returncode == 0, r.stderr[-500:]
