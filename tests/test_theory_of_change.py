"""`lpsa toc --at-reference`: hypotheses as mechanism switches, judged against the patterns at the
reference's parameters, with paired intervals (the default `lpsa toc`, model selection, is
tests/test_model_selection.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_run_cli import run_cli

from lpsa.experiments.patterns import ForecastRule
from lpsa.experiments.theory_of_change import PatternsAndMetrics
from lpsa.model import LPSAModel

SMALL = """name: toc_small
base: lpsa1_baseline
replications: 6
seed: 3
reference: evidence
variants:
  - {name: evidence, hypothesis: reference, overrides: {}}
  - {name: H3_off, hypothesis: H3, overrides: {mechanisms: {systemic_persistence: false}}}
  - {name: overstretched, hypothesis: constructed, overrides: {stretch: {ambition: 2.0}}}
"""


@pytest.mark.slow
def test_toc_report_says_which_variants_reproduce_the_patterns(tmp_path):
    exp = tmp_path / "toc.yaml"
    exp.write_text(SMALL)
    r = run_cli("toc", str(exp), "--at-reference", "--out", str(tmp_path / "out"), "--quiet")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "out" / "theory_of_change.csv").set_index("variant")
    assert table.loc["evidence", "delta_targets_met_share"] == 0
    # Stretch twice as ambitious misses far more than ~25 % of targets: P1 fails.
    assert "P1b" in table.loc["overstretched", "patterns_failed"]
    assert table.loc["overstretched", "delta_targets_met_share"] < -0.1
    assert table.loc["H3_off", "delta_retained_gain_5y"] < 0
    report = (tmp_path / "out" / "theory_of_change.md").read_text()
    assert "H3_off" in report and "trend margin 0.25 (the default)" in report


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--at-reference"]], ids=["select", "at-reference"])
def test_a_bad_variant_is_reported_with_its_name_and_field(tmp_path, mode):
    exp = tmp_path / "toc.yaml"
    exp.write_text(SMALL.replace("systemic_persistence: false", "systemic_persistance: false"))
    r = run_cli("toc", str(exp), *mode, "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "H3_off" in r.stderr and "systemic_persistance" in r.stderr


@pytest.mark.slow
def test_the_reference_must_be_one_of_the_variants(tmp_path):
    exp = tmp_path / "toc.yaml"
    exp.write_text(SMALL.replace("reference: evidence", "reference: nowhere"))
    r = run_cli("toc", str(exp))
    assert r.returncode == 2 and "reference" in r.stderr and "nowhere" in r.stderr


def test_the_toc_measure_judges_the_interim_forecast_by_its_rule():
    m = LPSAModel.from_scenario("lpsa1_baseline", seed=3, scheme__n_authorities=60).run()
    default = PatternsAndMetrics()(m)
    narrow = PatternsAndMetrics(ForecastRule(margin=0.15))(m)
    assert narrow["P1b"] > default["P1b"]
    assert narrow["retained_gain_3y"] == default["retained_gain_3y"]
