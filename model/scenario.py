"""Scenario schema: every parameter of the model, declared once, typed, with units, ranges and
defaults.

A scenario file (``scenarios/*.yaml``) is a partial override of these defaults. A file may
``extends:`` another scenario (a path relative to itself, or a bare name found beside it) and
override only what differs; nested sections are merged key by key.

Every section forbids unknown keys, so a misspelt parameter is an error, not a silent default.
``load_scenario`` turns any problem into a single ``ScenarioError`` whose message names the file,
the field path, the bad value and what is allowed.

Evidence references are written ``seeds FILE:LINE`` for the documents in ``../shared/seeds/``
(000 sustainability workshop, 001 interim evaluation, 002 pilot negotiation, 003 Grace & Martin,
004 Kent and Middlesbrough); see ``../shared/EVIDENCE.md``.
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from lpsa.scenarios import SCENARIO_DIR  # noqa: E402 - the shipped scenarios, as package data

APPROACHES = ("systemic", "new_working", "more_of_same")
"""Approach types (seeds 000:90-93): 1 systemic change, 2 new working with ongoing costs, 3 more of
the same."""

AUTHORITY_TYPES = ("county", "unitary", "metropolitan", "london")
PARTNER_TYPES = ("police", "health", "schools", "colleges", "voluntary")
DEPARTMENTS = ("DfES", "DfT", "HomeOffice", "DoH", "ODPM", "DEFRA", "DWP", "DCMS")
QUARTERS_PER_YEAR = 4
"""Unit conversion [quarters/year]: the model steps one quarter at a time; not a parameter."""
MAX_RATING = 4
"""Top prior service rating [stars]: ratings run 1..MAX_RATING, as CPA star ratings (003:389)."""


class ScenarioError(Exception):
    """A scenario (or sweep) file or argument is wrong; the message is meant for the user as is."""


_PLAIN = frozenset({float, int, str, type(None)})
"""Types that neither are nor hold true/false (``bool`` is its own type, not ``int``)."""


class _Section(BaseModel):
    """Every section of a scenario: unknown fields refused, every number finite (NaN and infinity
    are refused wherever a number is declared, in lists and tables too), and true/false never
    read as a number (YAML reads ``yes`` as true, which pydantic would turn into 1.0)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_false_for_numbers(cls, value: Any, info: Any) -> Any:
        if type(value) in _PLAIN:  # most values, at once: a scenario has hundreds of them
            return value
        field = cls.model_fields.get(info.field_name) if info.field_name else None
        if field is not None and _holds_bool(value) and _numbers_only(field.annotation):
            raise ValueError("true/false is not a number; allowed: a number")
        return value


class SchemeParams(_Section):
    """Shape of the scheme: how many agreements, how many targets, how long (seeds 001:65,
    000:288)."""

    n_authorities: int = Field(
        150,
        ge=1,
        le=100_000,
        description=(
            "upper-tier councils offered an agreement [count]; all 150 of England's were offered "
            "LPSA1 and 144 signed (EVIDENCE.md scheme rules; 001:65 '~130' counts those signed by "
            "2005). Types are allocated in proportion to authorities.types counts"
        ),
    )
    targets_per_authority: int = Field(
        12,
        ge=4,
        le=20,
        description="stretch targets per agreement [count]; 'a dozen or so' (001:65)",
    )
    implementation_quarters: int = Field(
        12,
        ge=8,
        le=20,
        description=(
            "agreement length [quarters]; 3 years, some 2 (000:288); LPSA2 allowed longer (000:345)"
        ),
    )
    follow_up_quarters: int = Field(
        20,
        ge=20,
        le=60,
        description="follow-up after the agreement ends [quarters]; at least 5 years",
    )
    n_pilots: int = Field(
        20, ge=0, le=100_000, description="pilot authorities negotiated first [count] (002)"
    )
    negotiation_capacity: int = Field(
        20,
        ge=1,
        le=100_000,
        description=(
            "agreements the central team can conclude per quarter [count/quarter]; ~6 at once with "
            "pilot staffing (002:88), more with GO and LGA help"
        ),
    )
    negotiation_quarters: int = Field(
        1, ge=1, le=4, description="quarters one negotiation takes [quarters]"
    )
    national_local_priority: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "chance that a national target is also one of the council's own priorities [0-1]; "
            "'not all targets were the highest local priorities' (000:385); assumption, range "
            "0.3-0.8"
        ),
    )
    national_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "share of targets that are national (stretch on departmental PSA targets) [0-1]; LPSA1 "
            "required a minimum (000:385)"
        ),
    )


class FundingParams(_Section):
    """The money, by the first-generation scheme rules (EVIDENCE.md 'Scheme rules')."""

    ppg_flat_gbp: float = Field(
        750_000, ge=0, le=1e8, description="pump-priming grant flat sum per authority [GBP]"
    )
    ppg_per_head_gbp: float = Field(
        1.0, ge=0, le=100, description="pump-priming grant per head of population [GBP/person]"
    )
    reward_share_of_nbr: float = Field(
        0.025,
        ge=0,
        le=0.2,
        description="maximum performance reward grant as a share of net budget requirement [0-1]",
    )
    ppg_share: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "if set, the authority's total (PPG + maximum reward, by the rules above) is re-split "
            "so PPG is this share [0-1]; None keeps the rules' split"
        ),
    )
    ppg_coordination_min: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description=(
            "PPG condition: the least share of a council's PPG it may spend on posts that plan, "
            "re-engineer and co-ordinate; a council that would spend less must spend this [0-1]; "
            "a lever, 0 = no condition (LPSA1 set none; government only discouraged PPG on "
            "short-term staff, and the evaluators found a co-ordinating post 'can often be an "
            "effective way of bringing about a step change' (000:347))"
        ),
    )
    payout_floor: float = Field(
        0.6, ge=0.0, le=1.0, description="share of stretch below which a target pays nothing [0-1]"
    )
    payout_cap: float = Field(
        1.0, ge=0.5, le=2.0, description="share of stretch at which payout is capped [ratio]"
    )
    reward_instalments: int = Field(
        2, ge=1, le=4, description="equal yearly instalments of reward after the end [count]"
    )
    ppg_cost_reference_gbp: float = Field(
        150_000,
        gt=0,
        le=1e8,
        description=(
            "PPG per target that fully resources a stretch effort [GBP/target]; assumption, the "
            "evidence gives no cost per target"
        ),
    )
    reward_reference_gbp: float = Field(
        600_000,
        gt=0,
        le=1e8,
        description=(
            "maximum reward per target that counts as a strong incentive [GBP/target]; assumption"
        ),
    )


class CouncilTypeParams(_Section):
    """One type of upper-tier council: how many there are, their sizes and budgets per head."""

    count: int = Field(..., ge=0, le=100_000, description="councils of this type [count]")
    population_median: float = Field(..., gt=0, le=1e8, description="median population [persons]")
    population_log_sd: float = Field(
        ..., ge=0, le=2, description="sd of log population around the median [log units]"
    )
    nbr_per_head_gbp: float = Field(
        ..., gt=0, le=5000, description="mean net budget requirement per head [GBP/person]"
    )


DEFAULT_COUNCIL_TYPES: dict[str, dict[str, float]] = {
    # England's 150 upper-tier councils in 2001: 34 shire counties, 47 unitaries (with the Isles
    # of Scilly), 36 metropolitan districts, 33 London councils (32 boroughs and the City).
    # Populations: log-normal fits to the 2001 Census usual residents (ONS 2002, Census 2001 Key
    # Statistics KS01), fitted without Scilly and the City, whose tiny sizes would double the
    # spread; the four types then total about 48 million against England's 49.1 million.
    # Net budget requirement per head, 2003-04 (schools included until 2006-07): estimates from
    # Hansard written answers on formula grant and council tax (20 Jan 2003, 4 Jul 2003,
    # 26 Jun 2003), ranges county 780-900, unitary 880-1,020, metropolitan 950-1,100, London
    # 1,150-1,350. Figures, per-council list and sources: docs/data/england_councils_2001.md.
    "county": dict(
        count=34, population_median=607_533, population_log_sd=0.385, nbr_per_head_gbp=850
    ),
    "unitary": dict(
        count=47, population_median=161_851, population_log_sd=0.387, nbr_per_head_gbp=950
    ),
    "metropolitan": dict(
        count=36, population_median=260_287, population_log_sd=0.405, nbr_per_head_gbp=1040
    ),
    "london": dict(
        count=33, population_median=217_407, population_log_sd=0.210, nbr_per_head_gbp=1250
    ),
}


class AuthorityParams(_Section):
    """How the population of authorities is drawn. Means of Beta-distributed traits in 0..1."""

    types: dict[Literal["county", "unitary", "metropolitan", "london"], CouncilTypeParams] = Field(
        default_factory=lambda: {
            k: CouncilTypeParams(**v) for k, v in DEFAULT_COUNCIL_TYPES.items()
        },
        description=(
            "England's upper-tier councils by type (counts, sizes, budgets per head); a scenario "
            "gives only what differs, merged over the defaults type by type (count 0 drops a type)"
        ),
    )

    @field_validator("types", mode="before")
    @classmethod
    def _types_over_defaults(cls, value: Any) -> Any:
        """Merge the given council types, field by field, over ``DEFAULT_COUNCIL_TYPES``."""
        if not isinstance(value, Mapping):
            return value
        merged: dict[Any, Any] = {k: dict(v) for k, v in DEFAULT_COUNCIL_TYPES.items()}
        for kind, given in value.items():
            if kind not in merged:
                raise ValueError(
                    f"unknown council type {shorten(kind)}; allowed: {', '.join(merged)}"
                )
            given = given.model_dump() if isinstance(given, BaseModel) else given
            merged[kind] = {**merged[kind], **given} if isinstance(given, Mapping) else given
        return merged

    nbr_sd: float = Field(
        0.15,
        ge=0,
        le=1,
        description="log-sd of net budget requirement around population x the type's "
        "nbr_per_head_gbp "
        "[log units]; assumption (EVIDENCE.md scheme rules give only the range)",
    )
    trait_concentration: float = Field(
        8.0,
        gt=0.5,
        le=200,
        description=(
            "Beta concentration of all 0-1 traits (higher = authorities more alike) [dimensionless]"
        ),
    )
    learning_rate: float = Field(
        0.0,
        ge=0,
        le=0.1,
        description=(
            "share of the remaining room a council's capacity learned from its agreement grows by "
            "each quarter of implementation [1/quarter]; what is learned closes that share of the "
            "gap to full effort on the targets and slows the fall-back of gains after the end by "
            "it (001:97, 001:99, 001:103); 0 = councils learn nothing (default); plausible range "
            "0-0.02, modest as LPSA is 'one factor amongst several' and CPA 'a more significant "
            "driver' (001:103)"
        ),
    )
    budget_climate_mean: float = Field(
        0.5, ge=0.02, le=0.98, description="0 cash-strapped .. 1 affluent (000:133) [0-1]"
    )
    capacity_mean: float = Field(
        0.55, ge=0.02, le=0.98, description="corporate capacity [0-1] (001:89)"
    )
    will_mean: float = Field(0.7, ge=0.02, le=0.98, description="will to improve [0-1] (001:87)")
    leadership_mean: float = Field(
        0.55,
        ge=0.02,
        le=0.98,
        description="political leadership and shared story [0-1] (001:57, 001:93)",
    )
    risk_tolerance_mean: float = Field(
        0.4,
        ge=0.02,
        le=0.98,
        description="tolerance of risk and experiment [0-1] (000:144, 001:101)",
    )
    risk_aversion: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "how far a council discounts the reward for the risk of missing the target [0-1]: "
            "the certainty equivalent is the reward times 1 - risk_aversion x (1 - risk "
            "tolerance) x share at risk; PPG is certain (001:91 'a more equitable distribution "
            "of risk between centre and localities', 001:105 partnership targets 'more risky'); "
            "0 = no effect (default), assumption, range 0-1"
        ),
    )
    thinking_time_climate_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description=(
            "weight of budget climate in thinking time (affluent authorities have thinking time, "
            "000:133) [0-1]"
        ),
    )
    own_thinking_time_mean: float = Field(
        0.5,
        ge=0.02,
        le=0.98,
        description="mean of the part of thinking time not set by budget climate [0-1] "
        "(001:89: the opportunity to think about new approaches); assumption",
    )
    turnover_rate: float = Field(
        0.05,
        ge=0,
        le=0.5,
        description="mean chance per quarter that a target's champion leaves [1/quarter] (001:93)",
    )
    turnover_cv: float = Field(
        0.5,
        gt=0,
        le=2,
        description="spread of authorities' turnover around turnover_rate, Gamma-distributed "
        "[ratio: sd/mean]; assumption",
    )
    initial_trust: float = Field(
        0.6, ge=0, le=1, description="trust in central government at the start [0-1]"
    )
    rating_shares: list[float] = Field(
        default_factory=lambda: [0.1, 0.3, 0.4, 0.2],
        min_length=MAX_RATING,
        max_length=MAX_RATING,
        description="shares of prior service ratings 1..4 stars [0-1, normalised] (003:389)",
    )


class DepartmentParams(_Section):
    """Central departments: engagement, shifting national priorities, freedoms and flexibilities."""

    engagement_mean: float = Field(
        0.6, ge=0.02, le=0.98, description="departments' engagement with the scheme [0-1] (001:109)"
    )
    priority_shift_rate: float = Field(
        0.03,
        ge=0,
        le=1,
        description=(
            "chance per quarter that a department shifts national priority, before the area's "
            "exposure multiplier [1/quarter] (000:173-179)"
        ),
    )
    shift_breadth: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "share of the department's targets whose indicator loses priority in a shift [0-1]"
        ),
    )
    shift_size: float = Field(
        0.5,
        ge=0,
        le=1,
        description="loss of central priority on an affected target per shift [0-1]",
    )
    shift_recovery: float = Field(
        0.02,
        ge=0,
        le=1,
        description="share of the distance back to usual priority (1) regained per quarter "
        "[1/quarter]",
    )
    shift_gain_share: float = Field(
        1.0,
        ge=0,
        le=2,
        description=(
            "priority gained by the department's other indicators in the same area, per unit of "
            "priority lost by the hit ones, spread over them [ratio]; car crime to burglary "
            "(000:173-179); assumption, range 0.5-1.5"
        ),
    )
    max_priority: float = Field(
        1.5,
        ge=1,
        le=3,
        description="highest central priority an indicator can reach (1 = usual) [ratio]",
    )
    shift_local_effect: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "how far lost central priority also lowers the council's own effort on single-agency "
            "targets (000:173) [0-1]"
        ),
    )
    ff_requests_mean: float = Field(
        2.0,
        ge=0,
        le=20,
        description="freedoms and flexibilities requests per authority [count] (001:81, 002:56)",
    )
    ff_grant_prob: float = Field(
        0.25,
        ge=0,
        le=1,
        description="chance a request is granted, for a fully engaged department [0-1]",
    )
    ff_broken_promise_prob: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "chance a request not granted is promised and then not delivered [0-1] (001:81)"
        ),
    )
    ff_grant_trust: float = Field(
        0.03, ge=0, le=1, description="trust gained per granted request [0-1]"
    )
    ff_grant_capacity: float = Field(
        0.03, ge=0, le=1, description="capacity gained per granted request [0-1]"
    )
    ff_refusal_trust: float = Field(0.03, ge=0, le=1, description="trust lost per refusal [0-1]")
    ff_promise_due_quarters: int = Field(
        8,
        ge=1,
        le=20,
        description=(
            "a promised freedom falls due at a quarter drawn uniformly in the first this-many "
            "quarters of implementation, when it is delivered or broken [quarters] (001:81: "
            "'failure to deliver on commitments'); assumption"
        ),
    )
    trust_effort_effect: float = Field(
        0.4,
        ge=0,
        le=1,
        description=(
            "effort lost per unit of trust lost since signing [ratio]: broken promises limit "
            "'trust and commitment to the process among local authority officers' (000:133 "
            "section 5.2, 001:81); assumption, range 0-0.8"
        ),
    )
    ff_broken_promise_trust: float = Field(
        0.12,
        ge=0,
        le=1,
        description="trust lost per broken promise; larger than a refusal (001:81) [0-1]",
    )


class PartnerParams(_Section):
    """Partners attached to multi-agency targets (001:105, 000:126)."""

    alignment_mean: float = Field(
        0.6, ge=0.02, le=0.98, description="partner's alignment with the authority's targets [0-1]"
    )
    follow_department_weight: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "how much a partner's effort follows its parent department's priority rather than "
            "local alignment [0-1] (000:171)"
        ),
    )


class StretchParams(_Section):
    """How the central team sets stretch from imperfect data (001:77, 001:129)."""

    ambition: float = Field(
        1.0,
        ge=0.5,
        le=2.0,
        description="stretch agreed relative to the central estimate of what is achievable [ratio]",
    )
    data_error_sd: float = Field(
        0.3,
        ge=0,
        le=1.5,
        description=(
            "log-sd of the central estimate's error for a perfect indicator [log units] ('shot in "
            "the dark', 001:77)"
        ),
    )
    poor_data_extra_sd: float = Field(
        0.2,
        ge=0,
        le=1.5,
        description="extra log-sd for a poor indicator (quality 0) [log units] (001:63, 001:75)",
    )
    national_stacking: float = Field(
        1.25,
        ge=1.0,
        le=3.0,
        description=(
            "extra stretch on national targets stacked on aspirational PSA targets [ratio] "
            "(001:129)"
        ),
    )
    too_hard_threshold: float = Field(
        0.75,
        ge=0,
        le=2,
        description="potential/stretch below which staff feel 'set up to fail' [ratio] (001:77)",
    )
    too_easy_threshold: float = Field(
        1.7,
        ge=1,
        le=5,
        description=(
            "potential/stretch above which the target is too easy to command effort [ratio] "
            "(001:77)"
        ),
    )
    poor_measure_quality: float = Field(
        0.4,
        ge=0,
        le=1,
        description=(
            "indicator quality below which a target is 'a poor measure of desired outcomes', where "
            "inappropriate stretch lowers effort (001:77) [0-1]; assumption, range 0.3-0.6"
        ),
    )
    too_hard_penalty: float = Field(
        0.25, ge=0, le=1, description="effort lost on a too-hard target [0-1]"
    )
    too_easy_penalty: float = Field(
        0.15, ge=0, le=1, description="effort lost on a too-easy target [0-1]"
    )


class ImplementationParams(_Section):
    """Turning effort into improvement during the agreement."""

    improvement_rate: float = Field(
        0.3,
        gt=0,
        le=1,
        description=(
            "share of the remaining gap to potential closed per quarter at full effort [1/quarter]"
        ),
    )
    potential_mean: float = Field(
        1.25,
        gt=0,
        le=5,
        description=(
            "achievable improvement at full effort relative to a correctly estimated stretch "
            "[ratio]"
        ),
    )
    catch_up: float = Field(
        0.15,
        ge=0,
        le=1,
        description="extra potential per star of the prior rating below MAX_RATING (4): more room "
        "to improve by best practice (003:389, 001:101) [ratio/star]",
    )
    capacity_half: float = Field(
        0.45,
        gt=0,
        le=5,
        description="resources (capacity + PPG) giving 63% of full capacity effect [dimensionless]",
    )
    ppg_effect: float = Field(
        0.6,
        ge=0,
        le=5,
        description="resource added by PPG at the cost reference [dimensionless] (001:91)",
    )
    cash_strapped_capacity_loss: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "share of capacity lost to fire-fighting in the most cash-strapped authority (000:133) "
            "[0-1]"
        ),
    )
    focus_reference_targets: int = Field(
        12,
        ge=1,
        le=20,
        description=(
            "number of targets at which focus neither helps nor dissipates effort [count] (001:89, "
            "001:91)"
        ),
    )
    focus_elasticity: float = Field(
        0.5, ge=0, le=3, description="elasticity of effort to the number of targets [dimensionless]"
    )
    reward_will_effect: float = Field(
        0.05,
        ge=0,
        le=1,
        description=(
            "will added by a maximum reward at the reward reference, scaled by trust [0-1]; small: "
            "staff are motivated by outcomes, not reward (001:77)"
        ),
    )
    reward_corporate_pull: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "extra agreement effort from the corporate centre's push per unit of reward weight "
            "(max_reward / T / reward_reference_gbp, as the council values it) [ratio]: 'at "
            "corporate level ... reward grant as a powerful incentive' (001:57), 'reward grant was "
            "generally the condition for participation' (001:91); 0 = no effect (default), "
            "assumption, plausible up to 0.3 (a reward at the reference makes the centre raise "
            "the agreement's effort by up to 30%)"
        ),
    )
    reward_crowding_out: float = Field(
        0.03,
        ge=0,
        le=0.5,
        description=(
            "will lost by a maximum reward at the reward reference [0-1]: staff 'motivated not by "
            "the reward grant but by the desire to improve outcomes' (001:77), knights treated as "
            "knaves (003:496); assumption, range 0-0.1"
        ),
    )
    diversion_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description=(
            "loss to the council's untargeted services per unit of agreement gain on its targets "
            "[ratio]; diversion happened but 'does not generally seem to have been significant' "
            "(001:95); assumption, range 0-0.3"
        ),
    )
    champion_prob: float = Field(
        0.75,
        ge=0,
        le=1,
        description="chance a target starts with a champion, at full capacity [0-1] (001:93)",
    )
    champion_capacity_floor: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of champion_prob at zero corporate capacity, rising linearly to 1 at "
        "full capacity [0-1] (001:93: champions go with corporate commitment); "
        "assumption",
    )
    no_champion_penalty: float = Field(
        0.35, ge=0, le=1, description="effort lost while a target has no champion [0-1] (001:93)"
    )
    handover_base: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "chance a leaving champion hands over, with no shared story [0-1] (001:57, 001:93)"
        ),
    )
    reappoint_rate: float = Field(
        0.25,
        ge=0,
        le=1,
        description="chance per quarter that a target without champion gets one [1/quarter]",
    )
    late_start_max_quarters: float = Field(
        4.0,
        ge=0,
        le=8,
        description=(
            "mean delay before real work starts for an authority with no thinking time [quarters] "
            "(000:125, 000:359)"
        ),
    )
    innovation_success_prob: float = Field(
        1 / 3,
        ge=0,
        le=1,
        description="chance a systemic innovation becomes a tangible improvement [0-1] (003:739)",
    )
    innovation_share: float = Field(
        0.25,
        ge=0,
        le=1,
        description=(
            "share of systemic approaches that are real innovation rather than applying best "
            "practice [0-1]; 'little real innovation ... ample scope for improvement by the "
            "application of best practice' (001:101); assumption, range 0.1-0.5"
        ),
    )
    best_practice_success_prob: float = Field(
        0.8,
        ge=0,
        le=1,
        description=(
            "chance a systemic change by best practice becomes tangible [0-1]; assumption, range "
            "0.6-0.95 (001:101)"
        ),
    )
    innovation_fail_potential: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "share of potential still reached when an innovation fails (best practice still helps) "
            "[0-1]"
        ),
    )
    systemic_potential: float = Field(
        1.15,
        ge=0.5,
        le=3,
        description=(
            "potential of a successful systemic change relative to other approaches [ratio]"
        ),
    )
    dip_quarters: int = Field(
        3,
        ge=0,
        le=8,
        description="quarters of the dip before a systemic change pays off [quarters] (003:739)",
    )
    dip_depth: float = Field(
        0.12, ge=0, le=1, description="total fall during the dip [share of stretch] (003:739)"
    )
    shock_sd: float = Field(
        0.08,
        ge=0,
        le=1,
        description=(
            "sd of quarterly external shocks for a fully exposed target [share of stretch] "
            "(001:133)"
        ),
    )
    shock_persistence: float = Field(
        0.7, ge=0, lt=1, description="AR(1) persistence of external shocks [ratio]"
    )
    setback_probability: float = Field(
        0.25,
        ge=0,
        le=0.6,
        description=(
            "chance that a target meets a setback the council does not control during its "
            "agreement: an indicator redefined, a service collapse, a cohort that turns out "
            "harder [probability per target] (001:133 'external factors or chance', 001:75 "
            "'a lottery', 001:77 'harder ... than could have been foreseen'; the default puts "
            "councils' end split near ../shared/RECORDS.md; range 0 = no setbacks .. 0.6)"
        ),
    )
    setback_size: float = Field(
        1.0,
        ge=0,
        le=2,
        description=(
            "mean fall of a target's indicator at a setback, kept thereafter [share of stretch]; "
            "each setback is this times a uniform 0.5-1.5 (size not in the evidence: 0 = no "
            "effect .. 2)"
        ),
    )
    setback_late_share: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "share of setbacks that surface in the agreement's last year rather than at a "
            "uniformly drawn quarter of it [share]: a cohort's results, an indicator found "
            "ill-defined when the claim is audited, a target that 'subsequently turned out' harder "
            "(001:77, 001:75); 0 = uniform over the agreement .. 1 = all in the last year"
        ),
    )


class ApproachParams(_Section):
    """How an authority chooses an approach per target (000:90-93, 000:133, 000:349). Logit
    weights."""

    base_systemic: float = Field(
        -0.9, ge=-5, le=5, description="baseline logit of systemic change [logit]"
    )
    base_new_working: float = Field(
        1.1, ge=-5, le=5, description="baseline logit of new working with ongoing costs [logit]"
    )
    base_more_of_same: float = Field(
        0.0, ge=-5, le=5, description="baseline logit of more of the same [logit]"
    )
    thinking_weight: float = Field(
        2.0, ge=0, le=10, description="logit of systemic per unit thinking time [logit]"
    )
    risk_weight: float = Field(
        1.5, ge=0, le=10, description="logit of systemic per unit risk tolerance [logit]"
    )
    cash_strapped_weight: float = Field(
        2.0,
        ge=0,
        le=10,
        description=(
            "logit of more of the same per unit of budget pressure (1 - climate) [logit] (000:133)"
        ),
    )
    cohort_weight: float = Field(
        1.0,
        ge=0,
        le=10,
        description="logit of more of the same for cohort targets [logit] (000:349)",
    )
    ppg_more_of_same_weight: float = Field(
        2.0,
        ge=0,
        le=10,
        description=(
            "PPG weight of a more-of-the-same target relative to others when a council spreads its "
            "PPG [ratio] (000:326)"
        ),
    )
    ppg_coordination_share_mean: float = Field(
        0.4,
        ge=0.02,
        le=0.98,
        description=(
            "mean share of a council's PPG spent on posts that plan, re-engineer and co-ordinate "
            "rather than on front-line services [0-1] (000:347); assumption, range 0.2-0.7"
        ),
    )
    ppg_coordination_weight: float = Field(
        1.0,
        ge=0,
        le=10,
        description=(
            "logit of systemic change and new working per unit of co-ordination PPG at the cost "
            "reference [logit]: 'without such focussed attention the temptation is to do more of "
            "the same' (000:347); assumption, range 0-2"
        ),
    )
    ppg_frontline_weight: float = Field(
        1.0,
        ge=0,
        le=10,
        description=(
            "logit of more of the same per unit of front-line PPG at the cost reference [logit]: "
            "PPG used to 'buy' improvements (000:326, 000:380); assumption, range 0-2"
        ),
    )
    fixed_shares: list[float] = Field(
        default_factory=lambda: [0.3, 0.4, 0.3],
        min_length=3,
        max_length=3,
        description=(
            "approach shares used when the approach_choice mechanism is off [0-1, normalised]"
        ),
    )


class SustainabilityParams(_Section):
    """What happens after the agreement ends (000:87-93, 000:139-149, 000:367-385)."""

    decay_rate_new_working: float = Field(
        0.12,
        ge=0,
        le=1,
        description=(
            "share of the gap to the floor lost per quarter: new working, failed or non-persistent "
            "innovation [1/quarter]"
        ),
    )
    decay_rate_more_of_same: float = Field(
        0.25,
        ge=0,
        le=1,
        description="share of the gap to the floor lost per quarter: more of the same [1/quarter]",
    )
    more_of_same_residual: float = Field(
        0.15,
        ge=0,
        le=1,
        description=(
            "share of a more-of-the-same gain left once PPG stops and nothing replaces it [0-1] "
            "(000:93)"
        ),
    )
    failed_innovation_residual: float = Field(
        0.3, ge=0, le=1, description="share of a failed innovation's gain left [0-1]"
    )
    continuation_cash_strapped: float = Field(
        0.35,
        ge=0,
        le=1,
        description=(
            "share of ongoing costs a cash-strapped authority keeps funding [0-1] (000:133)"
        ),
    )
    continuation_affluent: float = Field(
        0.85, ge=0, le=1, description="same for an affluent authority [0-1]"
    )
    mainstreaming_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "share of continuation also applied to PPG-funded more-of-the-same work (mainstreamed) "
            "[0-1] (000:353)"
        ),
    )
    national_priority_discount: float = Field(
        0.2,
        ge=0,
        le=1,
        description=(
            "continuation lost on national targets that are not the highest local priority [0-1] "
            "(000:385)"
        ),
    )
    expectations_strength: float = Field(
        0.6,
        ge=0,
        le=1,
        description=(
            "reduction of decay rate for visible services by raised expectations [0-1] (000:290, "
            "000:369)"
        ),
    )
    corporate_drift_rate: float = Field(
        0.04,
        ge=0,
        le=1,
        description=(
            "chance per quarter, per authority, that the corporate centre moves effort off the "
            "LPSA areas [1/quarter] (000:139)"
        ),
    )
    corporate_drift_cut: float = Field(
        0.25,
        ge=0,
        le=1,
        description="share of continuation funding withdrawn by a drift [0-1] (000:149)",
    )
    systemic_persistence_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description=(
            "share of a successful systemic gain that persists without funding; the rest needs "
            "ongoing funding like new working [0-1]: systemic change 'may be irreversible' "
            "(000:290), 'too soon to say', new processes 'may be more costly than the old ones' "
            "(000:367); assumption, range 0.5-1"
        ),
    )
    ppg_bought_loss: float = Field(
        0.8,
        ge=0,
        le=1,
        description=(
            "share of the PPG-paid part of a non-persistent gain lost once PPG stops, unless "
            "continuation funding replaces it [0-1]: did PPG let councils 'buy' improvements in "
            "an unsustainable way (000:380, 000:326); not applied to more of the same, whose "
            "residual already counts it (000:93); assumption, range 0.3-1"
        ),
    )
    integration_base: float = Field(
        0.1,
        ge=0,
        le=1,
        description=(
            "chance a council with no political leadership builds the agreement into its wider "
            "improvement agenda [0-1] (004:38); assumption"
        ),
    )
    integration_leadership_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description=(
            "extra chance of integration per unit of leadership [0-1]: Kent's 'full support and "
            "engagement of the management team and corporate policy centre' (000:199); assumption"
        ),
    )
    integration_keep: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "share of what would be lost that an integrated council keeps [0-1] (004:15-38, "
            "000:189-208); assumption, range 0.1-0.5"
        ),
    )
    integration_drift_protection: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "reduction of the corporate drift rate in an integrated council [0-1] (000:199: the "
            "corporate centre 'can bring core activities and services in to support LPSA "
            "targets'); assumption"
        ),
    )
    diversion_recovery: float = Field(
        0.1,
        ge=0,
        le=1,
        description=(
            "share of the loss to untargeted services restored per quarter after the end "
            "[1/quarter]; assumption"
        ),
    )
    cohort_loss: float = Field(
        0.4,
        ge=0,
        le=1,
        description=(
            "share of a cohort target's non-systemic gain that leaves with the cohort [0-1] "
            "(000:331, 000:349)"
        ),
    )
    reward_reinvest_mean: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "mean share of reward an authority puts back into the target areas [0-1] (000:385)"
        ),
    )
    ongoing_cost_reference_gbp: float = Field(
        100_000,
        gt=0,
        le=1e8,
        description=(
            "yearly cost of keeping a resource-dependent gain [GBP/target/year]; assumption"
        ),
    )


class AreaParams(_Section):
    """One policy area's properties (001:131, 000:357, 000:349, 000:369)."""

    weight: float = Field(..., ge=0, description="relative frequency among targets [weight]")
    department: Literal["DfES", "DfT", "HomeOffice", "DoH", "ODPM", "DEFRA", "DWP", "DCMS"]
    partner: Literal["police", "health", "schools", "colleges", "voluntary"]
    tractability: float = Field(
        ...,
        gt=0,
        le=3,
        description=(
            "potential multiplier: how well cause and effect are understood [ratio] (001:131, "
            "000:135)"
        ),
    )
    exposure: float = Field(
        ...,
        ge=0,
        le=3,
        description="exposure to external shocks [multiplier of shock_sd] (001:133)",
    )
    partnership_prob: float = Field(
        ..., ge=0, le=1, description="chance a target is multi-agency [0-1] (001:105)"
    )
    cohort_prob: float = Field(
        ..., ge=0, le=1, description="chance a target is cohort-based [0-1] (000:349)"
    )
    visibility_prob: float = Field(
        ...,
        ge=0,
        le=1,
        description="chance the service is visible to influential publics [0-1] (000:369)",
    )
    shift_exposure: float = Field(
        1.0,
        ge=0,
        le=5,
        description=(
            "multiplier of the department's priority shift rate [ratio]; crime most exposed "
            "(000:357)"
        ),
    )
    indicator_quality_mean: float = Field(
        0.6, ge=0.02, le=0.98, description="mean indicator quality [0-1] (001:75)"
    )
    background_trend: float = Field(
        0.0,
        ge=-0.1,
        le=0.2,
        description=(
            "improvement per agreement quarter from other national policies, agreement or not "
            "[share of stretch/quarter] (001:133); assumption"
        ),
    )


def _area(
    weight: float,
    dept: str,
    partner: str,
    tract: float,
    expo: float,
    pship: float,
    cohort: float,
    vis: float,
    shift: float = 1.0,
    quality: float = 0.6,
    trend: float = 0.0,
) -> dict:
    return dict(
        weight=weight,
        department=dept,
        partner=partner,
        tractability=tract,
        exposure=expo,
        partnership_prob=pship,
        cohort_prob=cohort,
        visibility_prob=vis,
        shift_exposure=shift,
        indicator_quality_mean=quality,
        background_trend=trend,
    )


DEFAULT_AREAS: dict[str, dict] = {
    # Columns: weight, department, partner, tractability, exposure, partnership, cohort, visibility,
    # shift exposure, indicator quality, background trend (national pushes, e.g. waste and schools;
    # assumption).
    # Transport and educational attainment miss most; environment/housing, cost-effectiveness and
    # miscellaneous local targets succeed most (001:131). Crime most exposed to priority shifts
    # (000:357).
    "education": _area(0.16, "DfES", "schools", 0.78, 0.6, 0.3, 0.8, 0.6, 1.0, 0.6, 0.008),
    "transport": _area(0.08, "DfT", "voluntary", 0.72, 0.9, 0.3, 0.0, 0.7, 1.0, 0.5, 0.0),
    "crime": _area(0.14, "HomeOffice", "police", 0.95, 1.0, 0.8, 0.1, 0.8, 2.5, 0.55, 0.008),
    "social_care": _area(0.12, "DoH", "health", 0.95, 0.5, 0.4, 0.6, 0.2, 1.0, 0.6, 0.005),
    "environment": _area(0.10, "DEFRA", "voluntary", 1.2, 0.4, 0.1, 0.0, 0.8, 0.5, 0.7, 0.01),
    "housing": _area(0.08, "ODPM", "voluntary", 1.15, 0.4, 0.2, 0.0, 0.5, 0.5, 0.7, 0.005),
    "health": _area(0.10, "DoH", "health", 0.9, 0.6, 0.8, 0.2, 0.4, 1.0, 0.55, 0.005),
    "employment": _area(0.08, "DWP", "colleges", 0.9, 0.8, 0.6, 0.3, 0.3, 1.0, 0.55, 0.005),
    "cost_effectiveness": _area(0.06, "ODPM", "voluntary", 1.15, 0.3, 0.0, 0.0, 0.3, 0.5, 0.7, 0.0),
    "culture_local": _area(0.08, "DCMS", "voluntary", 1.15, 0.4, 0.2, 0.0, 0.6, 0.5, 0.6, 0.0),
}


class NegotiationParams(_Section):
    """How councils choose their local targets at negotiation (001:105, 000:115); national
    targets are imposed and not chosen (001:63). Defaults: no choice (targets as drawn)."""

    partnership_avoidance: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "share of would-be partnership local targets a council swaps for single-agency ones "
            "[0-1]; 'many authorities tried to avoid partnership targets in their first LPSA' "
            "(001:105); 0 = no avoidance (default), range 0-0.6"
        ),
    )
    easy_area_preference: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "chance that a council, offered a second area for a local target, takes whichever is "
            "more tractable [0-1]; councils chose areas where performance was already "
            "satisfactory 'simply out of convenience' (000:115); 0 = no preference (default), "
            "range 0-0.8"
        ),
    )


class Mechanisms(_Section):
    """Switches: each mechanism can be turned off to test a theory-of-change hypothesis."""

    will_and_reward: bool = Field(
        True, description="reward adds (a little) will, scaled by trust (001:87, 001:77)"
    )
    capacity_constraint: bool = Field(
        True,
        description=(
            "capacity and resources limit effort; off = only will matters, government's assumption "
            "(001:87-89)"
        ),
    )
    ppg_enables: bool = Field(
        True, description="PPG adds resources to the targets it is spent on (001:91)"
    )
    approach_choice: bool = Field(
        True,
        description=(
            "authorities choose approaches by climate, thinking time, risk (000:90-93, 000:133); "
            "off = fixed shares"
        ),
    )
    stretch_uncertainty: bool = Field(
        True,
        description=(
            "stretch set from noisy data, national stacking, inappropriate stretch lowers effort "
            "(001:77, 001:129)"
        ),
    )
    late_start: bool = Field(
        True, description="work starts only after the service works out how (000:125, 000:359)"
    )
    champions_turnover: bool = Field(
        True,
        description=(
            "champions raise effort; turnover without handover removes them (001:57, 001:93)"
        ),
    )
    partnerships: bool = Field(
        True, description="multi-agency targets depend on partners' effort (001:105, 000:126)"
    )
    priority_shifts: bool = Field(
        True,
        description=(
            "departments shift national priorities, pulling partners away (000:173-179, 000:357)"
        ),
    )
    corporate_drift: bool = Field(
        True,
        description=(
            "after the agreement the corporate centre moves effort elsewhere (000:87, 000:139, "
            "000:149)"
        ),
    )
    budget_climate: bool = Field(
        True,
        description=(
            "cash-strapped authorities fire-fight and keep less funding; budget cuts after the end "
            "(000:133); off = every authority at budget_climate_mean"
        ),
    )
    systemic_persistence: bool = Field(
        True,
        description=(
            "most of a successful systemic change persists unfunded (000:290, "
            "sustainability.systemic_persistence_share); off = it decays like resource-dependent "
            "gains"
        ),
    )
    raised_expectations: bool = Field(
        True, description="visible services fall back more slowly (000:290, 000:369)"
    )
    cohort_focus: bool = Field(
        True, description="cohort targets lose non-systemic gains with the cohort (000:349)"
    )
    freedoms_flexibilities: bool = Field(
        True,
        description=(
            "F&F requests: granted, refused or promised and broken, moving trust (001:81, 002:56)"
        ),
    )
    innovation_risk: bool = Field(
        True,
        description="systemic change succeeds about one time in three and dips first (003:739)",
    )
    reward_reinvestment: bool = Field(
        True, description="part of the reward is put back into target areas (000:385)"
    )
    target_choice: bool = Field(
        True,
        description=(
            "councils choose their local targets: avoid partnership targets, prefer tractable "
            "areas (001:105, 000:115; negotiation.*); off = targets as drawn"
        ),
    )
    negotiation_capacity: bool = Field(
        True,
        description=(
            "central team concludes a limited number of agreements per quarter (002:88); off = all "
            "at once"
        ),
    )
    participation: bool = Field(
        True,
        description=(
            "authorities sign only if the offer attracts them; reward is the main draw (001:91)"
        ),
    )
    catch_up: bool = Field(
        True, description="lower-rated authorities have more room to improve (003:389)"
    )
    background_trend: bool = Field(
        True,
        description=(
            "other national policies move indicators whatever the agreement does (001:133, 000:230)"
        ),
    )
    gaming_threshold: bool = Field(
        True,
        description="reported figures nudged over the payout floor (000:240: perverse incentives)",
    )
    gaming_cohort: bool = Field(
        True,
        description=(
            "cohort focus overstates improvement while the target is measured (000:349, 000:333)"
        ),
    )
    gaming_presentation: bool = Field(
        True, description="poor indicators presented in a good light (003:683)"
    )
    gaming_ratchet: bool = Field(
        True,
        description=(
            "holding back once the stretch is met, to avoid a harder next target; an assumption: "
            "no seed describes it (gaming.ratchet_factor)"
        ),
    )
    council_sizes: bool = Field(
        True,
        description=(
            "councils' populations vary within each type as England's did (2001 Census); off = "
            "every council the median size of its type"
        ),
    )
    ppg_shapes_approach: bool = Field(
        True,
        description=(
            "PPG on co-ordination makes systemic change and new working likelier, front-line PPG "
            "more of the same (000:347, 000:326)"
        ),
    )
    ppg_bought_gains: bool = Field(
        True,
        description=(
            "the part of a gain that PPG paid for is lost when the money stops unless funding "
            "replaces it (000:380, 000:93)"
        ),
    )
    stretch_morale_selective: bool = Field(
        True,
        description=(
            "inappropriate stretch lowers effort only on targets that are not a local priority or "
            "a poor measure, plus 'set up to fail' national targets (001:77); off = on every target"
        ),
    )
    innovation_vs_best_practice: bool = Field(
        True,
        description=(
            "most systemic approaches apply best practice and rarely fail; only real innovation "
            "succeeds one time in three and dips first (001:101, 003:739); off = all innovation"
        ),
    )
    budget_pressure: bool = Field(
        True,
        description="budget cuts during the agreement lower effort (000:133, 001:135)",
    )
    priority_moves: bool = Field(
        True,
        description=(
            "a priority shift raises the department's other indicators as it lowers the hit ones "
            "(000:173-179); off = shifts only lower priority"
        ),
    )
    freedoms_over_time: bool = Field(
        True,
        description=(
            "promised freedoms fall due during implementation and are delivered or broken; lost "
            "trust lowers effort (001:81, 000:133); off = settled at signing, trust has no effect"
        ),
    )
    business_as_usual: bool = Field(
        True,
        description=(
            "councils work on these services anyway, agreement or not (001:133, 000:230, 001:103); "
            "off = only the agreement moves them"
        ),
    )
    inspection: bool = Field(
        True,
        description=(
            "a low or falling star rating raises attention and slows fall-back, in both worlds "
            "(003:203, 003:418-438); off = ratings are recorded but have no effect"
        ),
    )
    reward_corporate_pull: bool = Field(
        True,
        description=(
            "reward makes the corporate centre push the targets (001:57, 001:91); strength "
            "implementation.reward_corporate_pull"
        ),
    )
    reward_risk_aversion: bool = Field(
        True,
        description=(
            "risk-averse councils value the uncertain reward below its face value, more on risky "
            "targets; PPG is certain (001:91, 001:105); strength authorities.risk_aversion"
        ),
    )
    motivation_crowding: bool = Field(
        True,
        description=(
            "reward crowds out the motivation of staff who work for outcomes (001:77, 003:496)"
        ),
    )
    diversion: bool = Field(
        True,
        description="untargeted services lose a little while the targets gain (001:95)",
    )
    authority_learning: bool = Field(
        True,
        description=(
            "councils learn from implementing the agreement: capacity that raises effort on the "
            "targets and slows the fall-back after the end (001:97-103); off = nothing is learned"
        ),
    )
    improvement_agenda: bool = Field(
        True,
        description=(
            "councils that build the agreement into their wider improvement agenda keep more "
            "(004:38, 000:189-208)"
        ),
    )
    setbacks: bool = Field(
        True,
        description=(
            "targets can meet setbacks the council does not control, in both worlds (001:133, "
            "001:75, 001:77; targets.draw_setbacks)"
        ),
    )


class AttributionParams(_Section):
    """What the agreement itself adds, against what would have happened anyway (001:133,
    000:230)."""

    agreement_focus: float = Field(
        1.0,
        ge=0,
        le=1,
        description=(
            "how far the agreement focuses councils' effort on its targets [0-1]; 0 with no money "
            "= no agreement (the counterfactual twin)"
        ),
    )
    business_as_usual_effort: float = Field(
        0.15,
        ge=0,
        le=1,
        description=(
            "effort councils put into the targeted services as normal work, agreement or not, as "
            "a share of full agreement effort [0-1]: councils were already working on many of "
            "these services (001:133, 000:230 'might have happened anyway'); assumption, range "
            "0-0.4 (0: the projected baseline already counts it): at 0.15 about a third of the "
            "true improvement is deadweight, between the extremes of 001:133"
        ),
    )
    background_sd: float = Field(
        0.5,
        ge=0,
        le=3,
        description="log-sd of a target's background trend around its area's trend [log units]",
    )
    unprojected_trend: float = Field(
        1.0,
        ge=0,
        le=3,
        description=(
            "share of the areas' background trend (other national policies pushing the same way, "
            "001:133) that the projected baseline missed [ratio]. Stretch is measured above the "
            "projected no-agreement baseline (EVIDENCE.md:26), so with 0 the projection foresaw "
            "everything and the no-agreement twin stays at the baseline but for business as "
            "usual, chance and setbacks; above 0 the gap between them is this national trend, "
            "missed because trend data were 'inadequate' (001:77); assumption, range 0-2"
        ),
    )


class GamingParams(_Section):
    """Moving the reported indicator more than the outcome. Strength = propensity x (1 - audit
    pressure) x (1 - indicator quality) x reward weight (000:240, 000:349, 003:683; 001:75 poor
    indicators)."""

    propensity: float = Field(
        0.5, ge=0, le=5, description="base strength of gaming [dimensionless]; assumption"
    )
    audit_pressure: float = Field(
        0.5,
        ge=0,
        le=1,
        description="audit and inspection pressure on reported figures [0-1] (003:683)",
    )
    max_reward_weight: float = Field(
        2.0,
        ge=0,
        le=10,
        description="cap on the reward weight (max reward per target / reward reference) [ratio]",
    )
    threshold_band: float = Field(
        0.1,
        ge=0,
        le=0.6,
        description=(
            "how far below the payout floor a council may push its reported figure [share of "
            "stretch]"
        ),
    )
    cohort_inflation: float = Field(
        0.5,
        ge=0,
        le=3,
        description=(
            "over-reporting of a cohort target's gain per unit strength [ratio of gain] (000:333)"
        ),
    )
    presentation: float = Field(
        0.3,
        ge=0,
        le=3,
        description="reported uplift per unit strength [share of stretch] (003:683)",
    )
    ratchet_effort_cut: float = Field(
        0.8,
        ge=0,
        le=1,
        description="effort withheld per unit strength once the stretch is met [0-1]",
    )
    gap_decay: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "share of the reporting gap that fades per quarter once the agreement has ended "
            "[1/quarter]"
        ),
    )


class BudgetParams(_Section):
    """Mainstream budget pressure, during the agreement and after it (000:133, 001:135)."""

    shock_rate: float = Field(
        0.04,
        ge=0,
        le=1,
        description=(
            "chance per quarter of a mainstream budget cut, for the most cash-strapped council "
            "(times 1 - budget climate) [1/quarter]; 'mainstream budget cuts can outweigh reward' "
            "(000:133); assumption"
        ),
    )
    continuation_cut: float = Field(
        0.2,
        ge=0,
        le=1,
        description="share of continuation funding lost in a cut after the end [0-1] (000:133)",
    )
    effort_cut: float = Field(
        0.15,
        ge=0,
        le=1,
        description=(
            "share of effort on the targeted services lost in a cut during the agreement [0-1]: "
            "cuts threaten "
            "attainment during it too (000:133, 001:135 'sustained additional funding is not "
            "assured'); assumption, range 0-0.3"
        ),
    )
    recovery: float = Field(
        0.1,
        ge=0,
        le=1,
        description="share of lost agreement effort restored per quarter [1/quarter]; assumption",
    )


class InspectionParams(_Section):
    """Annual inspection ratings running alongside the agreements (CPA, CSCI star ratings).

    A rating is 1-4 stars from the council's services' performance with assessment noise. A low or
    falling rating is an external stimulus that raises attention, in both worlds: 'a continuing
    need for external stimuli to encourage improvement, and as a safeguard against slipping back'
    (003:203); star ratings moved both ways every year (003:418-438).
    """

    noise_sd: float = Field(
        0.4,
        ge=0,
        le=2,
        description=(
            "sd of the assessment's error on the score [stars]; assumption, range 0.2-0.6. Set "
            "with score_persistence and national_drift so that about 17% of councils rise and 9% "
            "fall a star a year (003:418: 25 and 16 of about 150): two-way movement is then partly "
            "an input, not evidence"
        ),
    )
    service_noise_ratio: float = Field(
        1.0,
        ge=0,
        le=3,
        description=(
            "sd of the service-level rating's assessment error (adult social care stars, made by "
            "the CSCI: 003:418, 003:430) as a multiple of the whole-council rating's (the CPA, "
            "made by the Audit Commission, 003:357) [ratio]; assumption, range 0.5-2: two "
            "inspectorates with their own methods; 1 = the same error"
        ),
    )
    score_persistence: float = Field(
        0.3,
        ge=0,
        lt=1,
        description=(
            "AR(1) persistence of the assessment error from one year to the next (the same "
            "inspectors, the same evidence) [ratio]; assumption"
        ),
    )
    stars_per_stretch: float = Field(
        1.0,
        ge=0,
        le=5,
        description=(
            "change of the score per unit of mean performance on the assessed services [stars per "
            "share of stretch]; assumption"
        ),
    )
    targets_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description=(
            "weight of the targeted services in the score; the rest is the council's untargeted "
            "services [0-1]; assumption"
        ),
    )
    national_drift: float = Field(
        0.08,
        ge=-1,
        le=1,
        description=(
            "rise of every council's score a year from national spending and policy, agreement or "
            "not [stars/year]: one-star adult social care councils fell from 96 to 28 in 2002-07 "
            "with 'substantial, consistent increases in expenditure' (003:416); assumption"
        ),
    )
    low_rating: int = Field(
        1,
        ge=1,
        le=4,
        description="ratings at or below this count as low and draw attention [stars]",
    )
    attention_effort: float = Field(
        0.15,
        ge=0,
        le=1,
        description=(
            "extra effort (share of the gap to full effort) in a council whose rating is low or "
            "fell last year [0-1] (003:203); assumption, range 0-0.3"
        ),
    )
    attention_decay_slowdown: float = Field(
        0.3,
        ge=0,
        le=1,
        description=(
            "reduction of the fall-back rate after the end in a council whose rating is low or "
            "fell [0-1]: external challenge as 'a safeguard against slipping back' (003:203, "
            "003:438); assumption, range 0-0.6"
        ),
    )
    first_year: int = Field(
        2001,
        ge=1990,
        le=2100,
        description=(
            "calendar year in which the first quarter falls [year] (pilots start April 2001)"
        ),
    )


class ParticipationParams(_Section):
    """Whether an authority signs (001:91: reward was the condition for participation)."""

    base_logit: float = Field(
        1.2,
        ge=-10,
        le=10,
        description=(
            "logit of signing with no money on offer [logit]; set so that about 144 of England's "
            "150 councils sign under the scheme's rules, as observed (EVIDENCE.md scheme rules)"
        ),
    )
    reward_weight: float = Field(
        2.3,
        ge=0,
        le=10,
        description="logit per maximum reward at the reward reference per target [logit]",
    )
    ppg_weight: float = Field(
        0.2, ge=0, le=10, description="logit per PPG at the cost reference per target [logit]"
    )
    trust_weight: float = Field(
        1.0, ge=0, le=10, description="logit per unit of trust above trust_reference [logit]"
    )
    trust_reference: float = Field(
        0.5,
        ge=0,
        le=1,
        description="trust at which trust neither helps nor hinders signing [0-1] (001:81: "
        "broken promises damaged trust); assumption",
    )


class Scenario(_Section):
    """A complete, validated scenario."""

    name: str = Field(
        "unnamed",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="scenario name, used in output folder names: letters, digits, _ . -",
    )
    description: str = ""
    replications: int = Field(
        20, ge=1, le=100_000, description="replications run by run.py [count]"
    )
    seed: int = Field(2001, ge=0, le=2**63 - 1, description="master seed [integer]")
    scheme: SchemeParams = Field(default_factory=SchemeParams)
    funding: FundingParams = Field(default_factory=FundingParams)
    authorities: AuthorityParams = Field(default_factory=AuthorityParams)
    departments: DepartmentParams = Field(default_factory=DepartmentParams)
    partners: PartnerParams = Field(default_factory=PartnerParams)
    stretch: StretchParams = Field(default_factory=StretchParams)
    negotiation: NegotiationParams = Field(default_factory=NegotiationParams)
    implementation: ImplementationParams = Field(default_factory=ImplementationParams)
    approach: ApproachParams = Field(default_factory=ApproachParams)
    sustainability: SustainabilityParams = Field(default_factory=SustainabilityParams)
    participation: ParticipationParams = Field(default_factory=ParticipationParams)
    attribution: AttributionParams = Field(default_factory=AttributionParams)
    gaming: GamingParams = Field(default_factory=GamingParams)
    budget: BudgetParams = Field(default_factory=BudgetParams)
    inspection: InspectionParams = Field(default_factory=InspectionParams)
    areas: dict[str, AreaParams] = Field(
        default_factory=lambda: {k: AreaParams(**v) for k, v in DEFAULT_AREAS.items()}
    )
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        a = self.authorities
        if sum(t.count for t in a.types.values()) <= 0:
            raise ValueError("authorities.types: the counts must not all be zero")
        if not self.areas:
            raise ValueError("areas: at least one policy area is needed")
        if sum(ar.weight for ar in self.areas.values()) <= 0:
            raise ValueError("areas: the weights must not all be zero")
        if sum(a.rating_shares) <= 0 or sum(self.approach.fixed_shares) <= 0:
            raise ValueError("shares (rating_shares, fixed_shares) must not all be zero")
        if min(a.rating_shares) < 0 or min(self.approach.fixed_shares) < 0:
            raise ValueError("shares (rating_shares, fixed_shares) must be non-negative")
        return self


# ---------------------------------------------------------------------------------------------
# Loading


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` recursively; mappings merge key by key, anything else
    replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_scenario_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by path, or by bare name in ``relative_to`` or the shipped ``scenarios/``."""
    ref = str(ref)
    candidates = [Path(ref)]
    for folder in (relative_to, SCENARIO_DIR):
        if folder is not None:
            candidates += [folder / ref, folder / f"{ref}.yaml"]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    names = shipped_scenarios()
    raise ScenarioError(
        f"{ref}: scenario file not found{did_you_mean(Path(ref).stem, names)} "
        f"(shipped scenarios: {', '.join(names)})"
    )


def shipped_scenarios() -> list[str]:
    """The names of the scenarios shipped in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """'; did you mean X?' for the choice closest to a misspelt ``word``, or '' if none is close
    (difflib's ratio of at least 0.6)."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close and close[0] != word else ""


MAX_FILE_BYTES = 1_000_000
"""Largest scenario or experiment file read [bytes]: real ones are a few kilobytes."""
MAX_SHOWN_CHARS = 200
"""Longest bad value quoted in an error message [characters]."""


MAX_YAML_DEPTH = 50
"""Deepest nesting of lists and mappings read from a YAML file [levels]: a scenario needs four."""


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases, which no scenario needs and which can
    expand a small file into a huge document (a 'billion laughs' alias bomb); without duplicate
    keys (PyYAML keeps the last one without a word); and without nesting deeper than
    ``MAX_YAML_DEPTH`` (which would exhaust Python's recursion in the composer)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(f"at line {mark.line + 1}: YAML aliases (*name) are not allowed")
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(
                f"at line {mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep; "
                "allowed: a scenario's few levels of sections and tables"
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the constructor refuses it itself
                    continue
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {shorten(key)} (first at line {first.start_mark.line + 1})"
                        "; allowed: each key once in a mapping",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def shorten(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters for error messages."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text):,} characters)"


@functools.lru_cache(maxsize=64)
def _parse_yaml(text: str) -> Any:
    """Parse YAML text once: a sweep, or a tool calling ``run_model`` run after run, reads the same
    scenario files again and again, and parsing costs more than a run's summary."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; any problem becomes a ScenarioError naming the
    file.

    Refuses files over ``MAX_FILE_BYTES``, YAML aliases and empty files, so that a wrong file fails
    at once with a short message instead of running the defaults or exhausting memory.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: file is {size:,} bytes; allowed: at most {MAX_FILE_BYTES:,}"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file; allowed: UTF-8 YAML") from None
    try:
        data = copy.deepcopy(_parse_yaml(text))  # callers may change what they get
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem[:MAX_SHOWN_CHARS]}") from None
    if data is None:
        raise ScenarioError(f"{path}: the file is empty; allowed: a mapping of field: value")
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: the top level must be a mapping of field: value, got {type(data).__name__}"
        )
    return data


def _raw_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in seen:
        chain = " -> ".join(str(p.name) for p in (*seen, path))
        raise ScenarioError(f"{path}: field 'extends': circular chain {chain}")
    data = read_yaml_mapping(path)
    data.setdefault("name", path.stem)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            f"{path}: field 'extends': got {parent_ref!r}; allowed: a scenario file name or path"
        )
    try:
        parent_path = resolve_scenario_path(parent_ref, path.parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: field 'extends': {exc}") from None
    return deep_merge(_raw_with_extends(parent_path, (*seen, path)), data)


def format_validation_error(source: str, exc: ValidationError) -> str:
    """One readable message per problem: source, field path, bad value, what is allowed. The
    missing fields of one entry make one line (a misspelt area in an override is one problem,
    not seven)."""
    errors = exc.errors()
    missing: dict[str, list[str]] = {}
    for err in errors:
        if err["type"] == "missing" and len(err["loc"]) > 1:
            parent = ".".join(str(p) for p in err["loc"][:-1])
            missing.setdefault(parent, []).append(str(err["loc"][-1]))
    lines = []
    for err in errors:
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parent = loc.rpartition(".")[0]
        if err["type"] == "missing" and parent in missing:
            fields = missing[parent]
            if fields:  # one line, at the entry's first missing field
                lines.append(
                    f"{source}: field '{parent[:MAX_SHOWN_CHARS]}': missing {', '.join(fields)}; "
                    "allowed: a complete entry (or check the spelling of its name)"
                )
                missing[parent] = []
            continue
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see model/scenario.py for the allowed fields)"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f": got {shorten(value)}"
        lines.append(f"{source}: field '{loc[:MAX_SHOWN_CHARS]}'{shown}; {msg[:MAX_SHOWN_CHARS]}")
    if len(lines) > 10:
        lines = [*lines[:10], f"{source}: ... and {len(lines) - 10} more problems"]
    return "\n".join(lines)


def validate_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a raw mapping into a Scenario or raise ScenarioError naming ``source``."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(source, exc)) from None


def load_scenario(
    ref: str | Path | Mapping[str, Any] | Scenario, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load a scenario from a path, a bare shipped name, a mapping or a Scenario, applying
    ``overrides``.

    A mapping may itself use ``extends:`` (resolved against the shipped ``scenarios/``).
    """
    if isinstance(ref, Scenario):
        data, source = ref.model_dump(), f"scenario {ref.name}"
    elif isinstance(ref, Mapping):
        data = dict(ref)
        source = "<scenario mapping>"
        parent = data.pop("extends", None)
        if parent is not None:
            data = deep_merge(_raw_with_extends(resolve_scenario_path(str(parent))), data)
    else:
        path = resolve_scenario_path(ref)
        data, source = _raw_with_extends(path), str(path)
    if overrides:
        data = deep_merge(_with_defaults_under(data, overrides, _schema_defaults()), overrides)
    return validate_scenario(data, source)


@functools.cache
def _schema_defaults() -> dict[str, Any]:
    return Scenario().model_dump()


def _with_defaults_under(
    data: dict[str, Any], overrides: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``data`` with the schema's defaults written in wherever ``overrides`` reaches into a
    mapping that ``data`` leaves out, so that an override changes one entry of a table the file
    does not list (``areas.education.weight``) instead of replacing the whole table with a
    half-filled entry. Entries the file gives stay the file's; only what it leaves out is filled."""
    out = dict(data)
    for key, value in overrides.items():
        if not isinstance(value, Mapping) or not isinstance(defaults.get(key), Mapping):
            continue
        if key not in out:
            out[key] = copy.deepcopy(defaults[key])
        if isinstance(out[key], Mapping):
            out[key] = _with_defaults_under(dict(out[key]), value, defaults[key])
    return out


def parameter_overrides(params: Mapping[str, Any]) -> dict[str, Any]:
    """Nested scenario overrides from parameters named by path.

    A name may be a dotted path (``"funding.ppg_share"``, as sweep files write it), the same path
    with double underscores (``funding__ppg_share``, a Python identifier, as EMA Workbench needs),
    or a top-level field whose value is a nested mapping (``funding={"ppg_share": 0.3}``).
    """
    out: dict[str, Any] = {}
    for name, value in params.items():
        *parents, leaf = str(name).replace("__", ".").split(".")
        node = out
        for key in parents:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ScenarioError(
                    f"parameter {name!r}: {key!r} is given both as a value and a section"
                )
            node = child
        if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
            node[leaf] = deep_merge(node[leaf], value)
        else:
            node[leaf] = value
    return out


def _holds_bool(value: Any) -> bool:
    """Whether ``value`` is true/false, or a list or table holding one."""
    if isinstance(value, bool):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_bool(v) for v in value)
    if isinstance(value, Mapping):
        return any(_holds_bool(v) for v in value.values())
    return False


def _numbers_only(annotation: Any) -> bool:
    """Whether a field declared as ``annotation`` holds numbers only (``float``, ``int``, or
    lists, tuples and tables of them), so that true/false is never a valid value of it."""
    import types
    from typing import Union, get_args, get_origin

    if annotation in (int, float):
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):  # float | None: numbers, or nothing
        args = [a for a in get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numbers_only(a) for a in args)
    if origin in (list, tuple, dict):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        if origin is dict:
            args = args[1:]
        return bool(args) and all(_numbers_only(a) for a in args)
    return False
