"""The dashboard's settings and stories -> scenario overrides -> models.

A trainer's choices are one frozen :class:`Settings`: a story, five sliders, an optional regime to
compare with, the mechanisms switched off, the seed and the number of councils. A story is a
preset, the slider positions it sets (the page moves the sliders there, visibly), overrides that
have no slider, and optionally a second regime run beside it on the same councils and seed.
Sliders always set their scenario path, so what the page shows is what the model runs.

Pure: no Solara, no figures. ``viz/session.py`` builds the runs; ``viz/app.py`` draws them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from lpsa.model import LPSAModel, load_scenario
from lpsa.model.scenario import Mechanisms, Scenario, deep_merge, parameter_overrides


@dataclass(frozen=True)
class Slider:
    """One slider: the scenario path it sets, how people read it, and its range."""

    path: str
    label: str
    low: float
    high: float
    step: float
    percent: bool = False  # shown as a percentage

    def show(self, value: float | None) -> str:
        if value is None:
            return f"{rules_ppg_share():.0%}, the scheme's own split"
        return f"{value:.0%}" if self.percent else f"{value:g}"


SLIDERS: dict[str, Slider] = {
    "ppg_share": Slider("funding.ppg_share", "Money paid up front (PPG)", 0.0, 1.0, 0.01, True),
    "stretch_ambition": Slider("stretch.ambition", "How hard the targets are", 0.6, 1.6, 0.05),
    "turnover_rate": Slider(
        "authorities.turnover_rate", "Staff leaving, each quarter", 0.0, 0.3, 0.01, True
    ),
    "priority_shift_rate": Slider(
        "departments.priority_shift_rate", "Central priorities shifting", 0.0, 0.3, 0.01, True
    ),
    "budget_climate_mean": Slider(
        "authorities.budget_climate_mean", "Councils' budgets (0 poor, 1 rich)", 0.05, 0.95, 0.05
    ),
}
"""The controls on the page, in order."""

BASE_PRESET = "lpsa1_baseline"


@cache
def preset_scenario(name: str) -> Scenario:
    """A shipped scenario, parsed once per process."""
    return load_scenario(name)


def _regime_label(name: str, title: str) -> str:
    """``title``, with the money split that the regime's scenario sets, if it sets one."""
    share = preset_scenario(name).funding.ppg_share
    return title if share is None else f"{title}: {share:.0%} up front"


REGIMES: dict[str, str] = {
    name: _regime_label(name, title)
    for name, title in (
        ("reward_heavy", "Reward-heavy"),
        ("ppg_heavy", "PPG-heavy"),
        (BASE_PRESET, "The scheme as it was"),
    )
}
"""Funding regimes a run can be compared with: scenario name -> label (its money split read from
the scenario). The comparison run is the first run with only its money split
(``funding.ppg_share``) taken from the regime's scenario."""


@dataclass(frozen=True)
class Story:
    """A ready-made lesson: the slider positions it sets, overrides with no slider, and the regime
    to compare with. Its words (title, what to watch, narration) are in ``viz/words.py``."""

    sliders: dict[str, float] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    preset: str = BASE_PRESET
    compare: str | None = None


STORIES: dict[str, Story] = {
    "free_play": Story(),
    "ppg_vs_reward": Story(sliders={"ppg_share": 0.5}, compare="reward_heavy"),
    "more_of_the_same": Story(
        sliders={"budget_climate_mean": 0.15, "ppg_share": 0.5},
        overrides={"approach": {"cash_strapped_weight": 4.0}},
    ),
    "champion_leaves": Story(
        sliders={"turnover_rate": 0.25},
        overrides={
            "authorities": {"leadership_mean": 0.1},
            "implementation": {"handover_base": 0.0, "reappoint_rate": 0.05},
        },
    ),
    "priorities_shift": Story(
        sliders={"priority_shift_rate": 0.2},
        overrides={"departments": {"shift_recovery": 0.0, "shift_breadth": 0.7}},
    ),
    "systemic_change": Story(
        sliders={"budget_climate_mean": 0.8},
        overrides={
            "authorities": {"risk_tolerance_mean": 0.85},
            "approach": {"base_systemic": 1.0},
        },
    ),
}
"""The lessons a trainer can pick, in the order the page offers them."""

MECHANISMS = list(Mechanisms.model_fields)


def _get(tree: Any, path: str) -> Any:
    for key in path.split("."):
        tree = getattr(tree, key)
    return tree


@cache
def rules_ppg_share() -> float:
    """The share of the money paid up front under the scheme's own rules (a flat sum plus so much
    a head as PPG, a share of the budget as reward: ``funding.ppg_share`` left unset), over all
    councils of the base preset."""
    c = LPSAModel(preset_scenario(BASE_PRESET), seed=0).councils
    return float(c.ppg.sum() / (c.ppg.sum() + c.max_reward.sum()))


def slider_positions(story: str) -> dict[str, float | None]:
    """Where a story puts every slider: its own positions, else its preset's values (None where
    the preset leaves the value to the scheme's rules, as the money split)."""
    st = STORIES[story]
    base = preset_scenario(st.preset)
    return {name: st.sliders.get(name, _get(base, s.path)) for name, s in SLIDERS.items()}


@dataclass(frozen=True)
class Settings:
    """Everything a trainer can set. ``Settings.for_story`` gives a story's starting point."""

    story: str = "free_play"
    sliders: tuple[tuple[str, float | None], ...] = ()
    compare: str | None = None
    mechanisms_off: frozenset[str] = frozenset()
    seed: int = 2001
    n_authorities: int = 150

    def __post_init__(self) -> None:
        if self.story not in STORIES:
            raise ValueError(f"unknown story {self.story!r}; allowed: {', '.join(STORIES)}")
        if self.compare is not None and self.compare not in REGIMES:
            raise ValueError(f"unknown regime {self.compare!r}; allowed: {', '.join(REGIMES)}")
        unknown = set(self.mechanisms_off) - set(MECHANISMS)
        if unknown:
            raise ValueError(f"unknown mechanism {sorted(unknown)[0]!r}")
        bad = set(dict(self.sliders)) - set(SLIDERS)
        if bad:
            raise ValueError(f"unknown slider {sorted(bad)[0]!r}; allowed: {', '.join(SLIDERS)}")

    @classmethod
    def for_story(cls, story: str, **kw: Any) -> Settings:
        """A story's sliders and comparison; anything else (seed, councils, ...) from ``kw``."""
        positions = tuple(slider_positions(story).items())
        return cls(story=story, sliders=positions, compare=STORIES[story].compare, **kw)

    def slider(self, name: str) -> float | None:
        """The slider's value (None: left to the scheme's rules)."""
        return dict(self.sliders).get(name, slider_positions(self.story)[name])

    def with_slider(self, name: str, value: float | None) -> Settings:
        values = {n: self.slider(n) for n in SLIDERS} | {name: value}
        return replace(self, sliders=tuple(values.items()))

    def with_mechanism(self, name: str, on: bool) -> Settings:
        off = self.mechanisms_off - {name} if on else self.mechanisms_off | {name}
        return replace(self, mechanisms_off=frozenset(off))


def overrides(settings: Settings, regime: str | None = None) -> dict[str, Any]:
    """Scenario overrides for ``settings``; with ``regime``, the money split is that regime's."""
    paths: dict[str, Any] = {s.path: settings.slider(name) for name, s in SLIDERS.items()}
    if regime is not None:
        paths["funding.ppg_share"] = preset_scenario(regime).funding.ppg_share
    paths |= {f"mechanisms.{name}": False for name in sorted(settings.mechanisms_off)}
    paths["scheme.n_authorities"] = int(settings.n_authorities)
    return deep_merge(STORIES[settings.story].overrides, parameter_overrides(paths))


def build_model(settings: Settings, regime: str | None = None) -> LPSAModel:
    """The model for ``settings`` (or its comparison run, with ``regime``'s money split)."""
    preset = STORIES[settings.story].preset
    return LPSAModel(load_scenario(preset, overrides(settings, regime)), seed=int(settings.seed))


# ---------------------------------------------------------------------------------- links

MAX_AUTHORITIES = 300
"""The most councils the page offers (the Advanced panel's slider)."""


def settings_query(settings: Settings) -> dict[str, str]:
    """``settings`` as a link's query parameters: every slider at its exact value ("rules" for the
    scheme's own split), so that the link runs the same model."""
    query = {"story": settings.story}
    for name in SLIDERS:
        value = settings.slider(name)
        query[name] = "rules" if value is None else repr(float(value))
    if settings.compare:
        query["compare"] = settings.compare
    if settings.mechanisms_off:
        query["off"] = ",".join(sorted(settings.mechanisms_off))
    query["seed"] = str(settings.seed)
    query["councils"] = str(settings.n_authorities)
    return query


def link_query(settings: Settings, pinned: Settings | None = None, quarter: int = 0) -> str:
    """The query string of a link that reproduces the set-up: the settings and, if a run is
    pinned, its settings (``pin.`` before each name) and the quarter it was pinned at."""
    query = settings_query(settings)
    if pinned is not None:
        query |= {f"pin.{k}": v for k, v in settings_query(pinned).items()}
        query["pin.quarter"] = str(int(quarter))
    return urlencode(query)


def _number(text: str | None, low: float, high: float) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def settings_from_query(query: Mapping[str, str], prefix: str = "") -> Settings | None:
    """The settings a link's query gives (``prefix``: the pinned run's, ``"pin."``); None when it
    names no known story. Anything unknown or out of range is left at the story's value: a
    mistyped link opens the page, never an error."""
    story = query.get(prefix + "story")
    if story not in STORIES:
        return None
    settings = Settings.for_story(story)
    for name, s in SLIDERS.items():
        text = query.get(prefix + name)
        if text == "rules" and name == "ppg_share":
            settings = settings.with_slider(name, None)
        elif (value := _number(text, s.low, s.high)) is not None:
            settings = settings.with_slider(name, value)
    compare = query.get(prefix + "compare")
    off = {m for m in (query.get(prefix + "off") or "").split(",") if m in MECHANISMS}
    seed = _number(query.get(prefix + "seed"), 0, 2**31 - 1)
    councils = _number(query.get(prefix + "councils"), 20, MAX_AUTHORITIES)
    return replace(
        settings,
        compare=compare if compare in REGIMES else settings.compare,
        mechanisms_off=frozenset(off),
        seed=int(seed) if seed is not None else settings.seed,
        n_authorities=int(councils) if councils is not None else settings.n_authorities,
    )


def parse_link(search: str | None) -> tuple[Settings | None, Settings | None, int]:
    """A link's query string -> (settings, pinned run's settings, quarter it was pinned at)."""
    query = dict(parse_qsl(search or "", keep_blank_values=True))
    quarter = _number(query.get("pin.quarter"), 0, 10_000)
    return (
        settings_from_query(query),
        settings_from_query(query, "pin."),
        int(quarter or 0),
    )
