"""Partners (police, health, schools, colleges, voluntary sector) on multi-agency targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .scenario import PARTNER_TYPES

if TYPE_CHECKING:
    from .model import LPSAModel

PARENT_DEPARTMENT = {
    "police": "HomeOffice",
    "health": "DoH",
    "schools": "DfES",
    "colleges": "DfES",
    "voluntary": "ODPM",
}
"""Whose priorities each partner follows (000:171: partners' priorities shift with central
policy)."""


class Partner(mesa.Agent):
    """One local partner body of one council, created only where a partnership target needs it.

    ``alignment`` (0..1) is how far its own priorities match the council's targets (000:126,
    000:163).
    """

    def __init__(
        self, model: LPSAModel, index: int, authority: int, kind: int, alignment: float
    ) -> None:
        super().__init__(model)
        self.index = index
        self.authority = authority
        self.kind = PARTNER_TYPES[kind]
        self.parent_department = PARENT_DEPARTMENT[self.kind]
        self.alignment = alignment


def attach_partners(model: LPSAModel) -> np.ndarray:
    """Create one Partner per (council, partner type) that some partnership target needs.

    Returns the (A, T) alignment of each target's partner (1 for single-agency targets).
    Reads ``partners.alignment_mean``, ``authorities.trait_concentration``.
    """
    tg = model.targets
    A, T = tg.shape
    key = np.where(tg.partnership, np.arange(A)[:, None] * len(PARTNER_TYPES) + tg.partner_type, -1)
    needed, inverse = np.unique(key[key >= 0], return_inverse=True)
    pidx = np.full((A, T), -1)
    pidx[key >= 0] = inverse
    m, k = model.params.partners.alignment_mean, model.params.authorities.trait_concentration
    alignment = model.streams["population"].beta(m * k, (1 - m) * k, size=needed.size)
    model.partners = [
        Partner(model, i, int(c // len(PARTNER_TYPES)), int(c % len(PARTNER_TYPES)), float(al))
        for i, (c, al) in enumerate(zip(needed, alignment))
    ]
    return np.where(pidx >= 0, alignment[np.maximum(pidx, 0)] if alignment.size else 0.0, 1.0)


def partner_effort(model: LPSAModel) -> np.ndarray:
    """(A, T) effort multiplier from partners: 1 for single-agency targets.

    A partner's effort is its alignment with the council, weighted toward its parent department's
    current priority on the indicator (000:171-179, 001:105): when central priorities shift, the
    police move with them. Reads ``partners.follow_department_weight``; off with
    ``mechanisms.partnerships``.
    """
    tg = model.targets
    if not model.params.mechanisms.partnerships:
        return np.ones(tg.shape)
    w = model.params.partners.follow_department_weight
    return np.where(
        tg.partnership, model.partner_alignment * ((1.0 - w) + w * tg.central_priority), 1.0
    )
