"""What a sweep's runs show, per swept parameter and across worlds (``lpsa report``).

For each swept parameter, each headline outcome's mean with a 95 % bootstrap interval per value
(grid sweeps) or per decile bin of the parameter (sampled sweeps) (``per_value``). The outcomes are
the registry's headline outcomes that the sweep recorded (``model/outcomes.py``: targets met,
reward paid, retained gain at +3 and +5 years, value for money and, with twins, additionality).
If the sweep file lists ``compare:`` scenarios (e.g. ppg_heavy, reward_heavy), they are run with
the sweep's seed and replications (common random numbers) (``compare_scenarios``). A sweep that
crosses lever settings with uncertainties also gets *levers across worlds*: per outcome, in how
many worlds (combinations of the uncertainties' values) each setting does best
(``lever_tables``). Pure: the report is ``sweep_summary_report.py``, the command
``report_command.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from lpsa.model import ScenarioError, load_scenario
from lpsa.model.outcomes import REGISTRY
from lpsa.model.scenario import resolve_scenario_path

from .formatting import plain_scale, setting
from .patterns import bootstrap_ci
from .runner import Outcomes, require_success, run_table, scenarios_design


def one_parameter_set(manifest: dict) -> bool:
    """Whether a sweep ran at one set of the uncertain parameters: it varies no uncertainty, so
    every run has the base scenario's values for what nobody knows."""
    return not manifest.get("uncertainties")


def parameter_set_caveat(manifest: dict) -> str:
    """The sentence that opens the report of a sweep at one parameter set: its intervals are
    replication noise only, and how to get the answer across the plausible worlds."""
    pair = list(manifest.get("compare") or [])
    command = f"lpsa compare {pair[0]} {pair[1]}" if len(pair) == 2 else "lpsa compare A B"
    return (
        f"At one parameter set: every run uses `{manifest.get('base_scenario', 'the base')}`'s "
        "values for the parameters nobody knows, so the intervals here are replication noise, "
        "not uncertainty about how councils behave; for the answer across the plausible worlds "
        f"the evidence allows, run `{command}` (docs/compare.md)."
    )


def report_outcomes(columns: Iterable[str]) -> list[str]:
    """The registry's headline outcomes present in ``columns``, in registry order."""
    present = set(columns)
    return [o.name for o in REGISTRY.values() if o.headline and o.name in present]


def load(folder: Path) -> tuple[pd.DataFrame, dict]:
    """A finished sweep's runs and manifest from its results ``folder``."""
    runs_path, manifest_path = folder / "runs.parquet", folder / "manifest.json"
    if not runs_path.is_file() or not manifest_path.is_file():
        raise ScenarioError(
            f"{folder}: no runs.parquet and manifest.json here; allowed: a finished sweep's "
            "results folder"
        )
    return pd.read_parquet(runs_path), json.loads(manifest_path.read_text())


def per_value(runs: pd.DataFrame, param: str, outcome: str, seed: int) -> pd.DataFrame:
    """Mean and 95 % bootstrap interval of ``outcome`` per value (or decile bin) of ``param``."""
    x = runs[param]
    key = (
        x
        if x.nunique() <= 25
        else pd.qcut(x, 10, duplicates="drop").apply(lambda iv: iv.mid).astype(float)
    )
    rows = []
    for value, group in runs.groupby(key, sort=True):
        mean, lo, hi = bootstrap_ci(group[outcome].to_numpy() * plain_scale(outcome), seed=seed)
        rows.append(
            {param: float(value), "mean": mean, "ci_low": lo, "ci_high": hi, "n": len(group)}
        )
    return pd.DataFrame(rows)


def compare_scenarios(
    names: list[str], replications: int, seed: int, twins: bool, relative_to: Path | None = None
) -> pd.DataFrame:
    """Run the compare scenarios (names or paths, relative to ``relative_to`` first) on the
    sweep's seeds; per-replication outcomes."""
    scenarios = [load_scenario(resolve_scenario_path(n, relative_to)) for n in names]
    design = scenarios_design(scenarios, replications, seed, twins)
    runs = require_success(run_table(design, Outcomes(), progress="compare"))
    return runs.rename(columns={"name": "scenario"})


def lever_settings(runs: pd.DataFrame, levers: list[str]) -> pd.Series:
    """Each run's lever setting as words: ``funding.ppg_share=0.05``, ``mechanisms.gaming=false``
    (several joined by ``, ``)."""
    words = [runs[k].map(lambda v, k=k: f"{k}={setting(v)}") for k in levers]
    return words[0].str.cat(words[1:], sep=", ") if len(words) > 1 else words[0]


def _crossed(
    runs: pd.DataFrame, levers: list[str], uncertainties: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Each run's world (a number per combination of the uncertainties' values) and lever
    setting, for the runs of the worlds that ran every setting."""
    world = runs.groupby(uncertainties, sort=False).ngroup()
    setting = lever_settings(runs, levers)
    crossed = setting.groupby(world).transform("nunique") == setting.nunique()
    return world[crossed], setting[crossed]


def _setting_table(
    values: pd.Series, world: pd.Series, setting: pd.Series, outcome: str
) -> tuple[pd.DataFrame, int]:
    """``levers_across_worlds``'s table and world count from one outcome's ``values``, indexed as
    ``world`` and ``setting`` (the crossed runs)."""
    means = values[world.index].groupby([world, setting], sort=False).mean()
    means = means.unstack().dropna() * plain_scale(outcome) if len(means) else pd.DataFrame()
    if means.empty:
        return pd.DataFrame(columns=["setting", "median", "best_in", "share_best"]), 0
    higher = REGISTRY[outcome].direction == "higher is better"
    best = means.max(axis=1) if higher else means.min(axis=1)
    is_best = means.eq(best, axis=0)
    alone = is_best.sum(axis=1) == 1
    table = pd.DataFrame(
        {
            "setting": means.columns,
            "median": means.median().to_numpy(),
            "best_in": is_best[alone].sum().to_numpy().astype(int),
        }
    )
    table["share_best"] = table["best_in"] / len(means)
    return table, len(means)


def levers_across_worlds(
    runs: pd.DataFrame, levers: list[str], uncertainties: list[str], outcome: str
) -> tuple[pd.DataFrame, int]:
    """How the lever settings fare world by world on ``outcome``. A *world* is one combination of
    the uncertainties' values; every lever setting runs in every world on the same seeds (the
    design crosses them), so settings are compared within a world, on their means over
    replications. One row per setting: the median of its world means, and in how many worlds it
    does best (better than every other setting by the outcome's direction; a tie counts for
    none). Worlds that did not run every setting, or where some setting's mean is undefined, are
    left out; the count of worlds kept is returned beside the table."""
    return _setting_table(runs[outcome], *_crossed(runs, levers, uncertainties), outcome)


def lever_tables(
    runs: pd.DataFrame, manifest: dict, outcomes: list[str]
) -> dict[str, tuple[pd.DataFrame, int]]:
    """``levers_across_worlds`` for each of ``outcomes`` that has a better side and some world
    that ran every lever setting: {outcome: (table, worlds)}. Empty when the sweep (its
    ``manifest``) does not cross two or more lever settings with uncertainties."""
    levers, uncertainties = manifest.get("levers") or [], manifest.get("uncertainties") or []
    if not levers or not uncertainties:
        return {}
    world, setting = _crossed(runs, levers, uncertainties)
    if setting.nunique() < 2:  # one setting, or levers sampled with the uncertainties
        return {}
    found = {
        o: _setting_table(runs[o], world, setting, o)
        for o in outcomes
        if REGISTRY[o].direction != "neither"
    }
    return {o: (table, worlds) for o, (table, worlds) in found.items() if worlds}
