"""Tables that document themselves: every column of every Parquet file a run writes has a
description and a unit, declared once (``model/columns.py``), written into the file's schema and
into ``docs/data.md``, which is generated from the same declaration."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_helpers import run_cli

from lpsa.experiments import api, compare, compare_report
from lpsa.model import REGISTRY, load_scenario
from lpsa.model.columns import TABLES, data_dictionary, describe, parameter_column

ROOT = Path(__file__).resolve().parent.parent
DATA_MD = ROOT / "docs" / "data.md"
SMALL = {"scheme": {"n_authorities": 12}}


def undocumented(path: Path) -> list[str]:
    """The columns of a Parquet file without a description or a unit in its schema."""
    missing = []
    for field in pq.read_schema(path):
        meta = field.metadata or {}
        if not meta.get(b"description", b"").strip() or not meta.get(b"unit", b"").strip():
            missing.append(field.name)
    return missing


def documented(markdown: str) -> dict[str, set[str]]:
    """The columns docs/data.md lists under each ``## `FILE.parquet` `` heading."""
    out: dict[str, set[str]] = {}
    current = None
    for line in markdown.splitlines():
        heading = re.match(r"## `(\w+)\.parquet`", line)
        if heading:
            current = out.setdefault(heading.group(1), set())
        row = re.match(r"\| `([^`]+)` \|", line)
        if row and current is not None:
            current.add(row.group(1))
    return out


@pytest.fixture(scope="module")
def main_job(tmp_path_factory) -> Path:
    """``lpsa`` as a user runs it (twins, the default), on a small scenario: its results."""
    folder = tmp_path_factory.mktemp("main-job")
    scenario = folder / "small.yaml"
    scenario.write_text("extends: lpsa1_baseline\nname: small\nscheme: {n_authorities: 12}\n")
    out = folder / "out"
    r = run_cli(str(scenario), "--replications", "2", "--out", str(out), "--no-figures", "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_every_column_of_every_parquet_file_of_the_main_job_has_a_description_and_a_unit(main_job):
    files = sorted(main_job.glob("*.parquet"))
    assert {f.stem for f in files} == set(TABLES)
    for path in files:
        assert undocumented(path) == [], path.name


def test_docs_data_md_lists_exactly_the_columns_the_main_job_writes(main_job):
    listed = documented(DATA_MD.read_text())
    for path in sorted(main_job.glob("*.parquet")):
        written = set(pq.read_schema(path).names)
        elsewhere = {c.name for c in TABLES[path.stem] if c.when == "compare only"}
        assert written == listed[path.stem] - elsewhere, path.name


def test_docs_data_md_is_generated_from_the_declaration():
    assert DATA_MD.read_text() == data_dictionary(), (
        "docs/data.md is out of date: python -m lpsa.model.columns > docs/data.md"
    )


def test_a_sweep_describes_its_swept_parameters_from_the_scenario_schema(tmp_path):
    exp = api.experiment(
        name="swept",
        base=load_scenario("lpsa1_baseline", SMALL),
        levers={
            "funding.ppg_share": {"values": [0.2, 0.8]},
            "mechanisms.capacity_constraint": {"values": [True, False]},
        },
        replications=1,
        chunk_size=2,
    )
    api.run(exp, out=tmp_path)
    files = [tmp_path / "runs.parquet", *sorted((tmp_path / "chunks").glob("*.parquet"))]
    assert len(files) == 3  # the combined table and its two chunks
    for path in files:
        assert undocumented(path) == [], path.name
    schema = pq.read_schema(tmp_path / "runs.parquet")
    share = schema.field("funding.ppg_share").metadata
    assert share[b"unit"] == b"0-1" and b"share ; None" not in share[b"description"]
    assert share[b"description"].startswith(b"scenario parameter `funding.ppg_share`: if set")
    switch = schema.field("mechanisms.capacity_constraint").metadata
    assert switch[b"unit"] == b"true/false"
    outcome = schema.field("targets_met_share").metadata
    assert outcome[b"label"] == REGISTRY["targets_met_share"].label.encode()


def test_compare_describes_its_worlds_regimes_and_particles(tmp_path):
    a = load_scenario("ppg_heavy", SMALL)
    b = load_scenario("reward_heavy", SMALL)
    worlds = pd.DataFrame(
        {"particle": [4, 9], "sustainability.decay_rate_more_of_same": np.array([0.1, 0.3])}
    )
    runs = compare.run_worlds(a, b, worlds, replications=1, seed=5, twins=False)
    empty = pd.DataFrame()
    compare_report.write_tables(tmp_path, empty, empty, runs, a, b)
    assert {"world", "regime", "particle"} <= set(pq.read_schema(tmp_path / "runs.parquet").names)
    assert undocumented(tmp_path / "runs.parquet") == []


def test_parameter_columns_take_unit_and_words_from_the_schema_and_nothing_else_is_one():
    ppg = parameter_column("funding.ppg_share")
    assert ppg is not None and ppg.unit == "0-1" and "[" not in ppg.description
    area = parameter_column("areas.education.weight")
    assert area is not None and area.unit != "as in the scenario schema"
    assert parameter_column("mechanisms.setbacks").unit == "true/false"
    for name in ("name", "seed", "funding", "funding.no_such_thing", "areas.education", "x.y"):
        assert parameter_column(name) is None, name


def test_a_column_is_described_by_its_table_first_then_the_registry():
    prior, yearly = describe("authorities", "rating"), describe("ratings", "rating")
    assert "before the scheme" in prior.description and "year" in yearly.description
    assert describe("runs", "seed").unit == "integer"  # the run's seed, not the scenario's
    assert describe("runs", "retained_gain_3y").unit == REGISTRY["retained_gain_3y"].unit
    assert describe("targets", "retained_gain_3y") is None  # outcomes are columns of runs only
    assert describe("targets", "no_such_column") is None
