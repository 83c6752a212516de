"""`lpsa toc`: theories of change compared by the evidence, each at its best (ABC model selection
with pyabc), with posterior probabilities, Bayes factors and a verdict a researcher can quote."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli

from lpsa.experiments.model_selection import (
    PREDICTIONS,
    Selection,
    SelectionSettings,
    Theory,
    TheoryMeasure,
    bayes_factors,
    check_theories,
    compare_pair,
    judged_patterns,
    select,
    simulate_theory,
    theories,
)
from lpsa.experiments.model_selection_report import verdict
from lpsa.experiments.theory_of_change import DEFAULT_FILE, load_experiment
from lpsa.experiments.uncertainty import Uncertain, load_uncertain
from lpsa.model import ScenarioError, load_scenario

pytest.importorskip("pyabc")

FREE = (Uncertain("implementation.improvement_rate", 0.15, 0.45, "constructed"),)
MODEST = Theory("modest", "constructed", "", {"stretch.ambition": 0.8}, FREE)
AMBITIOUS = Theory("ambitious", "constructed", "", {"stretch.ambition": 1.6}, FREE)
TINY = SelectionSettings(
    seed=5, replications=1, population=16, generations=2, min_epsilon=0.0, max_simulations=10_000
)


def made_by(theory: Theory, base) -> list:
    """Constructed evidence: every emergent level pattern's target moved to what ``theory``
    gives at the middle of its free range (one run)."""
    stats = simulate_theory(
        base, theory.fixed, {"implementation.improvement_rate": 0.3}, 1, 99, TheoryMeasure()
    )
    return [
        replace(p, target=stats[p.id])
        for p in judged_patterns()
        if p.kind == "level" and p.emergent and np.isfinite(stats[p.id])
    ]


@pytest.mark.parametrize("maker", [MODEST, AMBITIOUS], ids=lambda t: t.name)
def test_the_theory_that_made_the_data_wins_the_selection(maker, tmp_path):
    base = load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 40}})
    patterns = made_by(maker, base)
    assert len(patterns) >= 5
    selection = select(base, [MODEST, AMBITIOUS], TINY, tmp_path / "ms.db", patterns=patterns)
    probs = selection.probabilities
    assert probs.sum() == pytest.approx(1.0)
    assert probs[maker.name] > 0.9
    other = AMBITIOUS.name if maker is MODEST else MODEST.name
    assert selection.bayes_factors.loc[maker.name, other] > 20
    line = verdict(selection)
    assert line.startswith("Of 2 theories of change given equal prior weight")
    assert f"the evidence favours `{maker.name}`" in line and line.count(".") >= 1
    assert (tmp_path / "ms.db").exists()


def test_the_same_seed_gives_the_same_probabilities(tmp_path):
    base = load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 40}})
    patterns = made_by(MODEST, base)
    small = replace(TINY, population=6, generations=1)
    runs = [
        select(base, [MODEST, AMBITIOUS], small, tmp_path / f"{i}.db", patterns=patterns)
        for i in range(2)
    ]
    pd.testing.assert_series_equal(runs[0].probabilities, runs[1].probabilities)
    assert runs[0].support.equals(runs[1].support)


def test_each_theory_has_its_own_prior_over_what_it_leaves_free():
    _, params = load_uncertain()
    by_name = {t.name: t for t in theories(load_experiment(DEFAULT_FILE), params)}
    assert {"evidence", "H0_null", "H1_will_and_reward", "H2_capacity_only"} <= set(by_name)
    free = {name: {p.path for p in t.params} for name, t in by_name.items()}
    assert len(free["evidence"]) == len(params)
    assert "attribution.agreement_focus" not in free["H0_null"]
    assert by_name["H0_null"].fixed["attribution.agreement_focus"] == 0.0
    assert {"authorities.will_mean", "implementation.reward_will_effect"}.isdisjoint(
        free["H1_will_and_reward"]
    )
    assert by_name["H1_will_and_reward"].fixed["mechanisms.capacity_constraint"] is False
    assert free["H2_capacity_only"] == free["evidence"]
    assert by_name["H2_capacity_only"].fixed == {"mechanisms.will_and_reward": False}


def test_a_variant_the_scenario_refuses_is_named_before_anything_runs():
    base = load_scenario("lpsa1_baseline")
    bad = Theory("H3_off", "H3", "", {"mechanisms.systemic_persistance": False}, FREE)
    with pytest.raises(ScenarioError, match="variant 'H3_off'.*systemic_persistance"):
        check_theories(base, [MODEST, bad], "toc.yaml")
    with pytest.raises(ScenarioError, match="at least two theories"):
        check_theories(base, [MODEST], "toc.yaml")


def constructed_selection(
    probs: dict[str, float], means: dict[str, float], gain_3y: dict[str, float] | None = None
) -> Selection:
    """A selection with given probabilities (population 100) and best worlds whose
    ``retained_gain_5y`` means are ``means`` and ``retained_gain_3y`` means ``gain_3y`` (default
    0.5), every prediction with standard deviation 0.05; every pattern's within-tolerance share
    1."""
    names = list(probs)
    p = pd.Series(probs, dtype=float)
    patterns = judged_patterns()
    support = pd.DataFrame(
        [
            {
                "theory": n,
                "generation": 2,
                "effective_size": 30.0,
                "distance": 0.4,
                **{f"{q.id}_within": 1.0 for q in patterns},
                **{k: 0.5 for k in PREDICTIONS},
                **{f"{k}_sd": 0.05 for k in PREDICTIONS},
                "retained_gain_5y": means[n],
                "retained_gain_3y": (gain_3y or {}).get(n, 0.5),
            }
            for n in names
        ]
    ).set_index("theory")
    pairs = pd.DataFrame(
        [
            compare_pair(p, support, a, b, patterns, 100)
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        ]
    )
    theories_ = [Theory(n, "constructed", "", {}, FREE) for n in names]
    return Selection(
        theories_, p, bayes_factors(p), support, pairs, pd.DataFrame(), 100, 80.0, patterns
    )


def test_bayes_factors_are_ratios_of_probabilities_and_a_theory_with_no_particle_gets_a_bound():
    s = constructed_selection({"a": 0.6, "b": 0.3, "c": 0.1, "d": 0.0}, dict.fromkeys("abcd", 0.5))
    assert s.bayes_factors.loc["a", "b"] == pytest.approx(2.0)
    assert s.bayes_factors.loc["b", "c"] == pytest.approx(3.0)
    assert s.bayes_factors.loc["c", "a"] == pytest.approx(1 / 6)
    ad = s.pairs.set_index(["favoured", "other"]).loc[("a", "d")]
    assert ad["lower_bound"] and ad["bayes_factor"] == pytest.approx(60.0)  # 0.6 x 100
    assert ad["separated"] and ad["strength"] == "strong"


def test_the_verdict_says_when_the_evidence_cannot_separate_two_theories_and_which_would():
    s = constructed_selection(
        {"a": 0.5, "b": 0.45, "c": 0.05},
        {"a": 0.6, "b": 0.3, "c": 0.5},
        gain_3y={"a": 0.6, "b": 0.5, "c": 0.5},  # also apart, but by 2 standard deviations
    )
    line = verdict(s)
    assert "the evidence cannot separate `a` (posterior probability 0.50) from `b` (0.45" in line
    assert "Bayes factor 1.11, not worth more than a bare mention" in line
    assert line.endswith(".") and "\n" not in line
    ab = s.pairs.set_index(["favoured", "other"]).loc[("a", "b")]
    assert not ab["separated"] and ab["observation"] == "retained_gain_5y"
    assert ab["observation_d"] == pytest.approx(6.0)  # 0.3 apart, pooled sd 0.05
    ac = s.pairs.set_index(["favoured", "other"]).loc[("a", "c")]
    assert ac["separated"] and ac["bayes_factor"] == pytest.approx(10.0)
    # a theory the evidence weighs against, but not strongly, is still named, with how strongly
    assert "and weighs against `c` (Bayes factor 10, positive" in line
    assert "strongly" not in line


def test_a_clear_winner_is_named_with_its_bayes_factor_and_the_theories_it_weighs_against():
    s = constructed_selection({"a": 0.9, "b": 0.09, "c": 0.01}, dict.fromkeys("abc", 0.5))
    line = verdict(s)
    assert (
        "the evidence favours `a` (posterior probability 0.90; Bayes factor 10 over the next"
        in line
    )
    assert "positive" in line and "weighs strongly against `c`" in line and "`b`," not in line


def test_the_verdict_names_every_theory_the_evidence_cannot_separate_from_the_favoured():
    s = constructed_selection(
        {"a": 0.3, "b": 0.28, "c": 0.26, "d": 0.16, "e": 0.0}, dict.fromkeys("abcde", 0.5)
    )
    line = verdict(s)
    assert "the evidence cannot separate 4 of them, `a`, `b`, `c` and `d`" in line
    assert "(posterior probabilities 0.16 to 0.30; Bayes factors at most 1.88" in line
    assert "weighs strongly against `e` (Bayes factor at least 30)" in line


@pytest.mark.slow
def test_toc_opens_with_its_verdict_and_keeps_its_database_in_its_own_folder(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text("extends: lpsa1_baseline\nscheme:\n  n_authorities: 40\n")
    exp = tmp_path / "toc.yaml"
    exp.write_text(
        f"name: toc_tiny\nbase: {scenario}\nreplications: 2\nseed: 3\nreference: modest\n"
        "variants:\n"
        "  - {name: modest, hypothesis: reference, overrides: {stretch: {ambition: 0.8}}}\n"
        "  - {name: H0_null, hypothesis: H0, overrides: {mechanisms: {ppg_enables: false, "
        "will_and_reward: false}, attribution: {agreement_focus: 0.0}}}\n"
    )
    params = tmp_path / "uncertain.yaml"
    params.write_text(
        f"name: u\nbase: {scenario}\nseed: 1\nreplications: 1\nmethod: lhs\nsamples: 2\n"
        "uncertainties:\n  implementation.improvement_rate: {low: 0.15, high: 0.45, "
        "reason: constructed}\n"
    )
    out = tmp_path / "out"
    r = run_cli(
        "toc", str(exp), "--parameters", str(params), "--population", "8", "--generations", "1",
        "--replications", "1", "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("Of 2 theories of change given equal prior weight, each at its own")
    assert "the null H0 (`H0_null`: the agreement changes nothing)" in first
    assert (out / "model_selection.db").exists()
    probs = pd.read_csv(out / "model_probabilities.csv")
    assert probs["probability"].sum() == pytest.approx(1.0)
    assert (out / "model_selection.md").read_text().splitlines()[0] == first
    assert "model_selection.db" in (out / "manifest.json").read_text()
