"""The dashboard's model wiring: controls and stories -> scenario overrides -> an LPSAModel.

SolaraViz re-creates the model with keyword arguments when the trainer presses Reset, so the
dashboard model is a thin subclass whose keywords map onto scenario overrides. A slider left at its
default position keeps the preset's own value, so presets and stories stay what they say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model import LPSAModel, load_scenario
from model.scenario import SCENARIO_DIR, Mechanisms, deep_merge

PRESETS = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class Story:
    """A ready-made lesson: a preset, what to change, and the one line a trainer says."""

    title: str
    preset: str
    overrides: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""


STORIES: dict[str, Story] = {
    "none": Story("Free play", "lpsa1_baseline", {}, "Move the controls, press Reset, then play."),
    "cash_strapped_more_of_the_same": Story(
        "A cash-strapped council doing more of the same",
        "lpsa1_baseline",
        {"authorities": {"budget_climate_mean": 0.12}, "approach": {"cash_strapped_weight": 4.0}},
        (
            "PPG spent fire-fighting buys a short boost that falls back when the money stops "
            "(000:93, 000:133)."
        ),
    ),
    "champion_leaves": Story(
        "A champion leaving without handover",
        "lpsa1_baseline",
        {
            "authorities": {"turnover_rate": 0.25, "leadership_mean": 0.1},
            "implementation": {"handover_base": 0.0, "reappoint_rate": 0.05},
        },
        (
            "When the person driving a target leaves and nobody picks it up, progress stalls "
            "(001:57, 001:93)."
        ),
    ),
    "priorities_shift": Story(
        "Central priorities shifting mid-agreement",
        "lpsa1_baseline",
        {"departments": {"priority_shift_rate": 0.2, "shift_recovery": 0.0, "shift_breadth": 0.7}},
        (
            "Car crime to burglary: most of an area's indicators lose priority while a few gain; "
            "the police follow the Home Office and partnership targets stall and fall back "
            "(000:173, 000:357)."
        ),
    ),
    "systemic_change": Story(
        "An authority making systemic change",
        "lpsa1_baseline",
        {
            "authorities": {"budget_climate_mean": 0.8, "risk_tolerance_mean": 0.85},
            "approach": {"base_systemic": 1.0},
        },
        (
            "Real innovation dips before it rises and only about one in three works; most systemic "
            "change applies best practice, and most of what works stays (001:101, 003:739, "
            "000:290)."
        ),
    ),
}

# Control name -> (scenario path, default slider position, label, min, max, step)
SLIDERS: dict[str, tuple[str, float, str, float, float, float]] = {
    "ppg_share": (
        "funding.ppg_share",
        0.13,
        "PPG share of the money (0 = all reward)",
        0.0,
        1.0,
        0.01,
    ),
    "stretch_ambition": ("stretch.ambition", 1.0, "Stretch ambition", 0.6, 1.6, 0.05),
    "turnover_rate": (
        "authorities.turnover_rate",
        0.08,
        "Staff turnover (per quarter)",
        0.0,
        0.3,
        0.01,
    ),
    "priority_shift_rate": (
        "departments.priority_shift_rate",
        0.04,
        "Central priority shifts (per quarter)",
        0.0,
        0.3,
        0.01,
    ),
    "budget_climate_mean": (
        "authorities.budget_climate_mean",
        0.5,
        "Budget climate (0 cash-strapped, 1 affluent)",
        0.05,
        0.95,
        0.05,
    ),
}
MECHANISMS = list(Mechanisms.model_fields)


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        tree = tree.setdefault(key, {})
    tree[leaf] = value


def dashboard_overrides(
    story: str = "none", mechanisms: dict[str, bool] | None = None, **controls: float
) -> dict[str, Any]:
    """Scenario overrides from a story, the slider positions and the mechanism switches.

    A slider at its default position is left out (the preset's or story's value stands); a switch
    that is on is left out (mechanisms are on by default).
    """
    if story not in STORIES:
        raise ValueError(f"unknown story {story!r}; allowed: {', '.join(STORIES)}")
    out = deep_merge({}, STORIES[story].overrides)
    for name, value in controls.items():
        path, default, *_ = SLIDERS[name]
        if abs(float(value) - default) > 1e-9:
            _set(out, path, float(value))
    for name, on in (mechanisms or {}).items():
        if name not in MECHANISMS:
            raise ValueError(f"unknown mechanism {name!r}")
        if not on:
            _set(out, f"mechanisms.{name}", False)
    return out


class DashboardModel(LPSAModel):
    """LPSAModel built from dashboard controls (all keywords, as SolaraViz needs)."""

    def __init__(
        self,
        preset: str = "lpsa1_baseline",
        story: str = "none",
        n_authorities: int = 150,
        seed: int = 2001,
        ppg_share: float = SLIDERS["ppg_share"][1],
        stretch_ambition: float = SLIDERS["stretch_ambition"][1],
        turnover_rate: float = SLIDERS["turnover_rate"][1],
        priority_shift_rate: float = SLIDERS["priority_shift_rate"][1],
        budget_climate_mean: float = SLIDERS["budget_climate_mean"][1],
        **kwargs: bool,
    ) -> None:
        # Mechanism switches arrive as keywords; Mesa's SolaraViz accepts extra names only via
        # **kwargs.
        # Mesa 3.5's SolaraViz also passes its own experimental `scenario`; the seed slider drives
        # ours.
        kwargs.pop("scenario", None)
        mechanisms = kwargs
        if story != "none":
            preset = STORIES[story].preset
        overrides = dashboard_overrides(
            story,
            mechanisms,
            ppg_share=ppg_share,
            stretch_ambition=stretch_ambition,
            turnover_rate=turnover_rate,
            priority_shift_rate=priority_shift_rate,
            budget_climate_mean=budget_climate_mean,
        )
        overrides = deep_merge(overrides, {"scheme": {"n_authorities": int(n_authorities)}})
        super().__init__(load_scenario(preset, overrides), seed=int(seed))
        self.preset, self.story = preset, story


def model_params() -> dict[str, Any]:
    """SolaraViz ``model_params``: presets, stories, sliders and a checkbox per mechanism (names
    must not clash)."""
    params: dict[str, Any] = {
        "preset": {
            "type": "Select",
            "value": "lpsa1_baseline",
            "values": PRESETS,
            "label": "Scenario preset",
        },
        "story": {"type": "Select", "value": "none", "values": list(STORIES), "label": "Story"},
        "n_authorities": {
            "type": "SliderInt",
            "value": 150,
            "min": 10,
            "max": 400,
            "step": 10,
            "label": "Councils",
        },
        "seed": {
            "type": "SliderInt",
            "value": 2001,
            "min": 1,
            "max": 9999,
            "step": 1,
            "label": "Seed",
        },
    }
    for name, (_, default, label, lo, hi, step) in SLIDERS.items():
        params[name] = {
            "type": "SliderFloat",
            "value": default,
            "min": lo,
            "max": hi,
            "step": step,
            "label": label,
        }
    for name in MECHANISMS:
        params[name] = {
            "type": "Checkbox",
            "value": True,
            "label": f"mechanism: {name.replace('_', ' ')}",
        }
    return params
