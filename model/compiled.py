"""The compiled quarter: every quarter of a run in one numba call, bit for bit the numpy model.

``LPSAModel.step`` runs a quarter as the agents' own numpy methods, one line of ``QUARTER`` at a
time: that is the model's reference, readable and documented mechanism by mechanism, and what the
dashboard steps through. ``LPSAModel.run`` from a fresh model (the unit of every sweep) runs the
same quarters here instead, fused into one compiled loop that makes one pass over the councils'
rows per step of the quarter and draws its random numbers from the model's own numpy Generators
(numba runs numpy's own algorithms on the same bit generators: the same numbers in the same order,
and every stream ends in the same state).

The two are held to each other by ``tests/test_compiled.py``: every array the run leaves and every
stream's final state agree bit for bit, on the shipped scenarios, with each mechanism switched
off, and at random points of the uncertain parameters. Change a mechanism in one and not the
other and that test fails. Exactness needs numpy's order of operations: its pairwise sums for
every reduction (``np_sum``), no fastmath, and its draws in the same calls and shapes.

What is fixed once the councils have signed (the phase table, the plan for what each target can
keep, continuation funding at the end) is computed by the model's own functions in ``_fixed``.
Parameters reach the kernel as one named tuple of floats (``Parameters``) and switches as one of
bools (``Switches``), so a single compilation serves every scenario. The first run in a fresh
environment compiles for about 12 s and writes numba's cache beside this file; every later
process loads it in well under a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numba as nb
import numpy as np

from .lifecycle import FOLLOW_UP, IMPLEMENTATION, plan_sustainability
from .scenario import MAX_RATING, QUARTERS_PER_YEAR
from .targets import EndOfAgreement, _blank

if TYPE_CHECKING:
    from .model import LPSAModel

# Recursion must not appear in a cached kernel (numba 0.68 segfaults loading it): pw_sum is
# iterative.
jit = nb.njit(cache=True, fastmath=False, error_model="numpy", boundscheck=False)

# ---------------------------------------------------------------- numpy-identical reductions


@jit
def pw_block(a, lo, n):
    """numpy's pairwise summation (loops_utils.h) of a[lo:lo+n], n <= 128."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = 8
    m = n - (n % 8)
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def pw_sum(a, lo, n):
    """numpy's pairwise summation of a[lo:lo+n]: blocks of <= 128 combined as numpy's recursion
    does (left + right), with an explicit stack (numba's cache mishandles recursive functions)."""
    if n <= 128:
        return pw_block(a, lo, n)
    s_lo = np.empty(64, np.int64)
    s_n = np.empty(64, np.int64)
    s_phase = np.zeros(64, np.int64)
    s_left = np.empty(64)
    s_lo[0] = lo
    s_n[0] = n
    sp = 1
    ret = 0.0
    while sp > 0:
        top = sp - 1
        l_, n_ = s_lo[top], s_n[top]
        if n_ <= 128:
            ret = pw_block(a, l_, n_)
            sp -= 1
            continue
        n2 = n_ // 2
        n2 -= n2 % 8
        ph = s_phase[top]
        if ph == 0:
            s_phase[top] = 1
            s_lo[sp], s_n[sp], s_phase[sp] = l_, n2, 0
            sp += 1
        elif ph == 1:
            s_left[top] = ret
            s_phase[top] = 2
            s_lo[sp], s_n[sp], s_phase[sp] = l_ + n2, n_ - n2, 0
            sp += 1
        else:
            ret = s_left[top] + ret
            sp -= 1
    return ret


@jit
def np_sum(a, lo, n):
    """np.add.reduce of a contiguous 1-D slice: the identity 0.0 plus the pairwise sum."""
    return 0.0 + pw_sum(a, lo, n)


# ---------------------------------------------------------------- parameters and switches


class Parameters(NamedTuple):
    """The kernel's float parameters, as ``parameters`` derives them from the scenario (a tuple
    reaches the kernel by value, so its fields stay in registers through the loops)."""

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
    ongoing_years: float
    insp_rho: float
    insp_k: float
    targets_w: float
    other_w: float
    national_drift: float
    stars: float
    low_rating: float


class Switches(NamedTuple):
    """The kernel's switches: the scenario's mechanisms as the quarter reads them."""

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


def parameters(model: LPSAModel) -> tuple[Parameters, Switches]:
    """The kernel's parameters (derived scalars computed as numpy computes them) and switches,
    read from the scenario."""
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
    gain = (
        d.shift_gain_share * d.shift_size * d.shift_breadth / (1.0 - d.shift_breadth)
        if d.shift_breadth < 1.0
        else 0.0
    )
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
        ongoing_years=s.ongoing_cost_reference_gbp
        * (sc.scheme.follow_up_quarters / QUARTERS_PER_YEAR),
        insp_rho=irho,
        insp_k=p.noise_sd * np.sqrt(1.0 - irho**2),
        targets_w=p.targets_weight,
        other_w=1.0 - p.targets_weight,
        national_drift=p.national_drift,
        stars=p.stars_per_stretch,
        low_rating=p.low_rating,
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
        innovation_dip=mech.innovation_risk and im.dip_quarters > 0,
        diversion=mech.diversion,
        corporate_drift=mech.corporate_drift,
        gaming_threshold=mech.gaming_threshold,
        gaming_ratchet=mech.gaming_ratchet,
        reward_reinvestment=mech.reward_reinvestment,
        inspection=mech.inspection,
    )
    fl = Switches(**{name: bool(value) for name, value in flags.items()})
    return par, fl


# ---------------------------------------------------------------- the fused quarter


@jit
def quarter(
    t,
    par,
    fl,
    # schedule (Q, A) phases, (A,) signed/start/end, promises and instalments as CSR by quarter
    phases,
    signed,
    start,
    end,
    prom_ptr,
    prom_idx,
    inst_ptr,
    inst_idx,
    year_of_quarter,
    # fixed traits and plan
    area,
    area_dept,
    area_exposure,
    of_target,
    alignment,
    climate,
    leadership,
    turnover_rate,
    integrated,
    trust_at_signing,
    base_effort,
    usual_effort,
    work_start,
    gaming,
    partnership,
    ceiling,
    innovation,
    trend,
    exposure,
    cohort_gap,
    presentation_gap,
    max_reward,
    level,
    # precomputed at-the-end plan (plan_sustainability, decide_continuation) for every council
    ps_persistent,
    ps_fixed,
    ps_per_funding,
    ps_ppg_loss,
    ps_usual_share,
    ps_partner_dep,
    ps_decay,
    cont_end,
    # state (mutated in place)
    priority,
    shifts,
    p_effort,
    on_targets,
    trust,
    ff_broken,
    budget_factor,
    continuation,
    champion,
    core,
    effort,
    background,
    shock,
    true,
    gap,
    measured,
    other_services,
    reinvest_share,
    attention,
    ins_error,
    current_rating,
    e_core,
    e_true,
    e_measured,
    e_partner,
    e_reward,
    e_persistent,
    e_fixed,
    e_per_funding,
    e_ppg_loss,
    e_usual_share,
    e_partner_dep,
    e_decay,
    # outputs
    history,
    true_history,
    reward_paid,
    effort_mean,
    trust_mean,
    ratings,
    scores,
    # this quarter's random numbers (empty arrays when the model draws none), and the departments'
    # Generator: how many hits it draws depends on which areas shift (section 1)
    u_event,
    g_departments,
    u_budget,
    u_turn,
    u_post,
    beta_share,
    z_shock,
    u_gaming,
    z_insp,
    # scratch
    agreement_gain,
    p_sum,
    p_cnt,
):
    """Quarter ``t``: each line of ``model.QUARTER`` as one pass over the councils (numbered as
    there, each naming the numpy method it reproduces), updating the state arrays in place."""
    A, T = priority.shape
    ph = phases[t]
    any_impl = False
    any_follow = False
    for i in range(A):
        if ph[i] == IMPLEMENTATION:
            any_impl = True
        elif ph[i] == FOLLOW_UP:
            any_follow = True

    # 1 Departments.shift_priorities
    if fl.priority_shifts:
        n_areas = area_dept.size
        shifting = np.empty(n_areas, np.bool_)
        for k in range(n_areas):
            shifting[k] = u_event[k] < par.shift_rate * area_exposure[k]
            if shifting[k]:
                shifts[area_dept[k]] += 1
        n_hit = 0
        for i in range(A):
            for j in range(T):
                if shifting[area[i, j]]:
                    n_hit += 1
        u_hit = g_departments.random(n_hit)  # one per target in a shifting area, in row order
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

    # 2 Partners.set_effort (bincount's order: row-major over targets)
    P = alignment.size
    p_sum[:] = 0.0
    p_cnt[:] = 0
    for i in range(A):
        for j in range(T):
            k = of_target[i, j]
            if k >= 0:
                p_sum[k] += priority[i, j]
                p_cnt[k] += 1
    for k in range(P):
        pr = p_sum[k] / max(p_cnt[k], 1)
        p_effort[k] = min(alignment[k] * (par.follow_1mw + par.follow_w * pr), 1.0)
    if fl.partnerships:
        for i in range(A):
            for j in range(T):
                k = of_target[i, j]
                on_targets[i, j] = p_effort[k] if k >= 0 else 1.0

    # 3 Departments.keep_promises
    if prom_ptr[t + 1] > prom_ptr[t]:
        for m in range(prom_ptr[t], prom_ptr[t + 1]):
            trust[prom_idx[m]] -= par.broken_trust
        for i in range(A):
            trust[i] = min(max(trust[i], 0.0), 1.0)
        for m in range(prom_ptr[t], prom_ptr[t + 1]):
            ff_broken[prom_idx[m]] += 1

    # 4 Councils.face_budget_pressure
    for i in range(A):
        cut = u_budget[i] < par.b_shock_rate * (1.0 - climate[i])
        budget_factor[i] += par.b_recovery * (1.0 - budget_factor[i])
        if fl.budget_pressure and cut and ph[i] == IMPLEMENTATION:
            budget_factor[i] = budget_factor[i] * par.b_effort_keep
        if fl.budget_climate:
            c = par.b_cont_keep if (cut and ph[i] == FOLLOW_UP) else 1.0
            for j in range(T):
                continuation[i, j] *= c

    # 5 Councils.respond_to_turnover
    if any_impl and fl.champions_turnover:
        for i in range(A):
            if ph[i] != IMPLEMENTATION:
                continue
            handover = par.handover_base + par.handover_1m * leadership[i]
            leave_p = turnover_rate[i] * (1.0 - handover)
            for j in range(T):
                ch = champion[i, j]
                leaves = ch and (u_turn[i, j] < leave_p)
                joins = (not ch) and (u_turn[i, j] < par.reappoint)
                champion[i, j] = (ch and not leaves) or joins

    # 6 lifecycle.effort and implement, then Councils.divert_from_other_services
    agreement_gain[:] = 0.0
    if any_impl:
        for i in range(A):
            if ph[i] != IMPLEMENTATION:  # numpy adds np.where(active, g, 0.0): -0.0 becomes 0.0
                for j in range(T):
                    core[i, j] += 0.0
                    effort[i, j] = 0.0
                continue
            lost = max(trust_at_signing[i] - trust[i], 0.0)
            trust_keep = min(max(1.0 - par.trust_effort * lost, 0.0), 1.0)
            att = 1.0 if attention[i] else 0.0
            for j in range(T):
                started = 1.0 if t >= work_start[i, j] else 0.0
                extra = (base_effort[i, j] - usual_effort[i, j]) * started
                if fl.gaming_ratchet:
                    if core[i, j] + background[i, j] >= 1.0:
                        r = 1.0 - par.ratchet_cut * min(gaming[i, j], 1.0)
                    else:
                        r = 1.0
                    extra = extra * r
                if fl.champions_turnover and not champion[i, j]:
                    extra = extra * par.no_champ_keep
                if fl.freedoms_over_time:
                    extra = extra * trust_keep
                if partnership[i, j]:
                    scale = on_targets[i, j]
                else:
                    scale = 1.0 - par.shift_local * (1.0 - priority[i, j])
                scale = scale * budget_factor[i]
                e = min(max((usual_effort[i, j] + extra) * scale, 0.0), 1.0)
                attn = par.attention_effort * (1.0 - e) * att
                usual = min(usual_effort[i, j] * scale, e) + attn
                e = e + attn
                g = (
                    par.improvement_rate
                    * e
                    * max(ceiling[i, j] - core[i, j] - background[i, j], 0.0)
                )
                ag = g * ((1.0 - usual / max(e, 1e-12)) if e > 0 else 0.0)
                if fl.innovation_dip:
                    worked = t - work_start[i, j]
                    if innovation[i, j] and worked >= 0 and worked < par.dip_quarters:
                        g = par.dip
                        ag = par.dip
                core[i, j] += g
                effort[i, j] = e
                agreement_gain[i, j] = ag
    if fl.diversion:
        for i in range(A):
            other_services[i] -= par.diversion_share * (np_sum(agreement_gain[i], 0, T) / T)
            if ph[i] == FOLLOW_UP:
                other_services[i] = other_services[i] * par.diversion_keep

    # 7 Councils.corporate_drift, then lifecycle.kept_share and sustain
    if any_follow:
        if fl.corporate_drift:
            for i in range(A):
                rate = par.drift_rate * (par.drift_protect_keep if integrated[i] else 1.0)
                c = par.drift_keep if (ph[i] == FOLLOW_UP and u_post[i] < rate) else 1.0
                for j in range(T):
                    continuation[i, j] *= c
        for i in range(A):
            if ph[i] != FOLLOW_UP:
                continue
            bonus = par.integration_keep * (1.0 if integrated[i] else 0.0)
            slow = par.decay_slowdown * (1.0 if attention[i] else 0.0)
            for j in range(T):
                withdrawn = min(1.0, on_targets[i, j] / e_partner[i, j])
                fund = continuation[i, j]
                rest = (e_fixed[i, j] + e_per_funding[i, j] * fund) * (
                    1.0 - e_ppg_loss[i, j] * (1.0 - fund)
                )
                kept = e_usual_share[i, j] + (1.0 - e_usual_share[i, j]) * (
                    e_persistent[i, j] + rest
                )
                kept = kept + bonus * (1.0 - kept)
                fl_ = e_core[i, j] * (kept * withdrawn if e_partner_dep[i, j] else kept)
                rate = e_decay[i, j] * (1.0 - slow)
                core[i, j] = fl_ + (core[i, j] - fl_) * (1.0 - rate)

    # 8 lifecycle.true_outcomes, then gaming.report_figures
    any_end = False
    for i in range(A):
        in_period = t >= start[i] and t < end[i]
        ending = signed[i] and (end[i] - 1 == t)
        any_end = any_end or ending
        for j in range(T):
            shock[i, j] = par.shock_rho * shock[i, j] + par.shock_k * z_shock[i, j]
            if in_period:
                background[i, j] = background[i, j] + trend[i, j]
            true[i, j] = core[i, j] + background[i, j] + exposure[i, j] * shock[i, j]
            gp = max(core[i, j], 0.0) * cohort_gap[i, j] + presentation_gap[i, j]
            if fl.gaming_threshold and ending:
                v = true[i, j] + gp
                if v < par.payout_floor and v >= par.floor_minus_band:
                    if u_gaming[i, j] < min(gaming[i, j], 1.0):
                        gp = par.payout_floor - true[i, j] + 1e-9
            if ph[i] == IMPLEMENTATION:
                gap[i, j] = gp
            elif ph[i] == FOLLOW_UP:
                gap[i, j] = gap[i, j] * par.gap_keep
            measured[i, j] = true[i, j] + gap[i, j]

    # 9 Councils.decide_reward_use, lifecycle.assess; plan_sustainability and
    # Councils.decide_continuation as taken at signing (ps_*, cont_end)
    b = 0
    for i in range(A):
        if end[i] - 1 == t:
            reinvest_share[i] = beta_share[b]
            b += 1
    if any_end:
        for i in range(A):
            if not (signed[i] and end[i] - 1 == t):
                continue
            for j in range(T):
                e_core[i, j] = core[i, j]
                e_true[i, j] = true[i, j]
                s = measured[i, j]
                e_measured[i, j] = s
                e_partner[i, j] = max(on_targets[i, j], 1e-9)
                share = min(s, par.payout_cap) / par.payout_cap if s >= par.payout_floor else 0.0
                e_reward[i, j] = (max_reward[i] / T) * share
                e_persistent[i, j] = ps_persistent[i, j]
                e_fixed[i, j] = ps_fixed[i, j]
                e_per_funding[i, j] = ps_per_funding[i, j]
                e_ppg_loss[i, j] = ps_ppg_loss[i, j]
                e_usual_share[i, j] = ps_usual_share[i, j]
                e_partner_dep[i, j] = ps_partner_dep[i, j]
                e_decay[i, j] = ps_decay[i, j]
                continuation[i, j] = cont_end[i, j]

    # 10 LPSAModel._pay_rewards and Councils.reinvest_reward
    if inst_ptr[t + 1] > inst_ptr[t]:
        k0, k1 = inst_ptr[t], inst_ptr[t + 1]
        amounts = np.empty(k1 - k0)
        n_due = 0
        for m in range(k0, k1):
            i = inst_idx[m]
            if signed[i]:
                amounts[n_due] = np_sum(e_reward[i], 0, T) / par.reward_instalments
                n_due += 1
        reward_paid[t] += np_sum(amounts, 0, n_due)
        if fl.reward_reinvestment:
            n_due = 0
            for m in range(k0, k1):
                i = inst_idx[m]
                if not signed[i]:
                    continue
                amount = amounts[n_due]
                n_due += 1
                cnt = 0
                for j in range(T):
                    if e_per_funding[i, j] > 0 or e_ppg_loss[i, j] > 0:
                        cnt += 1
                boost = (amount * reinvest_share[i] / max(cnt, 1)) / par.ongoing_years
                for j in range(T):
                    if e_per_funding[i, j] > 0 or e_ppg_loss[i, j] > 0:
                        continuation[i, j] = min(1.0, continuation[i, j] + boost)

    # 11 Inspection.rate, at the year's end
    year = year_of_quarter[t]
    if year >= 0:
        for i in range(A):
            ins_error[i] = par.insp_rho * ins_error[i] + par.insp_k * z_insp[i]
            services = (
                par.targets_w * (np_sum(true[i], 0, T) / T) + par.other_w * (other_services[i])
            )
            score = level[i] + par.national_drift * (year + 1) + par.stars * services + ins_error[i]
            rating = int(min(max(np.rint(score), 1.0), float(MAX_RATING)))
            fell = rating < current_rating[i]
            attention[i] = fl.inspection and ((rating <= par.low_rating) or fell)
            scores[year, i] = score
            ratings[year, i] = rating
            current_rating[i] = rating

    # 12 LPSAModel._record
    history[t] = measured
    true_history[t] = true
    n_work = 0
    for i in range(A):
        if ph[i] == IMPLEMENTATION and signed[i]:
            n_work += 1
    if n_work:
        buf = np.empty(n_work * T)
        m = 0
        for i in range(A):
            if ph[i] == IMPLEMENTATION and signed[i]:
                for j in range(T):
                    buf[m] = effort[i, j]
                    m += 1
        effort_mean[t] = np_sum(buf, 0, m) / m
    trust_mean[t] = np_sum(trust, 0, A) / A


@jit
def run_quarters(t0, Q, fixed, state, streams):
    """Quarters ``t0`` to ``Q - 1``. ``fixed`` and ``state`` are the tuples of ``_fixed`` and
    ``_state``, passed on to ``quarter`` in its argument order; ``streams`` those of ``_draws``.
    Random numbers are drawn here from the model's own numpy Generators, in the model's calls and
    shapes (numba runs numpy's algorithms on the same bit generators: the same numbers in the same
    order, and the streams end in the same state)."""
    # what the loop itself reads, by position in ``_fixed`` and ``_state``
    phases, signed, end, year_of_quarter, alignment = (
        fixed[2],
        fixed[3],
        fixed[5],
        fixed[10],
        fixed[15],
    )
    g_dep, g_bud, g_turn, g_post, g_shock, g_gam, g_insp = streams[:7]
    n_areas, beta_a, beta_b, n_sched_end = streams[7:]
    A, T = state[0].shape
    agreement_gain = np.zeros((A, T))
    p_sum = np.zeros(alignment.size)
    p_cnt = np.zeros(alignment.size, np.int64)
    empty1 = np.zeros(1)
    empty2 = np.zeros((1, 1))
    for t in range(t0, Q):
        ph = phases[t]
        any_impl = False
        any_follow = False
        any_end = False
        for i in range(A):
            any_impl = any_impl or ph[i] == IMPLEMENTATION
            any_follow = any_follow or ph[i] == FOLLOW_UP
            any_end = any_end or (signed[i] and end[i] - 1 == t)
        u_event = g_dep.random(n_areas)
        u_budget = g_bud.random(A)
        u_turn = g_turn.random((A, T)) if any_impl else empty2
        u_post = g_post.random(A) if any_follow else empty1
        z_shock = g_shock.standard_normal((A, T))
        u_gaming = g_gam.random((A, T)) if any_end else empty2
        beta = g_post.beta(beta_a, beta_b, n_sched_end[t]) if n_sched_end[t] > 0 else empty1
        z_insp = g_insp.standard_normal(A) if year_of_quarter[t] >= 0 else empty1
        quarter(
            t,
            *fixed,
            *state,
            u_event,
            g_dep,
            u_budget,
            u_turn,
            u_post,
            beta,
            z_shock,
            u_gaming,
            z_insp,
            agreement_gain,
            p_sum,
            p_cnt,
        )


# ---------------------------------------------------------------- the Python side


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


def _dense(x: np.ndarray | float, shape: tuple[int, int]) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, float), shape))


def _own_state(model: LPSAModel) -> None:
    """Give every array the kernel writes its own contiguous buffer of the kernel's dtype (some
    are views or broadcasts at construction). Values are unchanged."""
    tg, c, ins = model.targets, model.councils, model.inspection
    for group in (tg.state, tg.end):
        for name, value in vars(group).items():
            setattr(group, name, np.array(value, copy=True, order="C"))
    for name in ("trust", "budget_factor", "other_services", "reinvest_share", "attention"):
        setattr(c, name, np.array(getattr(c, name), copy=True))
    c.ff_broken = np.array(c.ff_broken, dtype=np.int64)
    model.departments.shifts = np.array(model.departments.shifts, dtype=np.int64)
    ins.error = np.array(ins.error, copy=True)
    ins.current_rating = np.array(ins.current_rating, dtype=np.int64)
    ins.ratings = np.array(ins.ratings, dtype=np.int64)
    model.partners.on_targets = np.array(model.partners.on_targets, copy=True, order="C")


def _fixed(model: LPSAModel) -> tuple:
    """Everything the kernel reads and never writes, in its argument order: parameters,
    switches, the schedule, traits, plan, and what is decided at the end (computed now, for every
    council, by the model's own ``plan_sustainability`` and ``Councils.continuation_at_end``:
    both read only what is fixed at signing)."""
    tg, c, d, p, ins = (
        model.targets,
        model.councils,
        model.departments,
        model.partners,
        model.inspection,
    )
    Q, A = model.n_quarters, tg.shape[0]
    tr, pl = tg.traits, tg.plan
    year = np.full(Q, -1, np.int64)  # the year rated at the end of quarter t, or -1
    for t in range(QUARTERS_PER_YEAR - 1, Q, QUARTERS_PER_YEAR):
        if (t + 1) // QUARTERS_PER_YEAR - 1 < ins.ratings.shape[0]:
            year[t] = (t + 1) // QUARTERS_PER_YEAR - 1
    real_end = tg.end
    tg.end = _blank(
        EndOfAgreement,
        tg.shape,
        partner_effort=np.ones(tg.shape),
        partner_dependent=np.zeros(tg.shape, bool),
    )
    try:
        plan_sustainability(model, np.arange(A))
        ps = tg.end
    finally:
        tg.end = real_end
    par, fl = parameters(model)
    return (
        par,
        fl,
        np.ascontiguousarray(model._phases, dtype=np.int64),
        c.signed,
        c.start.astype(np.int64),
        c.end.astype(np.int64),
        *_by_quarter(d.promises, Q),
        *_by_quarter(model.instalments_due, Q),
        year,
        tr.area.astype(np.int64),
        d.area_department.astype(np.int64),
        d.area_shift_exposure,
        p.of_target.astype(np.int64),
        p.alignment,
        c.climate,
        c.leadership,
        c.turnover,
        c.integrated,
        c.trust_at_signing,
        pl.base_effort,
        pl.usual_effort,
        pl.work_start.astype(np.int64),
        pl.gaming,
        tr.partnership,
        pl.ceiling,
        pl.innovation,
        tr.trend,
        tr.exposure,
        pl.cohort_gap_per_gain,
        _dense(pl.presentation_gap, tg.shape),
        c.max_reward,
        ins.level,
        _dense(ps.keep_persistent, tg.shape),
        _dense(ps.keep_fixed, tg.shape),
        _dense(ps.keep_per_funding, tg.shape),
        _dense(ps.ppg_loss, tg.shape),
        _dense(ps.usual_share, tg.shape),
        ps.partner_dependent.astype(bool),
        _dense(ps.decay_rate, tg.shape),
        c.continuation_at_end(np.arange(A)),
    )


def _state(model: LPSAModel) -> tuple:
    """The arrays the kernel updates in place, in its argument order."""
    tg, c, d, p, ins = (
        model.targets,
        model.councils,
        model.departments,
        model.partners,
        model.inspection,
    )
    s, e = tg.state, tg.end
    return (
        s.central_priority,
        d.shifts,
        p.effort,
        p.on_targets,
        c.trust,
        c.ff_broken,
        c.budget_factor,
        s.continuation,
        s.champion,
        s.core,
        s.effort,
        s.background,
        s.shock,
        s.true,
        s.gap,
        s.measured,
        c.other_services,
        c.reinvest_share,
        c.attention,
        ins.error,
        ins.current_rating,
        e.core,
        e.true,
        e.measured,
        e.partner_effort,
        e.reward,
        e.keep_persistent,
        e.keep_fixed,
        e.keep_per_funding,
        e.ppg_loss,
        e.usual_share,
        e.partner_dependent,
        e.decay_rate,
        model.history,
        model.true_history,
        model.reward_paid,
        model.effort_mean,
        model.trust_mean,
        ins.ratings,
        ins.scores,
    )


def _draws(model: LPSAModel) -> tuple:
    """The model's own Generators, in the kernel's argument order, and what sizes its draws."""
    st, c, sc = model.streams, model.councils, model.params
    m = sc.sustainability.reward_reinvest_mean
    k = sc.authorities.trait_concentration
    ending = np.bincount(c.end - 1, minlength=model.n_quarters)[: model.n_quarters]
    return (
        st["departments"],
        st["budget"],
        st["turnover"],
        st["post"],
        st["shocks"],
        st["gaming"],
        st["inspection"],
        model.departments.area_department.size,
        max(m, 1e-6) * k,
        max(1 - m, 1e-6) * k,
        ending.astype(np.int64),
    )


def arguments(model: LPSAModel) -> tuple[tuple, tuple, tuple]:
    """``run_quarters``'s ``fixed``, ``state`` and ``streams`` for ``model``, its arrays made the
    kernel's own first (``_own_state``)."""
    _own_state(model)
    return _fixed(model), _state(model), _draws(model)


def run(model: LPSAModel) -> None:
    """Run ``model`` from its current quarter to the end, as ``LPSAModel.step`` would, in one
    compiled call; leave it as the last ``step`` leaves it."""
    Q = model.n_quarters
    run_quarters(model.quarter, Q, *arguments(model))
    ins, c = model.inspection, model.councils
    ins.years_rated = ins.ratings.shape[0]  # every year of the run, its last quarter included
    for t in range(model.quarter, Q):
        model.departments.promises.pop(t, None)
    model.quarter = Q
    model.running = False
    phase = model._phases[Q - 1]
    model._implementing, model._following = phase == IMPLEMENTATION, phase == FOLLOW_UP
    model._ending = c.signed & (c.end - 1 == Q - 1)
