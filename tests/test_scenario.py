"""Scenario files: inheritance, validation and the messages a user sees when a file is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lpsa.model import Scenario, ScenarioError, load_scenario
from lpsa.model.scenario import DEFAULT_COUNCIL_TYPES, SCENARIO_DIR, parameter_overrides

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads(name):
    sc = load_scenario(name)
    assert sc.name == name


def test_required_scenarios_are_shipped():
    assert {
        "lpsa1_baseline",
        "ppg_heavy",
        "reward_heavy",
        "lpsa2_local",
        "turbulent_priorities",
    } <= set(SHIPPED)


def test_ppg_heavy_and_reward_heavy_spend_the_same_money_split_differently():
    from lpsa.model import LPSAModel

    heavy = LPSAModel.from_scenario("ppg_heavy", seed=4)
    light = LPSAModel.from_scenario("reward_heavy", seed=4)
    assert (heavy.councils.ppg + heavy.councils.max_reward) == pytest.approx(
        light.councils.ppg + light.councils.max_reward
    )
    assert (heavy.councils.ppg > light.councils.ppg).all()


def test_extends_overrides_only_what_differs(tmp_path):
    child = write(tmp_path, "child.yaml", "extends: lpsa1_baseline\nfunding:\n  ppg_share: 0.3\n")
    sc = load_scenario(child)
    base = load_scenario("lpsa1_baseline")
    assert sc.name == "child"
    assert sc.funding.ppg_share == 0.3
    assert sc.funding.ppg_flat_gbp == base.funding.ppg_flat_gbp
    assert sc.scheme == base.scheme


def test_unknown_field_is_rejected_naming_file_and_field(tmp_path):
    p = write(tmp_path, "typo.yaml", "funding:\n  ppg_shar: 0.3\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert (
        str(p) in str(e.value)
        and "funding.ppg_shar" in str(e.value)
        and "unknown field" in str(e.value)
    )


def test_out_of_range_value_names_the_value_and_the_limit(tmp_path):
    p = write(tmp_path, "bad.yaml", "funding:\n  payout_floor: 1.7\n")
    msg = str(pytest.raises(ScenarioError, load_scenario, p).value)
    assert "funding.payout_floor" in msg and "1.7" in msg and "less than or equal to 1" in msg


def test_wrong_type_is_rejected(tmp_path):
    p = write(tmp_path, "bad.yaml", "scheme:\n  n_authorities: lots\n")
    msg = str(pytest.raises(ScenarioError, load_scenario, p).value)
    assert "scheme.n_authorities" in msg and "'lots'" in msg


def test_invalid_yaml_reports_line(tmp_path):
    p = write(tmp_path, "broken.yaml", "funding:\n  ppg_share: [0.3\n")
    msg = str(pytest.raises(ScenarioError, load_scenario, p).value)
    assert str(p) in msg and "line" in msg


def test_missing_file_lists_shipped_scenarios():
    msg = str(pytest.raises(ScenarioError, load_scenario, "no_such_scenario").value)
    assert "not found" in msg and "lpsa1_baseline" in msg


def test_circular_extends_is_reported(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    msg = str(pytest.raises(ScenarioError, load_scenario, tmp_path / "a.yaml").value)
    assert "circular" in msg


def test_council_types_without_any_council_are_rejected():
    none = {t: {**v, "count": 0} for t, v in DEFAULT_COUNCIL_TYPES.items()}
    with pytest.raises(ScenarioError, match="counts must not all be zero"):
        load_scenario({"authorities": {"types": none}})


def test_the_old_population_range_is_an_unknown_field():
    with pytest.raises(ScenarioError, match="authorities.population_min.*unknown field"):
        load_scenario({"authorities": {"population_min": 2e6}})


def test_top_level_must_be_a_mapping(tmp_path):
    p = write(tmp_path, "list.yaml", "- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(p)


def test_defaults_are_the_first_generation_rules():
    sc = Scenario()
    assert sc.funding.ppg_flat_gbp == 750_000 and sc.funding.ppg_per_head_gbp == 1.0
    assert sc.funding.reward_share_of_nbr == 0.025 and sc.funding.payout_floor == 0.6
    assert sc.scheme.n_authorities == 150 and sc.scheme.targets_per_authority == 12
    assert sc.scheme.implementation_quarters == 12 and sc.scheme.follow_up_quarters >= 20
    # England's 150 upper-tier councils by type (docs/data/england_councils_2001.md)
    counts = {name: t.count for name, t in sc.authorities.types.items()}
    assert counts == {"county": 34, "unitary": 47, "metropolitan": 36, "london": 33}
    assert sum(counts.values()) == sc.scheme.n_authorities


def test_default_councils_are_englands_150_with_populations_by_type():
    from lpsa.model import LPSAModel

    m = LPSAModel(Scenario(), seed=5)
    a = m.authorities_frame()
    assert len(a) == 150
    assert a["authority_type"].value_counts().to_dict() == {
        "unitary": 47,
        "metropolitan": 36,
        "county": 34,
        "london": 33,
    }
    median = a.groupby("authority_type")["population"].median()
    assert median["county"] > median["metropolitan"] > median["london"] > median["unitary"]
    assert 35e6 < a["population"].sum() < 60e6  # England: 49.1 million (2001 Census)
    per_head = (a["net_budget_gbp"] / a["population"]).groupby(a["authority_type"]).median()
    assert per_head["london"] > per_head["metropolitan"] > per_head["unitary"] > per_head["county"]


def test_one_council_type_can_be_changed_without_restating_the_others():
    sc = load_scenario(
        "lpsa1_baseline", {"authorities": {"types": {"county": {"nbr_per_head_gbp": 900}}}}
    )
    types = sc.authorities.types
    assert types["county"].nbr_per_head_gbp == 900 and types["county"].count == 34
    assert [types[t].count for t in ("unitary", "metropolitan", "london")] == [47, 36, 33]


def test_an_unknown_council_type_is_named_with_the_allowed_ones():
    with pytest.raises(ScenarioError) as err:
        load_scenario("lpsa1_baseline", {"authorities": {"types": {"shire": {"count": 3}}}})
    message = str(err.value)
    assert "'shire'" in message and "county, unitary, metropolitan, london" in message
    assert "Field required" not in message


def test_one_area_can_be_changed_by_path_on_a_file_that_does_not_list_the_areas():
    base = load_scenario("lpsa1_baseline")
    sc = load_scenario("lpsa1_baseline", parameter_overrides({"areas.education.weight": 2.0}))
    assert sc.areas["education"].weight == 2.0
    assert sc.areas["education"].tractability == base.areas["education"].tractability
    assert {k: v for k, v in sc.areas.items() if k != "education"} == {
        k: v for k, v in base.areas.items() if k != "education"
    }


def test_a_file_that_lists_its_areas_keeps_only_those_under_an_override(tmp_path):
    education = load_scenario("lpsa1_baseline").areas["education"].model_dump()
    path = write(tmp_path, "one_area.yaml", yaml.safe_dump({"areas": {"education": education}}))
    sc = load_scenario(path, parameter_overrides({"areas.education.weight": 3.0}))
    assert list(sc.areas) == ["education"] and sc.areas["education"].weight == 3.0


def test_a_misspelt_area_in_an_override_is_one_line_naming_what_is_missing():
    with pytest.raises(ScenarioError) as err:
        load_scenario("lpsa1_baseline", parameter_overrides({"areas.educaton.weight": 2.0}))
    message = str(err.value)
    assert len(message.splitlines()) == 1
    assert "'areas.educaton'" in message and "department" in message and "spelling" in message
