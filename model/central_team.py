"""The central LPSA team: staggers negotiations and sets stretch from imperfect data (model
level)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .scenario import MAX_RATING

if TYPE_CHECKING:
    from .councils import Councils
    from .setting import Setting


def schedule_negotiations(setting: Setting, n: int) -> np.ndarray:
    """Quarter in which each council's agreement starts, pilots first, then in batches.

    The central team could handle only about six negotiations at once, so they were staggered
    (002:88); pilots came first (002). Each batch of ``negotiation_capacity`` takes
    ``negotiation_quarters``. Off (``mechanisms.negotiation_capacity``): everyone in one batch.
    """
    s = setting.params.scheme
    order = setting.streams["negotiation"].permutation(n)
    position = np.empty(n, dtype=int)
    position[order] = np.arange(n)
    n_pilots = min(s.n_pilots, n)
    if setting.params.mechanisms.negotiation_capacity:
        pilot_batches = -(-n_pilots // s.negotiation_capacity)
        batch = np.where(
            position < n_pilots,
            position // s.negotiation_capacity,
            pilot_batches + (position - n_pilots) // s.negotiation_capacity,
        )
    else:
        batch = np.zeros(n, dtype=int)
    return (batch + 1) * s.negotiation_quarters


def set_stretch(setting: Setting, councils: Councils, idx: np.ndarray) -> None:
    """Agree each target's stretch; store the target's potential relative to it and its morale
    effect.

    Stretch was 'a shot in the dark' (001:77): the team's estimate of what is achievable carries a
    log-normal error that grows as indicator quality falls (001:63, 001:75), and the team does not
    know the area's tractability (how well cause and effect are understood). National targets stack
    stretch on aspirational PSA targets (001:129). Lower-rated councils have more room to improve by
    adopting best practice (003:389, 001:101).

    Morale (001:77): staff are 'motivated not by the reward grant but by the desire to improve
    outcomes', so the level of ambition does not affect effort 'except where targets are either not
    a priority locally or a poor measure of desired outcomes', where stretch far too hard or far too
    easy lessens effort; and stretch stacked on aspirational national targets leaves staff feeling
    'set up to fail' (``stretch_morale_selective``; off: every target is affected).

    Reads ``stretch.*``, ``implementation.potential_mean, catch_up``,
    ``mechanisms.stretch_morale_selective``,
    ``mechanisms.stretch_uncertainty``, ``mechanisms.catch_up``.
    """
    sc, tg = setting.params, setting.targets
    st, im, traits = sc.stretch, sc.implementation, tg.traits
    rng = setting.streams["stretch"]
    z = rng.standard_normal((idx.size, tg.shape[1]))
    on = sc.mechanisms.stretch_uncertainty
    sd = st.data_error_sd + st.poor_data_extra_sd * (1.0 - traits.quality[idx])
    error = sd * z if on else 0.0
    national = traits.national[idx]
    stacking = np.where(national, st.national_stacking, 1.0) if on else 1.0
    below_top = MAX_RATING - councils.rating[idx, None]  # stars below the top rating
    room = 1.0 + im.catch_up * below_top if sc.mechanisms.catch_up else 1.0
    potential = (
        im.potential_mean
        * traits.tractability[idx]
        * room
        * np.exp(-error)
        / (st.ambition * stacking)
    )
    tg.plan.potential[idx] = potential
    if on:
        hard_counts = easy_counts = True
        if sc.mechanisms.stretch_morale_selective:
            unvalued = ~traits.local_priority[idx] | (traits.quality[idx] < st.poor_measure_quality)
            hard_counts, easy_counts = unvalued | national, unvalued
        tg.plan.morale[idx] = (
            1.0
            - st.too_hard_penalty * ((potential < st.too_hard_threshold) & hard_counts)
            - st.too_easy_penalty * ((potential > st.too_easy_threshold) & easy_counts)
        )
