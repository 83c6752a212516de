"""`lpsa validate`: patterns measured as the evidence states them, emergent patterns kept apart
from input checks, and a discrimination table of the variants the patterns reject."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from test_run_cli import run_cli

from lpsa.experiments.discrimination import discriminate, judge
from lpsa.experiments.discrimination_report import WHY_NO_PATTERN
from lpsa.experiments.patterns import (
    EVIDENCE_RATING_YEARS,
    EXPECTATIONS,
    FORECAST,
    FORECAST_MARGINS,
    INTERIM_EVALUATION,
    PATTERNS,
    RECORD_PATTERNS,
    SEED_PATTERNS,
    ForecastRule,
    PatternValues,
    RunView,
    bootstrap_ci,
    check_patterns,
    interim_forecast,
    pattern_statistics,
    pattern_values,
    rating_moves,
    run_view,
)
from lpsa.experiments.runner import require_success, run_table, single
from lpsa.experiments.validate import forecast_margins, pattern_runs
from lpsa.model import LPSAModel, load_scenario
from lpsa.model.scenario import QUARTERS_PER_YEAR, parameter_overrides

BY_ID = {p.id: p for p in PATTERNS}


def small(**overrides) -> object:
    base = load_scenario("lpsa1_baseline")
    return load_scenario(base, parameter_overrides({"scheme.n_authorities": 60, **overrides}))


def test_every_evidence_pattern_is_checked_and_says_whether_it_is_emergent():
    assert "P1d" not in BY_ID  # too thin to judge: reported as an observation
    assert {p.id[:2] for p in SEED_PATTERNS} == {f"P{i}" for i in range(1, 9)} - {"P5"}
    assert {p.id for p in EXPECTATIONS} == {"P5a", "P5b"}  # 'too soon to say': not judged
    assert PATTERNS == SEED_PATTERNS + RECORD_PATTERNS  # and councils' records (test_records)
    assert all(p.reason and p.source for p in PATTERNS)
    assert {p.id for p in PATTERNS if p.emergent} >= {"P1a", "P1b", "P1c", "P4"}
    assert not BY_ID["P2"].emergent and not BY_ID["P8"].emergent
    levels = [p for p in PATTERNS if p.kind == "level"]
    assert all(p.low <= p.target <= p.high for p in levels if p.target is not None)
    # no figure: 'in general' (P4), and York's 'up to 60 %', which only bounds it
    assert [p.id for p in levels if p.target is None] == ["P4", "R-york_reward_share"]


def test_a_level_pattern_without_a_figure_is_as_near_the_evidence_anywhere_in_its_band():
    p4 = BY_ID["P4"]
    assert p4.distance(p4.low) == p4.distance(0.97) == p4.distance(p4.high) == 0.0
    assert p4.distance(p4.low - 0.1) == pytest.approx(0.1 / ((p4.high - p4.low) / 2))
    p1a = BY_ID["P1a"]  # a figure ('roughly 40%'): the distance aims at it
    assert p1a.distance(p1a.target) == 0.0 and p1a.distance(p1a.high) == pytest.approx(1.0)


def test_bootstrap_interval_brackets_the_mean():
    mean, lo, hi = bootstrap_ci(np.array([0.1, 0.2, 0.3, 0.4]))
    assert lo < mean < hi and mean == 0.25


def test_the_forecast_rule_reads_the_trend_to_the_end():
    now = np.array([0.95, 0.6, 0.3, 0.6])
    before = np.array([0.7, 0.2, 0.2, 0.5])
    cat = ForecastRule().categorise(now, before, np.full(4, 8), np.full(4, 4))
    # 0.95: already within a tenth of the stretch
    assert cat[0] == 0
    assert cat[2] == 2  # 0.3 + 0.025 x 4 = 0.4: likely missed
    assert cat[3] == 2  # 0.6 + 0.025 x 4 = 0.7: short by more than the margin
    assert cat[1] == 1  # 0.6 + 0.1 x 4 = 1.0: on the line, uncertain


def test_p1_is_the_forecast_at_the_interim_evaluation_not_the_end():
    m = LPSAModel(small(), seed=3)
    m.run()
    year, quarter = INTERIM_EVALUATION
    q = (year - m.params.inspection.first_year) * QUARTERS_PER_YEAR + quarter - 1
    forecast = interim_forecast(m)
    running = np.unique(forecast["authority"])
    c = m.councils
    assert np.all((c.start[running] <= q) & (q < c.end[running]))
    assert set(np.flatnonzero(c.signed & (c.start <= q) & (q < c.end))) == set(running)
    before = pattern_values(m)
    quarter_of_row = c.start[None, :] + np.arange(m.window)[:, None]  # (window, A)
    m.reported_from_start[quarter_of_row > q] = 0.0  # after the interim evaluation: no count
    after = pattern_values(m)
    assert all(before[k] == after[k] for k in ("P1a", "P1b", "P1c", "P4"))
    m.reported_from_start[q - c.start[running], running] = 2.0  # every running target met it
    assert pattern_values(m)["P1a"] == 1.0


def test_a_wider_forecast_margin_calls_fewer_targets_either_way():
    m = LPSAModel(small(), seed=3)
    m.run()
    shares = []
    for margin in (0.15, 0.25, 0.35):
        cat = interim_forecast(m, ForecastRule(margin=margin))["category"]
        shares.append(((cat == 0).mean(), (cat == 2).mean()))
    (met_lo, missed_lo), _, (met_hi, missed_hi) = shares
    assert met_lo >= shares[1][0] >= met_hi and missed_lo > shares[1][1] > missed_hi


FORECAST_STATISTICS = {"P1a", "P1b", "P1c", "P1d", "P4", "P2", "P3a", "P3b", "P6"}
"""Every statistic measured at the interim forecast, as the evidence states it (001:127-131,
001:105)."""


def test_the_pattern_measure_judges_the_interim_forecast_by_its_own_rule():
    m = LPSAModel(small(), seed=3).run()
    default = PatternValues()(m)
    assert default == pytest.approx(pattern_values(m), nan_ok=True)
    # a worker gets the rule with the measure (pickled, as for local and Dask workers)
    strict = pickle.loads(pickle.dumps(PatternValues(ForecastRule(margin=0.15))))(m)
    assert strict["P1b"] > default["P1b"]  # a narrower margin calls more targets likely missed
    assert strict["P1c"] < default["P1c"]
    others = set(default) - FORECAST_STATISTICS
    assert {k: strict[k] for k in others} == pytest.approx(
        {k: default[k] for k in others}, nan_ok=True
    )


def test_the_measure_can_also_take_the_forecast_at_other_margins_from_the_same_run():
    m = LPSAModel(small(), seed=3).run()
    values = PatternValues(margins=(0.15, 0.35))(m)
    for margin in (0.15, 0.35):
        alone = PatternValues(ForecastRule(margin=margin))(m)
        assert {k: values[f"{k}@{margin:g}"] for k in ("P1a", "P1b", "P1c")} == pytest.approx(
            {k: alone[k] for k in ("P1a", "P1b", "P1c")}
        )
    assert values["P1b@0.15"] > values["P1b"] > values["P1b@0.35"]


def test_the_forecast_under_each_margin_is_judged_as_the_patterns_are():
    runs = pd.DataFrame(
        {
            f"{k}@{margin:g}": [v] * 4
            for margin, shares in zip(
                FORECAST_MARGINS, ((0.4, 0.4, 0.2), (0.4, 0.25, 0.35), (0.4, 0.1, 0.5))
            )  # fmt: skip
            for k, v in zip(("P1a", "P1b", "P1c"), shares)
        }
    )
    table = forecast_margins(runs).set_index("margin")
    assert list(table.index) == list(FORECAST_MARGINS)
    assert table.loc[0.25, ["P1a_pass", "P1b_pass", "P1c_pass"]].all()
    assert not table.loc[0.15, "P1b_pass"] and not table.loc[0.15, "P1c_pass"]
    assert not table.loc[0.35, "P1b_pass"] and table.loc[0.35, "P1b"] == pytest.approx(0.1)


def _view(forecast: pd.DataFrame) -> RunView:
    return RunView(pd.DataFrame(), forecast, pd.DataFrame({"year": [], "rose": [], "fell": []}))


def test_p4_fails_when_targets_forecast_missed_have_not_moved():
    flat = pd.DataFrame(
        {"category": [2, 2, 2, 0], "now": [0.0, 0.05, 0.0, 1.0], "ends_next_year": False}
    )
    p4 = BY_ID["P4"]
    value = p4.compute(_view(flat))
    assert value == 0.0
    assert (
        not check_patterns({p.id: [value if p.id == "P4" else np.nan] * 4 for p in PATTERNS})
        .set_index("pattern")
        .loc["P4", "passed"]
    )
    moving = flat.assign(now=[0.2, 0.3, 0.15, 1.0])
    assert p4.compute(_view(moving)) == 1.0


def test_rating_moves_fail_p7_when_no_council_ever_slips_back():
    moves = pd.DataFrame(
        {
            "year": [2006] * 20,
            "service_rose": [1, 0, 0, 0] * 5,
            "service_fell": [0] * 20,
            "rose": [0] * 20,
            "fell": [1] * 20,
        }
    )
    view = RunView(pd.DataFrame(), pd.DataFrame(), moves)
    assert BY_ID["P7b"].compute(view) == 0.0
    assert not BY_ID["P7b"].passes(0.0, 0.0, 0.0)
    assert BY_ID["P7a"].passes(0.25 - 0.1, 0.1, 0.2)


def test_p7_counts_the_service_level_rating_in_the_evidence_s_years_only():
    moves = pd.DataFrame(
        {
            "year": [2005] * 4 + [2006] * 4 + [2007] * 4,
            "service_rose": [1, 1, 1, 1] + [1, 0, 0, 0] + [0, 0, 0, 0],
            "service_fell": [0] * 12,
            "rose": [1] * 12,
            "fell": [0] * 12,
        }
    )
    assert BY_ID["P7a"].compute(RunView(pd.DataFrame(), pd.DataFrame(), moves)) == 1 / 8


def test_the_cpa_record_counts_the_whole_council_rating_in_2003():
    moves = pd.DataFrame(
        {
            "year": [2002] * 4 + [2003] * 4,
            "rose": [1, 1, 1, 1] + [1, 0, 0, 0],
            "fell": [0] * 4 + [0, 1, 1, 0],
            "service_rose": [0] * 8,
            "service_fell": [0] * 8,
        }
    )
    view = RunView(pd.DataFrame(), pd.DataFrame(), moves)
    assert BY_ID["R-cpa_2003_moves-rose"].compute(view) == 0.25
    assert BY_ID["R-cpa_2003_moves-fell"].compute(view) == 0.5
    assert BY_ID["R-cpa_2003_moves-rose"].target == 26 / 150


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if not p.emergent], ids=lambda p: p.id)
def test_an_input_check_shrinks_when_its_inputs_are_neutralised(pattern, tmp_path):
    """The parameters named as encoding an input check do encode it: neutralised, the statistic
    loses most of its value (or the pattern fails outright)."""

    def mean_stat(sc) -> float:
        runs = require_success(run_table(single(sc, 6, 11), pattern_values))
        return float(runs[pattern.id].mean())

    base = mean_stat(small())
    neutral = mean_stat(small(**pattern.encoded_by))
    if pattern.kind == "direction":
        assert neutral < 0.5 * base, (base, neutral)
    else:
        further = abs(neutral - pattern.target) > abs(base - pattern.target) + 0.03
        assert further or not pattern.within(neutral), (base, neutral)


def test_the_discrimination_verdict_counts_only_emergent_patterns():
    variants = [
        {"variant": v, "kind": "mechanism off", "description": v, "overrides": {}}
        for v in ("good", "wiring", "rejected")
    ]
    good = {p.id: ((p.low + p.high) / 2 if p.kind == "level" else 0.2) for p in PATTERNS}
    rows = []
    for point, bad in enumerate([{}, {"P2": -0.2}, {"P1a": 0.9, "P2": -0.2}]):
        for r in range(6):
            rows.append({"point": point, **good, **bad, "P6": 0.2 + 0.01 * r})
    table = judge(variants, pd.DataFrame(rows)).set_index("variant")
    assert table.loc["good", "verdict"] == "none"
    assert table.loc["wiring", "verdict"] == "input"
    assert table.loc["wiring", "input_checks_failed"] == "P2"
    assert table.loc["rejected", "verdict"] == "rejected"
    assert table.loc["rejected", "emergent_failed"] == "P1a"
    assert not table.loc["rejected", "P1a_pass"] and table.loc["rejected", "P1a"] == 0.9


def test_the_forecast_constants_are_the_documented_ones():
    assert (FORECAST.almost_met, FORECAST.margin) == (0.9, 0.25)
    m = LPSAModel(small(), seed=1)
    m.run()
    assert set(run_view(m).forecast["category"]) <= {0, 1, 2}


def test_pattern_statistics_read_a_runs_numpy_columns_and_its_dataframes_alike():
    m = LPSAModel(small(), seed=2).run()
    tables = RunView(m.targets_frame(), interim_forecast(m), rating_moves(m))
    from_columns, from_frames = pattern_statistics(run_view(m)), pattern_statistics(tables)
    assert from_columns.keys() == from_frames.keys()
    for name, value in from_columns.items():
        assert value == pytest.approx(from_frames[name], rel=1e-12, nan_ok=True), name
    assert np.isfinite(list(from_columns.values())).sum() >= 12


@pytest.mark.slow
def test_the_shipped_baseline_matches_the_records_and_the_discrimination_names_verdicts(tmp_path):
    r = run_cli(
        "validate", "--discriminate", "--replications", "6", "--prior-worlds", "4",
        "--refit-worlds", "20", "--out", str(tmp_path), "--quiet",
    )  # fmt: skip
    report = (tmp_path / "validation.md").read_text()
    assert "Emergent patterns: the seeds (validation)" in report and "Input checks" in report
    assert "Councils' records" in report and "What each pattern can tell" in report
    checks = pd.read_csv(tmp_path / "validation.csv").set_index("pattern")
    judged = checks[~checks["role"].isin(["observation", "expectation"])]
    failed = set(judged.index[~judged["passed"]])
    # councils' records are reproduced at the shipped point. The interim forecast's 'likely
    # missed' and 'uncertain' shares pass there but fail in some worlds of the posterior (P1b in
    # 5 of 30, P1c in 11: docs/ODD.md, Known limitations), so a few replications may tip them.
    # Nothing else may fail.
    assert not {p for p in failed if p.startswith("R-")}, failed
    assert failed <= {"P1b", "P1c"}, failed
    assert r.returncode == (1 if failed else 0), r.stdout
    table = pd.read_csv(tmp_path / "discrimination.csv").set_index("variant")
    assert {"verdict", "emergent_failed", "P1a", "P1a_pass"} <= set(table.columns)
    assert "H1_will_and_reward" in table.index and "capacity_constraint off" in table.index
    report = (tmp_path / "discrimination.md").read_text()
    assert report.startswith("# Discrimination")
    # the rival theories re-fitted come first, each with what rejects it
    theories = pd.read_csv(tmp_path / "theories.csv").set_index("theory")
    assert {"H0_null", "H1_will_and_reward", "capacity_constraint off"} <= set(theories.index)
    assert report.index("**H0_null** at its own best parameters") < report.index("variants fail")
    assert "**capacity_constraint off** at its own best parameters" in report  # will is the barrier
    # the government's theory is rejected by an emergent pattern, or the report says why none can
    assert (
        table.loc["H1_will_and_reward", "verdict"] == "rejected"
        or WHY_NO_PATTERN["H1_will_and_reward"] in report
    )


@pytest.mark.slow
def test_validate_measures_the_forecast_by_the_rule_it_is_given_and_says_which(tmp_path):
    scenario = tmp_path / "sixty.yaml"
    scenario.write_text("extends: lpsa1_baseline\nscheme:\n  n_authorities: 60\n")
    p1b = {}
    for margin in ("0.25", "0.15"):
        out = tmp_path / margin
        r = run_cli(
            "validate", str(scenario), "--replications", "2", "--forecast-margin", margin,
            "--prior-worlds", "0", "--out", str(out), "--quiet",
        )  # fmt: skip
        assert r.returncode in (0, 1), r.stderr  # 1: some pattern failed at this size
        assert f"trend margin {float(margin):g}" in (out / "validation.md").read_text()
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["forecast_rule"] == {
            "almost_met": 0.9,
            "margin": float(margin),
            "trend_quarters": 4,
        }
        table = pd.read_csv(out / "validation.csv").set_index("pattern")
        p1b[margin] = table.loc["P1b", "model"]
        margins = pd.read_csv(out / "forecast_margins.csv").set_index("margin")
        assert list(margins.index) == [0.15, 0.25, 0.35]
        assert margins.loc[float(margin), "P1b"] == pytest.approx(p1b[margin])
    assert p1b["0.15"] > p1b["0.25"]


def test_validate_rejects_bad_arguments_clearly(lpsa):
    r = lpsa("validate", "--replications", "zero")
    assert r.returncode == 2 and "--replications: got 'zero'; allowed: a whole number" in r.stderr
    r = lpsa("validate", "--forecast-margin", "1.5")
    assert r.returncode == 2 and "--forecast-margin: got 1.5; allowed: a fraction in (0, 1]" in (
        r.stderr
    )


def test_a_single_value_is_within_tolerance_only_inside_the_band_or_above_the_bound():
    p1a, p2 = BY_ID["P1a"], BY_ID["P2"]
    assert p1a.within(0.40) and not p1a.within(0.55) and not p1a.within(0.25)
    assert p2.within(0.1) and not p2.within(-0.01) and not p2.within(0.0)
    assert not p1a.within(float("nan")) and not p2.within(float("nan"))


def test_discrimination_reuses_the_validations_runs_for_the_reference(models_made):
    sc = small()
    runs = pattern_runs(sc, 2, 5, progress=False)
    before = len(models_made)
    reusing = discriminate(sc, 2, 5, progress=False, reference_runs=runs)
    reused = len(models_made) - before
    alone = discriminate(sc, 2, 5, progress=False)
    assert len(models_made) - before - reused == reused + 2  # the reference's 2 runs, once
    pd.testing.assert_frame_equal(reusing, alone)


def test_ratings_follow_the_councils_performance_so_p7_measures_the_model():
    # P7 counts rating moves (003:418): they mean something only if a council's rating follows
    # how its services perform, beside the assessment error (pooled over three runs, about 430
    # councils: a correlation of 0.15 is three standard errors from none)
    performance, beyond_level = [], []
    for seed in range(3):
        m = LPSAModel(seed=seed).run()
        signed = m.councils.signed
        year = EVIDENCE_RATING_YEARS[0] - m.params.inspection.first_year
        performance.append(m.targets.end.true.mean(axis=1)[signed])
        beyond_level.append((m.inspection.scores[year] - m.inspection.level)[signed])
    r = np.corrcoef(np.concatenate(performance), np.concatenate(beyond_level))[0, 1]
    assert r > 0.15
