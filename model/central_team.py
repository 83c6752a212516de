"""The central LPSA team: staggers negotiations and sets stretch from imperfect data (model
level)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .scenario import MAX_RATING

if TYPE_CHECKING:
    from .model import LPSAModel


def schedule_negotiations(model: LPSAModel) -> np.ndarray:
    """Quarter in which each council's agreement starts, pilots first, then in batches.

    The central team could handle only about six negotiations at once, so they were staggered
    (002:88); pilots came first (002). Each batch of ``negotiation_capacity`` takes
    ``negotiation_quarters``. Off (``mechanisms.negotiation_capacity``): everyone in one batch.
    """
    s = model.params.scheme
    n = model.auth.climate.size
    order = model.streams["negotiation"].permutation(n)
    position = np.empty(n, dtype=int)
    position[order] = np.arange(n)
    n_pilots = min(s.n_pilots, n)
    if model.params.mechanisms.negotiation_capacity:
        pilot_batches = -(-n_pilots // s.negotiation_capacity)
        batch = np.where(
            position < n_pilots,
            position // s.negotiation_capacity,
            pilot_batches + (position - n_pilots) // s.negotiation_capacity,
        )
    else:
        batch = np.zeros(n, dtype=int)
    return (batch + 1) * s.negotiation_quarters


def set_stretch(model: LPSAModel, idx: np.ndarray) -> None:
    """Agree each target's stretch; store the target's potential relative to it and its morale
    effect.

    Stretch was 'a shot in the dark' (001:77): the team's estimate of what is achievable carries a
    log-normal error that grows as indicator quality falls (001:63, 001:75), and the team does not
    know the area's tractability (how well cause and effect are understood). National targets stack
    stretch on aspirational PSA targets (001:129). Lower-rated councils have more room to improve by
    adopting best practice (003:389, 001:101). A target far too hard ('set up to fail') or far too
    easy draws less effort (001:77).

    Reads ``stretch.*``, ``implementation.potential_mean, catch_up``,
    ``mechanisms.stretch_uncertainty``, ``mechanisms.catch_up``.
    """
    sc, tg = model.params, model.targets
    st, im = sc.stretch, sc.implementation
    rng = model.streams["stretch"]
    z = rng.standard_normal((idx.size, tg.shape[1]))
    on = sc.mechanisms.stretch_uncertainty
    sd = st.data_error_sd + st.poor_data_extra_sd * (1.0 - tg.quality[idx])
    error = sd * z if on else 0.0
    stacking = np.where(tg.national[idx], st.national_stacking, 1.0) if on else 1.0
    below_top = MAX_RATING - model.auth.rating[idx, None]  # stars below the top rating
    room = 1.0 + im.catch_up * below_top if sc.mechanisms.catch_up else 1.0
    potential = (
        im.potential_mean * tg.tractability[idx] * room * np.exp(-error) / (st.ambition * stacking)
    )
    tg.potential[idx] = potential
    if on:
        tg.morale[idx] = (
            1.0
            - st.too_hard_penalty * (potential < st.too_hard_threshold)
            - st.too_easy_penalty * (potential > st.too_easy_threshold)
        )
