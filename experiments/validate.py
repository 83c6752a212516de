"""Validation: a scenario's runs judged on the evaluation's patterns P1-P8 (``patterns.py``).

Every replication's pattern statistics (``pattern_runs``); each pattern judged on their mean over
replications with a 95 % bootstrap interval, and the interim forecast (P1a-c) also under each trend
margin of ``FORECAST_MARGINS`` (``evaluate``). Pure: the report is ``validate_report.py``, the
command ``lpsa validate`` ``validate_command.py``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

import pandas as pd

from lpsa.model import Scenario

from .patterns import (
    FORECAST,
    FORECAST_MARGINS,
    OBSERVATIONS,
    P1,
    PATTERNS,
    ForecastRule,
    PatternValues,
    check_patterns,
)
from .runner import require_success, run_table, single


def pattern_runs(
    scenario: Scenario,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    progress: bool = True,
    rule: ForecastRule = FORECAST,
) -> pd.DataFrame:
    """Run the scenario: one row per replication with every pattern's statistic, the interim
    forecast judged by ``rule`` and also at each of ``FORECAST_MARGINS``."""
    return require_success(
        run_table(
            single(scenario, replications, seed),
            PatternValues(rule, FORECAST_MARGINS),
            executor,
            progress="validate" if progress else None,
        )
    )


def evaluate(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judge ``pattern_runs``: one row per pattern; and the interim forecast under each of
    ``FORECAST_MARGINS`` (``forecast_margins``)."""
    table = check_patterns(
        {p.id: runs[p.id].tolist() for p in PATTERNS + OBSERVATIONS}, PATTERNS + OBSERVATIONS
    )
    return table, forecast_margins(runs)


def forecast_margins(runs: pd.DataFrame) -> pd.DataFrame:
    """P1a-c judged as ``check_patterns`` judges them under each of ``FORECAST_MARGINS``, from
    the ``P1a@<margin>`` columns of ``PatternValues``: one row per margin, each share's mean and
    whether it passes."""
    rows = []
    for margin in FORECAST_MARGINS:
        checks = check_patterns({p.id: runs[f"{p.id}@{margin:g}"].tolist() for p in P1}, P1)
        row: dict[str, Any] = {"margin": margin}
        for _, c in checks.iterrows():
            row[c["pattern"]] = c["model"]
            row[f"{c['pattern']}_pass"] = bool(c["passed"])
        rows.append(row)
    return pd.DataFrame(rows)
