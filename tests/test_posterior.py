"""Posterior ensembles: weighted parameter sets that every analysis over the plausible worlds
loads, checked on load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lpsa.experiments.posterior import POSTERIOR_DIR, Posterior, load_posterior, save_posterior
from lpsa.experiments.uncertainty import Uncertain
from lpsa.model import ScenarioError


def posterior(weights=(1.0, 1.0, 2.0), halves=(0.3, 0.5, 0.7)) -> Posterior:
    particles = pd.DataFrame(
        {"implementation.capacity_half": halves, "gaming.propensity": [0.1, 0.2, 0.3]}
    )
    return Posterior("lpsa1_baseline", particles, np.asarray(weights), {"method": "test"})


def test_a_saved_posterior_loads_with_its_weights_normalised_and_its_provenance(tmp_path):
    path = save_posterior(tmp_path / "p.csv", posterior())
    loaded = load_posterior(path)
    assert loaded.base == "lpsa1_baseline" and loaded.meta["method"] == "test"
    assert loaded.weights.tolist() == [0.25, 0.25, 0.5]
    assert loaded.parameters == ["implementation.capacity_half", "gaming.propensity"]
    assert loaded.quantiles(0.5)["implementation.capacity_half"] == 0.5


def test_worlds_are_drawn_by_weight_and_the_same_seed_draws_the_same_worlds(tmp_path):
    p = load_posterior(save_posterior(tmp_path / "p.csv", posterior(weights=(0, 0, 1))))
    worlds = p.worlds(20, seed=4)
    assert (worlds["implementation.capacity_half"] == 0.7).all()
    q = load_posterior(tmp_path / "p.csv")
    mixed = load_posterior(save_posterior(tmp_path / "m.csv", posterior()))
    assert mixed.worlds(50, seed=9).equals(mixed.worlds(50, seed=9))
    assert not mixed.worlds(50, seed=9).equals(mixed.worlds(50, seed=10))
    assert q.effective_size == 1.0


def test_a_parameter_the_posterior_does_not_cover_is_drawn_from_its_prior_in_each_world(tmp_path):
    p = load_posterior(save_posterior(tmp_path / "p.csv", posterior()))
    pull = Uncertain("implementation.reward_corporate_pull", 0.0, 0.3, "test")
    covered = Uncertain("implementation.capacity_half", 0.0, 1.0, "test")
    worlds = p.worlds(400, seed=4, unfitted=[pull, covered])
    plain = p.worlds(400, seed=4)
    assert worlds[plain.columns].equals(plain)  # the posterior's own draws are unchanged
    drawn = worlds[pull.path]
    assert drawn.between(0.0, 0.3).all() and drawn.std() > 0.07  # uniform: sd 0.087
    assert worlds.equals(p.worlds(400, seed=4, unfitted=[pull, covered]))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.assign(weight=[1.0, -1.0, 1.0]), "field 'weight'"),
        (lambda t: t.assign(weight=[1.0, "x", 1.0]), "field 'weight', row 3: 'x'"),
        (lambda t: t.drop(columns="weight"), "field 'weight'"),
        (
            lambda t: t.assign(**{"gaming.propensity": [0.1, 0.2, 7.0]}),
            "largest values do not fit",
        ),
        (lambda t: t.rename(columns={"gaming.propensity": "gaming.nonsense"}), "nonsense"),
    ],
)
def test_a_broken_posterior_is_refused_naming_the_file_and_the_field(tmp_path, edit, message):
    path = save_posterior(tmp_path / "p.csv", posterior())
    edit(pd.read_csv(path)).to_csv(path, index=False)
    with pytest.raises(ScenarioError, match="p.csv") as err:
        load_posterior(path)
    assert message in str(err.value)


def test_a_missing_posterior_names_what_is_allowed(tmp_path):
    with pytest.raises(ScenarioError, match="no such posterior; allowed"):
        load_posterior(tmp_path / "none.csv")


def test_the_shipped_baseline_posterior_loads():
    path = POSTERIOR_DIR / "lpsa1_baseline.csv"
    p = load_posterior("lpsa1_baseline")
    assert p.path == path and len(p.particles) >= 50 and p.meta["base"] == "lpsa1_baseline"
    assert {"command", "seed", "held_out"} <= set(p.meta)


def test_the_central_order_starts_at_the_weighted_median_in_rank_space():
    # Particle 2 sits at both medians unweighted; weighting particle 0 heavily moves the median.
    particles = pd.DataFrame({"a": [1.0, 5.0, 3.0, 4.0, 2.0], "b": [10.0, 50.0, 30.0, 40.0, 20.0]})
    even = Posterior("lpsa1_baseline", particles, np.full(5, 0.2))
    assert even.central_order()[0] == 2
    heavy = Posterior("lpsa1_baseline", particles, np.array([0.6, 0.1, 0.1, 0.1, 0.1]))
    assert heavy.central_order()[0] == 0
    assert heavy.point(3, digits=1) == {"a": 4.0, "b": 40.0}
