"""Central government departments: own policy areas, move national priorities between indicators,
answer councils' requests for freedoms and flexibilities, and keep or break their promises.

:class:`Departments` holds the eight departments' state and decisions; :class:`Department` is the
Mesa agent of one, a named view of its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .scenario import DEPARTMENTS

if TYPE_CHECKING:
    from .councils import Councils
    from .setting import Setting

FF_GRANTED, FF_REFUSED, FF_BROKEN = range(3)


@dataclass(eq=False)
class Departments:
    """The departments whose policies the targets serve (001:65), arrays of shape (D,)."""

    setting: Setting = field(repr=False)
    engagement: np.ndarray  # how well the department resourced and owned the scheme (001:109)
    shifts: np.ndarray  # int: priority shifts made so far
    area_department: np.ndarray  # (areas,) department owning each policy area
    area_shift_exposure: np.ndarray  # (areas,) exposure of each area to shifts (000:357)
    promises: dict[int, np.ndarray] = field(default_factory=dict)  # quarter -> councils let down

    @classmethod
    def draw(cls, setting: Setting, rng: np.random.Generator) -> Departments:
        """Draw each department's engagement (Beta, mean ``departments.engagement_mean``)."""
        sc = setting.params
        k = sc.authorities.trait_concentration
        m = sc.departments.engagement_mean
        areas = list(sc.areas.values())
        return cls(
            setting=setting,
            engagement=rng.beta(m * k, (1 - m) * k, size=len(DEPARTMENTS)),
            shifts=np.zeros(len(DEPARTMENTS), dtype=int),
            area_department=np.array([DEPARTMENTS.index(a.department) for a in areas]),
            area_shift_exposure=np.array([a.shift_exposure for a in areas]),
        )

    def answer_requests(self, c: Councils, idx: np.ndarray) -> None:
        """During negotiation each council asks for freedoms and flexibilities; departments answer.

        Each request goes to a department, which grants it (likelier if engaged, 001:109), refuses
        it, or promises it and later fails to deliver (001:81, 002:56). A grant adds trust and a
        little capacity; a refusal costs trust; a broken promise costs more, 'more damaging to
        improvements than outright refusals' (001:81). With ``freedoms_over_time`` a promise falls
        due during implementation, at a quarter drawn in the first ``ff_promise_due_quarters``, and
        its trust is lost then (``quarter.keep_promises``); off, everything is settled at signing.
        Reads ``departments.ff_*``; off with ``mechanisms.freedoms_flexibilities``.
        """
        sc = self.setting.params
        d, mech = sc.departments, sc.mechanisms
        rng = self.setting.streams["freedoms"]
        n_req = rng.poisson(d.ff_requests_mean, size=idx.size)
        total = int(n_req.sum())
        who = np.repeat(idx, n_req)
        to = rng.integers(0, len(DEPARTMENTS), size=total)
        u = rng.random((2, total))
        due = c.start[who] + rng.integers(0, d.ff_promise_due_quarters, size=total)
        if not mech.freedoms_flexibilities or total == 0:
            return
        broken_or_refused = np.where(u[1] < d.ff_broken_promise_prob, FF_BROKEN, FF_REFUSED)
        answers = np.where(
            u[0] < d.ff_grant_prob * self.engagement[to], FF_GRANTED, broken_or_refused
        )
        granted, broken = answers == FF_GRANTED, answers == FF_BROKEN
        later = broken & mech.freedoms_over_time
        trust_delta = np.select(
            [granted, broken & ~later, ~broken],
            [d.ff_grant_trust, -d.ff_broken_promise_trust, -d.ff_refusal_trust],
            0.0,
        )
        n = c.size
        c.trust[:] = np.clip(c.trust + np.bincount(who, weights=trust_delta, minlength=n), 0, 1)
        c.capacity[:] = np.clip(
            c.capacity + d.ff_grant_capacity * np.bincount(who, weights=granted, minlength=n), 0, 1
        )
        c.ff_granted += np.bincount(who[granted], minlength=n)
        c.ff_refused += np.bincount(who[answers == FF_REFUSED], minlength=n)
        c.ff_broken += np.bincount(who[broken & ~later], minlength=n)
        for q in np.unique(due[later]):
            self.promises[int(q)] = who[later & (due == q)]


class Department(mesa.Agent):
    """One of the eight departments: a named view of its row in :class:`Departments`."""

    def __init__(self, model: mesa.Model, code: int) -> None:
        super().__init__(model)
        self.code = code
        self.name = DEPARTMENTS[code]

    @property
    def engagement(self) -> float:
        """How well the department resourced and owned the scheme, 0..1 (001:109)."""
        return float(self.model.departments.engagement[self.code])

    @property
    def shifts(self) -> int:
        """Priority shifts it has made so far."""
        return int(self.model.departments.shifts[self.code])
