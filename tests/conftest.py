"""Shared helpers: run a scenario variant over a few seeds and pool its results."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli_helpers import Finished, in_process  # noqa: E402

from lpsa.experiments.runs import ScenarioResults, run_replications  # noqa: E402
from lpsa.model import LPSAModel, load_scenario  # noqa: E402

SEEDS = 6


def run_variant(
    overrides: dict[str, Any] | None = None,
    replications: int = SEEDS,
    seed: int = 7,
    base: str = "lpsa1_baseline",
    twins: bool = False,
) -> ScenarioResults:
    """Run ``replications`` of the baseline with ``overrides`` on common random numbers."""
    return run_replications(load_scenario(base, overrides), replications, seed, twins=twins)


@pytest.fixture(scope="session")
def baseline() -> ScenarioResults:
    return run_variant()


@pytest.fixture
def models_made(monkeypatch) -> Iterator[list[weakref.ref]]:
    """Weak references to every model built during the test, with the cyclic garbage collector
    off: a model still alive at the end is kept by something, or waits for the collector."""
    made: list[weakref.ref] = []
    build = LPSAModel.__init__

    def tracked(self: LPSAModel, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(LPSAModel, "__init__", tracked)
    gc.collect()
    gc.disable()
    try:
        yield made
    finally:
        gc.enable()


@pytest.fixture
def lpsa(capsys, monkeypatch, tmp_path) -> Callable[..., Finished]:
    """``lpsa ARGS`` in this process, from this test's tmp_path (see ``cli_helpers.in_process``):
    for refusals and usage messages, which come before anything runs."""
    monkeypatch.chdir(tmp_path)

    def lpsa(*args: str) -> Finished:
        return in_process(args, capsys, monkeypatch)

    return lpsa
