"""Can the patterns tell the model from its rivals? (``lpsa validate --discriminate``)

A validation that every variant passes is no evidence. Here every mechanism is switched off alone,
and every theory-of-change variant (``experiments/theory_of_change.yaml``) is run, on the same
seeds as the reference, and each is judged on every pattern of ``experiments/patterns.py``. A
variant is *rejected* when it fails at least one emergent pattern; failing only input checks shows
that a parameter is wired in, not that the evidence rejects the variant; passing everything means
no pattern in the evidence can reject it, which is a finding in its own right.

``discriminate`` returns one row per variant: per pattern its statistic and pass/fail, the
emergent patterns and input checks failed, the verdict. The report (``discrimination.csv`` and
``discrimination.md``) is ``discrimination_report.py``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd

from lpsa.model import Scenario
from lpsa.model.scenario import Mechanisms

from .design import Experiment
from .patterns import FORECAST, PATTERNS, ForecastRule, PatternValues, check_patterns
from .runner import Design, Point, require_success, run_table

TOC_FILE = Path(__file__).resolve().parent / "theory_of_change.yaml"


REJECTED_BY_EVIDENCE = {
    "H0_null": (
        "authorities with an LPSA target on exam results improved more than those without "
        "(Boyne and Chen 2007, RECORDS.md)"
    ),
    "H1_will_and_reward": (
        "the evaluation found the barriers 'much more varied and complex' than will (001:87-89)"
    ),
}
"""Theory-of-change variants that the evaluation's text rejects outright, with the reason. Every
mechanism-off variant drops a mechanism the evidence describes (its docstring cites where)."""


def variants(scenario: Scenario, toc_file: Path = TOC_FILE) -> list[dict[str, Any]]:
    """The reference, each mechanism that is on switched off alone, and each theory-of-change
    variant (other than its reference): name, kind, description, overrides."""
    out: list[dict[str, Any]] = [
        {"variant": "reference", "kind": "reference", "description": scenario.name, "overrides": {}}
    ]
    fields = Mechanisms.model_fields
    for name, on in scenario.mechanisms.model_dump().items():
        if on:
            out.append(
                {
                    "variant": f"{name} off",
                    "kind": "mechanism off",
                    "description": fields[name].description or "",
                    "overrides": {"mechanisms": {name: False}},
                }
            )
    spec = Experiment(toc_file).spec
    for v in spec.variants:
        if v.name != spec.reference:
            out.append(
                {
                    "variant": v.name,
                    "kind": "theory of change",
                    "description": " ".join(v.description.split()),
                    "overrides": v.overrides,
                }
            )
    return out


def discriminate(
    scenario: Scenario,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    progress: bool = True,
    toc_file: Path = TOC_FILE,
    rule: ForecastRule = FORECAST,
    reference_runs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Run every variant on common seeds and judge it on every pattern, the interim forecast by
    ``rule``; one row per variant. ``reference_runs``, the scenario's own runs on the same seeds
    (``validate.pattern_runs``), stand for the reference instead of running it again."""
    vs = variants(scenario, toc_file)
    todo = vs if reference_runs is None else vs[1:]  # vs[0] is the reference, as it is
    design = Design(
        {"base": scenario},
        [Point(params=v["overrides"], name=v["variant"]) for v in todo],
        replications,
        seed,
    )
    runs = require_success(
        run_table(
            design, PatternValues(rule), executor, progress="discriminate" if progress else None
        )
    )
    if reference_runs is not None:
        runs = pd.concat(
            [reference_runs.assign(point=0), runs.assign(point=runs["point"] + 1)],
            ignore_index=True,
        )
    return judge(vs, runs)


def judge(vs: list[dict[str, Any]], runs: pd.DataFrame) -> pd.DataFrame:
    """One row per variant from the per-run pattern statistics (a ``point`` column in the order of
    ``vs``): each pattern's mean and pass/fail, what failed, and the verdict."""
    rows = []
    for i, v in enumerate(vs):
        group = runs[runs["point"] == i]
        checks = check_patterns({p.id: group[p.id].to_numpy() for p in PATTERNS})
        failed = checks.loc[~checks["passed"], "pattern"].tolist()
        emergent = [p.id for p in PATTERNS if p.emergent and p.id in failed]
        inputs = [p.id for p in PATTERNS if not p.emergent and p.id in failed]
        verdict = "rejected" if emergent else ("input" if inputs else "none")
        row: dict[str, Any] = {
            "variant": v["variant"],
            "kind": v["kind"],
            "emergent_failed": " ".join(emergent),
            "input_checks_failed": " ".join(inputs),
            "verdict": verdict,
            "evidence_rejects": REJECTED_BY_EVIDENCE.get(v["variant"], ""),
        }
        for p, (_, c) in zip(PATTERNS, checks.iterrows()):
            row[p.id] = c["model"]
            row[f"{p.id}_pass"] = bool(c["passed"])
        row["description"] = v["description"]
        rows.append(row)
    return pd.DataFrame(rows)
