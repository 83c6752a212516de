"""Central government departments: own policy areas, shift national priorities, answer F&F
requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .scenario import DEPARTMENTS

if TYPE_CHECKING:
    from .model import LPSAModel

FF_GRANTED, FF_REFUSED, FF_BROKEN = range(3)


class Department(mesa.Agent):
    """One of the eight departments whose policies the targets serve (001:65).

    ``engagement`` (0..1) is how well the department resourced and owned the scheme (001:109); it
    raises the chance that a freedoms-and-flexibilities request is granted.
    """

    def __init__(self, model: LPSAModel, code: int, engagement: float) -> None:
        super().__init__(model)
        self.code = code
        self.name = DEPARTMENTS[code]
        self.engagement = engagement
        self.shifts = 0
        # Areas this department owns, and how exposed each is to priority shifts (000:357).
        self.area_codes = [
            i for i, a in enumerate(model.params.areas.values()) if a.department == self.name
        ]
        self.area_shift_exposure = np.array(
            [a.shift_exposure for a in model.params.areas.values() if a.department == self.name]
        )

    def shift_priorities(self, u_event: np.ndarray, u_hit: np.ndarray) -> None:
        """Maybe move national priority away from some indicators in the department's areas.

        Car crime to burglary; preventive to punitive truancy and youth-offending policy
        (000:173-179): affected targets lose ``shift_size`` of their central priority, which pulls
        partners away and lowers local relevance. Crime is the most exposed (000:357, area
        ``shift_exposure``). Priority then recovers at ``shift_recovery`` a quarter (in the model
        step). ``u_event`` holds one uniform per policy area, ``u_hit`` one per target (drawn by the
        model whether or not the mechanism is on, so switching it leaves every other random number
        as it was). Reads ``departments.priority_shift_rate, shift_breadth, shift_size``; off with
        ``mechanisms.priority_shifts``.
        """
        d, tg = self.model.params.departments, self.model.targets
        for area, exposure in zip(self.area_codes, self.area_shift_exposure):
            if u_event[area] < d.priority_shift_rate * exposure:
                self.shifts += 1
                hit = (tg.area == area) & (u_hit < d.shift_breadth)
                tg.central_priority[hit] *= 1.0 - d.shift_size

    def answer_requests(self, u_grant: np.ndarray, u_broken: np.ndarray) -> np.ndarray:
        """Answer F&F requests (one per pair of uniforms): grant, refuse, or promise and fail to
        deliver.

        Grants are likelier from an engaged department (001:109); many requests were refused and
        others promised but not delivered (001:81, 002:56). Reads ``departments.ff_grant_prob,
        ff_broken_promise_prob``.
        """
        d = self.model.params.departments
        refused_or_broken = np.where(u_broken < d.ff_broken_promise_prob, FF_BROKEN, FF_REFUSED)
        return np.where(u_grant < d.ff_grant_prob * self.engagement, FF_GRANTED, refused_or_broken)


def negotiate_freedoms(model: LPSAModel, idx: np.ndarray) -> None:
    """During negotiation each council asks for freedoms and flexibilities; departments answer.

    Mostly not delivered; a broken promise costs more trust than a refusal (001:81, 002:56); a grant
    adds a little capacity. Reads ``departments.ff_*``; off with
    ``mechanisms.freedoms_flexibilities``.
    """
    a, d = model.auth, model.params.departments
    rng = model.streams["freedoms"]
    n_req = rng.poisson(d.ff_requests_mean, size=idx.size)
    total = int(n_req.sum())
    who = np.repeat(idx, n_req)
    to = rng.integers(0, len(model.departments), size=total)
    u = rng.random((2, total))
    if not model.params.mechanisms.freedoms_flexibilities or total == 0:
        return
    answers = np.empty(total, dtype=int)
    for j, dept in enumerate(model.departments):
        mine = to == j
        answers[mine] = dept.answer_requests(u[0][mine], u[1][mine])
    granted, broken = answers == FF_GRANTED, answers == FF_BROKEN
    trust_delta = np.where(
        granted, d.ff_grant_trust, np.where(broken, -d.ff_broken_promise_trust, -d.ff_refusal_trust)
    )
    n = a.trust.size
    a.trust[:] = np.clip(a.trust + np.bincount(who, weights=trust_delta, minlength=n), 0.0, 1.0)
    a.capacity[:] = np.clip(
        a.capacity + d.ff_grant_capacity * np.bincount(who, weights=granted, minlength=n), 0.0, 1.0
    )
    for code, counts in (
        (FF_GRANTED, a.ff_granted),
        (FF_REFUSED, a.ff_refused),
        (FF_BROKEN, a.ff_broken),
    ):
        counts += np.bincount(who[answers == code], minlength=n)
