"""One quarter of the model, written once: each line of ``QUARTER`` is one compiled function.

Every mechanism that acts during the agreement or after it is a small numba function here, with
its evidence (``seeds FILE:LINE``, the documents in ``../shared/seeds/``) and the parameters it
reads. Each takes its inputs as arguments (arrays and named tuples of scalars), never the model.
``quarter`` calls them in ``QUARTER``'s order; ``run_quarters`` runs quarters ``t0`` to ``t1 - 1``.
``LPSAModel.step`` runs one quarter of it and ``LPSAModel.run`` all the remaining ones, so the
dashboard steps the same code that sweeps run. With ``NUMBA_DISABLE_JIT=1`` the same source runs as
plain Python, for a debugger.

What the quarter reads and writes is grouped in named tuples of arrays, built once per model by
``dynamics`` (``Schedule``, ``Traits``, ``KeepPlan``: fixed once the councils have signed;
``State``, ``AtEnd``, ``Record``: updated in place; ``Streams``: the model's own numpy Generators,
one per purpose; numba runs numpy's algorithms on the same bit generators, so a draw here is the
draw numpy would make). Scalars reach the quarter as ``Parameters`` (floats) and ``Switches``
(the scenario's mechanisms, bools), so one compilation serves every scenario. The first run in a
fresh environment compiles for about 15 s and writes numba's cache beside this file; every later
process loads it in well under a second.

A draw is made whether or not the mechanism using it is switched on, and in shapes that follow
the schedule alone: switching one mechanism off leaves every other random number unchanged.

Speed: a loop over targets reads the named tuples' arrays into local names first
(``true = st.true``). Taken from the tuple inside the loop, an array the loop also writes costs
reference counting at every access: ``report_figures`` alone took 0.84 ms of a 3.1 ms run that
way, 0.14 ms with locals (``benchmarks/bench_throughput.py``, 2026-12-06).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .inspection import RATED_SERVICE
from .lifecycle import (
    FINISHED,
    FOLLOW_UP,
    IMPLEMENTATION,
    NEGOTIATION,
    NOT_SIGNED,
    sustainability_plan,
)
from .scenario import MAX_RATING, QUARTERS_PER_YEAR, Scenario
from .sums import jit, np_sum, row_sum

if TYPE_CHECKING:
    from .built import BuiltModel

# ---------------------------------------------------------------- named inputs


class Parameters(NamedTuple):
    """The quarter's float parameters, as ``parameters`` derives them from the scenario (a tuple
    reaches the compiled code by value, so its fields stay in registers through the loops)."""

    shift_rate: float
    shift_breadth: float
    shift_keep: float
    rise_mult: float
    max_priority: float
    shift_recovery: float
    follow_w: float
    follow_1mw: float
    broken_trust: float
    b_shock_rate: float
    b_recovery: float
    b_effort_keep: float
    b_cont_keep: float
    handover_base: float
    handover_1m: float
    reappoint: float
    no_champ_keep: float
    trust_effort: float
    shift_local: float
    attention_effort: float
    improvement_rate: float
    dip_quarters: float
    dip: float
    diversion_share: float
    diversion_keep: float
    drift_rate: float
    drift_protect_keep: float
    drift_keep: float
    integration_keep: float
    decay_slowdown: float
    shock_rho: float
    shock_k: float
    payout_floor: float
    floor_minus_band: float
    gap_keep: float
    payout_cap: float
    ratchet_cut: float
    reward_instalments: float
    reinvest_a: float
    reinvest_b: float
    ongoing_years: float
    insp_rho: float
    insp_k: float
    service_k: float
    targets_w: float
    other_w: float
    national_drift: float
    stars: float
    low_rating: float
    learning_rate: float


class Switches(NamedTuple):
    """The scenario's mechanisms as the quarter reads them (``scenario.Mechanisms``)."""

    priority_shifts: bool
    priority_moves: bool
    partnerships: bool
    budget_pressure: bool
    budget_climate: bool
    champions_turnover: bool
    freedoms_over_time: bool
    innovation_dip: bool
    diversion: bool
    corporate_drift: bool
    gaming_threshold: bool
    gaming_ratchet: bool
    reward_reinvestment: bool
    inspection: bool
    authority_learning: bool


class Schedule(NamedTuple):
    """When things happen, fixed once the councils have signed. (A,) ``signed``, ``start`` and
    ``end`` quarters and the ``follow_up`` quarters after the end (each council's phase follows
    from them, ``phases_at``); the broken promises
    and the reward instalments falling due in quarter t as councils ``idx[ptr[t]:ptr[t + 1]]``;
    (Q,) the year rated at the end of quarter t (-1: none) and how many agreements are scheduled
    to end in quarter t, signed or not."""

    signed: np.ndarray
    start: np.ndarray
    end: np.ndarray
    follow_up: int
    promise_ptr: np.ndarray
    promise_idx: np.ndarray
    instalment_ptr: np.ndarray
    instalment_idx: np.ndarray
    year_of_quarter: np.ndarray
    scheduled_ends: np.ndarray


class Traits(NamedTuple):
    """What the quarter reads of councils, partners, departments and targets and never writes:
    their traits and the plan settled at negotiation (``targets.TargetTraits``, ``TargetPlan``;
    ``councils.Councils``; ``partners.Partners``; ``departments.Departments``)."""

    area: np.ndarray  # (A, T) index into the scenario's areas
    area_department: np.ndarray  # (areas,) department of each area
    area_exposure: np.ndarray  # (areas,) exposure of each area to priority shifts
    partner_of_target: np.ndarray  # (A, T) the partner working on the target, -1 for none
    partner_alignment: np.ndarray  # (P,)
    climate: np.ndarray  # (A,) 0 cash-strapped .. 1 affluent
    leadership: np.ndarray  # (A,)
    turnover: np.ndarray  # (A,) champions' chance of leaving a quarter
    integrated: np.ndarray  # (A,) bool: built into the wider improvement agenda
    trust_at_signing: np.ndarray  # (A,)
    base_effort: np.ndarray  # (A, T)
    usual_effort: np.ndarray  # (A, T)
    work_start: np.ndarray  # (A, T)
    gaming: np.ndarray  # (A, T) gaming strength
    partnership: np.ndarray  # (A, T) bool
    ceiling: np.ndarray  # (A, T)
    potential: np.ndarray  # (A, T) the ceiling without the agreement's approach (the twin's)
    innovation: np.ndarray  # (A, T) bool
    trend: np.ndarray  # (A, T)
    exposure: np.ndarray  # (A, T)
    setback_after: np.ndarray  # (A, T) quarters after the start a setback hits
    setback: np.ndarray  # (A, T) its fall [share of stretch], 0 for none
    cohort_gap_per_gain: np.ndarray  # (A, T)
    presentation_gap: np.ndarray  # (A, T)
    max_reward: np.ndarray  # (A,)
    rating_level: np.ndarray  # (A,) inspection score before the scheme
    in_rated_service: np.ndarray  # (A, T) bool: a target in the service-level rating's service


class KeepPlan(NamedTuple):
    """(A, T) what each target will be able to keep after its agreement
    (``lifecycle.sustainability_plan``) and the continuation funding its council will decide on
    (``Councils.continuation_at_end``). Both read only what is fixed at signing, so they are
    settled for every council at once and taken up when each agreement ends (``assess``)."""

    keep_persistent: np.ndarray
    keep_fixed: np.ndarray
    keep_per_funding: np.ndarray
    ppg_loss: np.ndarray
    partner_dependent: np.ndarray
    decay_rate: np.ndarray
    continuation: np.ndarray


class State(NamedTuple):
    """What changes every quarter, updated in place: the arrays of ``targets.TargetState``, the
    councils', partners' and departments' changing state and the inspectors' latest judgement."""

    central_priority: np.ndarray  # (A, T)
    department_shifts: np.ndarray  # (departments,) int
    partner_effort: np.ndarray  # (P,)
    on_targets: np.ndarray  # (A, T) partners' effort on each target
    trust: np.ndarray  # (A,)
    ff_broken: np.ndarray  # (A,) int
    budget_factor: np.ndarray  # (A,)
    continuation: np.ndarray  # (A, T)
    champion: np.ndarray  # (A, T) bool
    core: np.ndarray  # (A, T)
    usual_core: np.ndarray  # (A, T) what business as usual alone would have built (``implement``)
    effort: np.ndarray  # (A, T)
    background: np.ndarray  # (A, T)
    shock: np.ndarray  # (A, T)
    true: np.ndarray  # (A, T)
    gap: np.ndarray  # (A, T)
    measured: np.ndarray  # (A, T)
    other_services: np.ndarray  # (A,)
    reinvest_share: np.ndarray  # (A,)
    attention: np.ndarray  # (A,) bool
    rating_error: np.ndarray  # (A,)
    current_rating: np.ndarray  # (A,) int
    service_error: np.ndarray  # (A,) the service-level rating's assessment error
    learned: np.ndarray  # (A,) capacity learned from the agreement, 0..1


class AtEnd(NamedTuple):
    """(A, T) ``targets.EndOfAgreement``: the snapshot at assessment and the plan taken up then."""

    core: np.ndarray
    true: np.ndarray
    measured: np.ndarray
    partner_effort: np.ndarray
    reward: np.ndarray
    keep_persistent: np.ndarray
    keep_fixed: np.ndarray
    keep_per_funding: np.ndarray
    ppg_loss: np.ndarray
    usual_core: np.ndarray
    partner_dependent: np.ndarray
    decay_rate: np.ndarray


class Record(NamedTuple):
    """What the model keeps of every quarter: (window, A, T) reported and true figures of each
    council by quarter from its agreement's start, (Q,) reward paid, mean effort and trust, and
    (years, A) ratings and scores."""

    reported_from_start: np.ndarray
    true_from_start: np.ndarray
    reward_paid: np.ndarray
    effort_mean: np.ndarray
    trust_mean: np.ndarray
    ratings: np.ndarray
    scores: np.ndarray
    service_ratings: np.ndarray


class Streams(NamedTuple):
    """The model's own random streams the quarter draws from (``model.STREAMS``)."""

    departments: np.random.Generator
    budget: np.random.Generator
    turnover: np.random.Generator
    post: np.random.Generator
    shocks: np.random.Generator
    gaming: np.random.Generator
    inspection: np.random.Generator
    service_inspection: np.random.Generator


# ---------------------------------------------------------------- the mechanisms, in order


@jit
def shift_priorities(par, fl, rng, area, area_department, area_exposure, priority, shifts):
    """Departments move national priority between indicators: one falls, another rises.

    Car crime to burglary; preventive to punitive truancy and youth-offending policy
    (000:173-179). In each policy area a department shifts with chance ``priority_shift_rate``
    times the area's exposure (crime most, 000:357). Each target on the area's indicators is hit
    with chance ``shift_breadth`` and loses ``shift_size`` of its central priority; the area's
    other indicators gain what was lost, times ``shift_gain_share``, spread over them
    (``priority_moves``; off: nothing gains). Priority then drifts back toward the usual 1 at
    ``shift_recovery`` a quarter. A uniform is drawn for every area every quarter, and one for
    every target in a shifting area (in row order) while the mechanism is on: the stream serves
    nothing else. Reads ``departments.priority_shift_rate, shift_breadth, shift_size,
    shift_gain_share, max_priority, shift_recovery``; off with ``mechanisms.priority_shifts``.
    """
    A, T = priority.shape
    u_event = rng.random(area_department.size)
    if fl.priority_shifts:
        shifting = np.empty(area_department.size, np.bool_)
        for k in range(area_department.size):
            shifting[k] = u_event[k] < par.shift_rate * area_exposure[k]
            if shifting[k]:
                shifts[area_department[k]] += 1
        n_hit = 0
        for i in range(A):
            for j in range(T):
                if shifting[area[i, j]]:
                    n_hit += 1
        u_hit = rng.random(n_hit)
        m = 0
        for i in range(A):
            for j in range(T):
                if shifting[area[i, j]]:
                    if u_hit[m] < par.shift_breadth:
                        priority[i, j] *= par.shift_keep
                    elif fl.priority_moves:
                        priority[i, j] = min(priority[i, j] * par.rise_mult, par.max_priority)
                    m += 1
    for i in range(A):
        for j in range(T):
            priority[i, j] += par.shift_recovery * (1.0 - priority[i, j])


@jit
def partners_set_effort(par, fl, partner_of_target, alignment, priority, effort, on_targets):
    """Each partner sets its effort: its alignment, weighted toward its parent department's
    current priority on the indicators it works on with the council.

    When central priorities shift, the police move with them (000:171-179, 001:105; partners'
    priorities 'follow their own parent departments'). A partnership target gets its partner's
    effort (``on_targets``; 1 on single-agency targets). Reads
    ``partners.follow_department_weight``; off with ``mechanisms.partnerships``.
    """
    A, T = priority.shape
    P = alignment.size
    total = np.zeros(P)
    count = np.zeros(P, np.int64)
    for i in range(A):  # bincount's order: row-major over targets
        for j in range(T):
            k = partner_of_target[i, j]
            if k >= 0:
                total[k] += priority[i, j]
                count[k] += 1
    for k in range(P):
        followed = total[k] / max(count[k], 1)
        effort[k] = min(alignment[k] * (par.follow_1mw + par.follow_w * followed), 1.0)
    if fl.partnerships:
        for i in range(A):
            for j in range(T):
                k = partner_of_target[i, j]
                on_targets[i, j] = effort[k] if k >= 0 else 1.0


@jit
def keep_promises(par, t, promise_ptr, promise_idx, trust, ff_broken):
    """Promised freedoms falling due this quarter are not delivered: the councils concerned lose
    trust.

    Government's 'failure to deliver on commitments has been more damaging to improvements than
    outright refusals' (001:81); a council that signed cannot have known
    (``Departments.answer_requests`` schedules the broken promises). Reads
    ``departments.ff_broken_promise_trust``; off with ``mechanisms.freedoms_over_time`` (then
    every answer is settled at signing and nothing falls due).
    """
    k0, k1 = promise_ptr[t], promise_ptr[t + 1]
    if k1 > k0:
        for m in range(k0, k1):
            trust[promise_idx[m]] -= par.broken_trust
        for i in range(trust.size):
            trust[i] = min(max(trust[i], 0.0), 1.0)
        for m in range(k0, k1):
            ff_broken[promise_idx[m]] += 1


@jit
def face_budget_pressure(par, fl, rng, phase, climate, budget_factor, continuation):
    """Mainstream budget cuts, in cash-strapped councils most, during the agreement and after.

    A cut comes with chance ``budget.shock_rate x (1 - climate)`` a quarter (000:133). During the
    agreement it takes ``effort_cut`` of the agreement's effort, which then recovers at
    ``recovery`` a quarter (000:133, 001:135; ``budget_pressure``). After the end it takes
    ``continuation_cut`` of the continuation funding (000:133; ``budget_climate``). One draw per
    council per quarter, whether or not a mechanism is on.
    """
    A, T = continuation.shape
    u = rng.random(A)
    for i in range(A):
        cut = u[i] < par.b_shock_rate * (1.0 - climate[i])
        budget_factor[i] += par.b_recovery * (1.0 - budget_factor[i])
        if fl.budget_pressure and cut and phase[i] == IMPLEMENTATION:
            budget_factor[i] = budget_factor[i] * par.b_effort_keep
        if fl.budget_climate:
            keep = par.b_cont_keep if (cut and phase[i] == FOLLOW_UP) else 1.0
            for j in range(T):
                continuation[i, j] *= keep


@jit
def respond_to_turnover(par, fl, rng, phase, leadership, turnover, champion):
    """Champions leave at the council's turnover rate; a strong shared story means a handover.

    Staff turnover without handover causes failure; a shared story protects progress (001:57,
    001:93). Targets without a champion get a new one at ``reappoint_rate``. One uniform per
    target, drawn in quarters when some council is implementing, decides either: a champion leaves
    when it falls below the chance of leaving, a target without one gains one when it falls below
    ``reappoint_rate``. Reads ``implementation.handover_base, reappoint_rate``; off with
    ``mechanisms.champions_turnover``.
    """
    A, T = champion.shape
    if not any_in(phase, IMPLEMENTATION):
        return
    u = rng.random((A, T))
    if not fl.champions_turnover:
        return
    for i in range(A):
        if phase[i] != IMPLEMENTATION:
            continue
        handover = par.handover_base + par.handover_1m * leadership[i]
        leave = turnover[i] * (1.0 - handover)
        for j in range(T):
            had = champion[i, j]
            leaves = had and (u[i, j] < leave)
            joins = (not had) and (u[i, j] < par.reappoint)
            champion[i, j] = (had and not leaves) or joins


@jit
def learn_from_agreement(par, fl, phase, learned):
    """Councils in implementation learn from their agreement: a capacity that grows each quarter
    and saturates, ``learned += learning_rate x (1 - learned)``; it stays after the end.

    'LPSAs are contributing to the development of increased capacity within local authorities,
    although this contribution varies widely ... and must be seen in the context of other factors
    pushing in the same direction' (001:97); they 'have led to a better understanding of the
    barriers to improvement and the range of possible options ... a stimulus for practice exchange
    and learning' (001:99); they are 'one factor amongst several contributing to a tightening up of
    performance management and instilling a "performance culture". The impact has been greatest
    within target areas ... (although CPA has been a more significant driver)' (001:103). What is
    learned raises the agreement's effort on its targets (``target_effort``) and, after the end,
    slows the fall-back of its gains (``sustain``). Reads ``authorities.learning_rate``; off with
    ``mechanisms.authority_learning``. The no-agreement twin learns nothing (``counterfactual``).
    """
    if not fl.authority_learning or par.learning_rate <= 0.0:
        return
    for i in range(learned.size):
        if phase[i] == IMPLEMENTATION:
            learned[i] += par.learning_rate * (1.0 - learned[i])


@jit
def target_effort(par, fl, t, tr, st, i, j, trust_keep, attended, learned):
    """(effort, business-as-usual part) on target (i, j) this quarter, 0..1.

    Business-as-usual effort (``TargetPlan.usual_effort``) goes on from the start; the agreement's
    extra effort starts after the late-start delay (000:359) and needs a champion (001:93;
    ``champions_turnover``), is held back once the stretch is met (the ratchet, gaming.py:
    ``gaming_ratchet``) and falls as trust is lost to broken promises (001:81;
    ``freedoms_over_time``; ``trust_keep``). Both are scaled by partners' effort on multi-agency
    targets (001:105; ``partnerships``), by the council's own sense of the target's relevance,
    which follows central priority on single-agency targets (000:173; ``priority_shifts``), and
    by what budget cuts left (000:133; ``budget_pressure``). A council whose rating is low or fell
    (``attended``) closes part of the gap to full effort (003:203; ``inspection``); that attention
    counts with business as usual. What the council has learned from the agreement
    (``learn_from_agreement``) closes the share ``learned`` of the gap to full effort once the
    agreement's work has started, before attention, and counts as the agreement's own effort
    (001:97-103; ``authority_learning``). Reads ``implementation.no_champion_penalty``,
    ``departments.shift_local_effect, trust_effort_effect``, ``inspection.attention_effort``,
    ``gaming.ratchet_effort_cut``.

    ``learned`` is the council's learned capacity, passed as a number by ``implement``. Keep this
    helper small: it runs once per target and quarter, and when it read ``st.learned[i]`` itself
    LLVM stopped inlining it, so every call passed the quarter's NamedTuples of arrays by value
    (with a reference count per array): a whole run took 5-10 times as long (2026-12-05; the run
    / kernel figure of ``benchmarks/bench_throughput.py`` shows such a loss).
    """
    started = 1.0 if t >= tr.work_start[i, j] else 0.0
    extra = (tr.base_effort[i, j] - tr.usual_effort[i, j]) * started
    if fl.gaming_ratchet:
        met = st.core[i, j] + st.background[i, j] >= 1.0
        extra = extra * ((1.0 - par.ratchet_cut * min(tr.gaming[i, j], 1.0)) if met else 1.0)
    if fl.champions_turnover and not st.champion[i, j]:
        extra = extra * par.no_champ_keep
    if fl.freedoms_over_time:
        extra = extra * trust_keep
    if tr.partnership[i, j]:
        scale = st.on_targets[i, j]
    else:
        scale = 1.0 - par.shift_local * (1.0 - st.central_priority[i, j])
    scale = scale * st.budget_factor[i]
    e = min(max((tr.usual_effort[i, j] + extra) * scale, 0.0), 1.0)
    if started > 0.0:  # learned is 0 unless the council learns (``learn_from_agreement``)
        e = e + learned * (1.0 - e)
    attention = par.attention_effort * (1.0 - e) * attended
    usual = min(tr.usual_effort[i, j] * scale, e) + attention
    return e + attention, usual


@jit
def implement(par, fl, t, phase, tr, st, agreement_gain):
    """Councils in implementation work on their targets: advance each target's underlying
    improvement; ``agreement_gain`` gets the part of this quarter's gain that the agreement's own
    effort produced (0 elsewhere).

    Each quarter closes a share of the gap to the target's ceiling (``Councils.plan_effort``)
    proportional to effort (``target_effort``). Improvement that other national policies bring
    anyway uses up part of that potential (001:133: where other policies push the same way,
    additionality is hard to show). A real innovation first dips, then rises (003:739): in its
    first ``dip_quarters`` of work the service loses ground in proportion to the agreement's
    focus instead of gaining, while staff 'come to terms with new ways of working'. Reads
    ``implementation.improvement_rate, dip_quarters, dip_depth``, ``attribution.agreement_focus``;
    the dip is off with ``mechanisms.innovation_risk`` and where nothing is agreed
    (``innovation_dips``).

    Beside it, ``usual_core`` follows what the business-as-usual part of the effort would have
    built alone, toward the target's ``potential`` (the ceiling without the agreement's
    approach): the no-agreement twin's path, as far as the council's own run can know it. The
    twin innovates nothing, so its normal work goes on through the quarters of the factual
    run's dip, and so does ``usual_core``. Normal work keeps it after the end (``sustain``;
    001:133, 000:230).
    """
    A, T = agreement_gain.shape
    agreement_gain[:] = 0.0
    if not any_in(phase, IMPLEMENTATION):
        return
    core, usual_core, effort, background = st.core, st.usual_core, st.effort, st.background
    ceiling, potential, work_start, innovation = (
        tr.ceiling,
        tr.potential,
        tr.work_start,
        tr.innovation,
    )
    for i in range(A):
        if phase[i] != IMPLEMENTATION:
            for j in range(T):
                core[i, j] += 0.0  # as numpy's np.where(active, gain, 0.0): -0.0 becomes 0.0
                effort[i, j] = 0.0
            continue
        lost = max(tr.trust_at_signing[i] - st.trust[i], 0.0)
        trust_keep = min(max(1.0 - par.trust_effort * lost, 0.0), 1.0)
        attended = 1.0 if st.attention[i] else 0.0
        learned = st.learned[i]
        for j in range(T):
            e, usual = target_effort(par, fl, t, tr, st, i, j, trust_keep, attended, learned)
            room = max(ceiling[i, j] - core[i, j] - background[i, j], 0.0)
            gain = par.improvement_rate * e * room
            own = gain * ((1.0 - usual / max(e, 1e-12)) if e > 0 else 0.0)
            usual_room = max(potential[i, j] - usual_core[i, j] - background[i, j], 0.0)
            usual_gain = par.improvement_rate * usual * usual_room
            if fl.innovation_dip:
                worked = t - work_start[i, j]
                if innovation[i, j] and worked >= 0 and worked < par.dip_quarters:
                    gain = par.dip
                    own = par.dip
            core[i, j] += gain
            usual_core[i, j] += usual_gain
            effort[i, j] = e
            agreement_gain[i, j] = own


@jit
def divert_from_other_services(par, fl, phase, agreement_gain, other_services):
    """Untargeted services lose a little while the targets gain, and recover after the end.

    'Resources have been diverted both from centrally held discretionary funds and from other
    parts of the budget ... the scale of this diversion does not generally seem to have been
    significant' (001:95). ``agreement_gain`` is (A, T): this quarter's gain that the agreement's
    own effort produced. Reads ``implementation.diversion_share``,
    ``sustainability.diversion_recovery``; off with ``mechanisms.diversion``.
    """
    if not fl.diversion:
        return
    A, T = agreement_gain.shape
    for i in range(A):
        other_services[i] -= par.diversion_share * (row_sum(agreement_gain, i) / T)
        if phase[i] == FOLLOW_UP:
            other_services[i] = other_services[i] * par.diversion_keep


@jit
def corporate_drift(par, fl, rng, phase, integrated, continuation):
    """After the end, the corporate centre moves effort elsewhere: a cut in continuation funding.

    Sustainability is low on the corporate agenda; when priorities change, effort is taken away
    (000:87, 000:139); 'Cinderella' services fall back off the agenda (000:149). A council that
    built the agreement into its improvement agenda drifts less (000:199, 004:38). One uniform
    per council in quarters when some council is in follow-up. Reads
    ``sustainability.corporate_drift_rate, corporate_drift_cut, integration_drift_protection``;
    off with ``mechanisms.corporate_drift``.
    """
    A, T = continuation.shape
    if not any_in(phase, FOLLOW_UP):
        return
    u = rng.random(A)
    if not fl.corporate_drift:
        return
    for i in range(A):
        rate = par.drift_rate * (par.drift_protect_keep if integrated[i] else 1.0)
        keep = par.drift_keep if (phase[i] == FOLLOW_UP and u[i] < rate) else 1.0
        for j in range(T):
            continuation[i, j] *= keep


@jit
def kept_share(par, end, i, j, funding, integrated):
    """The share of the agreement's own part of target (i, j)'s end gain that it can keep now
    (``lifecycle.sustainability_plan``).

    persistent + (fixed + per_funding x c) x (1 - ppg_loss x (1 - c)), c the continuation funding
    (cut by corporate drift and budget cuts); a council that built the agreement into its wider
    improvement agenda keeps ``integration_keep`` of what it would lose (004:38, 000:189-208;
    ``improvement_agenda``).
    """
    rest = (end.keep_fixed[i, j] + end.keep_per_funding[i, j] * funding) * (
        1.0 - end.ppg_loss[i, j] * (1.0 - funding)
    )
    kept = end.keep_persistent[i, j] + rest
    bonus = par.integration_keep * (1.0 if integrated else 0.0)
    return kept + bonus * (1.0 - kept)


@jit
def sustain(par, phase, integrated, attention, learned, on_targets, continuation, end, core):
    """After the end, every target drifts toward the floor of what it can keep.

    The floor is what business as usual alone had built by the end (``implement``'s
    ``usual_core``: normal work keeps it, as the no-agreement twin keeps its own), plus the share
    ``kept_share`` of the agreement's own difference from it (a failed innovation's shortfall
    fades the same way). For partnership targets the floor also moves with partners' withdrawal
    after central priority shifts (000:171, 000:357). A council whose rating is low or fell slows
    its fall-back: external challenge is 'a safeguard against slipping back' (003:203;
    ``inspection``). What a council learned from its agreement (``learn_from_agreement``) slows
    the fall-back by the share ``learned``: the tightened performance management and 'performance
    culture', greatest 'within target areas' (001:103), keep watching the indicators after the
    reward is paid (``authority_learning``). Reads ``inspection.attention_decay_slowdown``.
    """
    A, T = core.shape
    for i in range(A):
        if phase[i] != FOLLOW_UP:
            continue
        slow = par.decay_slowdown * (1.0 if attention[i] else 0.0)
        learned_keep = 1.0 - learned[i]  # 1 unless the council learned (``learn_from_agreement``)
        for j in range(T):
            withdrawn = min(1.0, on_targets[i, j] / end.partner_effort[i, j])
            kept = kept_share(par, end, i, j, continuation[i, j], integrated[i])
            usual = end.usual_core[i, j]
            floor = usual + (end.core[i, j] - usual) * kept
            if end.partner_dependent[i, j]:
                floor = floor * withdrawn
            rate = end.decay_rate[i, j] * (1.0 - slow)
            rate = rate * learned_keep
            core[i, j] = floor + (core[i, j] - floor) * (1.0 - rate)


@jit
def true_outcomes(par, rng, t, start, end, tr, core, background, shock, true):
    """Every target's true outcome: own improvement + background trend + external shocks, less
    any setback that has hit it.

    External shocks are AR(1) and scaled by the area's exposure (001:133: outcomes 'strongly
    influenced by external factors or chance'); the background trend (other national policies
    pushing the same way, 001:133; 000:230 'might have happened anyway') accumulates over the
    agreement period and then stays (the policies of that period). Shocks are drawn for every
    target every quarter so random streams stay aligned across scenarios. A setback
    (``targets.draw_setbacks``: an indicator redefined, a service collapse, a cohort that turns
    out harder; 001:133, 001:75, 001:77) lowers the outcome from its quarter on, for good. Reads
    ``implementation.shock_sd, shock_persistence``; the setbacks were drawn with the targets.
    """
    trend, exposure, setback_after, setback = tr.trend, tr.exposure, tr.setback_after, tr.setback
    A, T = core.shape
    z = rng.standard_normal((A, T))
    for i in range(A):
        in_period = t >= start[i] and t < end[i]
        for j in range(T):
            shock[i, j] = par.shock_rho * shock[i, j] + par.shock_k * z[i, j]
            if in_period:
                background[i, j] = background[i, j] + trend[i, j]
            true[i, j] = core[i, j] + background[i, j] + exposure[i, j] * shock[i, j]
            if t >= start[i] + setback_after[i, j]:
                true[i, j] = true[i, j] - setback[i, j]


@jit
def report_figures(par, fl, rng, t, phase, sch, tr, st):
    """This quarter's reporting gap and reported figure (``measured = true + gap``): gaming.

    During the agreement the gap is presentation (003:683) plus cohort over-reporting (000:349,
    000:333), fixed at signing per unit of gain (``gaming.set_gaming_strength``). At assessment a
    figure within ``threshold_band`` below the payout floor is pushed over it with probability
    equal to the target's gaming strength, capped at 1 (000:240, 'the risk of building perverse
    incentives'; ``gaming_threshold``); a uniform per target is drawn in assessment quarters.
    After the end nothing is at stake and the gap fades at ``gap_decay``. Reads ``gaming.*``,
    ``funding.payout_floor``.
    """
    core, true, gap_now, measured = st.core, st.true, st.gap, st.measured
    per_gain, presentation, gaming = tr.cohort_gap_per_gain, tr.presentation_gap, tr.gaming
    A, T = true.shape
    if any_ending(sch, t):
        u = rng.random((A, T))
    else:
        u = np.zeros((1, 1))
    for i in range(A):
        ending = sch.signed[i] and (sch.end[i] - 1 == t)
        for j in range(T):
            gap = max(core[i, j], 0.0) * per_gain[i, j] + presentation[i, j]
            if fl.gaming_threshold and ending:
                figure = true[i, j] + gap
                if figure < par.payout_floor and figure >= par.floor_minus_band:
                    if u[i, j] < min(gaming[i, j], 1.0):
                        gap = par.payout_floor - true[i, j] + 1e-9
            if phase[i] == IMPLEMENTATION:
                gap_now[i, j] = gap
            elif phase[i] == FOLLOW_UP:
                gap_now[i, j] = gap_now[i, j] * par.gap_keep
            measured[i, j] = true[i, j] + gap_now[i, j]


@jit
def decide_reward_use(par, rng, t, sch, reinvest_share):
    """Councils whose agreement is scheduled to end now decide what share of the reward goes back
    into the target areas (most goes elsewhere, 000:385): a Beta share with mean
    ``sustainability.reward_reinvest_mean``, drawn for signed or not, as plans are, so that random
    streams do not depend on who signs."""
    n = sch.scheduled_ends[t]
    if n == 0:
        return
    share = rng.beta(par.reinvest_a, par.reinvest_b, n)
    b = 0
    for i in range(reinvest_share.size):
        if sch.end[i] - 1 == t:
            reinvest_share[i] = share[b]
            b += 1


@jit
def assess(par, t, sch, tr, keep, st, end):
    """Agreements ending now are assessed: end performance and the reward earned are recorded, and
    what each target can keep (``KeepPlan``) and the council's continuation funding are taken up.

    A target pays its maximum reward (the council's maximum split equally across targets) times
    the share of stretch achieved, capped, and nothing below the floor (scheme rules, 001:127).
    Continuation: affluent councils keep more, cash-strapped ones less (000:133); national targets
    that were not the highest local priorities get less (000:385). Reads ``funding.payout_floor,
    payout_cap``.
    """
    if not any_ending(sch, t):
        return
    A, T = st.core.shape
    for i in range(A):
        if not (sch.signed[i] and sch.end[i] - 1 == t):
            continue
        for j in range(T):
            end.core[i, j] = st.core[i, j]
            end.true[i, j] = st.true[i, j]
            figure = st.measured[i, j]
            end.measured[i, j] = figure
            end.partner_effort[i, j] = max(st.on_targets[i, j], 1e-9)
            paid = (
                min(figure, par.payout_cap) / par.payout_cap if figure >= par.payout_floor else 0.0
            )
            end.reward[i, j] = (tr.max_reward[i] / T) * paid
            end.keep_persistent[i, j] = keep.keep_persistent[i, j]
            end.keep_fixed[i, j] = keep.keep_fixed[i, j]
            end.keep_per_funding[i, j] = keep.keep_per_funding[i, j]
            end.ppg_loss[i, j] = keep.ppg_loss[i, j]
            end.usual_core[i, j] = st.usual_core[i, j]
            end.partner_dependent[i, j] = keep.partner_dependent[i, j]
            end.decay_rate[i, j] = keep.decay_rate[i, j]
            st.continuation[i, j] = keep.continuation[i, j]


@jit
def pay_rewards(par, fl, t, sch, end, reinvest_share, continuation, reward_paid):
    """Reward instalments due this quarter are paid; councils reinvest part of each in the target
    areas.

    The reinvested part extends continuation funding of the council's resource-dependent targets:
    the boost is the instalment's share over the ongoing cost of the follow-up years (000:385).
    Reads ``funding.reward_instalments``, ``sustainability.ongoing_cost_reference_gbp``; the
    reinvestment is off with ``mechanisms.reward_reinvestment``.
    """
    k0, k1 = sch.instalment_ptr[t], sch.instalment_ptr[t + 1]
    if k1 == k0:
        return
    T = continuation.shape[1]
    amounts = np.empty(k1 - k0)
    n_due = 0
    for m in range(k0, k1):
        i = sch.instalment_idx[m]
        if sch.signed[i]:
            amounts[n_due] = row_sum(end.reward, i) / par.reward_instalments
            n_due += 1
    reward_paid[t] += np_sum(amounts, 0, n_due)
    if not fl.reward_reinvestment:
        return
    n_due = 0
    for m in range(k0, k1):
        i = sch.instalment_idx[m]
        if not sch.signed[i]:
            continue
        amount = amounts[n_due]
        n_due += 1
        dependent = 0
        for j in range(T):
            if end.keep_per_funding[i, j] > 0 or end.ppg_loss[i, j] > 0:
                dependent += 1
        boost = (amount * reinvest_share[i] / max(dependent, 1)) / par.ongoing_years
        for j in range(T):
            if end.keep_per_funding[i, j] > 0 or end.ppg_loss[i, j] > 0:
                continuation[i, j] = min(1.0, continuation[i, j] + boost)


@jit
def assessment_error(par, k, previous, z):
    """This year's assessment error [stars]: AR(1) on last year's, persistence
    ``score_persistence``; ``k`` = the error's stationary sd x sqrt(1 - rho^2) (``insp_k`` for the
    whole-council rating, ``service_k`` for the service-level one); ``z`` a standard normal
    draw."""
    return par.insp_rho * previous + k * z


@jit
def star_score(par, year, level, services, error):
    """An inspection score [stars]: the council's level before the scheme, the national drift to
    year ``year`` (003:416), the assessed services' performance and the assessment's error."""
    return level + par.national_drift * (year + 1) + par.stars * services + error


@jit
def stars_of(score):
    """A score rounded to a rating of 1 to ``MAX_RATING`` stars."""
    return int(min(max(np.rint(score), 1.0), float(MAX_RATING)))


@jit
def inspect(par, fl, rng, year, tr, st, ratings, scores):
    """At the year's end, inspectors score and rate every council (``inspection.py``).

    score = level + national_drift x (year + 1) + stars_per_stretch x (targets_weight x mean true
    performance of its targets + (1 - targets_weight) x its untargeted services) + error, the error
    AR(1) with persistence ``score_persistence`` and sd ``noise_sd``; rating = score rounded,
    within 1..4 (003:416-438). Councils whose rating is at or below ``low_rating`` or fell draw
    attention for the next year (003:203; ``mechanisms.inspection``, off: none). Reads
    ``inspection.*``.
    """
    if year < 0:
        return
    A, T = st.true.shape
    z = rng.standard_normal(A)
    for i in range(A):
        st.rating_error[i] = assessment_error(par, par.insp_k, st.rating_error[i], z[i])
        services = par.targets_w * (row_sum(st.true, i) / T) + par.other_w * (st.other_services[i])
        score = star_score(par, year, tr.rating_level[i], services, st.rating_error[i])
        rating = stars_of(score)
        fell = rating < st.current_rating[i]
        st.attention[i] = fl.inspection and ((rating <= par.low_rating) or fell)
        scores[year, i] = score
        ratings[year, i] = rating
        st.current_rating[i] = rating


@jit
def rate_service(par, rng, year, tr, st, ratings):
    """At the year's end, inspectors also rate one service of every council: adult social care's
    star rating (``inspection.py``), the rating whose moves the evidence counts (003:418: 25
    councils rose a star and 16 fell in 2006, 24 and 15 in 2007; RECORDS.md).

    Scored like the whole-council rating (``inspect``): the council's level before the scheme, the
    national drift and an AR(1) assessment error of its own, plus the performance of that service
    alone: the mean true outcome of the council's targets in it (``in_rated_service``: social
    care), or, for a council with no target there, its untargeted services. Another inspectorate
    made it (the CSCI, 003:430; the whole-council CPA is the Audit Commission's, 003:357), so its
    error's sd is the whole-council one's times ``inspection.service_noise_ratio`` (1: the same).
    It is an observation only: the attention that ratings draw follows the whole-council rating
    (``inspect``), so this rating changes nothing else. Reads ``inspection.*``; its errors come
    from their own stream.
    """
    if year < 0:
        return
    A, T = st.true.shape
    z = rng.standard_normal(A)
    for i in range(A):
        st.service_error[i] = assessment_error(par, par.service_k, st.service_error[i], z[i])
        total = 0.0
        n = 0
        for j in range(T):
            if tr.in_rated_service[i, j]:
                total += st.true[i, j]
                n += 1
        services = total / n if n > 0 else st.other_services[i]
        ratings[year, i] = stars_of(
            star_score(par, year, tr.rating_level[i], services, st.service_error[i])
        )


@jit
def record(t, phase, sch, st, rec):
    """The quarter is recorded: reported and true figures of every target of councils between
    their agreement's start and the end of their follow-up, the mean effort of councils
    implementing, the mean trust."""
    reported, true_record, measured, true = (
        rec.reported_from_start,
        rec.true_from_start,
        st.measured,
        st.true,
    )
    effort = st.effort
    A, T = effort.shape
    window = reported.shape[0]
    for i in range(A):
        k = t - sch.start[i]
        if 0 <= k < window:
            for j in range(T):
                reported[k, i, j] = measured[i, j]
                true_record[k, i, j] = true[i, j]
    signed = sch.signed
    n_work = 0
    for i in range(A):
        if phase[i] == IMPLEMENTATION and signed[i]:
            n_work += 1
    if n_work:
        working = np.empty(n_work * T)
        m = 0
        for i in range(A):
            if phase[i] == IMPLEMENTATION and signed[i]:
                for j in range(T):
                    working[m] = effort[i, j]
                    m += 1
        rec.effort_mean[t] = np_sum(working, 0, m) / m
    rec.trust_mean[t] = np_sum(st.trust, 0, A) / A


# ---------------------------------------------------------------- small helpers


@jit
def phases_at(t, sch, phase):
    """(A,) every council's phase in quarter ``t`` (codes of ``lifecycle.PHASES``), into
    ``phase``: as ``lifecycle.phase_codes``, from the schedule and who signed alone."""
    for i in range(phase.size):
        if t < sch.start[i]:
            phase[i] = NEGOTIATION
        elif not sch.signed[i]:
            phase[i] = NOT_SIGNED
        elif t < sch.end[i]:
            phase[i] = IMPLEMENTATION
        elif t < sch.end[i] + sch.follow_up:
            phase[i] = FOLLOW_UP
        else:
            phase[i] = FINISHED


@jit
def any_in(phase, code):
    """Whether some council is in phase ``code``."""
    for i in range(phase.size):
        if phase[i] == code:
            return True
    return False


@jit
def any_ending(sch, t):
    """Whether some signed council's agreement ends in quarter ``t``."""
    for i in range(sch.signed.size):
        if sch.signed[i] and sch.end[i] - 1 == t:
            return True
    return False


# ---------------------------------------------------------------- the quarter

QUARTER = (
    ("departments move national priority between indicators", shift_priorities),
    ("partners set their effort", partners_set_effort),
    ("promised freedoms fall due and are broken", keep_promises),
    ("councils meet mainstream budget pressure", face_budget_pressure),
    ("champions leave, hand over or are replaced", respond_to_turnover),
    ("councils in implementation learn from the agreement", learn_from_agreement),
    ("councils in implementation work on their targets", implement),
    ("untargeted services lose a little, and recover after the end", divert_from_other_services),
    ("after the end, the corporate centre drifts", corporate_drift),
    ("after the end, gains fall back toward what can be kept", sustain),
    ("true outcomes", true_outcomes),
    ("reported figures", report_figures),
    ("councils whose agreement ends decide what to do with the reward", decide_reward_use),
    ("agreements ending now are assessed; what can be kept is taken up", assess),
    ("reward instalments are paid and partly reinvested", pay_rewards),
    ("at the year's end, inspectors rate every council", inspect),
    ("the quarter is recorded", record),
)
"""The order of one quarter, stated once: (what happens, the function doing it). ``quarter``
calls them in this order (``tests/test_model.py`` holds it to this list); docs/ODD.md 'Process
overview and scheduling' follows it."""


@jit
def quarter(t, par, fl, sch, tr, keep, st, end, rec, rng, phase, agreement_gain):
    """Quarter ``t``: every line of ``QUARTER`` in order, updating ``st``, ``end`` and ``rec`` in
    place. ``phase`` (A,) and ``agreement_gain`` (A, T) are scratch."""
    phases_at(t, sch, phase)
    shift_priorities(
        par,
        fl,
        rng.departments,
        tr.area,
        tr.area_department,
        tr.area_exposure,
        st.central_priority,
        st.department_shifts,
    )
    partners_set_effort(
        par,
        fl,
        tr.partner_of_target,
        tr.partner_alignment,
        st.central_priority,
        st.partner_effort,
        st.on_targets,
    )
    keep_promises(par, t, sch.promise_ptr, sch.promise_idx, st.trust, st.ff_broken)
    face_budget_pressure(par, fl, rng.budget, phase, tr.climate, st.budget_factor, st.continuation)
    respond_to_turnover(par, fl, rng.turnover, phase, tr.leadership, tr.turnover, st.champion)
    learn_from_agreement(par, fl, phase, st.learned)
    implement(par, fl, t, phase, tr, st, agreement_gain)
    divert_from_other_services(par, fl, phase, agreement_gain, st.other_services)
    corporate_drift(par, fl, rng.post, phase, tr.integrated, st.continuation)
    sustain(
        par,
        phase,
        tr.integrated,
        st.attention,
        st.learned,
        st.on_targets,
        st.continuation,
        end,
        st.core,
    )
    true_outcomes(
        par,
        rng.shocks,
        t,
        sch.start,
        sch.end,
        tr,
        st.core,
        st.background,
        st.shock,
        st.true,
    )
    report_figures(par, fl, rng.gaming, t, phase, sch, tr, st)
    decide_reward_use(par, rng.post, t, sch, st.reinvest_share)
    assess(par, t, sch, tr, keep, st, end)
    pay_rewards(par, fl, t, sch, end, st.reinvest_share, st.continuation, rec.reward_paid)
    inspect(par, fl, rng.inspection, sch.year_of_quarter[t], tr, st, rec.ratings, rec.scores)
    rate_service(par, rng.service_inspection, sch.year_of_quarter[t], tr, st, rec.service_ratings)
    record(t, phase, sch, st, rec)


@jit
def run_quarters(t0, t1, par, fl, sch, tr, keep, st, end, rec, rng):
    """Quarters ``t0`` to ``t1 - 1``, in one compiled call."""
    phase = np.zeros(st.core.shape[0], np.int64)
    agreement_gain = np.zeros(st.core.shape)
    for t in range(t0, t1):
        quarter(t, par, fl, sch, tr, keep, st, end, rec, rng, phase, agreement_gain)


# ---------------------------------------------------------------- building the inputs


class Dynamics(NamedTuple):
    """Everything ``run_quarters`` takes after the quarters, in its order: built once per model
    (``dynamics``); its arrays are the model's own, so the quarter updates the model in place."""

    par: Parameters
    fl: Switches
    sch: Schedule
    tr: Traits
    keep: KeepPlan
    st: State
    end: AtEnd
    rec: Record
    rng: Streams


def parameters(model: BuiltModel) -> tuple[Parameters, Switches]:
    """The quarter's parameters (derived scalars computed once) and switches, read from the
    scenario."""
    sc = model.params
    d, b, im, s, g, f, p = (
        sc.departments,
        sc.budget,
        sc.implementation,
        sc.sustainability,
        sc.gaming,
        sc.funding,
        sc.inspection,
    )
    mech = sc.mechanisms
    rho = im.shock_persistence
    irho = p.score_persistence
    insp_k = p.noise_sd * np.sqrt(1.0 - irho**2)  # the whole-council rating's error
    gain = (
        d.shift_gain_share * d.shift_size * d.shift_breadth / (1.0 - d.shift_breadth)
        if d.shift_breadth < 1.0
        else 0.0
    )
    reinvest, k = s.reward_reinvest_mean, sc.authorities.trait_concentration
    vals = dict(
        shift_rate=d.priority_shift_rate,
        shift_breadth=d.shift_breadth,
        shift_keep=1.0 - d.shift_size,
        rise_mult=1.0 + gain,
        max_priority=d.max_priority,
        shift_recovery=d.shift_recovery,
        follow_w=sc.partners.follow_department_weight,
        follow_1mw=1.0 - sc.partners.follow_department_weight,
        broken_trust=d.ff_broken_promise_trust,
        b_shock_rate=b.shock_rate,
        b_recovery=b.recovery,
        b_effort_keep=1.0 - b.effort_cut,
        b_cont_keep=1.0 - b.continuation_cut,
        handover_base=im.handover_base,
        handover_1m=1.0 - im.handover_base,
        reappoint=im.reappoint_rate,
        no_champ_keep=1.0 - im.no_champion_penalty,
        trust_effort=d.trust_effort_effect,
        shift_local=d.shift_local_effect,
        attention_effort=sc.inspection.attention_effort,
        improvement_rate=im.improvement_rate,
        dip_quarters=im.dip_quarters,
        dip=(-im.dip_depth / im.dip_quarters * sc.attribution.agreement_focus)
        if im.dip_quarters > 0
        else 0.0,
        diversion_share=im.diversion_share,
        diversion_keep=1.0 - s.diversion_recovery,
        drift_rate=s.corporate_drift_rate,
        drift_protect_keep=1.0 - s.integration_drift_protection,
        drift_keep=1.0 - s.corporate_drift_cut,
        integration_keep=s.integration_keep,
        decay_slowdown=p.attention_decay_slowdown,
        shock_rho=rho,
        shock_k=im.shock_sd * np.sqrt(1 - rho**2),
        payout_floor=f.payout_floor,
        floor_minus_band=f.payout_floor - g.threshold_band,
        gap_keep=1.0 - g.gap_decay,
        payout_cap=f.payout_cap,
        ratchet_cut=g.ratchet_effort_cut,
        reward_instalments=f.reward_instalments,
        reinvest_a=max(reinvest, 1e-6) * k,
        reinvest_b=max(1 - reinvest, 1e-6) * k,
        ongoing_years=s.ongoing_cost_reference_gbp
        * (sc.scheme.follow_up_quarters / QUARTERS_PER_YEAR),
        insp_rho=irho,
        insp_k=insp_k,
        service_k=insp_k * p.service_noise_ratio,
        targets_w=p.targets_weight,
        other_w=1.0 - p.targets_weight,
        national_drift=p.national_drift,
        stars=p.stars_per_stretch,
        low_rating=p.low_rating,
        learning_rate=sc.authorities.learning_rate,
    )
    par = Parameters(**{name: float(value) for name, value in vals.items()})
    flags = dict(
        priority_shifts=mech.priority_shifts,
        priority_moves=mech.priority_moves and d.shift_breadth < 1.0,
        partnerships=mech.partnerships and model.partners.size > 0,
        budget_pressure=mech.budget_pressure,
        budget_climate=mech.budget_climate,
        champions_turnover=mech.champions_turnover,
        freedoms_over_time=mech.freedoms_over_time,
        innovation_dip=innovation_dips(sc),
        diversion=mech.diversion,
        corporate_drift=mech.corporate_drift,
        gaming_threshold=mech.gaming_threshold,
        gaming_ratchet=mech.gaming_ratchet,
        reward_reinvestment=mech.reward_reinvestment,
        inspection=mech.inspection,
        authority_learning=mech.authority_learning,
    )
    fl = Switches(**{name: bool(value) for name, value in flags.items()})
    return par, fl


def _by_quarter(groups: dict[int, np.ndarray], n_quarters: int) -> tuple[np.ndarray, np.ndarray]:
    """A {quarter: council indices} schedule as CSR arrays: quarter t's councils are
    ``idx[ptr[t]:ptr[t + 1]]``."""
    counts = np.zeros(n_quarters + 1, np.int64)
    items = []
    for t in range(n_quarters):
        g = groups.get(t)
        if g is not None:
            items.append(np.asarray(g, np.int64))
            counts[t + 1] = len(g)
    idx = np.concatenate(items) if items else np.zeros(0, np.int64)
    return np.cumsum(counts), idx


def _dense(x: np.ndarray | float, shape: tuple[int, int], dtype: type = float) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype), shape))


def _own(group: object, names: list[str] | None = None, dtype: type | None = None) -> None:
    """Give each named array of ``group`` (default: all its fields) its own contiguous buffer of
    the quarter's dtype (some are views or broadcasts at construction). Values are unchanged."""
    for name in names if names is not None else list(vars(group)):
        value = getattr(group, name)
        setattr(group, name, np.array(value, dtype=dtype or np.asarray(value).dtype, order="C"))


def innovation_dips(sc: Scenario) -> bool:
    """Whether a real innovation's first quarters dip (``implement``; 003:739 'even successful
    innovations often produce a short term dip in performance ... for staff to ... come to terms
    with new ways of working').

    Only where an agreement focuses effort on its targets (``attribution.agreement_focus`` > 0):
    with no agreement (the no-agreement twin, the null theory) nobody adopts a new way of working,
    so normal work goes on in those quarters and nothing dips. Off with
    ``mechanisms.innovation_risk`` or ``implementation.dip_quarters`` 0.
    """
    im = sc.implementation
    return (
        sc.mechanisms.innovation_risk and im.dip_quarters > 0 and sc.attribution.agreement_focus > 0
    )


def dynamics(model: BuiltModel) -> Dynamics:
    """The quarter's inputs for ``model``, once its negotiations are settled. Every array the
    quarter writes is given its own buffer first, then shared with the model: the quarter updates
    the model's own state."""
    tg, c, d, p, ins = (
        model.targets,
        model.councils,
        model.departments,
        model.partners,
        model.inspection,
    )
    _own(tg.state)
    _own(tg.end)
    _own(c, ["trust", "budget_factor", "other_services", "reinvest_share", "attention", "learned"])
    _own(c, ["ff_broken"], np.int64)
    _own(d, ["shifts"], np.int64)
    _own(ins, ["error"])
    _own(ins, ["current_rating", "ratings", "service_ratings"], np.int64)
    _own(ins, ["service_error"])
    _own(p, ["on_targets", "effort"])
    Q, (A, T) = model.n_quarters, tg.shape
    year = np.full(Q, -1, np.int64)  # the year rated at the end of quarter t, or -1
    for t in range(QUARTERS_PER_YEAR - 1, Q, QUARTERS_PER_YEAR):
        if (t + 1) // QUARTERS_PER_YEAR - 1 < ins.ratings.shape[0]:
            year[t] = (t + 1) // QUARTERS_PER_YEAR - 1
    tr, pl, s, e = tg.traits, tg.plan, tg.state, tg.end
    plan = sustainability_plan(model.params, tr, pl)
    par, fl = parameters(model)
    promise_ptr, promise_idx = _by_quarter(d.promises, Q)
    instalment_ptr, instalment_idx = _by_quarter(model.instalments_due, Q)
    sch = Schedule(
        signed=c.signed,
        start=c.start.astype(np.int64),
        end=c.end.astype(np.int64),
        follow_up=int(model.params.scheme.follow_up_quarters),
        promise_ptr=promise_ptr,
        promise_idx=promise_idx,
        instalment_ptr=instalment_ptr,
        instalment_idx=instalment_idx,
        year_of_quarter=year,
        scheduled_ends=np.bincount(c.end - 1, minlength=Q)[:Q].astype(np.int64),
    )
    traits = Traits(
        area=tr.area.astype(np.int64),
        area_department=d.area_department.astype(np.int64),
        area_exposure=d.area_shift_exposure,
        partner_of_target=p.of_target.astype(np.int64),
        partner_alignment=p.alignment,
        climate=c.climate,
        leadership=c.leadership,
        turnover=c.turnover,
        integrated=c.integrated,
        trust_at_signing=c.trust_at_signing,
        base_effort=pl.base_effort,
        usual_effort=pl.usual_effort,
        work_start=pl.work_start.astype(np.int64),
        gaming=pl.gaming,
        partnership=tr.partnership,
        ceiling=pl.ceiling,
        potential=pl.potential,
        innovation=pl.innovation,
        trend=tr.trend,
        exposure=tr.exposure,
        setback_after=tr.setback_after,
        setback=tr.setback,
        cohort_gap_per_gain=pl.cohort_gap_per_gain,
        presentation_gap=_dense(pl.presentation_gap, (A, T)),
        max_reward=c.max_reward,
        rating_level=ins.level,
        in_rated_service=tr.area == list(model.params.areas).index(RATED_SERVICE),
    )
    keep = KeepPlan(
        **{name: _dense(plan[name], (A, T), plan[name].dtype) for name in plan},
        continuation=c.continuation_at_end(np.arange(A)),
    )
    state = State(
        central_priority=s.central_priority,
        department_shifts=d.shifts,
        partner_effort=p.effort,
        on_targets=p.on_targets,
        trust=c.trust,
        ff_broken=c.ff_broken,
        budget_factor=c.budget_factor,
        continuation=s.continuation,
        champion=s.champion,
        core=s.core,
        usual_core=s.usual_core,
        effort=s.effort,
        background=s.background,
        shock=s.shock,
        true=s.true,
        gap=s.gap,
        measured=s.measured,
        other_services=c.other_services,
        reinvest_share=c.reinvest_share,
        attention=c.attention,
        rating_error=ins.error,
        current_rating=ins.current_rating,
        service_error=ins.service_error,
        learned=c.learned,
    )
    at_end = AtEnd(**{name: getattr(e, name) for name in AtEnd._fields})
    rec = Record(
        reported_from_start=model.reported_from_start,
        true_from_start=model.true_from_start,
        reward_paid=model.reward_paid,
        effort_mean=model.effort_mean,
        trust_mean=model.trust_mean,
        ratings=ins.ratings,
        scores=ins.scores,
        service_ratings=ins.service_ratings,
    )
    st = model.streams
    rng = Streams(**{name: st[name] for name in Streams._fields})
    return Dynamics(par, fl, sch, traits, keep, state, at_end, rec, rng)
