"""calibration.md and the calibration's tables: the fit (``posterior.csv``, ``generations.csv``,
``identification.csv``), the predictive check (``predictive_check.csv``) and the report (headline,
method, generations, identification, predictive check)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from lpsa.model import Scenario

from . import io
from .calibrate_checks import (
    CAN_FAIL_SHARE,
    IDENTIFIED,
    LOW_ESS_SHARE,
    WEAKLY_IDENTIFIED,
    held_out_verdict,
    prior_shares,
)
from .calibrate_setup import (
    CORE_WIDEN,
    NAN_DISTANCE,
    TAIL_SHARE,
    TAIL_WIDEN,
    CalibrationSettings,
)
from .design import shown_path
from .formatting import fixed, pct, significant, span
from .patterns import ForecastRule, describe_rule
from .posterior import Posterior, save_posterior


def headline(ident: pd.DataFrame, check: pd.DataFrame, ess: float, population: int) -> list[str]:
    """The report's opening lines: identification, the held-out patterns, the fitted ones, and a
    caution when the posterior rests on few effective particles."""
    counts = ident["verdict"].value_counts()
    _, verdict_line = held_out_verdict(check)
    held = check[check["role"] == "held out"]
    fitted = check[check["role"] == "fitted"]
    fitted_failed = fitted.loc[~fitted["passed"], "pattern"].tolist()
    constraining = fitted.loc[fitted["can_fail"], "pattern"].tolist()
    lines = [
        f"**{counts.get('identified', 0)} of {len(ident)} parameters identified**, "
        f"{counts.get('weakly identified', 0)} weakly identified, "
        f"{counts.get('not identified', 0)} not identified by the fitted patterns.",
        "",
        f"**{verdict_line[0].upper()}{verdict_line[1:]}.**"
        + (
            f" Share of the prior's worlds within tolerance (a check could fail, and so tests "
            f"the fit, only at {pct(1 - CAN_FAIL_SHARE)} or less): {prior_shares(held)}."
            if len(held)
            else ""
        ),
        "",
        f"Fitted patterns: {len(fitted) - len(fitted_failed)} of {len(fitted)} pass in the "
        "posterior predictive check"
        + (f" (failing: {', '.join(fitted_failed)})." if fitted_failed else ".")
        + " Of them, "
        + (
            f"only {', '.join(constraining)} fail in {pct(CAN_FAIL_SHARE)} or more of the "
            "prior's worlds; the others"
            if constraining
            else f"none fails in {pct(CAN_FAIL_SHARE)} or more of the prior's worlds: all"
        )
        + " hold across the prior and constrain the fit only through their distance from the"
        " evidence's target (level patterns) or not at all (direction patterns).",
    ]
    if ess < LOW_ESS_SHARE * population:
        lines += [
            "",
            f"**Caution: the posterior rests on {ess:.0f} effective particles of {population}.** "
            "Its intervals, and so the verdicts, are rough; a larger `--population` sharpens "
            "them.",
        ]
    return lines


def method_text(opts: CalibrationSettings, fitted: Sequence[str], held: Sequence[str]) -> str:
    """The report's method section for ``opts``, the fitted and the held-out patterns."""
    proposal = (
        "a normal with the last population's weighted mean and covariance, each principal "
        f"variance times {CORE_WIDEN:g} and at most the prior's; {pct(TAIL_SHARE)} of proposals "
        f"from the same normal with variances times {TAIL_WIDEN:g}"
    )
    return f"""\
ABC-SMC (approximate Bayesian computation by sequential Monte Carlo, pyabc {pyabc.__version__}).

- *Prior*: each uncertain parameter uniform over its range in `{shown_path(opts.parameters)}`.
- *Simulation*: a candidate parameter set (a particle) runs {opts.replications} times on common
  random numbers; its statistics are the mean pattern statistics of `experiments/patterns.py`.
- *Distance*: the root mean square of the fitted patterns' standardised distances from the
  evidence ({", ".join(fitted)}): a level pattern's distance from its target in half-bands (from
  its band where the evidence names no figure: P4), a direction pattern's shortfall below its
  bound in units of 0.05; the interim forecast's three shares, which sum to one, count as two
  patterns; an undefined statistic counts {NAN_DISTANCE:g}.
- *Populations*: {opts.population} particles each. A prior sample sets the first epsilon; each
  generation proposes particles ({proposal}; on the probit scale of each range, where the prior
  is a standard normal), accepts those closer than epsilon, and weights them by prior density
  over proposal density. The next epsilon is the median distance of the accepted. The run
  stops after {opts.generations} generations, at epsilon {opts.min_epsilon:g}, or once
  {opts.max_simulations:,} particles have been simulated, whichever comes first; the last
  population, with its weights, is the posterior ensemble.
- *Held-out patterns* ({", ".join(held) or "none"}) never enter the distance. They are judged
  afterwards by posterior prediction: {opts.check_worlds} worlds drawn from the posterior, each run
  {opts.check_replications} times on random numbers the fit did not see; a pattern passes as in
  `lpsa validate`, on the pooled runs (level: the mean inside the band; direction: the whole
  95 % bootstrap interval above the bound). The shares of the interim forecast (P1a-c) sum to
  one: they are held out together or not at all, and in the distance count as two patterns.
- *Could the check fail?* {opts.check_worlds} worlds drawn from the prior run on the same random
  numbers. A held-out pattern that at least {pct(1 - CAN_FAIL_SHARE)} of them pass too could not
  have failed, and its pass says nothing about the fit; the check counts only when some held-out
  pattern could fail.
- *Identification*: a parameter is identified when its posterior 90 % interval is less than
  {IDENTIFIED:g} times as wide as its prior's, weakly identified below {WEAKLY_IDENTIFIED:g},
  otherwise not identified."""


def generations_view(gens: pd.DataFrame) -> pd.DataFrame:
    """``generations`` as the report shows it."""
    prior = gens["generation"] < 0
    return pd.DataFrame(
        {
            "generation": np.where(prior, "prior sample", gens["generation"].astype(str)),
            "epsilon": np.where(prior, "(sets the first)", gens["epsilon"].map(significant)),
            "simulations": gens["simulations"],
            "accepted": gens["accepted"],
            "acceptance": gens["acceptance"].map(pct),
            "effective sample size": gens["effective_size"].map(lambda e: fixed(e, 0)),
        }
    )


def identification_view(ident: pd.DataFrame) -> pd.DataFrame:
    """``identification`` as the report shows it."""
    return pd.DataFrame(
        {
            "parameter": ident["parameter"],
            "prior": [span(lo, hi) for lo, hi in zip(ident["prior_low"], ident["prior_high"])],
            "posterior median": ident["posterior_median"].map(significant),
            "posterior 90% interval": [
                span(lo, hi) for lo, hi in zip(ident["posterior_5"], ident["posterior_95"])
            ],
            "width vs prior": ident["width_ratio"].map(lambda r: fixed(r, 2)),
            "verdict": ident["verdict"],
            "reason": ident["reason"],
        }
    )


def check_view(check: pd.DataFrame) -> pd.DataFrame:
    """``predictive_check`` as the report shows it."""
    return pd.DataFrame(
        {
            "pattern": check["pattern"],
            "role": check["role"],
            "checks": np.where(check["emergent"], "emergent", "input check"),
            "evidence": check["evidence"],
            "tolerance": check["tolerance"],
            "median across worlds (90% interval)": [
                f"{significant(m)} ({span(lo, hi)})"
                for m, lo, hi in zip(check["median"], check["interval_5"], check["interval_95"])
            ],
            "worlds within tolerance": check["share_within"].map(pct),
            "prior's worlds within": check["prior_share_within"].map(pct),
            "pooled mean (95% CI)": [
                f"{significant(m)} ({span(lo, hi)})"
                for m, lo, hi in zip(
                    check["pooled_mean"], check["pooled_ci_low"], check["pooled_ci_high"]
                )
            ],
            "result": np.where(check["passed"], "pass", "**FAIL**"),
        }
    )


def write_report(
    out: Path,
    base: Scenario,
    opts: CalibrationSettings,
    argv: Sequence[str],
    meta: Mapping[str, Any],
    gens: pd.DataFrame,
    ident: pd.DataFrame,
    check: pd.DataFrame,
) -> Path:
    """predictive_check.csv, then calibration.md: headline, method, generations,
    identification, predictive check (``opts`` the settings, ``argv`` the command's arguments,
    ``meta`` the fit's metadata, ``calibrate_run.fit_metadata``)."""
    io.write_csv(out / "predictive_check.csv", check)
    fitted, held = meta["fitted"], meta["held_out"]
    ess = float(meta["effective_sample_size"])
    lines = [
        f"# Calibration of {base.name} (ABC-SMC)",
        "",
        *headline(ident, check, ess, opts.population),
        "",
        f"Command: `lpsa calibrate {' '.join(argv)}` (seed {opts.seed}); "
        f"{meta['generations']} generations, {meta['total_simulations']:,} simulated particles "
        f"x {opts.replications} replications, final epsilon {significant(meta['final_epsilon'])}, "
        f"effective sample size {meta['effective_sample_size']:.0f} of {opts.population}; "
        f"{meta['seconds']:.0f} s for the fit. Posterior: `posterior.csv` (+ `posterior.json`); "
        f"pyabc's history: `abc.db`. P1 and P4 are measured by the "
        f"{describe_rule(ForecastRule(**meta['forecast_rule']))}.",
        "",
        "## Method",
        "",
        method_text(opts, fitted, held),
        "",
        "## Epsilon per generation",
        "",
        "Epsilon is the distance a particle must not exceed to be accepted; the effective sample "
        "size of a population is 1 / sum of its squared normalised weights (`generations.csv`).",
        "",
        generations_view(gens).to_markdown(index=False),
        "",
        "## Identification",
        "",
        "Posterior median and 90 % interval (weighted 5 % and 95 % quantiles) of each parameter, "
        "and the interval's width over the prior's 90 % width (`identification.csv`).",
        "",
        identification_view(ident).to_markdown(index=False),
        "",
        "## Posterior predictive check",
        "",
        f"{opts.check_worlds} worlds drawn from the posterior, {opts.check_replications} "
        "replications each, and as many worlds drawn from the prior on the same random numbers "
        "(`predictive_check.csv`). *Held out*: not in the distance; "
        "*emergent*: not encoded by any input (a validation), *input check*: reproduced because a "
        "parameter says so. Worlds within tolerance: the share of worlds whose mean statistic is "
        "inside the band (level) or above the bound (direction); the prior's worlds within: the "
        "same share among worlds of the prior, the chance a check had of failing. The result "
        "judges the pooled runs as `lpsa validate` does.",
        "",
        check_view(check).to_markdown(index=False),
        "",
    ]
    return io.write_text(out / "calibration.md", "\n".join(lines))


def write_fit(out: Path, posterior: Posterior, gens: pd.DataFrame, ident: pd.DataFrame) -> None:
    """The fit's files, written before the predictive check runs: ``posterior.csv`` (with
    ``posterior.json``), ``generations.csv`` and ``identification.csv``."""
    save_posterior(out / "posterior.csv", posterior)
    io.write_csv(out / "generations.csv", gens)
    io.write_csv(out / "identification.csv", ident)
