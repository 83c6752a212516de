"""Inspection ratings running alongside the agreements: each council's annual star rating.

The CPA and the social-care star ratings judged councils every year whatever their LPSA did, and
the evidence treats that external challenge as what stops services slipping back: 'a continuing
need for external stimuli to encourage improvement, and as a safeguard against slipping back'
(003:203). Ratings moved both ways every year: in adult social care 25 councils rose a star and 16
fell in one year, 24 and 15 the next; of 102 children's services assessments 16 were better and 7
weaker (003:418, 003:436-438).

Each year-end, every council gets a score in stars: its level before the scheme, a national drift
(more money and policy for every council, 003:416), the performance of its services (the targeted
ones in true outcomes, the rest as diversion left them) and an assessment error that persists a
little from year to year. The rating is the score rounded to 1-4 stars. A rating that is low or
fell draws attention for the next year, in the agreement world and its no-agreement twin alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import QUARTERS_PER_YEAR

RATED_SERVICE = "social_care"
"""The area of the service-level rating: adult social care, whose star ratings' moves the evidence
counts (003:418; RECORDS.md). The whole-council rating (the CPA's kind) covers every service."""


@dataclass(eq=False)
class Inspection:
    """Scores and ratings, (years, A) histories, and each council's latest rating."""

    prior: np.ndarray  # (A,) rating before the scheme
    level: np.ndarray  # (A,) score before the scheme [stars]: prior rating +- half a star
    error: np.ndarray  # (A,) assessment error now [stars]
    current_rating: np.ndarray  # (A,) latest rating (the prior rating before the first)
    ratings: np.ndarray  # (years, A) int
    scores: np.ndarray  # (years, A)
    service_error: np.ndarray  # (A,) the service-level rating's assessment error now [stars]
    service_ratings: np.ndarray  # (years, A) int: adult social care's star rating
    years_rated: int = 0

    @classmethod
    def start(cls, prior: np.ndarray, quarters: int, rng: np.random.Generator) -> Inspection:
        """Every council starts at its ``prior`` rating (``authorities.rating_shares``), somewhere
        within that star; a rating a year over the run's ``quarters``."""
        years = quarters // QUARTERS_PER_YEAR
        A = prior.size
        return cls(
            prior=prior,
            level=prior + rng.uniform(-0.5, 0.5, size=A),
            error=np.zeros(A),
            current_rating=prior.copy(),
            ratings=np.zeros((years, A), dtype=int),
            scores=np.zeros((years, A)),
            service_error=np.zeros(A),
            service_ratings=np.zeros((years, A), dtype=int),
        )

    def moves(self, service: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(years, A) booleans: rose a star or more, fell a star or more, against the year before
        (the first year against the prior rating); of the whole-council rating, or with
        ``service`` of the service-level rating (adult social care)."""
        done = (self.service_ratings if service else self.ratings)[: self.years_rated]
        before = np.vstack([self.prior[None, :], done[:-1]])
        return done > before, done < before
