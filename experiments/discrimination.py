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

from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import Scenario
from lpsa.model.scenario import Mechanisms

from .calibrate_setup import pattern_distance
from .design import Experiment
from .patterns import (
    FORECAST,
    PATTERNS,
    TWIN_PATTERNS,
    ForecastRule,
    PatternValues,
    check_patterns,
)
from .runner import Design, Point, require_success, run_table
from .uncertainty import load_uncertain

TOC_FILE = Path(__file__).resolve().parent / "theory_of_change.yaml"


WILL_IS_THE_BARRIER = "capacity_constraint off"
"""Government's implicit assumption on its own (001:87): capacity and resources do not limit
effort, only will does. H1 adds that will is low and reward buys it."""

REJECTED_BY_EVIDENCE = {
    "H0_null": (
        "authorities with an LPSA target on exam results improved more than those without "
        "(Boyne and Chen 2007, RECORDS.md)"
    ),
    "H1_will_and_reward": (
        "the evaluation found the barriers 'much more varied and complex' than will (001:87-89)"
    ),
    WILL_IS_THE_BARRIER: (
        "the barriers included 'the lack of opportunity to think about new approaches and a lack "
        "of resources' (001:89), not will alone (001:87)"
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


REFIT_THEORIES = ("H0_null", "H1_will_and_reward", WILL_IS_THE_BARRIER)
"""Theories judged at their own best parameters (``refit``): the null, the government's, and will
is the barrier (a mechanism-off variant of ``variants``)."""

REFIT_WORLDS = 200
"""Worlds drawn from the prior for each theory's re-fit."""

REFIT_BEST = 20
"""The theory's best-fitting worlds kept (rejection ABC at a 10 % quantile)."""


def independent_key(pattern_id: str) -> str:
    """The independent piece of evidence a pattern belongs to: parts of one statement share a
    key (the interim forecast's three shares; P3a/b and P7a/b, each one sentence; Salford's split;
    the reward shares of York, Bath and North East Somerset and the typical council read from
    them, which are the same councils' figures)."""
    if pattern_id.startswith("R-"):
        if pattern_id == "R-boyne_chen":
            return pattern_id
        if "reward_share" in pattern_id:
            return "R-reward_shares"
        return pattern_id.rsplit("-", 1)[0] if "end_split" in pattern_id else pattern_id
    p = next(p for p in PATTERNS if p.id == pattern_id)
    return p.group or pattern_id.rstrip("ab")


def refit(
    scenario: Scenario,
    theories: Sequence[str] = REFIT_THEORIES,
    worlds: int = REFIT_WORLDS,
    best: int = REFIT_BEST,
    replications: int = 2,
    seed: int = 0,
    executor: Executor | None = None,
    progress: bool = True,
    toc_file: Path = TOC_FILE,
    rule: ForecastRule = FORECAST,
) -> pd.DataFrame:
    """Each theory (and the reference) at its own best parameters: ``worlds`` points drawn from
    the prior of ``experiments/uncertain_parameters.yaml`` (the same points for every theory, a
    Latin hypercube from stream ``[seed, 5]``), each run with the theory's overrides; the
    ``best`` worlds nearest the evidence (``calibrate_setup.pattern_distance`` over every judged
    pattern) are the theory's re-fitted parameters (rejection ABC). A pattern *rejects* the
    theory when its mean over those worlds lies outside its tolerance and it fails in most of
    them. A pattern that rejects the re-fitted reference too cannot tell the theory from it: it
    is listed (``also_rejects_reference``) but does not count. One row per theory: the distance of
    its best worlds, the patterns that reject it, the independent pieces of evidence
    (``independent_key``) among those that do not reject the reference, and each pattern's share
    of best worlds within tolerance."""
    _, params = load_uncertain()
    spec = Experiment(toc_file).spec
    overrides_of = {v["variant"]: v["overrides"] for v in variants(scenario, toc_file)}
    overrides_of[spec.reference] = next(
        v.overrides for v in spec.variants if v.name == spec.reference
    )
    names = [spec.reference, *theories]
    missing = [n for n in names if n not in overrides_of]
    if missing:
        raise ValueError(
            f"no variant named {missing[0]!r} to re-fit (variants: {list(overrides_of)})"
        )
    u = np.random.default_rng([seed, 5]).random((worlds, len(params)))
    order = np.argsort(np.random.default_rng([seed, 6]).random((worlds, len(params))), 0)
    draws = [
        {p.path: p.low + (p.high - p.low) * float(x) / worlds for p, x in zip(params, row)}
        for row in order + u
    ]
    points = []
    for name in names:
        overrides = overrides_of[name]
        fixed = {
            f"{s}.{k}"
            for s, section in overrides.items()
            if isinstance(section, dict)
            for k in section
        }
        for d in draws:
            kept = {k: v for k, v in d.items() if k not in fixed}
            points.append(Point(params={**overrides, **kept}, name=name))
    design = Design({"base": scenario}, points, replications, seed, twins=True)
    runs = require_success(
        run_table(design, PatternValues(rule), executor, progress="refit" if progress else None)
    )
    ids = [p.id for p in PATTERNS]
    judged = PATTERNS + TWIN_PATTERNS
    means = runs.groupby("point")[[p.id for p in judged]].mean()
    rows = []
    reference_rejected: list[str] = []
    for k, name in enumerate(names):
        world = means.iloc[k * worlds : (k + 1) * worlds]
        distance = np.array([pattern_distance(r, ids) for r in world.to_dict("records")])
        top = world.iloc[np.argsort(distance, kind="stable")[:best]]
        within = {p.id: np.mean([p.within(v) for v in top[p.id]]) for p in judged}
        rejecting = [
            p.id for p in judged if not p.within(float(top[p.id].mean())) and within[p.id] < 0.5
        ]
        if k == 0:
            reference_rejected = rejecting
        shared = [p for p in rejecting if k and p in reference_rejected]
        telling = [p for p in rejecting if p not in shared]
        row: dict[str, Any] = {
            "theory": name,
            "best_distance": float(np.sort(distance)[:best].mean()),
            "rejected_by": " ".join(rejecting),
            "also_rejects_reference": " ".join(shared),
            "independent": " ".join(dict.fromkeys(independent_key(p) for p in telling)),
        }
        row.update({f"{pid}_within": share for pid, share in within.items()})
        rows.append(row)
    return pd.DataFrame(rows)
