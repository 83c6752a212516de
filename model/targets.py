"""Per-target state, held in numpy arrays of shape (authorities, targets per authority).

Performance is measured in *units of the agreed stretch*: 0 is the projected baseline (what would
have happened without the agreement) and 1 is the agreed enhancement. So the share of stretch
achieved at the end is simply the measured performance then, and the payout and attainment rules
(EVIDENCE.md 'Scheme rules') read it directly.

``core`` is the underlying improvement the authority's work produced; ``measured`` adds external
shocks that the authority does not control (001:133: outcomes 'strongly influenced by external
factors or chance').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import APPROACHES, DEPARTMENTS, PARTNER_TYPES, Scenario

SYSTEMIC, NEW_WORKING, MORE_OF_SAME = range(3)
OUTCOMES = ("met", "partly", "missed")


@dataclass
class Targets:
    """Arrays of shape (A, T) unless noted; one row per authority, one column per target slot."""

    area: np.ndarray  # int: index into area_names
    department: np.ndarray  # int: index into DEPARTMENTS
    partner_type: np.ndarray  # int: index into PARTNER_TYPES
    national: np.ndarray  # bool
    partnership: np.ndarray  # bool: multi-agency target (001:105)
    cohort: np.ndarray  # bool: cohort-based target (000:349)
    visible: np.ndarray  # bool: service visible to influential publics (000:369)
    quality: np.ndarray  # indicator quality 0..1 (001:75)
    tractability: np.ndarray  # potential multiplier (001:131)
    exposure: np.ndarray  # multiplier of shock sd (001:133)
    potential: np.ndarray  # achievable at full effort / agreed stretch (set by central_team)
    morale: np.ndarray  # effort multiplier from how appropriate the stretch is (001:77)
    approach: np.ndarray  # int: SYSTEMIC, NEW_WORKING, MORE_OF_SAME; -1 before choice
    innovation_success: np.ndarray  # bool: systemic change became tangible (003:739)
    ppg: np.ndarray  # pump-priming grant spent on the target [GBP]
    delay: np.ndarray  # int: quarters before real work starts (000:359)
    champion: np.ndarray  # bool: a champion leads the target (001:93)
    central_priority: np.ndarray  # 0..1: national priority on the target's indicator (000:173)
    shock: np.ndarray  # AR(1) external shock state
    trend: np.ndarray  # background improvement per quarter from other national policies (001:133)
    background: np.ndarray  # background improvement accumulated since the agreement's start
    core: np.ndarray  # improvement the council's own work produced [share of stretch]
    true: np.ndarray  # true outcome: core + background + exposure x shock [share of stretch]
    gaming: np.ndarray  # gaming strength, fixed at signing (model/gaming.py)
    gap: np.ndarray  # reported minus true [share of stretch]
    presentation_gap: np.ndarray  # presentation part of the gap, fixed at signing (gaming.py)
    cohort_gap_per_gain: np.ndarray  # cohort over-reporting per unit of own gain, fixed at signing
    measured: np.ndarray  # reported performance: true + gap [share of stretch]
    end_core: np.ndarray  # core at the agreement's end
    end_true: np.ndarray  # true outcome at the agreement's end
    end_measured: np.ndarray  # reported at the agreement's end (assessed and paid on)
    end_partner_effort: np.ndarray  # partner effort at the end, reference for later withdrawal
    continuation: np.ndarray  # share of ongoing costs the authority keeps funding after the end
    reward: np.ndarray  # reward earned by the target [GBP]
    # Fixed when the council signs (lifecycle.plan_effort):
    base_effort: np.ndarray  # will x capacity x stretch morale, 0..1
    ceiling: np.ndarray  # potential of the chosen approach [share of stretch]
    work_start: np.ndarray  # int: quarter real work starts
    # Fixed at the end (lifecycle.plan_sustainability):
    keep_fixed: np.ndarray  # share of the end gain kept whatever the funding
    keep_per_funding: np.ndarray  # extra share kept per unit of continuation funding
    partner_dependent: np.ndarray  # bool: floor moves with partners' effort
    decay_rate: np.ndarray  # share of the gap to the floor lost per quarter

    @property
    def shape(self) -> tuple[int, int]:
        return self.area.shape


def draw_targets(rng: np.random.Generator, sc: Scenario, n_auth: int) -> Targets:
    """Draw each agreement's basket of targets: areas, national/local, partnership, cohort, etc.

    Area frequencies, partnership and cohort shares, visibility, exposure and background trend come
    from the scenario's area table (001:131, 001:105, 000:349, 000:369, 001:133). Reads
    ``scheme.*``, ``areas``, ``attribution.background_sd``; the trend is zero with
    ``mechanisms.background_trend`` off.
    """
    T = sc.scheme.targets_per_authority
    shape = (n_auth, T)
    names = list(sc.areas)
    ar = [sc.areas[n] for n in names]
    w = np.array([a.weight for a in ar], dtype=float)
    area = rng.choice(len(names), size=shape, p=w / w.sum())

    def lookup(attr: str, dtype: type = float) -> np.ndarray:
        return np.array([getattr(a, attr) for a in ar], dtype=dtype)[area]

    dept_idx = np.array([DEPARTMENTS.index(a.department) for a in ar])[area]
    partner_idx = np.array([PARTNER_TYPES.index(a.partner) for a in ar])[area]
    u = rng.random((5, *shape))
    q_mean = lookup("indicator_quality_mean")
    k = sc.authorities.trait_concentration
    quality = rng.beta(q_mean * k, (1 - q_mean) * k)
    zeros = np.zeros(shape)
    spread = sc.attribution.background_sd
    trend = lookup("background_trend") * rng.lognormal(
        -(spread**2) / 2, spread, size=shape
    )  # mean = area trend
    if not sc.mechanisms.background_trend:
        trend = zeros.copy()
    return Targets(
        area=area,
        department=dept_idx,
        partner_type=partner_idx,
        national=u[0] < sc.scheme.national_share,
        partnership=u[1] < lookup("partnership_prob"),
        cohort=u[2] < lookup("cohort_prob"),
        visible=u[3] < lookup("visibility_prob"),
        quality=quality,
        tractability=lookup("tractability"),
        exposure=lookup("exposure"),
        potential=np.ones(shape),
        morale=np.ones(shape),
        approach=np.full(shape, -1),
        innovation_success=np.zeros(shape, dtype=bool),
        ppg=zeros.copy(),
        delay=np.zeros(shape, dtype=int),
        champion=np.zeros(shape, dtype=bool),
        central_priority=np.ones(shape),
        shock=zeros.copy(),
        trend=trend,
        background=zeros.copy(),
        core=zeros.copy(),
        true=zeros.copy(),
        gaming=zeros.copy(),
        gap=zeros.copy(),
        presentation_gap=zeros.copy(),
        cohort_gap_per_gain=zeros.copy(),
        measured=zeros.copy(),
        end_core=zeros.copy(),
        end_true=zeros.copy(),
        end_measured=zeros.copy(),
        end_partner_effort=np.ones(shape),
        continuation=zeros.copy(),
        reward=zeros.copy(),
        base_effort=zeros.copy(),
        ceiling=zeros.copy(),
        work_start=np.zeros(shape, dtype=int),
        keep_fixed=zeros.copy(),
        keep_per_funding=zeros.copy(),
        partner_dependent=np.zeros(shape, dtype=bool),
        decay_rate=zeros.copy(),
    )


def classify_attainment(share_achieved: np.ndarray, floor: float, cap: float = 1.0) -> np.ndarray:
    """0 met (>= cap of stretch), 1 partly met (floor..cap), 2 missed (< floor). Scheme rules."""
    return np.where(share_achieved >= cap, 0, np.where(share_achieved >= floor, 1, 2))


__all__ = [
    "Targets",
    "draw_targets",
    "classify_attainment",
    "APPROACHES",
    "OUTCOMES",
    "SYSTEMIC",
    "NEW_WORKING",
    "MORE_OF_SAME",
]
