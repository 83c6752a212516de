"""Validation: a scenario's runs judged on the evaluation's patterns P1-P8 (``patterns.py``).

Every replication's pattern statistics (``pattern_runs``); each pattern judged on their mean over
replications with a 95 % bootstrap interval, and the interim forecast (P1a-c) also under each trend
margin of ``FORECAST_MARGINS`` (``evaluate``). Pure: the report is ``validate_report.py``, the
command ``lpsa validate`` ``validate_command.py``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import Scenario

from .calibrate_checks import CAN_FAIL_SHARE
from .patterns import (
    FORECAST,
    FORECAST_MARGINS,
    OBSERVATIONS,
    P1,
    PATTERNS,
    TWIN_PATTERNS,
    ForecastRule,
    PatternValues,
    check_patterns,
)
from .runner import require_success, run_table, single
from .uncertainty import evaluate_points, load_uncertain

PRIOR_WORLDS = 20
"""Worlds drawn from the prior for ``prior_pass_shares`` by default."""


def pattern_runs(
    scenario: Scenario,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    progress: bool = True,
    rule: ForecastRule = FORECAST,
) -> pd.DataFrame:
    """Run the scenario, each replication with its no-agreement twin: one row per replication with
    every pattern's statistic (``TWIN_PATTERNS`` included), the interim forecast judged by
    ``rule`` and also at each of ``FORECAST_MARGINS``."""
    return require_success(
        run_table(
            single(scenario, replications, seed, twins=True),
            PatternValues(rule, FORECAST_MARGINS),
            executor,
            progress="validate" if progress else None,
        )
    )


def evaluate(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judge ``pattern_runs``: one row per pattern; and the interim forecast under each of
    ``FORECAST_MARGINS`` (``forecast_margins``)."""
    judged = PATTERNS + TWIN_PATTERNS + OBSERVATIONS
    table = check_patterns({p.id: runs[p.id].tolist() for p in judged}, judged)
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


def prior_pass_shares(
    scenario: Scenario,
    worlds: int,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    progress: bool = True,
    rule: ForecastRule = FORECAST,
) -> pd.DataFrame:
    """Can each pattern fail? ``worlds`` points drawn uniformly from the prior of
    ``experiments/uncertain_parameters.yaml`` (Latin hypercube, stream ``[seed, 3]``), each run
    ``replications`` times on ``scenario``; per judged pattern, the share of worlds whose mean
    statistic lies within tolerance (``Pattern.within``). A pattern that every plausible world
    passes discriminates nothing, whatever the model does: the report says so."""
    _, params = load_uncertain()
    u = np.random.default_rng([seed, 3]).random((worlds, len(params)))
    strata = np.argsort(np.random.default_rng([seed, 4]).random((worlds, len(params))), 0) + u
    points = [
        {p.path: p.low + (p.high - p.low) * float(x) / worlds for p, x in zip(params, row)}
        for row in strata
    ]
    runs = evaluate_points(
        scenario,
        points,
        replications,
        seed,
        PatternValues(rule),
        executor,
        progress="prior worlds" if progress else None,
        twins=True,
    )
    judged = PATTERNS + TWIN_PATTERNS
    means = runs.groupby("point")[[p.id for p in judged]].mean()
    return pd.DataFrame(
        {
            "pattern": [p.id for p in judged],
            "prior_share_within": [
                float(np.mean([p.within(v) for v in means[p.id]])) for p in judged
            ],
        }
    )


def pattern_power(
    table: pd.DataFrame, prior: pd.DataFrame | None = None, verdicts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """What each judged pattern can tell, one row per pattern of ``evaluate``'s table: its role
    (emergent or input check), whether it is a seed's pattern or a council's record, the share of
    prior worlds within tolerance and whether it can fail across the prior (at least
    ``CAN_FAIL_SHARE`` of those worlds outside; unknown without ``prior_pass_shares``), and the
    rival variants it rejects (``discrimination.discriminate``'s table, when given)."""
    rows = []
    shares = {} if prior is None else dict(zip(prior["pattern"], prior["prior_share_within"]))
    for _, r in table[~table["role"].isin(["observation", "expectation"])].iterrows():
        pid = r["pattern"]
        share = shares.get(pid, float("nan"))
        rejects = ""
        if verdicts is not None and f"{pid}_pass" in verdicts:
            rivals = verdicts[(verdicts["kind"] != "reference") & ~verdicts[f"{pid}_pass"]]
            rejects = ", ".join(rivals["variant"])
        rows.append(
            {
                "pattern": pid,
                "role": r["role"],
                "evidence_kind": "record" if pid.startswith("R-") else "seed",
                "prior_share_within": share,
                "can_fail": None if np.isnan(share) else bool(1.0 - share >= CAN_FAIL_SHARE),
                "rejects": rejects,
            }
        )
    return pd.DataFrame(rows)
