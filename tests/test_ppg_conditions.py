"""PPG conditions, a lever of the funding regime (issue 26, item 3): a share of PPG reserved for
posts that plan, re-engineer and co-ordinate (``funding.ppg_coordination_min``, seeds 000:347)."""

from __future__ import annotations

import numpy as np
import pytest

from lpsa.model import ScenarioError, load_scenario
from lpsa.model.funding import coordination_share
from lpsa.model.model import LPSAModel
from lpsa.model.scenario import FundingParams
from lpsa.model.targets import MORE_OF_SAME


def test_a_ppg_condition_raises_each_council_that_would_spend_less_to_the_reserved_share() -> None:
    drawn = np.array([0.1, 0.45, 0.8])
    f = FundingParams(ppg_coordination_min=0.5)
    assert coordination_share(drawn, f).tolist() == [0.5, 0.5, 0.8]


def test_no_ppg_condition_leaves_each_council_s_own_choice() -> None:
    drawn = np.array([0.03, 0.4, 0.97])
    assert coordination_share(drawn, FundingParams()).tolist() == drawn.tolist()


def test_a_ppg_condition_is_a_funding_parameter_with_a_range() -> None:
    field = FundingParams.model_fields["ppg_coordination_min"]
    assert field.default == 0.0 and "[0-1]" in field.description and "000:347" in field.description
    with pytest.raises(ScenarioError, match="funding.ppg_coordination_min"):
        load_scenario("ppg_heavy", {"funding": {"ppg_coordination_min": 1.5}})


PPG_SHAPES_APPROACH = {"ppg_coordination_weight": 1.0, "ppg_frontline_weight": 1.0}
"""The hypothesis that how PPG is spent shapes the approach (000:347: 'without such focussed
attention the temptation is to do more of the same'; 000:326, 000:380), at the schema's weights:
a hypothesis with a switch (``mechanisms.ppg_shapes_approach``), not a settled fact."""


def _more_of_the_same(minimum: float, channel: bool = True) -> float:
    sc = load_scenario(
        "ppg_heavy",
        {
            "funding": {"ppg_coordination_min": minimum},
            "approach": PPG_SHAPES_APPROACH,
            "mechanisms": {"ppg_shapes_approach": channel},
        },
    )
    model = LPSAModel(sc, seed=5).run()
    signed = model.councils.signed
    return float((model.targets.plan.approach[signed] == MORE_OF_SAME).mean())


def test_ppg_reserved_for_co_ordination_leads_councils_away_from_more_of_the_same() -> None:
    # the same council draws (seed 5): only how PPG is spent differs. Where PPG shapes the
    # approach, the condition leads away from more of the same ...
    assert _more_of_the_same(1.0) < _more_of_the_same(0.0) - 0.02
    # ... and where it does not (the channel switched off), the condition changes no approach
    assert _more_of_the_same(1.0, channel=False) == _more_of_the_same(0.0, channel=False)


def test_more_of_the_same_takes_a_larger_slice_of_a_councils_ppg() -> None:
    """PPG spent on more of the same buys extra activity (000:326): a council spreads its PPG
    over its targets with ``approach.ppg_more_of_same_weight`` times as much on each
    more-of-the-same target as on each other, and spends all of it."""
    model = LPSAModel("lpsa1_baseline", seed=4, approach__ppg_more_of_same_weight=3.0)
    plan, ppg = model.targets.plan, model.councils.ppg
    mots = plan.approach == MORE_OF_SAME
    mixed = mots.any(axis=1) & ~mots.all(axis=1) & (ppg > 0)
    assert mixed.sum() > 50
    for i in np.flatnonzero(mixed):
        assert plan.ppg[i][mots[i]] == pytest.approx(3.0 * plan.ppg[i][~mots[i]][0])
        assert plan.ppg[i][~mots[i]] == pytest.approx(plan.ppg[i][~mots[i]][0])
    assert plan.ppg.sum(axis=1) == pytest.approx(ppg)
