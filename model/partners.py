"""Partners (police, health, schools, colleges, voluntary sector) on multi-agency targets.

:class:`Partners` holds one partner body per (council, partner type) that some partnership target
needs, with its alignment and its effort this quarter, and decides that effort. Targets read their
partner's effort from here (``on_targets``: 1 for single-agency targets, and everywhere with
``mechanisms.partnerships`` off). :class:`Partner` is the Mesa agent of one, a named view of its
row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .scenario import PARTNER_TYPES

if TYPE_CHECKING:
    from .setting import Setting

PARENT_DEPARTMENT = {
    "police": "HomeOffice",
    "health": "DoH",
    "schools": "DfES",
    "colleges": "DfES",
    "voluntary": "ODPM",
}
"""Whose priorities each partner follows (000:171: partners' priorities shift with central
policy)."""


@dataclass(eq=False)
class Partners:
    """Partner bodies, arrays of shape (P,); ``of_target`` (A, T) holds each target's partner."""

    council: np.ndarray  # int: the council it works with
    kind: np.ndarray  # int: index into PARTNER_TYPES
    alignment: np.ndarray  # how far its own priorities match the council's targets (000:126)
    effort: np.ndarray  # effort this quarter, 0..1
    of_target: np.ndarray  # (A, T) int: index of each target's partner, -1 for single-agency
    on_targets: np.ndarray  # (A, T) partners' effort on each target this quarter (set_effort)

    @classmethod
    def attach(cls, setting: Setting, rng: np.random.Generator) -> Partners:
        """One partner per (council, partner type) that some partnership target needs.

        Alignment is Beta with mean ``partners.alignment_mean``. Reads
        ``authorities.trait_concentration``.
        """
        tg = setting.targets
        A, T = tg.shape
        n_types = len(PARTNER_TYPES)
        key = np.where(
            tg.traits.partnership, np.arange(A)[:, None] * n_types + tg.traits.partner_type, -1
        )
        needed, inverse = np.unique(key[key >= 0], return_inverse=True)
        of_target = np.full((A, T), -1)
        of_target[key >= 0] = inverse
        sc = setting.params
        m, k = sc.partners.alignment_mean, sc.authorities.trait_concentration
        alignment = rng.beta(m * k, (1 - m) * k, size=needed.size)
        return cls(
            council=needed // n_types,
            kind=needed % n_types,
            alignment=alignment,
            effort=alignment.copy(),
            of_target=of_target,
            on_targets=np.ones((A, T)),
        )

    @property
    def size(self) -> int:
        return self.kind.size


class Partner(mesa.Agent):
    """One local partner body of one council: a named view of its row in :class:`Partners`."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def authority(self) -> int:
        return int(self.model.partners.council[self.index])

    @property
    def kind(self) -> str:
        return PARTNER_TYPES[int(self.model.partners.kind[self.index])]

    @property
    def parent_department(self) -> str:
        return PARENT_DEPARTMENT[self.kind]

    @property
    def alignment(self) -> float:
        return float(self.model.partners.alignment[self.index])

    @property
    def effort(self) -> float:
        """Its effort this quarter, 0..1."""
        return float(self.model.partners.effort[self.index])
