"""Per-target arrays of shape (councils, targets per council), grouped by role.

Performance is measured in *units of the agreed stretch*: 0 is the projected baseline (what would
have happened without the agreement) and 1 is the agreed enhancement. So the share of stretch
achieved at the end is simply the measured performance then, and the payout and attainment rules
(EVIDENCE.md 'Scheme rules') read it directly.

The arrays are grouped by when they are set and who sets them:

- :class:`TargetTraits`: what the target is, drawn with the basket (area, partner, national ...);
- :class:`TargetPlan`: fixed at negotiation and signing (stretch, approach, PPG, planned effort);
- :class:`TargetState`: what changes every quarter (core improvement, shocks, reported figure);
- :class:`EndOfAgreement`: the snapshot taken at assessment and the plan for what can be kept.

``core`` is the improvement the council's own work produced; ``true`` adds the background trend of
other national policies and external shocks that the council does not control (001:133:
outcomes 'strongly influenced by external factors or chance'); ``measured`` adds the reporting gap.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .scenario import APPROACHES, DEPARTMENTS, PARTNER_TYPES, QUARTERS_PER_YEAR, Scenario

SYSTEMIC, NEW_WORKING, MORE_OF_SAME = range(3)
OUTCOMES = ("met", "partly", "missed")


def _zeros(shape: tuple[int, int], dtype: type = float) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


@dataclass
class TargetTraits:
    """What each target is; drawn with the basket and never changed."""

    area: np.ndarray  # int: index into the scenario's areas
    department: np.ndarray  # int: index into DEPARTMENTS
    partner_type: np.ndarray  # int: index into PARTNER_TYPES
    national: np.ndarray  # bool
    local_priority: np.ndarray  # bool: a priority for the council itself (000:385, 001:77)
    partnership: np.ndarray  # bool: multi-agency target (001:105)
    cohort: np.ndarray  # bool: cohort-based target (000:349)
    visible: np.ndarray  # bool: service visible to influential publics (000:369)
    quality: np.ndarray  # indicator quality 0..1 (001:75)
    tractability: np.ndarray  # potential multiplier (001:131)
    exposure: np.ndarray  # multiplier of shock sd (001:133)
    trend: np.ndarray  # background improvement per quarter from other national policies (001:133)
    setback_after: np.ndarray  # int: quarters after the agreement's start a setback hits
    setback: np.ndarray  # fall of the indicator at the setback [share of stretch]; 0 for none


@dataclass
class TargetPlan:
    """Fixed at negotiation and signing."""

    potential: np.ndarray  # achievable at full effort / agreed stretch (central_team.set_stretch)
    morale: np.ndarray  # effort multiplier from how appropriate the stretch is (001:77)
    approach: np.ndarray  # int: SYSTEMIC, NEW_WORKING, MORE_OF_SAME; -1 before choice
    innovation: np.ndarray  # bool: a systemic approach that is real innovation (001:101)
    systemic_success: np.ndarray  # bool: systemic change became tangible (003:739)
    ppg: np.ndarray  # pump-priming grant spent on the target [GBP]
    ppg_part: np.ndarray  # share of the target's resources that PPG paid for [0-1]
    delay: np.ndarray  # int: quarters before the agreement's extra work starts (000:359)
    work_start: np.ndarray  # int: quarter the agreement's extra work starts
    base_effort: np.ndarray  # agreement effort: will x capacity x stretch morale, 0..1
    usual_effort: np.ndarray  # business-as-usual effort on the service, agreement or not, 0..1
    ceiling: np.ndarray  # potential of the chosen approach [share of stretch]
    gaming: np.ndarray  # gaming strength (gaming.py)
    presentation_gap: np.ndarray  # presentation part of the reporting gap (gaming.py)
    cohort_gap_per_gain: np.ndarray  # cohort over-reporting per unit of own gain (gaming.py)


@dataclass
class TargetState:
    """Changes every quarter."""

    champion: np.ndarray  # bool: a champion leads the target (001:93)
    central_priority: np.ndarray  # national priority on the target's indicator, 1 = usual (000:173)
    effort: np.ndarray  # effective effort this quarter, 0..1 (0 outside implementation)
    shock: np.ndarray  # AR(1) external shock state
    background: np.ndarray  # background improvement accumulated since the agreement's start
    core: np.ndarray  # improvement the council's own work produced [share of stretch]
    usual_core: np.ndarray  # what its business-as-usual effort alone would have built [same]
    true: np.ndarray  # true outcome: core + background + exposure x shock [share of stretch]
    gap: np.ndarray  # reported minus true [share of stretch]
    measured: np.ndarray  # reported performance: true + gap [share of stretch]
    continuation: np.ndarray  # share of ongoing costs the council keeps funding after the end


@dataclass
class EndOfAgreement:
    """The snapshot at assessment, and the plan for what can be kept afterwards."""

    core: np.ndarray  # core at the agreement's end
    true: np.ndarray  # true outcome at the end
    measured: np.ndarray  # reported at the end (assessed and paid on)
    partner_effort: np.ndarray  # partner effort at the end, reference for later withdrawal
    reward: np.ndarray  # reward earned by the target [GBP]
    usual_core: np.ndarray  # what business as usual alone had built by the end: kept as normal work
    keep_persistent: np.ndarray  # share of the agreement's gain kept whatever happens (systemic)
    keep_fixed: np.ndarray  # share of the rest kept whatever the funding
    keep_per_funding: np.ndarray  # extra share of the rest kept per unit of continuation funding
    ppg_loss: np.ndarray  # share of the rest lost with the PPG, as continuation falls short
    partner_dependent: np.ndarray  # bool: what is kept moves with partners' effort
    decay_rate: np.ndarray  # share of the gap to the floor lost per quarter


@dataclass
class Targets:
    """Every target of every council: ``traits``, ``plan``, ``state`` and ``end``."""

    traits: TargetTraits
    plan: TargetPlan
    state: TargetState
    end: EndOfAgreement

    @property
    def shape(self) -> tuple[int, int]:
        return self.traits.area.shape


def _blank(cls: type, shape: tuple[int, int], **given: np.ndarray) -> object:
    """An instance of ``cls`` with ``given`` arrays and zeros of ``shape`` for the rest."""
    return cls(**{f.name: given.get(f.name, _zeros(shape)) for f in fields(cls)})


def draw_setbacks(
    rng: np.random.Generator, sc: Scenario, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Setbacks the council does not control: which targets meet one, when, and how hard.

    The interim evaluation found outcomes 'strongly influenced by external factors or chance'
    (001:133), targets that 'subsequently turned out to be harder ... than could have been
    foreseen' (001:77) and indicators so poorly defined or hard to influence that councils called
    success or failure 'a lottery' (001:75). Councils' own end-of-agreement records show the
    consequence: a third of one council's targets earned nothing, and typical councils earned a
    little under 60 % of the maximum reward (``../shared/RECORDS.md``), where small quarterly
    shocks alone leave most targets just under full stretch. A setback is one such event: an
    indicator redefined, a service that collapses, a cohort that turns out harder. Each target
    meets one with chance ``implementation.setback_probability``; it surfaces in the agreement's
    last year with chance ``setback_late_share`` (a cohort's results, an indicator found ill-defined
    when the claim is audited; 001:77 'subsequently'), otherwise at a quarter drawn uniformly over
    the agreement (``setback_after``, counted from its start); the indicator then stays lower by
    ``setback_size`` of the stretch times a uniform 0.5-1.5 (``setback``). The evidence sizes
    none of the three: all are uncertain parameters whose ranges include 'no effect' (0).

    Every target draws, whether or not its council signs and whatever the switch, from the
    setbacks' own stream, so business-as-usual twins meet the same setbacks (they are external
    events) and no other stream moves. Off with ``mechanisms.setbacks``.
    """
    im = sc.implementation
    u = rng.random((4, *shape))
    q = sc.scheme.implementation_quarters
    last_year = min(QUARTERS_PER_YEAR, q)
    after = np.where(
        u[3] < im.setback_late_share,
        q - last_year + np.floor(u[1] * last_year),
        np.floor(u[1] * q),
    ).astype(np.int64)
    size = np.where(u[0] < im.setback_probability, im.setback_size * (0.5 + u[2]), 0.0)
    if not sc.mechanisms.setbacks:
        size = _zeros(shape)
    return after, size


def unprojected_trend(
    area_trend: np.ndarray, spread: np.ndarray, missed: float, on: bool
) -> np.ndarray:
    """Each target's improvement per quarter from other national policies that the projected
    baseline did not foresee [share of stretch per quarter].

    Other national policies pushed the same way as many targets, 'with considerably more powerful
    levers' (001:133); the stretch is measured above the *projected* no-agreement baseline
    (EVIDENCE.md:26), projected from 'inadequate trend data' (001:77). What the projection missed is
    the part of the area's trend (``area_trend``, x the target's lognormal ``spread``) that moves
    the indicator above the baseline with or without the agreement: the no-agreement twin's gap
    from the baseline. ``missed`` is ``attribution.unprojected_trend`` (0: the projection foresaw
    it all, and the twin stays at the baseline but for business as usual, chance and setbacks);
    zero with ``mechanisms.background_trend`` off (``on``). The spread is drawn whatever the
    switch, so the stream stays aligned.
    """
    if not on:
        return np.zeros_like(spread)
    return area_trend * spread * missed


def choose_local_targets(
    area: np.ndarray,
    offered: np.ndarray,
    national: np.ndarray,
    area_tractability: np.ndarray,
    area_partnership_prob: np.ndarray,
    partnership_draw: np.ndarray,
    u: np.ndarray,
    easy_area_preference: float,
    partnership_avoidance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Councils choose their local targets: an easier area, and single-agency over partnership.

    Convenience (000:115): 'authorities chose to pursue improvement in service areas where
    performance was already satisfactory, or above average, simply out of convenience or because
    they were led towards those areas by Government departments'. Each local target is also offered
    a second area (``offered``, drawn with the same area weights); with chance
    ``easy_area_preference`` the council takes whichever of the two has the higher tractability
    (``area_tractability``, by area: the potential multiplier, 001:131).

    Risk (001:105): 'many authorities tried to avoid partnership targets in their first LPSA -
    rightly perceiving these as more risky'. A target in the chosen area would be a partnership
    target when ``partnership_draw`` (uniform) is below the area's ``area_partnership_prob``; with
    chance ``partnership_avoidance`` a local one is agreed as a single-agency target instead.

    National targets are imposed (001:63) and keep their area and partnership. ``u`` holds two
    uniform draws per target, ``u[0]`` for the area and ``u[1]`` for the partnership; with both
    parameters 0 nothing changes. Returns the chosen (area, partnership).
    """
    local = ~national
    easier = area_tractability[offered] > area_tractability[area]
    chosen = np.where(local & easier & (u[0] < easy_area_preference), offered, area)
    partnership = partnership_draw < area_partnership_prob[chosen]
    avoided = local & partnership & (u[1] < partnership_avoidance)
    return chosen, partnership & ~avoided


def draw_targets(
    rng: np.random.Generator,
    sc: Scenario,
    n_auth: int,
    setbacks: np.random.Generator,
    choice: np.random.Generator,
) -> Targets:
    """Draw each agreement's basket of targets: areas, national or local, partnership, cohort ...

    Area frequencies, partnership and cohort shares, visibility, exposure and background trend come
    from the scenario's area table (001:131, 001:105, 000:349, 000:369, 001:133). Local targets are
    local priorities; a national target is one with chance ``scheme.national_local_priority`` (LPSA1
    required national targets, so 'not all targets were the highest local priorities', 000:385).
    Councils then choose their local targets (``choose_local_targets``: ``negotiation.*``, off with
    ``mechanisms.target_choice``), from their own stream ``choice``, drawn whatever the switch:
    the offered area, two uniforms and the offered area's indicator quality for every target.
    Reads ``scheme.*``, ``areas``, ``attribution.background_sd``; the trend is
    ``unprojected_trend``. Setbacks come from their own stream (``draw_setbacks``).
    """
    T = sc.scheme.targets_per_authority
    shape = (n_auth, T)
    names = list(sc.areas)
    ar = [sc.areas[n] for n in names]
    w = np.array([a.weight for a in ar], dtype=float)
    area = rng.choice(len(names), size=shape, p=w / w.sum())
    q_by_area = np.array([a.indicator_quality_mean for a in ar], dtype=float)
    k = sc.authorities.trait_concentration
    offered = choice.choice(len(names), size=shape, p=w / w.sum())
    v = choice.random((2, *shape))
    offered_quality = choice.beta(q_by_area[offered] * k, (1 - q_by_area[offered]) * k)

    def lookup(attr: str, dtype: type = float) -> np.ndarray:
        return np.array([getattr(a, attr) for a in ar], dtype=dtype)[area]

    u = rng.random((5, *shape))
    drawn_area = area
    national = u[0] < sc.scheme.national_share
    area_partnership_prob = np.array([a.partnership_prob for a in ar], dtype=float)
    partnership = u[1] < area_partnership_prob[area]
    if sc.mechanisms.target_choice:
        area, partnership = choose_local_targets(
            area,
            offered,
            national,
            np.array([a.tractability for a in ar], dtype=float),
            area_partnership_prob,
            u[1],
            v,
            sc.negotiation.easy_area_preference,
            sc.negotiation.partnership_avoidance,
        )
    # the targets stream draws quality for the drawn area whatever the choice, so that its later
    # draws (the trend) stay; a target moved to the offered area takes the offered area's quality
    q_mean = q_by_area[drawn_area]
    quality = rng.beta(q_mean * k, (1 - q_mean) * k)
    quality = np.where(area == drawn_area, quality, offered_quality)
    trend = unprojected_trend(
        lookup("background_trend"),
        rng.lognormal(-(sc.attribution.background_sd**2) / 2, sc.attribution.background_sd, shape),
        sc.attribution.unprojected_trend,
        sc.mechanisms.background_trend,
    )
    setback_after, setback = draw_setbacks(setbacks, sc, shape)
    traits = TargetTraits(
        area=area,
        department=np.array([DEPARTMENTS.index(a.department) for a in ar])[area],
        partner_type=np.array([PARTNER_TYPES.index(a.partner) for a in ar])[area],
        national=national,
        local_priority=~national | (u[4] < sc.scheme.national_local_priority),
        partnership=partnership,
        cohort=u[2] < lookup("cohort_prob"),
        visible=u[3] < lookup("visibility_prob"),
        quality=quality,
        tractability=lookup("tractability"),
        exposure=lookup("exposure"),
        trend=trend,
        setback_after=setback_after,
        setback=setback,
    )
    plan = _blank(
        TargetPlan,
        shape,
        potential=np.ones(shape),
        morale=np.ones(shape),
        approach=np.full(shape, -1),
        innovation=_zeros(shape, bool),
        systemic_success=_zeros(shape, bool),
        delay=_zeros(shape, int),
        work_start=_zeros(shape, int),
    )
    state = _blank(
        TargetState,
        shape,
        champion=_zeros(shape, bool),
        central_priority=np.ones(shape),
    )
    end = _blank(
        EndOfAgreement,
        shape,
        partner_effort=np.ones(shape),
        partner_dependent=_zeros(shape, bool),
    )
    return Targets(traits=traits, plan=plan, state=state, end=end)


def classify_attainment(share_achieved: np.ndarray, floor: float, cap: float = 1.0) -> np.ndarray:
    """0 met (>= cap of stretch), 1 partly met (floor..cap), 2 missed (< floor). Scheme rules."""
    return np.where(share_achieved >= cap, 0, np.where(share_achieved >= floor, 1, 2))


__all__ = [
    "APPROACHES",
    "MORE_OF_SAME",
    "NEW_WORKING",
    "OUTCOMES",
    "SYSTEMIC",
    "EndOfAgreement",
    "TargetPlan",
    "TargetState",
    "TargetTraits",
    "Targets",
    "choose_local_targets",
    "classify_attainment",
    "draw_setbacks",
    "draw_targets",
]
