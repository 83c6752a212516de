"""The trainers' dashboard: model wiring without a browser, then end to end in headless Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from model.targets import MORE_OF_SAME
from viz import charts
from viz.serve import server_command, server_env
from viz.wiring import (
    MECHANISMS,
    SLIDERS,
    STORIES,
    DashboardModel,
    dashboard_overrides,
    model_params,
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_sliders_at_their_default_keep_the_presets_values():
    assert dashboard_overrides() == {}
    moved = dashboard_overrides(ppg_share=0.5, stretch_ambition=1.0)
    assert moved == {"funding": {"ppg_share": 0.5}}


def test_switched_off_mechanisms_and_stories_become_scenario_overrides():
    o = dashboard_overrides("priorities_shift", {"late_start": False, "partnerships": True})
    assert o["mechanisms"] == {"late_start": False}
    assert (
        o["departments"]["priority_shift_rate"]
        == STORIES["priorities_shift"].overrides["departments"]["priority_shift_rate"]
    )
    with pytest.raises(ValueError, match="unknown story"):
        dashboard_overrides("no_such_story")


def test_every_control_is_offered_once():
    params = model_params()
    assert set(SLIDERS) | set(MECHANISMS) | {"preset", "story", "n_authorities", "seed"} == set(
        params
    )


def test_dashboard_model_maps_controls_onto_the_scenario():
    m = DashboardModel(ppg_share=0.6, late_start=False, n_authorities=40, seed=3)
    assert m.params.funding.ppg_share == 0.6 and not m.params.mechanisms.late_start
    assert m.targets.shape[0] == 40


@pytest.mark.parametrize("story", list(STORIES))
def test_every_story_loads_and_runs_with_its_charts(story):
    m = DashboardModel(story=story, n_authorities=60)
    assert STORIES[story].explanation
    for _ in range(14):
        m.step()
    traj = charts.trajectory(m)
    assert len(traj) > 0 and traj["reported"].notna().any()
    assert charts.council_status(m).shape == (60,)
    m.run()
    shares, label = charts.attainment_by_area(m)
    assert label == "assessed agreements" and np.allclose(shares.sum(axis=1), 1.0)
    assert len(charts.retained_now(m)) > 0


def test_the_priority_shift_story_hurts_partnership_targets():
    calm = DashboardModel(n_authorities=130, seed=4).run()
    shifting = DashboardModel(story="priorities_shift", n_authorities=130, seed=4).run()
    pship = calm.targets.traits.partnership & calm.councils.signed[:, None]
    assert (
        shifting.targets.end.measured[pship].mean() < calm.targets.end.measured[pship].mean() - 0.05
    )


@pytest.mark.slow
def test_the_cash_strapped_story_does_more_of_the_same():
    free = DashboardModel(seed=5).run()
    poor = DashboardModel(story="cash_strapped_more_of_the_same", seed=5).run()
    poor_share = (poor.targets.plan.approach == MORE_OF_SAME).mean()
    assert poor_share > (free.targets.plan.approach == MORE_OF_SAME).mean() + 0.15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url():
    port = _free_port()
    proc = subprocess.Popen(
        server_command("127.0.0.1", port),
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(
                        "the dashboard server did not start; try: "
                        f"{' '.join(server_command('127.0.0.1', port))}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)


@pytest.mark.browser
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (tasks.py test installs it)",
)
def test_dashboard_in_a_real_browser(dashboard_url):
    from playwright.sync_api import expect, sync_playwright

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(dashboard_url, timeout=60_000)
        expect(page.get_by_text("Where we are")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Quarter 0 of")).to_be_visible()
        chart = page.locator("img").first
        expect(chart).to_be_visible(timeout=30_000)

        # A control changes: pick a story and switch a mechanism off, then Reset to apply them.
        page.get_by_text("Story", exact=True).locator("xpath=..").click()
        page.get_by_role("option", name="priorities_shift").click()
        page.get_by_text("mechanism: late start").click()
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.get_by_text("Central priorities shifting mid-agreement")).to_be_visible(
            timeout=30_000
        )

        before = chart.get_attribute("src")
        page.get_by_role("button", name="Step", exact=True).click()
        expect(page.get_by_text("Quarter 1 of")).to_be_visible(timeout=30_000)

        page.get_by_role("button", name="▶", exact=True).click()  # play
        expect(page.get_by_text("Quarter 6 of")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="❚❚", exact=True).click()  # pause
        expect(page.get_by_text("implementation: 0 |")).not_to_be_visible()
        assert chart.get_attribute("src") != before, (
            "the performance chart did not change as the model ran"
        )
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        browser.close()


def test_mesas_own_scenario_keyword_is_ignored():
    m = DashboardModel(seed=3, n_authorities=20, scenario=object())
    assert m.targets.shape[0] == 20
