"""After the fit: identification and the posterior predictive check of the held-out patterns.

After the fit, ``check_worlds`` worlds drawn from the posterior run ``check_replications`` times
on fresh random numbers (``check_seed``); every pattern is judged on them (posterior predictive
check). As many worlds drawn from the prior run on the same random numbers (prior predictive
check): a held-out pattern that nearly every prior world passes too could not have failed, so its
pass does not test the fit (``CAN_FAIL_SHARE``). The exit status is 0 when every held-out pattern
passes and at least one of them could have failed (or none is held out), 1 otherwise
(``held_out_verdict``). Identification: each parameter's posterior 90 % interval against its
prior's (``identification``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from lpsa.model import Scenario

from .calibrate_setup import CalibrationSettings, finite_mean, pattern_ids
from .formatting import pct
from .patterns import PATTERNS, PatternValues, check_patterns
from .posterior import Posterior
from .uncertainty import Uncertain, evaluate_points, to_points

CAN_FAIL_SHARE = 0.1
"""A held-out pattern tests the fit only when at least this share of the prior's worlds fall
outside its tolerance in the prior predictive check; otherwise a posterior that passes it has
learnt nothing the prior did not already guarantee."""


IDENTIFIED = 0.5


WEAKLY_IDENTIFIED = 0.8
"""Verdicts on the posterior 90 % width over the prior 90 % width: below ``IDENTIFIED``
'identified', below ``WEAKLY_IDENTIFIED`` 'weakly identified', else 'not identified'."""


LOW_ESS_SHARE = 0.2
"""The report cautions when the posterior's effective sample size is below this share of the
population."""


def check_seed(seed: int) -> int:
    """Master seed of the predictive check's runs: random numbers the fit never saw."""
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1, np.uint64)[0]) >> 1


def prior_worlds(params: Sequence[Uncertain], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` points drawn uniformly from the prior's ranges (stream ``[seed, 2]``)."""
    unit = np.random.default_rng(np.random.SeedSequence([int(seed), 2])).random((n, len(params)))
    return to_points(params, unit)


def verdict(ratio: float) -> str:
    """The identification verdict of a posterior-over-prior width ``ratio``."""
    if ratio < IDENTIFIED:
        return "identified"
    if ratio < WEAKLY_IDENTIFIED:
        return "weakly identified"
    return "not identified"


def identification(posterior: Posterior, params: Sequence[Uncertain]) -> pd.DataFrame:
    """Per parameter: prior range, posterior weighted median and 5-95 % interval, the width
    ratio (posterior 90 % width over prior 90 % width) and its verdict, with the reason."""
    q05, q50, q95 = (posterior.quantiles(q) for q in (0.05, 0.5, 0.95))
    rows = []
    for p in params:
        ratio = (q95[p.path] - q05[p.path]) / (0.9 * (p.high - p.low))
        rows.append(
            {
                "parameter": p.path,
                "prior_low": p.low,
                "prior_high": p.high,
                "posterior_median": q50[p.path],
                "posterior_5": q05[p.path],
                "posterior_95": q95[p.path],
                "width_ratio": float(ratio),
                "verdict": verdict(ratio),
                "reason": p.reason,
            }
        )
    return pd.DataFrame(rows)


def _world_means(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per world (``point``): each pattern's mean statistic over the world's runs."""
    return runs.groupby("point")[pattern_ids()].agg(finite_mean)


def predictive_check(
    runs: pd.DataFrame, held_out: Iterable[str], prior_runs: pd.DataFrame
) -> pd.DataFrame:
    """Judge every pattern on posterior worlds: ``runs`` has one row per run with columns
    ``point`` (the world) and one per pattern id. Per pattern: median and 5-95 % interval of the
    worlds' mean statistic, the share of worlds within tolerance, and ``check_patterns`` on the
    pooled per-run values (mean, 95 % bootstrap interval, passed). ``prior_runs``, the same for
    worlds drawn from the prior, gives the share of the prior's worlds within tolerance and
    whether the pattern could fail (``CAN_FAIL_SHARE``)."""
    held = set(held_out)
    worlds, prior = _world_means(runs), _world_means(prior_runs)
    pooled = check_patterns({p.id: runs[p.id].tolist() for p in PATTERNS}).set_index("pattern")
    rows = []
    for p in PATTERNS:
        w = worlds[p.id].to_numpy(dtype=float)
        finite = w[np.isfinite(w)]
        q = np.quantile(finite, [0.05, 0.5, 0.95]) if finite.size else [np.nan] * 3
        prior_within = np.array([p.within(v) for v in prior[p.id]])
        rows.append(
            {
                "pattern": p.id,
                "role": "held out" if p.id in held else "fitted",
                "emergent": p.emergent,
                "kind": p.kind,
                "evidence": p.evidence,
                "tolerance": pooled.loc[p.id, "tolerance"],
                "median": float(q[1]),
                "interval_5": float(q[0]),
                "interval_95": float(q[2]),
                "share_within": float(np.mean([p.within(v) for v in w])),
                "prior_share_within": float(prior_within.mean()),
                "can_fail": bool((~prior_within).mean() >= CAN_FAIL_SHARE),
                "pooled_mean": float(pooled.loc[p.id, "model"]),
                "pooled_ci_low": float(pooled.loc[p.id, "ci_low"]),
                "pooled_ci_high": float(pooled.loc[p.id, "ci_high"]),
                "passed": bool(pooled.loc[p.id, "passed"]),
            }
        )
    return pd.DataFrame(rows)


def prior_shares(rows: pd.DataFrame) -> str:
    """'P4 100 %, P6 98 %': each pattern's share of the prior's worlds within tolerance."""
    return ", ".join(f"{r.pattern} {pct(r.prior_share_within)}" for r in rows.itertuples())


def held_out_verdict(check: pd.DataFrame) -> tuple[int, str]:
    """The exit status and its one-line reason. 0: every held-out pattern passes the posterior
    predictive check and at least one of them could have failed (``can_fail``), or nothing is
    held out; 1: a held-out pattern fails, or none of them could have failed."""
    held = check[check["role"] == "held out"]
    if held.empty:
        return 0, "no pattern held out: the fit is not tested out of sample"
    failed = held.loc[~held["passed"], "pattern"].tolist()
    if failed:
        return 1, f"held-out patterns fail the posterior predictive check: {', '.join(failed)}"
    ids = ", ".join(held["pattern"])
    if not held["can_fail"].any():
        could = check.loc[check["can_fail"], "pattern"].tolist()
        return 1, (
            f"held-out patterns {ids} pass, but the prior's worlds pass them too "
            f"({prior_shares(held)}): the check could not fail, so it does not test the fit; "
            "hold out patterns the prior fails"
            + (f" ({', '.join(could)})" if could else " (no pattern is one)")
        )
    return 0, f"held-out patterns pass the posterior predictive check: {ids}"


def check_runs(
    base: Scenario,
    posterior: Posterior,
    params: Sequence[Uncertain],
    settings: CalibrationSettings,
    measure: PatternValues,
    executor: Executor | None,
    progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictive check's runs: ``settings.check_worlds`` worlds drawn from the posterior and
    as many from the prior (``prior_worlds``), each ``settings.check_replications`` times on the
    same fresh random numbers (``check_seed``), measured by ``measure``; one row per run each."""
    worlds = posterior.worlds(settings.check_worlds, settings.seed)
    points = [{k: float(row[k]) for k in posterior.parameters} for _, row in worlds.iterrows()]
    prior = prior_worlds(params, settings.check_worlds, settings.seed)
    posterior_runs, prior_runs = (
        evaluate_points(
            base,
            worlds_of,
            settings.check_replications,
            check_seed(settings.seed),
            measure,
            executor,
            progress=label if progress else None,
        )
        for worlds_of, label in ((points, "check"), (prior, "prior"))
    )
    return posterior_runs, prior_runs
