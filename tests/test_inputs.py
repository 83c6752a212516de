"""Every input is checked: a damaged or ambiguous file is refused in one line naming the file, the
field or line, the value and what is allowed, with exit status 2 and before any model is built
(the ``lpsa`` fixture fails a test whose command builds one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lpsa.experiments.posterior import POSTERIOR_DIR, load_posterior
from lpsa.model import ScenarioError, load_scenario

BASE = "extends: lpsa1_baseline\nscheme:\n  n_authorities: 12\n"


def one_line(r) -> str:
    assert r.returncode == 2 and r.stderr.count("\n") == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stderr


@pytest.mark.parametrize(
    "body, named",
    [
        (
            "funding:\n  ppg_share: 0.2\n  ppg_share: 0.8\n",
            "at line 4, column 3: duplicate key 'ppg_share' (first at line 3)",
        ),
        ("funding:\n  ppg_share: yes\n", "field 'funding.ppg_share': got True; true/false is not"),
        ("scheme:\n  n_authorities: true\n", "field 'scheme.n_authorities': got True"),
        (
            "authorities:\n  rating_shares: [0.1, yes, 0.4, 0.2]\n",
            "field 'authorities.rating_shares': got [0.1, True, 0.4, 0.2]; true/false is not",
        ),
        (
            "approach:\n  fixed_shares: [.nan, 0.4, 0.3]\n",
            "field 'approach.fixed_shares.0': got nan; Input should be a finite number",
        ),
        (
            "authorities:\n  rating_shares: [0.1, .inf, 0.4, 0.2]\n",
            "field 'authorities.rating_shares.1': got inf; Input should be a finite number",
        ),
        (
            "implementation:\n  improvement_rate: .nan\n",
            "field 'implementation.improvement_rate': got nan",
        ),
    ],
)
def test_a_scenario_that_says_two_things_or_no_number_is_refused_in_one_line(
    body, named, tmp_path, lpsa
):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace("scheme:\n  n_authorities: 12\n", "") + body)
    err = one_line(lpsa(str(path), "--out", str(tmp_path / "o")))
    assert str(path) in err and named in err
    assert not (tmp_path / "o").exists()


def test_an_infinite_area_weight_is_refused_naming_it(tmp_path, lpsa):
    import yaml

    areas = load_scenario("lpsa1_baseline").model_dump()["areas"]
    areas["education"]["weight"] = float("inf")
    path = tmp_path / "bad.yaml"
    path.write_text("extends: lpsa1_baseline\n" + yaml.safe_dump({"areas": areas}))
    err = one_line(lpsa(str(path)))
    assert f"{path}: field 'areas.education.weight': got inf; Input should be a finite" in err


@pytest.mark.parametrize("shape", ["block", "flow"])
def test_deep_nesting_is_one_line(shape, tmp_path, lpsa):
    path = tmp_path / "deep.yaml"
    if shape == "flow":
        path.write_text("funding: " + "[" * 5000 + "]" * 5000 + "\n")
    else:
        path.write_text("".join(f"{' ' * i}k{i}:\n" for i in range(900)) + " " * 900 + "x: 1\n")
    err = one_line(lpsa(str(path)))
    assert str(path) in err and "nested more than 50 levels deep" in err


def test_a_shallow_table_of_the_same_keys_in_different_sections_is_fine():
    scenario = load_scenario(
        {"extends": "lpsa1_baseline", "funding": {"ppg_share": 0.3}, "stretch": {"ambition": 1.1}}
    )
    assert scenario.funding.ppg_share == 0.3


def cut_posterior(tmp_path: Path, rows: int) -> Path:
    csv = tmp_path / "cut.csv"
    table = pd.read_csv(POSTERIOR_DIR / "lpsa1_baseline.csv")
    table.head(rows).to_csv(csv, index=False)
    shutil.copy(POSTERIOR_DIR / "lpsa1_baseline.json", csv.with_suffix(".json"))
    return csv


def test_a_truncated_posterior_is_refused_naming_its_sidecar(tmp_path, lpsa):
    csv = cut_posterior(tmp_path, 10)
    with pytest.raises(ScenarioError, match="10 particles, but cut.json records particles"):
        load_posterior(csv)
    err = one_line(
        lpsa("compare", "ppg_heavy", "reward_heavy", "--posterior", str(csv), "--worlds", "2")
    )
    assert f"{csv}: 10 particles, but cut.json records particles 400" in err


def test_a_changed_posterior_is_refused_by_its_checksum(tmp_path):
    from lpsa.experiments.posterior import save_posterior

    saved = save_posterior(tmp_path / "p.csv", load_posterior("lpsa1_baseline"))
    meta = json.loads(saved.with_suffix(".json").read_text())
    assert meta["particles"] == 400 and len(meta["csv_sha256"]) == 64
    load_posterior(saved)  # as written: accepted
    table = pd.read_csv(saved)
    table.iloc[0, 1] = table.iloc[1, 1]  # another particle's value: still a valid posterior
    table.to_csv(saved, index=False)
    with pytest.raises(ScenarioError, match="its bytes differ from the checksum p.json records"):
        load_posterior(saved)


def test_discover_on_text_in_the_outcome_column_is_one_line(tmp_path, lpsa):
    table = tmp_path / "runs.csv"
    pd.DataFrame({"x": [0.1, 0.2, 0.3], "y": ["0.5", "abc", "0.7"]}).to_csv(table, index=False)
    err = one_line(lpsa("discover", str(table), "--outcome", "y", "--below", "0.6"))
    assert f"{table}: column 'y' is not numbers: got 'abc'" in err


def test_a_truncated_parquet_table_is_named(tmp_path, lpsa):
    table = tmp_path / "runs.parquet"
    pd.DataFrame({"x": [0.1, 0.2, 0.3], "y": [0.5, 0.6, 0.7]}).to_parquet(table)
    table.write_bytes(table.read_bytes()[:-30])
    err = one_line(lpsa("discover", str(table), "--outcome", "y", "--below", "0.6"))
    assert err.startswith(f"error: {table}: cannot be read as a table of runs")
