"""Shared helpers: run a scenario variant over a few seeds and pool its results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.runs import ScenarioResults, run_replications  # noqa: E402
from model import load_scenario  # noqa: E402

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
